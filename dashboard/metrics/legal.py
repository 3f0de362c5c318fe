"""The French management report's table of payment terms (article D.441-6 of the Code de
commerce, receivables side): invoices issued and unpaid at the year end, past due, by how late.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from dashboard.core.money import money
from dashboard.core.periods import to_date
from dashboard.metrics.sql import open_items_query
from dashboard.metrics.tables import INV, d, live

BANDS = (("d1_30", 1, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d91_plus", 91, None))
TERMS_REFERENCE = {
    "en": "Payment terms used as reference: contractual terms (each invoice's due date)",
    "fr": "Délais de paiement de référence utilisés : délais contractuels (échéance de chaque "
    "facture)",
}


def year_end(year: int, month_day: str | None = None) -> dt.date:
    """The fiscal year end E: 31 December of ``year``, or ``MM-DD`` of that year."""
    if not month_day:
        return dt.date(year, 12, 31)
    month, day = (int(x) for x in month_day.split("-"))
    return dt.date(year, month, day)


def fiscal_start(end: dt.date) -> dt.date:
    """The first day of the fiscal year that ends on ``end`` (the day after a year before)."""
    try:
        before = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        before = end.replace(year=end.year - 1, day=28)
    return before + dt.timedelta(days=1)


def legal_table(engine: Engine, end: dt.date) -> dict:
    """SPEC's ``legal-table --json``: at the year end E, the invoices issued by E, not disputed,
    with an open amount at E and a due date before E, by days past due at E; their number, open
    amount (tax included) and its share of the sales issued in the fiscal year ending on E;
    totals; the past-due disputed invoices apart; the sales."""
    items = open_items_query(end).subquery()
    with engine.connect() as conn:
        rows = conn.execute(
            select(items.c.due_date, items.c.open_cents, items.c.disputed).where(
                items.c.open_cents > 0, items.c.due_date < end
            )
        ).all()
        start = fiscal_start(end)
        sales_cents = conn.execute(
            select(func.coalesce(func.sum(INV.c.amount_cents), 0)).where(
                live(INV), INV.c.issue_date.between(d(start), d(end))
            )
        ).scalar_one()
    sales_cents = int(sales_cents)
    counts = {name: [0, 0] for name, _, _ in BANDS}
    disputed = [0, 0]
    for due, cents, is_disputed in rows:
        late = (end - to_date(due)).days
        if is_disputed:
            disputed[0] += 1
            disputed[1] += int(cents)
            continue
        for name, lo, hi in BANDS:
            if late >= lo and (hi is None or late <= hi):
                counts[name][0] += 1
                counts[name][1] += int(cents)

    def share(cents: int) -> float | None:
        return round(100 * cents / sales_cents, 2) if sales_cents else None

    bands = [
        {
            "band": name,
            "invoices": n,
            "amount": money(c),
            "pct_of_sales": share(c),
        }
        for name, (n, c) in counts.items()
    ]
    n_total = sum(n for n, _ in counts.values())
    c_total = sum(c for _, c in counts.values())
    return {
        "year_end": end.isoformat(),
        "bands": bands,
        "total": {"invoices": n_total, "amount": money(c_total), "pct_of_sales": share(c_total)},
        "disputed": {"invoices": disputed[0], "amount": money(disputed[1])},
        "sales": money(sales_cents),
        "fiscal_year_start": start.isoformat(),
        "terms_reference": TERMS_REFERENCE["en"],
    }
