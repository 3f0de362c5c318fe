"""Aged balance: what each customer owes by age, against its credit limit; the ten most
overdue, and how much of the receivables the ten largest balances hold."""

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.app import cache, login, state, widgets
from dashboard.metrics import AGING_BUCKETS, METRICS
from dashboard.metrics.legal import TERMS_REFERENCE
from dashboard.presentation import charts
from dashboard.presentation.i18n import AGING_LABELS, fmt_number, fmt_pct, fmt_value
from dashboard.presentation.legal_table import write_legal_table

TOP = 10
LEGAL_BANDS = {
    "d1_30": "1–30 days",
    "d31_60": "31–60 days",
    "d61_90": "61–90 days",
    "d91_plus": "91 days and more",
    "total": "Total (1 day and more)",
}

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
widgets.figure(
    a,
    "receivables",
    METRICS["receivables"].label_in(view.lang),
    fmt_value(open_total, "EUR", view.lang, view.currency),
    border=True,
)
widgets.figure(
    b,
    "overdue",
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

with st.expander(view.t("Table of article D.441-6 (management report)")):
    default_end = dt.date(view.end.year - 1, 12, 31) if view.end.month < 12 else view.end
    closing = st.date_input(
        view.t("Year end"), default_end, key="legal_year_end", format="DD/MM/YYYY"
    )
    table = cache.legal_table(closing)
    rows = [*table["bands"], {**table["total"], "band": "total"}]
    frame = pd.DataFrame(rows)
    frame["band"] = frame["band"].map(lambda b: view.t(LEGAL_BANDS[b]))
    widgets.table(
        frame,
        "legal_table",
        view,
        {
            "band": "Days past due at the year end",
            "invoices": "Invoices",
            "amount": "Amount (tax included)",
            "pct_of_sales": "Share of the year's sales",
        },
    )
    st.caption(
        view.t(
            "Sales of the year: {sales}. Disputed invoices, left out: {n}, {amount}.",
            sales=fmt_value(table["sales"], "EUR", view.lang, view.currency),
            n=table["disputed"]["invoices"],
            amount=fmt_value(table["disputed"]["amount"], "EUR", view.lang, view.currency),
        )
        + " "
        + TERMS_REFERENCE[view.lang]
    )
    if view.can("exports"):
        with st.container(horizontal=True):
            for lang, label in (("fr", "French"), ("en", "English")):
                st.download_button(
                    view.t("Excel ({language})", language=view.t(label)),
                    login.guarded(partial(write_legal_table, table, lang)),
                    file_name=f"D441-6_{closing}_{lang}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    key=f"legal_{lang}",
                    icon=":material/download:",
                    on_click="ignore",
                )
