"""One customer: profile, open items, payments, reminder history by channel, reasons, surveys."""

from functools import partial

import streamlit as st

from dashboard.app import cache, login, state, widgets
from dashboard.metrics import METRICS
from dashboard.presentation import vocabulary
from dashboard.presentation.i18n import fmt_money, fmt_value
from dashboard.presentation.statement import customer_language

TOP_OVERDUE = 25


def fit(frame) -> int:
    """A table's height: its rows up to about eight (no empty rows under a short one)."""
    return min(300, 38 + 35 * max(len(frame), 1))


view = state.require("customers")
st.title(view.t("Customer"))
everyone = cache.customer_list(view.end, view.key, "")
ids = list(everyone["customer_id"])
# The URL holds the plain id (?customer=C1002): a bound selectbox would store its label.
wanted = st.session_state.pop("goto_customer", None) or st.query_params.get("customer")
customer = st.selectbox(
    view.t("Choose a customer"),
    ids,
    index=ids.index(wanted) if wanted in ids else None,
    format_func=widgets.customer_choice(everyone),
    key="customer",
    placeholder=view.t("Type a customer id or name"),
)
if customer:
    st.query_params["customer"] = customer
else:
    st.query_params.pop("customer", None)
    # no customer chosen yet: start from those who owe the most overdue (the list is sorted so)
    st.subheader(view.t("Most overdue customers"))
    top = everyone[everyone["overdue_eur"] > 0].head(TOP_OVERDUE)
    ids_shown = list(top["customer_id"])

    def open_customer(position: int) -> None:  # the picker shows it from the next run on
        st.session_state["customer"] = ids_shown[position]

    widgets.pick(
        top[["customer_id", "name", "segment", "collector", "overdue_eur", "open_eur"]],
        "most_overdue",
        view,
        {
            "customer_id": "Customer",
            "name": "Name",
            "segment": "Segment",
            "collector": "Collector",
            "overdue_eur": "Overdue",
            "open_eur": "Open balance",
        },
        open_customer,
    )
if customer:
    detail = cache.customer_detail(customer, view.end)
    profile = detail["profile"].iloc[0]
    st.header(widgets.plain(profile["name"] or customer))
    st.caption(
        " · ".join(
            widgets.plain(v)
            for v in (
                vocabulary.label("segment", profile["segment"], view.lang),
                profile["region"],
                profile["collector"],
            )
            if v
        )
    )
    row = everyone.set_index("customer_id").loc[customer]
    a, b, c = st.columns(3)
    widgets.figure(
        a,
        "open",
        view.t("Open balance"),
        fmt_money(row["open_eur"], view.lang, view.currency),
        border=True,
    )
    widgets.figure(
        b,
        "overdue",
        METRICS["overdue"].label_in(view.lang),
        fmt_money(row["overdue_eur"], view.lang, view.currency),
        border=True,
    )
    c.metric(
        METRICS["avg_days_late"].label_in(view.lang),
        fmt_value(row["avg_days_late"], "days", view.lang),
        border=True,
    )
    if view.can("exports"):
        # built when clicked; the customer's language, whatever the reader's
        speaks = customer_language(profile.get("country"), view.lang)
        st.download_button(
            view.t("Statement of account (Excel)"),
            login.guarded(
                partial(cache.statement_bytes, customer, view.end, view.currency, view.lang)
            ),
            file_name=f"{view.file_stem('statement_' + customer)}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            key="statement",
            on_click="ignore",
            help=view.t(
                "In the customer's language ({language}), with its open items and the payments of "
                "the last 90 days.",
                language={"fr": "français", "en": "English"}[speaks]
                if view.lang == "fr"
                else {"fr": "French", "en": "English"}[speaks],
            ),
        )
    st.subheader(view.t("Open items"))
    widgets.table(
        detail["open_items"],
        f"open_items_{customer}",
        view,
        {
            "invoice_id": "Invoice",
            "issue_date": "Issue date",
            "due_date": "Due date",
            "disputed": "Disputed",
            "amount_eur": "Amount",
            "open_eur": "Open",
            "days_past_due": "Days past due",
            "days_until_due": "Days until due",
            "original_currency": "Invoice currency",
            "original_amount": "Amount in that currency",
        },
    )
    left, right = st.columns([2, 1])
    with left:
        st.subheader(view.t("Reminder history"))
        widgets.table(
            detail["actions"],
            f"reminders_{customer}",
            view,
            {
                "action_date": "Date",
                "channel": "Channel",
                "outcome": "Outcome",
                "invoice_id": "Invoice",
                "cost_eur": "Cost",
                "collector": "Collector",
            },
            height=300,
        )
    with right:
        st.subheader(view.t("Channel"))
        widgets.table(
            detail["channels"],
            f"channels_{customer}",
            view,
            {"channel": "Channel", "actions": "Actions"},
        )
    left, right = st.columns(2)
    with left:
        st.subheader(view.t("Promises to pay"))
        widgets.table(
            detail["promises"],
            f"promises_{customer}",
            view,
            {
                "action_date": "Made on",
                "invoice_id": "Invoice",
                "promised_date": "Promised for",
                "promised_eur": "Amount",
                "promise_status": "Status",
                "collector": "Collector",
            },
            height=fit(detail["promises"]),
        )
    with right:
        st.subheader(view.t("Payment plans"))
        widgets.table(
            detail["plans"],
            f"plans_{customer}",
            view,
            {
                "plan_id": "Plan",
                "instalment": "Instalment",
                "due_date": "Due date",
                "amount_eur": "Amount",
                "invoice_id": "Invoice",
                "instalment_status": "Status",
            },
            height=fit(detail["plans"]),
        )
    st.subheader(view.t("Payments"))
    widgets.table(
        detail["payments"],
        f"payments_{customer}",
        view,
        {
            "payment_date": "Date",
            "invoice_id": "Invoice",
            "amount_eur": "Amount",
            "method": "Method",
            "status": "Status",
            "original_currency": "Invoice currency",
            "original_amount": "Amount in that currency",
        },
        height=300,
    )
    left, right = st.columns(2)
    with left:
        st.subheader(view.t("Reasons"))
        widgets.table(
            detail["reasons"],
            f"reasons_{customer}",
            view,
            {
                "invoice_id": "Invoice",
                "reason": "Reason",
                "owner": "Owner",
                "recorded_date": "Recorded",
                "resolved_date": "Resolved",
                "comment": "Comment",
            },
        )
    with right:
        st.subheader(view.t("Survey answers"))
        widgets.table(
            detail["surveys"],
            f"surveys_{customer}",
            view,
            {
                "response_date": "Date",
                "survey_type": "Type",
                "score": "Score",
                "touchpoint": "Touchpoint",
                "comment": "Comment",
            },
        )
