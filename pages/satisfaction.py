"""Satisfaction: CSAT, NPS and CES trends, by segment and touchpoint, verbatims, and the link
between satisfaction and payment behaviour."""

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.metrics import METRICS, analytics
from dashboard.presentation import charts
from dashboard.presentation.i18n import READINGS, explain, fmt_number

view = state.current()
widgets.header(view, "Satisfaction")
now = cache.kpis(view.start, view.end, view.key)
prev = view.compared
before = cache.kpis(prev.start, prev.end, view.key)
for col, name in zip(st.columns(3), ("csat", "nps", "ces"), strict=True):
    with col:
        widgets.kpi_card(name, now, before, view)

st.subheader(view.t("Satisfaction trends"))
months = cache.monthly(view.end, 12, view.key, ("csat", "nps", "ces"))
months["month"] = pd.to_datetime(months["month"])
left, mid, right = st.columns(3)
for col, name, unit in ((left, "csat", "%"), (mid, "nps", "NPS"), (right, "ces", "1–7")):
    with col:
        if months[name].isna().all():  # an empty chart's lone 0 tick would say 0
            st.markdown(f"**{METRICS[name].label_in(view.lang)}**")
            st.info(view.t("No survey answers in these 12 months."))
            continue
        widgets.chart(
            charts.trend(
                months, "month", {name: METRICS[name].label_in(view.lang)}, unit, view.lang
            )
        )

labels = {
    "responses": "Responses",
    "segment": "Segment",
    "touchpoint": "Touchpoint",
    "csat": "CSAT",
    "nps": "NPS",
    "ces": "CES",
}
left, right = st.columns(2)
with left:
    st.subheader(view.t("By segment"))
    widgets.table(
        cache.satisfaction_by(view.start, view.end, view.key, "segment"),
        "satisfaction_by_segment",
        view,
        labels,
    )
with right:
    st.subheader(view.t("By touchpoint"))
    widgets.table(
        cache.satisfaction_by(view.start, view.end, view.key, "touchpoint"),
        "satisfaction_by_touchpoint",
        view,
        labels,
    )

st.subheader(view.t("Satisfaction and payment behaviour"))
st.caption(explain("customer_behaviour", view.lang))
behaviour = cache.customer_behaviour(view.end, view.key)
found = analytics.correlations(behaviour)
BEHAVIOURS = {"avg_days_late": "days late", "disputes": "disputes", "reminders": "reminders"}
for c in found:
    behaviour_name = view.t(BEHAVIOURS[c.behaviour])
    if c.r is None:
        st.markdown(f"- {view.t('Not enough answers to measure a link.')}")
        continue
    reading = READINGS["none" if c.strength == "none" else c.direction]
    st.markdown(
        "- "
        + view.t(
            reading,
            behaviour=behaviour_name,
            strength=view.t(c.strength),
            r=fmt_number(c.r, view.lang, 2),
            n=c.customers,
        )
    )
# Customer-level rows (ids, names, comments) are for managers and administrators; a viewer
# sees the same link as points binned by days late, with the number of customers behind each.
detail = view.can("customers")
points = analytics.behaviour_points(behaviour, limit=5000 if detail else 0)
if not points.empty:
    widgets.chart(
        charts.scatter_with_fit(
            points,
            "avg_days_late",
            "csat_score",
            METRICS["avg_days_late"].label_in(view.lang),
            view.t("CSAT score (1–5)"),
            view.lang,
        )
    )
if not detail:
    st.caption(view.t("Customer-level detail is shown to managers and administrators."))
else:
    widgets.table(
        behaviour,
        "satisfaction_vs_payment",
        view,
        {
            "customer_id": "Customer",
            "name": "Name",
            "segment": "Segment",
            "csat_score": "CSAT score (1–5)",
            "avg_days_late": "Average days late",
            "disputes": "Disputes",
            "reminders": "Reminders",
        },
    )

st.subheader(view.t("Verbatims"))
if not detail:
    st.caption(view.t("Customer-level detail is shown to managers and administrators."))
else:
    search = st.text_input(view.t("Search the comments"), key="verbatim_search")
    comments = cache.verbatims(view.start, view.end, view.key, search)
    st.caption(view.t("{n} comments", n=len(comments)))
    widgets.table(
        comments,
        "verbatims",
        view,
        {
            "response_date": "Date",
            "customer_id": "Customer",
            "name": "Name",
            "segment": "Segment",
            "survey_type": "Type",
            "score": "Score",
            "touchpoint": "Touchpoint",
            "comment": "Comment",
        },
    )
