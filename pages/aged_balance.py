"""Aged balance: what each customer owes by age, against its credit limit; the ten most
overdue, and how much of the receivables the ten largest balances hold."""

import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.metrics import AGING_BUCKETS, METRICS
from dashboard.presentation import charts
from dashboard.presentation.i18n import AGING_LABELS, fmt_number, fmt_pct, fmt_value

TOP = 10

view = state.require("customers")  # customer by customer: managers and administrators
widgets.header(view, "Aged balance")
balance = cache.aged_balance(view.end, view.key)
if balance.empty:
    st.info(view.t("Nothing is owed at this date."))
    st.stop()

open_total, overdue_total = balance["open_eur"].sum(), balance["overdue_eur"].sum()
share = cache.concentration_pct(balance, TOP)
over_limit = int((balance["exposure_pct"] > 100).sum())
with_limit = int(balance["credit_limit_eur"].notna().sum())
a, b, c, d = st.columns(4)
a.metric(
    METRICS["receivables"].label_in(view.lang),
    fmt_value(open_total, "EUR", view.lang, view.currency),
    border=True,
)
b.metric(
    METRICS["overdue"].label_in(view.lang),
    fmt_value(overdue_total, "EUR", view.lang, view.currency),
    border=True,
)
c.metric(
    view.t("Held by the {n} largest", n=TOP),
    fmt_pct(share, view.lang),
    border=True,
    help=view.t("The share of receivables owed by the {n} customers that owe the most.", n=TOP),
)
d.metric(
    view.t("Over their credit limit"),
    fmt_number(over_limit, view.lang),
    border=True,
    help=view.t("Customers whose open balance exceeds their credit limit."),
)
if not with_limit:
    d.caption(view.t("no credit limit loaded (customers file, column credit_limit)"))

st.subheader(view.t("The {n} most overdue", n=TOP))
top = balance[balance["overdue_eur"] > 0].head(TOP)
if top.empty:
    st.caption(view.t("Nothing overdue at this date."))
else:
    top = top.assign(who=top["name"].fillna(top["customer_id"]))
    widgets.chart(
        charts.hbars(
            top, "who", "overdue_eur", view.t("Overdue") + f" ({view.currency})", view.lang
        )
    )

st.subheader(view.t("By customer"))
st.caption(view.t("Click a row to open the customer."))
ids = list(balance["customer_id"])


def open_customer(position: int) -> None:  # switched to on the next run (not in a callback)
    st.session_state["goto_customer"] = ids[position]
    st.session_state["_open_customer"] = True


# what a collector reads first on the left: who, how much overdue, how old, against the limit
columns = [
    "customer_id",
    "name",
    "overdue_eur",
    "open_eur",
    *(f"{b}_eur" for b in AGING_BUCKETS),
    "credit_limit_eur",
    "exposure_pct",
    "risk_class",
    "collector",
    "segment",
]
widgets.pick(
    balance[columns],
    "aged_balance",
    view,
    {
        "customer_id": "Customer",
        "name": "Name",
        "segment": "Segment",
        "collector": "Collector",
        "risk_class": "Risk class",
        **{f"{b}_eur": AGING_LABELS[b] for b in AGING_BUCKETS},
        "open_eur": "Open balance",
        "overdue_eur": "Overdue",
        "credit_limit_eur": "Credit limit",
        "exposure_pct": "Limit used",
    },
    open_customer,
    exportable=True,
)
if st.session_state.pop("_open_customer", False):
    state.switch_to(state.page("customer"))
