"""Reusable pieces of pages: KPI cards, tables with CSV/Excel downloads, charts."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.exports import to_csv_bytes, to_xlsx_bytes
from dashboard.i18n import KPI_HELP_PREFIX, fmt_number, fmt_value
from dashboard.metrics import METRICS
from ui.state import View


def delta_text(name: str, value, previous, view: View) -> str | None:
    """Change against the previous period, in the KPI's unit (points for percentages)."""
    if value is None or previous is None:
        return None
    unit = METRICS[name].unit
    diff = value - previous
    if unit == "%":
        return f"{'+' if diff >= 0 else ''}{fmt_number(diff, view.lang, 1)} pts"
    if unit == "days":
        return f"{'+' if diff >= 0 else ''}{fmt_value(diff, 'days', view.lang)}"
    if unit == "EUR":
        return ("+" if diff >= 0 else "") + fmt_value(diff, "EUR", view.lang, view.currency)
    return f"{'+' if diff >= 0 else ''}{fmt_number(diff, view.lang, 1)}"


def kpi_card(name: str, current: dict, previous: dict, view: View, target: str | None = None,
             note: str | None = None) -> None:
    """Value with its unit, change against the previous period coloured by whether it is good,
    the target if one is set, and the formula on hover."""
    m = METRICS[name]
    value = current.get(name)
    colour = {"up": "normal", "down": "inverse", "none": "off"}[m.better]
    help_text = KPI_HELP_PREFIX[view.lang] + m.formula
    lines = []
    if note:
        lines.append(note)
    if target not in (None, ""):
        lines.append(view.t("target {value}", value=fmt_value(float(target), m.unit, view.lang,
                                                              view.currency)))
    st.metric(view.t(m.label), fmt_value(value, m.unit, view.lang, view.currency),
              delta=delta_text(name, value, previous.get(name), view), delta_color=colour,
              help=help_text, border=True,
              delta_description=view.t("vs previous {days} days", days=view.period.days))
    if lines:
        st.caption(" · ".join(lines))


def table(df: pd.DataFrame, name: str, view: View, labels: dict[str, str] | None = None,
          column_config: dict | None = None, height: int | str = "auto") -> None:
    """A table (text shown as text, never HTML) with CSV and Excel downloads."""
    shown = df.rename(columns={k: view.t(v) for k, v in (labels or {}).items()})
    st.dataframe(shown, hide_index=True, column_config=column_config, height=height)
    left, right, _ = st.columns([1, 1, 6])
    left.download_button(view.t("CSV"), to_csv_bytes(shown), file_name=f"{name}.csv",
                         mime="text/csv", key=f"csv_{name}", icon=":material/download:")
    right.download_button(view.t("Excel"), to_xlsx_bytes(shown, name), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml"
                          ".sheet", key=f"xlsx_{name}", icon=":material/download:")


def chart(c: alt.Chart) -> None:
    st.altair_chart(c, width="stretch")


def empty_note(view: View) -> None:
    st.info(view.t("No data for this period and filter."))
