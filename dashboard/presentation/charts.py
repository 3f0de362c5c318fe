"""Chart builders: pure functions from small, already aggregated frames to ``alt.Chart``.

No chart takes more than ``MAX_ROWS`` rows: the metric layer aggregates first. Labels arrive
translated; ``lang`` only sets the number and date locale.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.presentation.i18n import vega_locale

MAX_ROWS = 5000
GOOD, BAD, NEUTRAL, ACCENT = "#2e7d32", "#c62828", "#607d8b", "#1f5f8b"
OWNER_COLORS = {
    "Billing (ADV)": "#1f5f8b",
    "Sales": "#e07b39",
    "Logistics": "#7b5ea7",
    "Accounting": "#3a9d8f",
    "Customer": "#c9a227",
    "Credit & Collections": "#8d8d8d",
}
# Months as the language writes them: "déc. 2025", "Dec 2025" (the locale of each chart)
MONTH = "%b %Y"
MONTH_LONG = "%B %Y"
MONTH_AXIS = alt.Axis(format=MONTH, labelAngle=-40, labelAlign="right")
LEGEND_LIMIT = 400  # a legend label is cut past this many pixels (vega's default is 160)
AGING_COLORS = ["#9ccc65", "#ffca28", "#ffa726", "#ef6c00", "#c62828"]


def _guard(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) > MAX_ROWS:
        raise ValueError(f"{len(df)} rows sent to a chart; aggregate first (max {MAX_ROWS})")
    return df


def _finish(chart: alt.Chart, lang: str, height: int | alt.Step = 260) -> alt.Chart:
    return (
        chart.properties(height=height, width="container")
        .configure(locale=vega_locale(lang))
        .configure_view(stroke=None)
    )


def trend(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    y_title: str,
    lang: str = "en",
    fmt: str = ",.1f",
    target: float | None = None,
    title: str = "",
) -> alt.Chart:
    """Lines over months for one or more columns (``series``: column -> translated label)."""
    _guard(df)
    long = df[[x, *series]].melt(x, var_name="kpi", value_name="value")
    long["kpi"] = long["kpi"].map(series)
    base = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            # month labels kept inside the chart, or left out (else cut at its edge)
            x=alt.X(
                f"{x}:T", title=None, axis=alt.Axis(format=MONTH, labelFlush=True, labelBound=True)
            ),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
            # the series in their declared order: the same colour for the same KPI in every
            # language (an alphabetical order would follow the translation)
            color=alt.Color(
                "kpi:N",
                title=None,
                sort=list(series.values()),
                # one per line: side by side, two long names run past a third of the page
                legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LIMIT, columns=1),
            ),
            tooltip=[
                alt.Tooltip(f"{x}:T", format=MONTH_LONG),
                "kpi:N",
                alt.Tooltip("value:Q", format=fmt),
            ],
        )
    )
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(strokeDash=[4, 4], color=NEUTRAL)
            .encode(y="target:Q")
        )
        base = alt.layer(base, rule)
    return _finish(base.properties(title=title), lang)


def grouped_bars(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    y_title: str,
    lang: str = "en",
    fmt: str = ",.0f",
) -> alt.Chart:
    """Side-by-side bars per month (e.g. collected against credit sales)."""
    _guard(df)
    long = df[[x, *series]].melt(x, var_name="kpi", value_name="value")
    long["kpi"] = long["kpi"].map(series)
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(f"yearmonth({x}):O", title=None, axis=MONTH_AXIS),
            xOffset=alt.XOffset("kpi:N", sort=list(series.values())),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
            color=alt.Color(
                "kpi:N",
                title=None,
                sort=list(series.values()),
                legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LIMIT),
            ),
            tooltip=[
                alt.Tooltip(f"yearmonth({x}):O", format=MONTH_LONG),
                "kpi:N",
                alt.Tooltip("value:Q", format=fmt),
            ],
        )
    )
    return _finish(chart, lang)


def aging_bars(aging: pd.DataFrame, y_title: str, lang: str = "en") -> alt.Chart:
    """One bar per aging bucket (``bucket``, ``label``, ``amount``), greener when younger."""
    _guard(aging)
    chart = (
        alt.Chart(aging)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=list(aging["label"]), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("amount:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "label:N",
                sort=list(aging["label"]),
                scale=alt.Scale(range=AGING_COLORS),
                legend=None,
            ),
            tooltip=["label:N", alt.Tooltip("amount:Q", format=",.2f")],
        )
    )
    return _finish(chart, lang, height=220)


def stacked_bars(
    df: pd.DataFrame,
    x: str,
    value: str,
    color: str,
    order: list[str] | None,
    y_title: str,
    lang: str = "en",
    colors: list[str] | None = None,
    fmt: str = ",.0f",
) -> alt.Chart:
    """Bars per month (``x``: a date or "YYYY-MM") stacked by a category (aging buckets, cost
    sources) in ``order``: give it, so that a category keeps its colour in every language."""
    _guard(df)
    df = df.assign(**{x: pd.to_datetime(df[x].astype(str))})
    scale = alt.Scale(domain=order, range=colors) if colors else alt.Undefined
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(f"yearmonth({x}):O", title=None, axis=MONTH_AXIS),
            y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(format=fmt)),
            color=alt.Color(
                f"{color}:N",
                title=None,
                sort=order,
                scale=scale,
                legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LIMIT, columns=4),
            ),
            order=alt.Order(f"{color}:N"),
            tooltip=[
                alt.Tooltip(f"yearmonth({x}):O", format=MONTH_LONG),
                f"{color}:N",
                alt.Tooltip(f"{value}:Q", format=",.2f"),
            ],
        )
    )
    return _finish(chart, lang)


def hbars(
    df: pd.DataFrame,
    y: str,
    x: str,
    x_title: str,
    lang: str = "en",
    fmt: str = ",.0f",
    color: str | None = None,
    highlight: str | None = None,
) -> alt.Chart:
    """Horizontal bars, largest first; ``highlight`` paints one bar in the alarm colour."""
    _guard(df)
    enc = {}
    if color:
        enc["color"] = alt.Color(
            f"{color}:N",
            legend=None,
            scale=alt.Scale(domain=list(OWNER_COLORS), range=list(OWNER_COLORS.values())),
        )
    elif highlight is not None:
        enc["color"] = alt.condition(alt.datum[y] == highlight, alt.value(BAD), alt.value(ACCENT))
    else:
        enc["color"] = alt.value(ACCENT)
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(
                f"{y}:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)
            ),
            x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=fmt)),
            tooltip=[f"{y}:N", alt.Tooltip(f"{x}:Q", format=fmt)],
            **enc,
        )
    )
    return _finish(chart, lang, height=max(120, 34 * len(df)))


def pareto(
    df: pd.DataFrame, label: str, amount_title: str, cumulative_title: str, lang: str = "en"
) -> alt.Chart:
    """Causes by € at stake (bars) with the cumulative share (line, right axis)."""
    _guard(df)
    order = list(df[label])
    x = alt.X(
        f"{label}:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=-35, labelLimit=220, labelOverlap=False),
    )
    bars = (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            x=x,
            y=alt.Y("amount_eur:Q", title=amount_title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                f"{label}:N",
                "invoices:Q",
                alt.Tooltip("amount_eur:Q", format=",.2f"),
                alt.Tooltip("cumulative_pct:Q", format=".1f"),
            ],
        )
    )
    line = (
        alt.Chart(df)
        .mark_line(point=True, color=BAD)
        .encode(
            x=x,
            y=alt.Y("cumulative_pct:Q", title=cumulative_title, scale=alt.Scale(domain=[0, 100])),
        )
    )
    return _finish(alt.layer(bars, line).resolve_scale(y="independent"), lang, height=340)


def owner_share_trend(df: pd.DataFrame, y_title: str, lang: str = "en") -> alt.Chart:
    """Each owner's share of late euros per month (columns ``month``, ``owner_label``,
    ``owner``, ``share_pct``, ``amount_eur``)."""
    return owner_lines(df, "share_pct", y_title, lang, [alt.Tooltip("amount_eur:Q", format=",.2f")])


def resolution_trend(
    df: pd.DataFrame, y_title: str, count_title: str, lang: str = "en"
) -> alt.Chart:
    """Each owner's median resolution days per month (``resolution_days``), with the number of
    resolved records behind each point (``resolved``)."""
    return owner_lines(
        df, "resolution_days", y_title, lang, [alt.Tooltip("resolved:Q", title=count_title)]
    )


def owner_lines(
    df: pd.DataFrame, value: str, y_title: str, lang: str = "en", more: list | None = None
) -> alt.Chart:
    """One line per process owner over months (columns ``month``, ``owner``, ``owner_label``
    and ``value``), each owner in its own colour; ``more``: further tooltip fields."""
    _guard(df)
    df = df.assign(month=pd.to_datetime(df["month"].astype(str)))
    owners = df.drop_duplicates("owner")
    chart = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):O", title=None, axis=MONTH_AXIS),
            y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(format=".0f")),
            color=alt.Color(
                "owner_label:N",
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LIMIT),
                scale=alt.Scale(
                    domain=list(owners["owner_label"]),
                    range=[OWNER_COLORS.get(o, NEUTRAL) for o in owners["owner"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("yearmonth(month):O", format=MONTH_LONG),
                "owner_label:N",
                alt.Tooltip(f"{value}:Q", format=".1f", title=y_title),
                *(more or []),
            ],
        )
    )
    return _finish(chart, lang, height=320)  # the legend and slanted months take their share


def quadrant(
    df: pd.DataFrame,
    label: str,
    x: str,
    y: str,
    size: str,
    x_title: str,
    y_title: str,
    x_split: float,
    y_split: float,
    corner_labels: dict[str, str],
    lang: str = "en",
) -> alt.Chart:
    """The balance view: groups placed by recovery (x) and satisfaction (y), split in four."""
    _guard(df)
    points = (
        alt.Chart(df)
        .mark_circle(opacity=0.8, color=ACCENT)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False)),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
            size=alt.Size(f"{size}:Q", legend=None, scale=alt.Scale(range=[100, 1500])),
            tooltip=[
                f"{label}:N",
                alt.Tooltip(f"{x}:Q", format=".1f"),
                alt.Tooltip(f"{y}:Q", format=".1f"),
            ],
        )
    )
    text = (
        alt.Chart(df)
        .mark_text(dy=-18, fontSize=12, color="#263238")
        .encode(x=f"{x}:Q", y=f"{y}:Q", text=f"{label}:N")
    )
    vrule = (
        alt.Chart(pd.DataFrame({"v": [x_split]}))
        .mark_rule(strokeDash=[4, 4], color=NEUTRAL)
        .encode(x="v:Q")
    )
    hrule = (
        alt.Chart(pd.DataFrame({"h": [y_split]}))
        .mark_rule(strokeDash=[4, 4], color=NEUTRAL)
        .encode(y="h:Q")
    )
    # corner captions pinned to the plot's pixel corners, clear of the data
    corners = [
        ("firm_kind", "width", 12, "right", GOOD),
        ("firm", "width", "height", "right", BAD),
        ("kind", 0, 12, "left", NEUTRAL),
        ("neither", 0, "height", "left", BAD),
    ]
    notes = alt.layer(
        *[
            alt.Chart(pd.DataFrame({"t": [corner_labels[key]]}))
            .mark_text(
                fontWeight="bold",
                align=align,
                dx=-6 if align == "right" else 6,
                dy=-8 if py == "height" else 0,
                color=colour,
            )
            .encode(x=alt.value(px), y=alt.value(py), text="t:N")
            for key, px, py, align, colour in corners
        ]
    )
    return _finish(alt.layer(vrule, hrule, points, text, notes), lang, height=380)


def scatter_with_fit(
    df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, lang: str = "en"
) -> alt.Chart:
    """Customers as points with a least-squares line."""
    _guard(df)
    base = alt.Chart(df).encode(
        x=alt.X(f"{x}:Q", title=x_title),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[1, 5])),
    )
    points = base.mark_circle(opacity=0.5, color=ACCENT).encode(
        tooltip=["name:N", alt.Tooltip(f"{x}:Q", format=".1f"), alt.Tooltip(f"{y}:Q", format=".2f")]
    )
    fit = base.transform_regression(x, y).mark_line(color=BAD)
    return _finish(alt.layer(points, fit), lang, height=280)


def weekly_bars(df: pd.DataFrame, x: str, y: str, y_title: str, lang: str = "en") -> alt.Chart:
    """One bar per week (``x``: the week's first day)."""
    _guard(df)
    df = df.assign(**{x: pd.to_datetime(df[x])})
    chart = (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(
                f"yearmonthdate({x}):O",
                title=None,
                axis=alt.Axis(format="%d %b", labelAngle=-40, labelAlign="right"),
            ),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip(f"yearmonthdate({x}):O", format="%d %B %Y"),
                alt.Tooltip(f"{y}:Q", format=",.2f"),
            ],
        )
    )
    return _finish(chart, lang)


def share_with_fix(
    df: pd.DataFrame, fixed_on, y_title: str, fix_label: str, lang: str = "en"
) -> alt.Chart:
    """A cause's monthly share of late euros (``month``, ``share_pct``), the day of its process
    fix marked by a vertical rule."""
    _guard(df)
    df = df.assign(month=pd.to_datetime(df["month"]))
    line = (
        alt.Chart(df)
        .mark_line(point=True, color=ACCENT)
        .encode(
            x=alt.X(
                "month:T", title=None, axis=alt.Axis(format=MONTH, labelFlush=True, labelBound=True)
            ),
            y=alt.Y("share_pct:Q", title=y_title, axis=alt.Axis(format=".0f")),
            tooltip=[
                alt.Tooltip("month:T", format=MONTH_LONG),
                alt.Tooltip("share_pct:Q", format=".1f"),
                "invoices:Q",
            ],
        )
    )
    mark = pd.DataFrame({"day": [pd.Timestamp(fixed_on)], "label": [fix_label]})
    rule = alt.Chart(mark).mark_rule(color=BAD, strokeDash=[4, 4]).encode(x="day:T")
    text = (
        alt.Chart(mark)
        .mark_text(align="left", dx=4, dy=-6, color=BAD)
        .encode(x="day:T", y=alt.value(8), text="label:N")
    )
    return _finish(alt.layer(line, rule, text), lang)


def timing_heatmap(
    df: pd.DataFrame, weekdays: list[str], titles: dict, lang: str = "en"
) -> alt.Chart:
    """Weekday × hour of one channel's reminders (columns ``weekday`` (labels, in the order of
    ``weekdays``), ``hour``, ``reminders``, ``followed``, ``paid_within_14d_pct``,
    ``cash_eur``): the colour is the share followed by a payment within 14 days, grey where
    there are too few reminders to say. ``titles``: translated name of each column."""
    _guard(df)
    df = df.assign(not_enough=df["paid_within_14d_pct"].isna())
    base = alt.Chart(df).encode(
        x=alt.X("hour:O", title=titles["hour"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("weekday:N", sort=weekdays, title=None),
        tooltip=[
            alt.Tooltip("weekday:N", title=titles["weekday"]),
            alt.Tooltip("hour:O", title=titles["hour"]),
            alt.Tooltip("reminders:Q", title=titles["reminders"], format=","),
            alt.Tooltip("followed:Q", title=titles["followed"], format=","),
            alt.Tooltip("paid_within_14d_pct:Q", title=titles["paid_within_14d_pct"], format=".0f"),
            alt.Tooltip("cash_eur:Q", title=titles["cash_eur"], format=",.0f"),
        ],
    )
    few = base.transform_filter("datum.not_enough").mark_rect(color="#e0e0e0")
    known = (
        base.transform_filter("!datum.not_enough")
        .mark_rect()
        .encode(
            color=alt.Color(
                "paid_within_14d_pct:Q",
                title=titles["paid_within_14d_pct"],
                scale=alt.Scale(scheme="greens", domain=[0, 100]),
                legend=alt.Legend(orient="bottom", format=".0f"),
            )
        )
    )
    return _finish(alt.layer(few, known), lang, height=alt.Step(30))  # 30 pixels a weekday
