"""Segments and customers: every KPI per segment, the balance between recovery and satisfaction,
and a searchable customer list that opens a customer."""

import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.metrics import METRICS
from dashboard.metrics.analytics import COLLECTOR_KPIS
from dashboard.presentation import charts, vocabulary

view = state.current()
widgets.header(view, "Segments & customers")
names = tuple(METRICS)  # every KPI

st.subheader(view.t("Segment comparison"))
table = cache.kpis_by(view.start, view.end, view.key, "segment", names)
labels = {n: METRICS[n].label_in(view.lang) for n in names} | {"segment": "Segment"}
widgets.table(table, "segments", view, labels)

st.subheader(view.t("Collector performance"))
st.caption(
    view.t(
        "Each collector's portfolio (the customers assigned to them) and how it pays; actions "
        "per 1,000 collected: the collection actions on those customers in the period for "
        "each 1,000 of cash they paid."
    )
)
collectors = cache.collector_performance(view.start, view.end, view.key)
if collectors.empty:
    widgets.empty_note(view)
else:
    widgets.table(
        collectors,
        "collectors",
        view,
        {n: METRICS[n].label_in(view.lang) for n in COLLECTOR_KPIS}
        | {
            "collector": "Collector",
            "customers": "Customers",
            "actions": "Actions",
            "actions_per_1000": "Actions per 1,000 collected",
        },
    )

st.subheader(view.t("Payer profiles"))
st.caption(
    view.t(
        "Each customer by its last 12 months: disputing when a fifth or more of its invoices "
        "are disputed, else by its amount-weighted days late: on time (up to 3), a little late "
        "(up to 15), late (up to 30), very late. Per profile, the reminder channel most often "
        "followed by the invoice's payment within 14 days (10 reminders at least): the "
        "reminder strategy for that kind of customer."
    )
)
profiles = cache.payer_profiles(view.end, view.key)
if not profiles["customers"].any():
    widgets.empty_note(view)
else:
    widgets.table(
        profiles,
        "payer_profiles",
        view,
        {
            "profile": "Profile",
            "customers": "Customers",
            "customers_pct": "Share of customers",
            "receivables_pct": "Share of receivables",
            "cost_per_100_collected": "Reminder cost per 100 collected",
            "csat": "CSAT",
            "best_channel": "Channel that brings the cash in",
            "paid_within_14d_pct": "Paid within 14 days",
        },
    )

with st.expander(view.t("How the collection cost is shared among segments")):
    st.caption(
        view.t(
            "Each cost line is shared among the customers of its segment (all customers when it "
            "has none) by their collection actions in its month, else by their payments that "
            "month; with neither, it stays unallocated. So the segments add up to the company."
        )
    )
    allocation = cache.cost_allocation(view.start, view.end, view.key)
    allocation["segment"] = [
        view.t(v) if v in ("total", "not in a segment, or unallocated") else v
        for v in allocation["segment"]
    ]
    widgets.table(
        allocation,
        "cost_allocation",
        view,
        {
            "segment": "Segment",
            "actions_eur": "Actions' own cost",
            "cost_lines_eur": "Share of cost lines",
            "collection_cost_eur": "Collection cost",
        },
    )

st.subheader(view.t("Balance: recovery against satisfaction"))
dimension = st.segmented_control(
    view.t("Place"),
    ["segment", "collector"],
    default="segment",
    key="balance_by",
    format_func=view.t,
    required=True,
)
balance = cache.kpis_by(
    view.start, view.end, view.key, dimension, ("recovery_rate", "csat", "receivables")
)
balance = balance.dropna(subset=["recovery_rate", "csat"])
if balance.empty:
    widgets.empty_note(view)
else:
    targets = cache.settings("target.")
    x_split = float(targets.get("recovery_rate", balance["recovery_rate"].median()))
    y_split = float(targets.get("csat", balance["csat"].median()))
    widgets.chart(
        charts.quadrant(
            vocabulary.relabel(balance, view.lang),  # (the segment Encaisse names: its label)
            dimension,
            "recovery_rate",
            "csat",
            "receivables",
            METRICS["recovery_rate"].label_in(view.lang) + " (%)",
            METRICS["csat"].label_in(view.lang) + " (%)",
            x_split,
            y_split,
            {
                "firm_kind": view.t("Firm but kind"),
                "firm": view.t("Firm, customers unhappy"),
                "kind": view.t("Kind, cash slow"),
                "neither": view.t("Neither"),
            },
            view.lang,
        )
    )

if view.can("customers"):  # customer-level data: managers and administrators
    st.subheader(view.t("Customers"))
    search = st.text_input(view.t("Search a customer (id or name)"), key="customer_search")
    customers = cache.customer_list(view.end, view.key, search)
    widgets.table(
        customers,
        "customers",
        view,
        {
            "customer_id": "Customer",
            "name": "Name",
            "segment": "Segment",
            "region": "Region",
            "collector": "Collector",
            "open_eur": "Open balance",
            "overdue_eur": "Overdue",
            "last_survey": "Type",
            "last_score": "Last score",
            "top_reason": "Top reason",
            "avg_days_late": "Average days late",
        },
    )
    if customers.empty:
        st.caption(view.t("No customer matches."))
    else:
        choice = st.selectbox(
            view.t("Open a customer"),
            customers["customer_id"],
            index=None,
            format_func=widgets.customer_choice(customers),
            key="open_customer",
            placeholder=view.t("Type a customer id or name"),
        )
        if choice:
            st.session_state["goto_customer"] = choice
            state.switch_to(state.page("customer"))
