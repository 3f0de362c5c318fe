"""Satisfaction: CSAT, NPS and CES trends, by segment and touchpoint, verbatims, and the link
between satisfaction and payment behaviour."""

import pandas as pd
import streamlit as st

from dashboard import analytics, charts
from dashboard.i18n import READINGS, fmt_number
from dashboard.metrics import METRICS
from ui import cache, state, widgets

view = state.current()
st.title(view.t("Satisfaction"))
now = cache.kpis(view.start, view.end, view.key)
prev = view.period.previous()
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
        widgets.chart(charts.trend(months, "month", {name: view.t(METRICS[name].label)}, unit,
                                   view.lang))

labels = {"responses": "Responses", "segment": "Segment", "touchpoint": "Touchpoint",
          "csat": "CSAT", "nps": "NPS", "ces": "CES"}
left, right = st.columns(2)
with left:
    st.subheader(view.t("By segment"))
    widgets.table(cache.period_table("satisfaction_by", view.start, view.end, view.key,
                                     "segment"), "satisfaction_by_segment", view, labels)
with right:
    st.subheader(view.t("By touchpoint"))
    widgets.table(cache.period_table("satisfaction_by", view.start, view.end, view.key,
                                     "touchpoint"), "satisfaction_by_touchpoint", view, labels)

st.subheader(view.t("Satisfaction and payment behaviour"))
st.caption(" ".join(analytics.customer_behaviour.__doc__.split()))
behaviour = cache.as_of_table("customer_behaviour", view.end, view.key)
found = analytics.correlations(behaviour)
BEHAVIOURS = {"avg_days_late": "days late", "disputes": "disputes", "reminders": "reminders"}
for c in found:
    behaviour_name = view.t(BEHAVIOURS[c.behaviour])
    if c.r is None:
        st.markdown(f"- {view.t('Not enough answers to measure a link.')}")
        continue
    reading = READINGS["none" if c.strength == "none" else c.direction]
    st.markdown("- " + view.t(reading, behaviour=behaviour_name, strength=view.t(c.strength),
                              r=fmt_number(c.r, view.lang, 2), n=c.customers))
points = analytics.behaviour_points(behaviour)
if not points.empty:
    widgets.chart(charts.scatter_with_fit(points, "avg_days_late", "csat_score",
                                          view.t("Average days late"),
                                          view.t("CSAT score (1–5)"), view.lang))
widgets.table(behaviour, "satisfaction_vs_payment", view,
              {"customer_id": "Customer", "name": "Name", "segment": "Segment",
               "csat_score": "CSAT score (1–5)", "avg_days_late": "Average days late",
               "disputes": "Disputes", "reminders": "Reminders"})

st.subheader(view.t("Verbatims"))
search = st.text_input(view.t("Search the comments"), key="verbatim_search")
comments = cache.period_table("verbatims", view.start, view.end, view.key, search)
st.caption(view.t("{n} comments", n=len(comments)))
widgets.table(comments, "verbatims", view,
              {"response_date": "Date", "customer_id": "Customer", "name": "Name",
               "segment": "Segment", "survey_type": "Type", "score": "Score",
               "touchpoint": "Touchpoint", "comment": "Comment"})
