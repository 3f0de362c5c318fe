"""Collections: cash against sales, recovery and DSO, aging over time, CEI, channel costs and
their cash, payment failures by method."""

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.metrics import AGING_BUCKETS, METRICS
from dashboard.metrics.analytics import MIN_REMINDERS
from dashboard.metrics.forecast import RULE
from dashboard.presentation import charts
from dashboard.presentation.charts import AGING_COLORS
from dashboard.presentation.i18n import AGING_LABELS, explain, fmt_pct, fmt_value
from dashboard.presentation.messages import translate
from dashboard.presentation.vocabulary import CODES, labeller, relabel, source_label
from dashboard.presentation.vocabulary import label as code_label

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

view = state.current()
widgets.header(view, "Collections")
names = ("credit_sales", "collected", "recovery_rate", "dso", "cei")
months = cache.monthly(view.end, 12, view.key, (*names, "aging"))
months["month"] = pd.to_datetime(months["month"])


def label(name: str) -> str:
    return METRICS[name].label_in(view.lang)


left, right = st.columns(2)
with left:
    st.subheader(view.t("Collected vs credit sales"))
    widgets.chart(
        charts.grouped_bars(
            months,
            "month",
            {"credit_sales": label("credit_sales"), "collected": label("collected")},
            view.currency,
            view.lang,
        )
    )
with right:
    st.subheader(view.t("Recovery rate and DSO"))
    widgets.chart(
        charts.trend(months, "month", {"recovery_rate": label("recovery_rate")}, "%", view.lang)
    )
    widgets.chart(charts.trend(months, "month", {"dso": label("dso")}, view.t("Days"), view.lang))

left, right = st.columns(2)
with left:
    st.subheader(view.t("Aging over time"))
    aging = months[["month", *AGING_BUCKETS]].melt("month", var_name="bucket", value_name="amount")
    names = {b: view.t(AGING_LABELS[b]) for b in AGING_BUCKETS}
    aging["bucket"] = aging["bucket"].map(names)
    widgets.chart(
        charts.stacked_bars(
            aging,
            "month",
            "amount",
            "bucket",
            list(names.values()),
            view.currency,
            view.lang,
            colors=AGING_COLORS,
        )
    )
with right:
    st.subheader(view.t("CEI by month"))
    widgets.chart(charts.trend(months, "month", {"cei": label("cei")}, "%", view.lang))

st.subheader(view.t("Cost to collect by month"))
costs = cache.cost_by_month(view.end, 12, view.key)
if costs.empty:
    widgets.empty_note(view)
else:
    # sources in the order of their codes: a source keeps its colour in either language
    order = [source_label(c, view.lang) for c in sorted(costs["source"].unique())]
    widgets.chart(
        charts.stacked_bars(
            relabel(costs, view.lang),
            "month",
            "cost_eur",
            "source",
            order,
            view.currency,
            view.lang,
        )
    )

st.subheader(view.t("Reminder channels: cost and cash"))
channels = relabel(cache.channel_performance(view.start, view.end, view.key), view.lang)
st.caption(explain("channel_performance", view.lang))
if channels.empty:
    widgets.empty_note(view)
else:
    left, right = st.columns(2)
    with left:
        widgets.chart(
            charts.hbars(
                channels, "channel", "cash_eur", view.t("Cash") + f" ({view.currency})", view.lang
            )
        )
    with right:
        widgets.chart(
            charts.hbars(
                channels,
                "channel",
                "cost_eur",
                view.t("Cost") + f" ({view.currency})",
                view.lang,
                fmt=",.2f",
            )
        )
    widgets.table(
        channels,
        "channels",
        view,
        {
            "channel": "Channel",
            "actions": "Actions",
            "cost_eur": "Cost",
            "cash_eur": "Cash",
            "paid_within_14d_pct": "Paid within 14 days",
            "cash_per_cost": "Cash per € spent",
        },
    )

st.subheader(view.t("When to remind"))
st.caption(
    view.t(
        "Per channel and weekday of the reminders of the period: how many, the share followed "
        "by the invoice's payment within 14 days, and the cash of those payments; by hour of "
        "the day too for the reminders whose file gives their time. — : not enough data "
        "(fewer than {n} reminders).",
        n=MIN_REMINDERS,
    )
)
timing, hours, by_hour = cache.reminder_timings(
    view.start, view.end, view.key, (("weekday",), ("weekday", "hour"), ("hour",))
)
if timing.empty:
    widgets.empty_note(view)
else:
    timing["weekday"] = timing["weekday"].map(lambda w: view.t(WEEKDAYS[w]))
    widgets.table(
        timing,
        "reminder_timing",
        view,
        {
            "channel": "Channel",
            "weekday": "Weekday",
            "reminders": "Reminders",
            "followed": "Followed by a payment",
            "paid_within_14d_pct": "Paid within 14 days",
            "cash_eur": "Cash",
        },
        height=320,
    )
if not hours.empty:
    st.markdown("**" + view.t("By hour of the day") + "**")
    busiest = hours.groupby("channel")["reminders"].sum().sort_values(ascending=False)
    channel = state.coded_choice(
        st,
        view.t("Channel"),
        list(busiest.index),
        "timing_channel",
        labeller("channel", view.lang),
        default=busiest.index[0],
    )
    days = [view.t(w) for w in WEEKDAYS]
    cells = hours[hours["channel"] == channel].assign(
        weekday=lambda f: f["weekday"].map(lambda w: days[w])
    )
    titles = {
        "weekday": "Weekday",
        "hour": "Hour",
        "reminders": "Reminders",
        "followed": "Followed by a payment",
        "paid_within_14d_pct": "Paid within 14 days (%)",
        "cash_eur": "Cash",
    }
    titles = {k: view.t(v) for k, v in titles.items()}
    widgets.chart(charts.timing_heatmap(cells, days, titles, view.lang))
    st.caption(view.t("Grey: fewer than {n} reminders, not enough to say.", n=MIN_REMINDERS))
    widgets.table(
        by_hour,
        "reminder_timing_by_hour",
        view,
        {
            "channel": "Channel",
            "hour": "Hour",
            "reminders": "Reminders",
            "followed": "Followed by a payment",
            "paid_within_14d_pct": "Paid within 14 days",
            "cash_eur": "Cash",
        },
        height=320,
    )

st.subheader(view.t("Promises to pay"))
st.caption(
    view.t(
        "Promises whose date + 3 days falls in the period: kept when the payments from the "
        "promise to that day reach the promised amount, or settle the invoice."
    )
)
for dimension, title in (("collector", "Collector"), ("segment", "Segment")):
    # one above the other: side by side, the last column would be cut at 1440 pixels
    table = cache.promises_by(view.start, view.end, view.key, dimension)
    if table.empty:
        widgets.empty_note(view)
    else:
        widgets.table(
            table,
            f"promises_by_{dimension}",
            view,
            {
                dimension: title,
                "promises": "Promises",
                "kept": "Kept",
                "broken": "Broken",
                "broken_eur": "Broken (amount)",
                "promise_kept_rate": METRICS["promise_kept_rate"].label_in(view.lang),
            },
        )

st.subheader(view.t("Three ways to pay"))
st.caption(
    view.t(
        "Invoices settled in the period by how they were paid: scheduled (a direct debit), in "
        "instalments (a payment plan, or several payments), else at once."
    )
)
ways = cache.ways_to_pay(view.start, view.end, view.key)
if not ways["invoices"].any():
    widgets.empty_note(view)
else:
    widgets.table(
        ways,
        "ways_to_pay",
        view,
        {
            "way": "Way to pay",
            "invoices": "Invoices",
            "amount_eur": "Amount",
            "avg_days_late": METRICS["avg_days_late"].label_in(view.lang),
            "on_time_pct": "Paid by the due date",
        },
    )

STATUSES = list(CODES["status"])


def forecast_rule(lang: str) -> str:
    return RULE["fr" if lang == "fr" else "en"]


# a column per payment status
st.subheader(view.t("Failed payments by method"))
failures = relabel(cache.payment_failures(view.start, view.end, view.key), view.lang)
if failures.empty:
    widgets.empty_note(view)
else:
    worst = failures.iloc[0]
    st.markdown(
        view.t(
            "Highest failure rate: {method} ({rate}).",
            method=widgets.plain(worst["method"]),
            rate=fmt_pct(worst["failure_rate_pct"], view.lang),
        )
    )
    widgets.chart(
        charts.hbars(
            failures,
            "method",
            "failure_rate_pct",
            view.t("Failure rate"),
            view.lang,
            fmt=".1f",
            highlight=worst["method"],
        )
    )
    widgets.table(
        failures,
        "payment_failures",
        view,
        {
            "method": "Method",
            "records": "Records",
            **{s: code_label("status", s, view.lang) for s in STATUSES},
            "failure_rate_pct": "Failure rate",
        },
    )

st.subheader(view.t("Cash forecast: the next 13 weeks"))
outlook = cache.cash_forecast(view.end, view.key)
st.caption(forecast_rule(view.lang))
weeks = pd.DataFrame(outlook["weeks"])
if not weeks["expected"].any():
    widgets.empty_note(view)
else:
    widgets.chart(
        charts.weekly_bars(
            weeks, "week_start", "expected", view.t("Expected") + f" ({view.currency})", view.lang
        )
    )
st.subheader(view.t("Forecast against actual"))
# 26 forecasts made again: seconds on a small store, a minute or more at a million invoices,
# so on request
asked = st.toggle(view.t("Test the forecast on the last 26 weeks"), key="backtest")
tested = cache.backtest(view.end) if asked else None
if tested is None:
    st.caption(view.t("Each of those forecasts is made again from what was known then."))
elif not tested["points"]:
    st.caption(view.t("Not enough history to test the forecast yet."))
else:
    st.caption(
        view.t(
            "At each of the last 26 week-ends, the forecast of the next 4 weeks against what "
            "came in on the invoices then open, beside the naive forecast (every invoice paid "
            "on its due date). Weighted error: forecast {mape}, naive {naive}.",
            mape=fmt_pct(tested["mape"], view.lang),
            naive=fmt_pct(tested["naive_mape"], view.lang),
        )
    )
    points = pd.DataFrame(tested["points"])
    per_date = points.groupby("as_of", as_index=False)[["forecast", "naive", "actual"]].sum()
    per_date["as_of"] = pd.to_datetime(per_date["as_of"])
    widgets.chart(
        charts.trend(
            per_date,
            "as_of",
            {
                "actual": view.t("Came in"),
                "forecast": view.t("Forecast"),
                "naive": view.t("Naive forecast"),
            },
            view.currency,
            view.lang,
            fmt=",.0f",
        )
    )

if view.can("customers"):  # customer by customer
    st.subheader(view.t("Late-payment penalties and the 40 € indemnity"))
    exposure, totals = cache.penalty_exposure(view.end, view.key)
    st.caption(
        view.t(
            "What could be claimed at the as-of date from business and public customers: "
            "penalties accrued day by day on what was unpaid ({source}) and 40 € per late "
            "invoice; beside each customer's CSAT and payer score, so that the manager "
            "decides. Total: {penalty} of penalties, {indemnity} of indemnities.",
            source=translate(totals["rate_source"], view.lang),
            penalty=fmt_value(totals["penalty"], "EUR", view.lang, view.currency),
            indemnity=fmt_value(totals["indemnity"], "EUR", view.lang, view.currency),
        )
    )
    if exposure.empty:
        widgets.empty_note(view)
    else:
        widgets.table(
            exposure,
            "penalties",
            view,
            {
                "customer_id": "Customer",
                "name": "Name",
                "late_invoices": "Late invoices",
                "penalty_eur": "Penalties",
                "indemnity_eur": "Indemnities",
                "csat": "CSAT",
                "payer_score": "Payer score",
                "terms_over_cap": "Terms over the legal caps",
            },
        )
