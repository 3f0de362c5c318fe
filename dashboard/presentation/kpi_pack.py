"""The leadership KPI pack: one Excel workbook for a period and a filter.

Sheets: KPIs (value, previous period, target, unit and formula), aging at the as-of date, late
euros by process owner and by cause, the segment comparison, and the customers with the most
overdue. Every figure comes from the metric layer; every text cell is written inert (no value
from the data can become a live formula, OWASP ASVS 5.0 requirement 1.2.10).
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from dashboard.core.taxonomy import OWNERS
from dashboard.metrics import AGING_BUCKETS, METRICS, Filters, Period, analytics, kpis
from dashboard.presentation.exports import force_text, neutralize
from dashboard.presentation.i18n import AGING_LABELS, fmt_date, fmt_datetime, t, unit_label
from dashboard.storage import store

TOP_CUSTOMERS = 25
SEGMENT_KPIS = (
    "receivables",
    "overdue_pct",
    "dso",
    "cei",
    "recovery_rate",
    "avg_days_late",
    "dispute_rate",
    "csat",
    "nps",
)
NUMBER_FORMATS = {"EUR": "#,##0.00", "%": "0.0", "days": "0.0", "score": "0.0"}


def _sheet(
    wb: Workbook,
    title: str,
    header: list[str],
    rows: list[list],
    formats: dict[int, str] | None = None,
):
    """A sheet with a bold header; text neutralised, numbers formatted per column."""
    ws = wb.create_sheet(title[:31])
    ws.append([neutralize(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralize(v) for v in row])
    for col, fmt in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, int | float):
                cell.number_format = fmt
    for i, _ in enumerate(header, start=1):
        width = max(
            (
                len(str(c.value))
                for (c,) in ws.iter_rows(min_col=i, max_col=i)
                if c.value is not None
            ),
            default=8,
        )
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 10), 60)
    force_text(ws)
    return ws


def write_report(
    engine: Engine, period: Period, filters: Filters | None = None, lang: str = "en"
) -> bytes:
    """The KPI pack as .xlsx bytes (the command line writes them to a file, the Overview
    offers them as a download)."""
    filters = filters or Filters()
    now = kpis(engine, period, filters)
    prev = period.previous()
    before = kpis(engine, prev, filters)
    targets = store.settings_with_prefix(engine, "target.")
    currency = now["currency"]

    def tr(text: str, **values) -> str:
        return t(text, lang, **values)

    def unit(name: str) -> str:
        return unit_label(METRICS[name].unit, lang, currency)

    def owner(name: str) -> str:
        return OWNERS.get(name, name) if lang == "fr" else name

    wb = Workbook()
    wb.remove(wb.active)
    colon = "\u00a0: " if lang == "fr" else ": "
    scope = "; ".join(
        f"{tr(k)}{colon}{', '.join(v)}"
        for k, v in (
            ("Segments", filters.segments),
            ("Regions", filters.regions),
            ("Collectors", filters.collectors),
        )
        if v
    ) or tr("All")
    info = [
        [
            tr("Period"),
            tr(
                "{start} to {end} ({days} days)",
                start=fmt_date(period.start, lang),
                end=fmt_date(period.end, lang),
                days=period.days,
            ),
        ],
        [tr("Previous period"), f"{fmt_date(prev.start, lang)} – {fmt_date(prev.end, lang)}"],
        [tr("Filters"), scope],
        [tr("Currency"), currency],
        [tr("Generated"), fmt_datetime(dt.datetime.now(dt.UTC), lang) + " UTC"],
    ]
    kpi_rows = []
    for m in METRICS.values():
        target = targets.get(m.name)
        kpi_rows.append(
            [
                m.label_in(lang),
                now[m.name],
                before[m.name],
                float(target) if target not in (None, "") else None,
                unit(m.name),
                m.formula_in(lang),
            ]
        )
    ws = _sheet(
        wb,
        tr("KPIs"),
        [tr("KPI"), tr("Value"), tr("Previous period"), tr("Target"), tr("Unit"), tr("Formula")],
        kpi_rows,
    )
    for row, m in enumerate(METRICS.values(), start=2):
        for col in (2, 3, 4):
            ws.cell(row, col).number_format = NUMBER_FORMATS[m.unit]
    start = len(kpi_rows) + 3
    for i, (label, value) in enumerate(info):
        ws.cell(start + i, 1, neutralize(label)).font = Font(bold=True)
        ws.cell(start + i, 2, neutralize(value))
    force_text(ws)

    total = sum(now["aging"].values())
    _sheet(
        wb,
        tr("Aging"),
        [tr("Bucket"), tr("Amount") + f" ({currency})", tr("Share") + " (%)"],
        [
            [tr(AGING_LABELS[b]), now["aging"][b], 100 * now["aging"][b] / total if total else None]
            for b in AGING_BUCKETS
        ],
        {2: NUMBER_FORMATS["EUR"], 3: "0.0"},
    )

    late_total = sum(o["amount"] for o in now["owners"])
    _sheet(
        wb,
        tr("Late euros by owner"),
        [tr("Owner"), tr("Invoices"), tr("Amount") + f" ({currency})", tr("Share") + " (%)"],
        [
            [
                owner(o["owner"]),
                o["invoices"],
                o["amount"],
                100 * o["amount"] / late_total if late_total else None,
            ]
            for o in now["owners"]
        ],
        {3: NUMBER_FORMATS["EUR"], 4: "0.0"},
    )
    labels = {
        c["code"]: c["label_fr" if lang == "fr" else "label_en"] for c in store.taxonomy(engine)
    }
    _sheet(
        wb,
        tr("Late reasons"),
        [tr("Reason"), tr("Owner"), tr("Invoices"), tr("Amount") + f" ({currency})"],
        [
            [labels.get(r["reason"], r["reason"]), owner(r["owner"]), r["invoices"], r["amount"]]
            for r in now["late_reasons"]
        ],
        {4: NUMBER_FORMATS["EUR"]},
    )

    seg = analytics.kpis_by(engine, period, filters, "segment", SEGMENT_KPIS)
    _sheet(
        wb,
        tr("Segments"),
        [tr("Segment"), *(f"{METRICS[n].label_in(lang)} ({unit(n)})" for n in SEGMENT_KPIS)],
        seg.astype(object).where(seg.notna(), None).values.tolist(),
        {i + 2: NUMBER_FORMATS[METRICS[n].unit] for i, n in enumerate(SEGMENT_KPIS)},
    )

    top = analytics.customer_list(engine, period.end, filters, limit=TOP_CUSTOMERS)
    top = top[top["overdue_eur"] > 0]
    cols = [
        "customer_id",
        "name",
        "segment",
        "region",
        "collector",
        "open_eur",
        "overdue_eur",
        "avg_days_late",
    ]
    _sheet(
        wb,
        tr("Top overdue customers"),
        [
            tr("Customer"),
            tr("Name"),
            tr("Segment"),
            tr("Region"),
            tr("Collector"),
            tr("Open balance") + f" ({currency})",
            tr("Overdue") + f" ({currency})",
            tr("Average days late"),
        ],
        top[cols].astype(object).where(top[cols].notna(), None).values.tolist(),
        {6: NUMBER_FORMATS["EUR"], 7: NUMBER_FORMATS["EUR"], 8: "0.0"},
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
