"""Reusable pieces of pages: KPI cards, tables with CSV/Excel downloads, charts."""

from __future__ import annotations

import re
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.app import login
from dashboard.app.state import View
from dashboard.metrics import CARDS
from dashboard.presentation.exports import to_csv_bytes, to_xlsx_bytes
from dashboard.presentation.i18n import (
    KPI_HELP_PREFIX,
    column_formatters,
    fmt_kpi,
    fmt_number,
    fmt_value,
)
from dashboard.presentation.vocabulary import relabel

STYLE_MAX_ROWS = 5000  # styling is per cell: past this, show plain numbers
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"(?i)www|\\:|\\@")


def plain(text: object) -> str:
    """Text from the data, for an element that renders Markdown (title, caption, markdown):
    every ASCII punctuation mark escaped, so a name such as ``![x](http://…)``, ``<b>`` or
    ``:red[…]`` shows as typed and never becomes a link, an image, HTML or a directive. A
    zero-width space after ``www``, ``:`` and ``@`` keeps bare addresses from being linked."""
    escaped = _PUNCTUATION.sub(r"\\\1", str(text))
    return _AUTOLINK.sub("\\g<0>\u200b", escaped)


def customer_choice(frame: pd.DataFrame) -> Callable[[str], str]:
    """``format_func`` of a picker of the customers of ``frame`` (customer_id, name):
    "C1 — Alpha", the id alone for a customer whose file gave no name (it showed "C1 — nan")."""
    pairs = zip(frame["customer_id"], frame["name"], strict=True)
    names = {c: n for c, n in pairs if isinstance(n, str) and n}  # (no name: None or NaN)
    return lambda c: f"{c} — {names[c]}" if c in names else str(c)


def delta_text(name: str, value, previous, view: View) -> str | None:
    """Change against the previous period, in the KPI's unit (points for percentages).

    Starts with an ASCII sign: st.metric reads the direction from it (a typographic minus
    would be taken for a rise).
    """
    if value is None or previous is None:
        return None
    unit, digits = CARDS[name].unit, CARDS[name].digits
    diff = value - previous
    sign = "-" if diff < 0 else "+"
    size = abs(diff)
    if unit == "%":
        return f"{sign}{fmt_number(size, view.lang, digits)} {view.t('pts')}"
    if unit in ("days", "EUR"):
        return sign + fmt_value(size, unit, view.lang, view.currency, digits)
    return f"{sign}{fmt_number(size, view.lang, digits)}"


def is_flat(name: str, value, previous) -> bool:
    """A change too small to show at the card's precision has no colour."""
    if value is None or previous is None:
        return True
    # the digits the change is written with (delta_text): a change shown is coloured
    return round(abs(value - previous), CARDS[name].digits) == 0


SURVEY_KPIS = ("csat", "nps", "ces")
CARD_VALUE_CHARS = 11  # a card's figure longer than this is drawn smaller (shell.py)


def kpi_card(
    name: str,
    current: dict,
    previous: dict,
    view: View,
    target: str | None = None,
    note: str | None = None,
) -> None:
    """Value with its unit, change against the previous period coloured by whether it is good,
    the target if one is set, and the formula on hover."""
    m = CARDS[name]
    value = current.get(name)
    colour = {"up": "normal", "down": "inverse", "none": "off"}[m.better]
    if is_flat(name, value, previous.get(name)):
        colour = "off"
    help_text = KPI_HELP_PREFIX[view.lang] + m.formula_in(view.lang)
    lines = []
    if note:
        lines.append(note)
    if target not in (None, ""):
        lines.append(
            view.t("target {value}", value=fmt_kpi(name, float(target), view.lang, view.currency))
        )
    survey = name in SURVEY_KPIS
    if value is None and not note:  # say why there is no figure, rather than leave a dash
        lines.insert(
            0,
            view.t("no survey answers in this period" if survey else "not defined for this period"),
        )
    elif survey:
        count = fmt_number(current["survey_responses"][name], view.lang)
        lines.insert(0, view.t("{n} answers", n=count))
    change = delta_text(name, value, previous.get(name), view)
    versus = view.versus()
    if value is not None and previous.get(name) is None:  # the change is absent: say why
        versus = view.t(
            "no answers in the period compared" if survey else "no figure in the period compared"
        )
    figure(
        st,
        name,
        m.label_in(view.lang),
        fmt_kpi(name, value, view.lang, view.currency),
        delta=change,
        delta_color=colour,
        help=help_text,
        border=True,
        delta_description=versus,
    )
    if lines:
        st.caption(" · ".join(lines))


def figure(where, key: str, title: str, shown: str, **metric) -> None:
    """``st.metric`` in ``where`` (``st`` or a column), a long figure (a ledger in billions)
    drawn smaller to stay on one line: the cards wrap their labels, and broke such a figure
    mid-number ("€1,832,524,6 / 73"). Its container's key gives its length to the style sheet
    (shell.py); ``key`` names the figure, once per page."""
    if len(shown) <= CARD_VALUE_CHARS:
        where.metric(title, shown, **metric)
    else:
        where.container(key=f"kpi_long_{min(len(shown), 24)}_{key}").metric(title, shown, **metric)


def _labelled(df: pd.DataFrame, view: View, labels: dict[str, str] | None):
    """The frame with its columns named in the reader's language and its codes (channel,
    method, status…) as labels, and the same styled: numbers and dates written as the language
    writes them, a gap as "—"."""
    names = {k: view.t(v) for k, v in (labels or {}).items()}
    taken: set[str] = set()
    for col in df.columns:  # two columns, one name (a translation can merge them): told apart
        name = names.get(col, str(col))
        while name in taken:
            name += "\u00a0"  # unseen on screen, but another column to the formats
        names[col] = name
        taken.add(name)
    shown = relabel(df, view.lang).rename(columns=names)
    formats = column_formatters(df.columns, view.lang, view.currency, dict(df.dtypes))
    renamed = dict(zip(df.columns, shown.columns, strict=True))
    return shown, shown.style.format({renamed[c]: f for c, f in formats.items()}, na_rep="—")


def _long(df: pd.DataFrame, shown: pd.DataFrame, view: View) -> tuple[pd.DataFrame, dict]:
    """A table past ``STYLE_MAX_ROWS`` without per-cell styling (too slow there): its numbers
    rounded to the digits their column is written with (money 2, a score 1…), and grouped as
    the reader's browser writes numbers."""
    formats = column_formatters(df.columns, view.lang, view.currency, dict(df.dtypes))
    rounded, config = shown.copy(), {}
    for col, name in zip(df.columns, shown.columns, strict=True):
        f = formats.get(col)
        if f is None or not pd.api.types.is_numeric_dtype(df[col]):
            continue
        # (each formatter states its digits; a count states none: 0)
        rounded[name] = shown[name].round(getattr(f, "keywords", {}).get("digits", 0))
        config[name] = st.column_config.NumberColumn(format="localized")
    return rounded, config


def table(
    df: pd.DataFrame,
    name: str,
    view: View,
    labels: dict[str, str] | None = None,
    column_config: dict | None = None,
    height: int | str = "auto",
    whole: Callable[[], pd.DataFrame] | None = None,
) -> None:
    """A table (text shown as text, never HTML), numbers and dates written as the language
    writes them, with CSV and Excel downloads of the raw values for roles that may export. An
    empty table says so in words (the grid would draw its English "empty"). ``whole``: the
    full table when ``df`` shows only its head; the downloads read it when clicked."""
    if df.empty:
        st.caption(view.t("Nothing to show."))
        return
    shown, styled = _labelled(df, view, labels)
    data, config = (styled, {}) if len(shown) <= STYLE_MAX_ROWS else _long(df, shown, view)
    # placeholder: the grid shows its own "None" for a gap, whatever the Styler says
    st.dataframe(
        data,
        hide_index=True,
        column_config={**config, **(column_config or {})},
        height=height,
        placeholder="—",
    )
    if whole is None:
        downloads(shown, name, view)
    else:
        downloads(lambda: _labelled(whole(), view, labels)[0], name, view)


def downloads(shown: pd.DataFrame | Callable[[], pd.DataFrame], name: str, view: View) -> None:
    """CSV and Excel buttons for a table as shown (or as a function gives it, when clicked),
    for roles that may export."""
    if not view.can("exports"):
        return
    rows = shown if callable(shown) else lambda: shown
    # The files are built when clicked (deferred data), not at every render: an Excel file
    # of 30k customers takes seconds to write.
    with st.container(horizontal=True):
        st.download_button(
            view.t("CSV"),
            login.guarded(lambda: to_csv_bytes(rows())),
            file_name=f"{view.file_stem(name)}.csv",
            mime="text/csv",
            key=f"csv_{name}",
            icon=":material/download:",
            on_click="ignore",
        )
        st.download_button(
            view.t("Excel"),
            login.guarded(lambda: to_xlsx_bytes(rows(), name, view.scope())),
            file_name=f"{view.file_stem(name)}.xlsx",
            key=f"xlsx_{name}",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click="ignore",
        )


def pick(
    df: pd.DataFrame,
    name: str,
    view: View,
    labels: dict[str, str],
    on_pick: Callable[[int], None],
    exportable: bool = False,
) -> None:
    """A table whose rows can be clicked: ``on_pick(position)`` runs with the row clicked,
    before the next run (so it may set other widgets' state); with ``exportable``, the CSV and
    Excel buttons of :func:`table` under it."""
    shown, styled = _labelled(df, view, labels)
    key = f"pick_{name}"

    def picked() -> None:
        rows = st.session_state[key].selection.rows
        if rows:
            on_pick(rows[0])

    data, config = (styled, {}) if len(shown) <= STYLE_MAX_ROWS else _long(df, shown, view)
    st.dataframe(
        data,
        hide_index=True,
        column_config=config,
        placeholder="—",
        on_select=picked,
        selection_mode="single-row",
        key=key,
    )
    if exportable:
        downloads(shown, name, view)


def header(view: View, title: str) -> None:
    """A page's title, and under it what its figures are for (period, comparison, filters)."""
    st.title(view.t(title))
    colon = "\u00a0: " if view.lang == "fr" else ": "  # French sets a space before it
    period, compared = view.scope()[:2]
    f = view.filters
    # the filter values come from files: plain text; the rest is Encaisse's own words
    filters = [
        f"{view.t(name)}{colon}{plain(', '.join(values))}"
        for name, values in (
            ("Segments", view.segment_names),
            ("Regions", f.regions),
            ("Collectors", f.collectors),
        )
        if values
    ]
    parts = [f"{period[0]}{colon}{period[1]}", f"{compared[0]}{colon}{compared[1]}"]
    st.caption(" · ".join(parts + (filters or [view.t("all customers")])))


def chart(c: alt.Chart) -> None:
    st.altair_chart(c, width="stretch")


def empty_note(view: View) -> None:
    st.info(view.t("No data for this period and filter."))
