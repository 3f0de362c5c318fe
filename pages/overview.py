"""Overview: the leadership page. KPI cards with trend and target, monthly trends, aging."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.app import cache, login, state, widgets
from dashboard.metrics import AGING_BUCKETS, CARDS, METRICS
from dashboard.presentation import charts
from dashboard.presentation.i18n import AGING_LABELS, fmt_date, fmt_kpi, fmt_value

TREND_NAMES = (
    "promise_kept_rate",
    "plan_kept_rate",
    "dispute_resolution_days",
    "dso",
    "best_possible_dso",
    "recovery_rate",
    "cei",
    "csat",
    "nps",
    "cost_to_collect",
    "overdue_pct",
)

view = state.current()
widgets.header(view, "Overview")
prev_p = view.compared
# the cards' period, the one before and the 12 months of trends: one read for all of them
now, before, months = cache.overview(
    (view.start, view.end), (prev_p.start, prev_p.end), 12, view.key, TREND_NAMES
)
targets = cache.settings("target.")

# cash; its cost and what customers say; what was promised and what is disputed
cards = [
    "receivables",
    "overdue_pct",
    "dso",
    "cei",
    "recovery_rate",
    "cost_to_collect",
    "csat",
    "nps",
    "promise_kept_rate",
    "plan_kept_rate",
    "disputes_open",
    "dispute_resolution_days",
]


def counted(k: dict) -> dict:
    """The figures of a card: open disputes by their count (the amount goes under it)."""
    return {**k, "disputes_open": k["disputes_open"]["invoices"]}


for row in (cards[:4], cards[4:8], cards[8:]):
    for col, name in zip(st.columns(4), row, strict=True):
        with col:
            note = None
            if name == "dso":
                note = view.t(
                    "best possible {a}, ADD {b}",
                    a=fmt_value(now["best_possible_dso"], "days", view.lang),
                    b=fmt_value(now["add"], "days", view.lang),
                )
            if name == "overdue_pct" and now["overdue"]:
                note = view.t(
                    "{overdue} overdue, {over90} over 90 days",
                    overdue=fmt_value(now["overdue"], "EUR", view.lang, view.currency),
                    over90=fmt_value(now["aging"]["d90_plus"], "EUR", view.lang, view.currency),
                )
            if name == "recovery_rate" and now["written_off"]:
                note = view.t(
                    "{amount} written off, bad debt {rate}",
                    amount=fmt_kpi("written_off", now["written_off"], view.lang, view.currency),
                    rate=fmt_kpi("bad_debt_rate", now["bad_debt_rate"], view.lang, view.currency),
                )
            if name == "cost_to_collect" and now["collection_cost"] is None:
                note = view.t("no cost data loaded")  # unknown, not free
            if name == "promise_kept_rate" and now[name] is None:
                note = view.t("no promise to pay due in this period")
            if name == "plan_kept_rate" and now[name] is None:
                note = view.t("no plan instalment due in this period")
            if name == "disputes_open" and now[name]["invoices"]:
                note = view.t(
                    "{amount} at stake",
                    amount=fmt_value(now[name]["amount"], "EUR", view.lang, view.currency),
                )
            if name == "dispute_resolution_days" and now[name] is None:
                note = view.t("no dispute resolved in this period")
            widgets.kpi_card(name, counted(now), counted(before), view, targets.get(name), note)

st.subheader(view.t("Monthly trends"))
months = months.assign(month=pd.to_datetime(months["month"]))  # (the cached frame stays as is)


def labels(*names: str) -> dict[str, str]:
    return {n: METRICS[n].label_in(view.lang) for n in names}


dso_target = float(targets["dso"]) if "dso" in targets else None
EMPTY_TREND = {
    "csat": "No survey answers in these 12 months.",
    "nps": "No survey answers in these 12 months.",
    "cost_to_collect": "No cost data loaded.",
    "promise_kept_rate": "No promise to pay or plan instalment due in these 12 months.",
    "dispute_resolution_days": "No dispute resolved in these 12 months.",
}
panels = [
    (("dso", "best_possible_dso"), view.t("Days"), dso_target),
    (("recovery_rate", "cei"), "%", None),
    (("overdue_pct",), "%", None),
    (("csat",), "%", None),
    (("nps",), "NPS", None),
    (("cost_to_collect",), "%", None),
    (("promise_kept_rate", "plan_kept_rate"), "%", None),
    (("dispute_resolution_days",), view.t("Days"), None),
]
for row in (panels[:3], panels[3:6], panels[6:]):
    for col, (names, unit, target) in zip(st.columns(3), row, strict=False):
        with col:
            if months[list(names)].isna().all().all():  # a lone 0 tick would say 0
                st.markdown(f"**{' · '.join(labels(*names).values())}**")
                st.info(view.t(EMPTY_TREND.get(names[0], "No data for this period and filter.")))
                continue
            widgets.chart(
                charts.trend(
                    months,
                    "month",
                    labels(*names),
                    unit,
                    view.lang,
                    fmt=",.2f" if names == ("cost_to_collect",) else ",.1f",
                    target=target,
                    title=METRICS[names[0]].label_in(view.lang),  # the legend names them all
                )
            )

st.subheader(view.t("Aging at {date}", date=fmt_date(view.end, view.lang)))
aging = pd.DataFrame(
    {
        "bucket": AGING_BUCKETS,
        "label": [view.t(AGING_LABELS[b]) for b in AGING_BUCKETS],
        "amount": [now["aging"][b] for b in AGING_BUCKETS],
    }
)
widgets.chart(charts.aging_bars(aging, view.t("Amount") + f" ({view.currency})", view.lang))

if view.can("exports"):
    # Built when clicked (deferred data), not at every render of the page
    st.download_button(
        view.t("Download the KPI pack (Excel)"),
        login.guarded(partial(cache.kpi_pack, view.start, view.end, view.key, view.lang)),
        file_name=f"{view.file_stem('encaisse_kpi_pack')}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="kpi_pack",
        on_click="ignore",
    )

with st.expander(view.t("Download the KPI table")):
    # each value as its card shows it: its unit and decimals, in the reader's language
    shown_now, shown_before = counted(now), counted(before)
    rows = [
        {
            "kpi": m.label_in(view.lang),
            "value": fmt_kpi(m.name, shown_now[m.name], view.lang, view.currency),
            "previous": fmt_kpi(m.name, shown_before[m.name], view.lang, view.currency),
            "target": fmt_kpi(m.name, float(targets[m.name]), view.lang, view.currency)
            if targets.get(m.name) not in (None, "")
            else "—",
            "formula": m.formula_in(view.lang),
        }
        for m in CARDS.values()
    ]
    widgets.table(
        pd.DataFrame(rows),
        "kpis",
        view,
        {
            "kpi": "KPI",
            "value": "Value",
            "previous": "Previous period",
            "target": "Target",
            "formula": "Formula",
        },
    )
