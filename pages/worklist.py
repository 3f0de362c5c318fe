"""Worklist: the customers to contact first, with the channel and the tone to use, and why;
the priority and payer score formulas are shown."""

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.metrics.worklist import PRIORITY_FORMULA, SCORE_FORMULA, why_text

view = state.require("customers")  # customer by customer: managers and administrators
widgets.header(view, "Worklist")
rows = cache.worklist_rows(view.end, view.key)
with st.expander(view.t("How the priority and the payer score are computed")):
    st.caption(PRIORITY_FORMULA[view.lang])
    st.caption(SCORE_FORMULA[view.lang])
if not rows:
    st.info(view.t("Nothing overdue at this date."))
    st.stop()

frame = pd.DataFrame(
    [
        {
            **{k: v for k, v in r.items() if k not in ("reasons", "advice")},
            "why": why_text(r["reasons"] + r["advice"], view.lang),
        }
        for r in rows
    ]
)
frame["last_contact"] = pd.to_datetime(frame["last_contact"]).dt.date
frame = frame.rename(columns={"last_contact": "last_contact_date", "overdue": "overdue_eur"})
ids = list(frame["customer_id"])


def open_customer(position: int) -> None:  # switched to on the next run (not in a callback)
    st.session_state["goto_customer"] = ids[position]
    st.session_state["_open_customer"] = True


st.caption(
    view.t("{n} customers with an overdue balance, highest priority first.", n=len(frame))
    + " "
    + view.t("Click a row to open the customer.")
)
widgets.pick(
    frame[
        [
            "priority",
            "customer_id",
            "name",
            "overdue_eur",
            "oldest_days_past_due",
            "payer_score",
            "suggested_channel",
            "tone",
            "why",
            "open_disputes",
            "broken_promises",
            "last_contact_date",
            "csat",
            "collector",
            "segment",
        ]
    ],
    "worklist",
    view,
    {
        "priority": "Priority",
        "customer_id": "Customer",
        "name": "Name",
        "overdue_eur": "Overdue",
        "oldest_days_past_due": "Oldest (days)",
        "payer_score": "Payer score",
        "suggested_channel": "Channel",
        "tone": "Tone",
        "why": "Why",
        "open_disputes": "Open disputes",
        "broken_promises": "Broken promises",
        "last_contact_date": "Last contact",
        "csat": "CSAT",
        "collector": "Collector",
        "segment": "Segment",
    },
    open_customer,
    exportable=True,
)
if st.session_state.pop("_open_customer", False):
    state.switch_to(state.page("customer"))
