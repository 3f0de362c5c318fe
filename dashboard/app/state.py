"""The sidebar: language, period and filters, bound to the URL so a link reproduces the view."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard import metrics
from dashboard.app import cache
from dashboard.auth import accounts
from dashboard.core import resources
from dashboard.presentation.i18n import fmt_date, t
from dashboard.presentation.vocabulary import label, labeller

# The sidebar's widgets bound to the URL (bind="query-params"), by key. A bound selectbox puts
# its label in the URL (?preset=Ann%C3%A9e%20en%20cours): the period preset keeps its code there
# itself (coded_choice), so that a link opens the same view in either language.
BOUND = frozenset({"lang", "from", "to", "asof", "segment", "region", "collector"})
PRESETS = ("last30", "last90", "qtd", "ytd", "custom")
PRESET_LABELS = {
    "last30": "Last 30 days",
    "last90": "Last 90 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "custom": "Custom",
}


@dataclass(frozen=True)
class View:
    """What every page reads: language, period, filters and the reporting currency."""

    lang: str
    period: metrics.Period
    filters: metrics.Filters
    currency: str = "EUR"
    account: accounts.Account = accounts.OPEN_ACCESS
    preset: str = "custom"

    @property
    def compared(self) -> metrics.Period:
        """The period a figure is compared with: the year to date with last year's same
        dates, any other period with the one of equal length just before it."""
        if self.preset == "ytd":
            return self.period.a_year_earlier()
        return self.period.previous()

    @property
    def segment_names(self) -> list[str]:
        """The chosen segments as the reader's language names them (Encaisse's own
        "Unassigned" is translated; a file's segment is shown as the file wrote it)."""
        return [label("segment", s, self.lang) for s in self.filters.segments]

    def scope(self) -> list[tuple[str, str]]:
        """What the figures of this view are for: period, comparison, filters, currency."""
        cmp = self.compared
        every = self.t("all")
        return [
            (
                self.t("Period"),
                self.t(
                    "{start} to {end} ({days} days)",
                    start=fmt_date(self.start, self.lang),
                    end=fmt_date(self.end, self.lang),
                    days=self.period.days,
                ),
            ),
            (
                self.t("Compared with"),
                f"{fmt_date(cmp.start, self.lang)} – {fmt_date(cmp.end, self.lang)}",
            ),
            (
                self.t("Segments"),
                ", ".join(self.segment_names) or every,
            ),
            (self.t("Regions"), ", ".join(self.filters.regions) or every),
            (self.t("Collectors"), ", ".join(self.filters.collectors) or every),
            (self.t("Currency"), self.currency),
        ]

    def file_stem(self, name: str) -> str:
        """A download's file name: what it is, its period and its filters."""
        f = self.filters
        parts = [name, f"{self.start}_{self.end}", *f.segments, *f.regions, *f.collectors]
        return re.sub(r"[^\w.-]+", "-", "_".join(parts))[:150]

    def versus(self) -> str:
        """What a change is against, in words."""
        if self.preset == "ytd":
            return self.t("vs the same dates last year")
        return self.t("vs previous {days} days", days=self.period.days)

    def can(self, permission: str) -> bool:
        return self.account.can(permission)

    @property
    def key(self) -> cache.Key:
        f = self.filters
        return (f.segments, f.regions, f.collectors)

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        return self.period.end

    def t(self, text: str, **values) -> str:
        return t(text, self.lang, **values)


def preset_period(preset: str, as_of: dt.date) -> metrics.Period:
    """The period a preset means, ending at the as-of date."""
    if preset == "last30":
        return metrics.Period(as_of - dt.timedelta(days=29), as_of)
    if preset == "qtd":
        return metrics.Period(dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of)
    if preset == "ytd":
        return metrics.Period(dt.date(as_of.year, 1, 1), as_of)
    return metrics.Period(as_of - dt.timedelta(days=89), as_of)


def language() -> str:
    # Bound widgets put their label in the URL, so the options are their own labels: ?lang=FR
    lang = st.sidebar.segmented_control(
        "Language / Langue",
        ["EN", "FR"],
        default="EN",
        key="lang",
        bind="query-params",
        required=True,
    )
    return (lang or "EN").lower()


def sidebar(lang: str, account: accounts.Account) -> View:
    """Render the filters (in the entrypoint, on every page) and return the current view."""
    side = st.sidebar
    side.header(t("Filters", lang))
    opens_on, settled_on = cache.opening()
    end_default = opens_on or dt.date.today()
    preset = coded_choice(
        side,
        t("Period", lang),
        PRESETS,
        "preset",
        lambda p: t(PRESET_LABELS[p], lang),
        default="last90",
    )
    if preset == "custom":
        start = side.date_input(
            t("From", lang),
            end_default - dt.timedelta(days=89),
            key="from",
            bind="query-params",
            format="DD/MM/YYYY",
        )
        end = side.date_input(
            t("To", lang), end_default, key="to", bind="query-params", format="DD/MM/YYYY"
        )
        if start > end:
            start, end = end, start
        period = metrics.Period(start, end)
    else:
        as_of = side.date_input(
            t("As of", lang), end_default, key="asof", bind="query-params", format="DD/MM/YYYY"
        )
        if settled_on is not None and as_of >= end_default:
            side.caption(
                t(
                    "Every invoice is paid in full by {settled}: the view opens on {date}, "
                    "the last day with open items.",
                    lang,
                    settled=fmt_date(settled_on, lang),
                    date=fmt_date(end_default, lang),
                )
            )
        period = preset_period(preset, as_of)
    options = cache.filter_options()
    segments = side.multiselect(
        t("Segments", lang),
        options["segment"],
        key="segment",
        bind="query-params",
        placeholder=t("All", lang),
        format_func=labeller("segment", lang),
    )
    regions = side.multiselect(
        t("Regions", lang),
        options["region"],
        key="region",
        bind="query-params",
        placeholder=t("All", lang),
    )
    collectors = side.multiselect(
        t("Collectors", lang),
        options["collector"],
        key="collector",
        bind="query-params",
        placeholder=t("All", lang),
    )
    side.caption(
        t(
            "Period: {start} to {end} ({days} days)",
            lang,
            start=fmt_date(period.start, lang),
            end=fmt_date(period.end, lang),
            days=period.days,
        )
    )
    return View(
        lang,
        period,
        metrics.Filters(tuple(segments), tuple(regions), tuple(collectors)),
        cache.currency(),
        account,
        preset,
    )


def coded_choice(container, label: str, options, key: str, format_func, default=None):
    """A selectbox whose choice is in the URL as its code (``?preset=ytd``, ``?owner=Sales``),
    whatever the language of its labels; the default leaves the URL clean. An unknown code in
    the URL is ignored."""
    options = list(options)
    if key not in st.session_state or st.session_state[key] not in options:
        wanted = st.query_params.get(key)
        st.session_state[key] = next((o for o in options if str(o) == wanted), default)
    # a choice is always set (the session state), the placeholder never shows: not Streamlit's
    # English "Choose an option" either way
    value = container.selectbox(label, options, key=key, format_func=format_func, placeholder="—")
    if value is None or value == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)
    return value


def current() -> View:
    """The view the entrypoint computed for this run."""
    return st.session_state["_view"]


def default_view() -> tuple[metrics.Period, metrics.Filters]:
    """Period and filters before any data exists (the welcome and data pages)."""
    end = cache.opening()[0] or dt.date.today()
    return preset_period("last90", end), metrics.Filters()


def require(permission: str) -> View:
    """The current view, or a refusal when its account may not do ``permission`` (a page that
    is not in the navigation cannot run, but a page checks its own permission all the same)."""
    view = current()
    if not view.can(permission):
        st.error(view.t("You do not have access to this page."))
        st.stop()
    return view


def switch_to(page) -> None:
    """``st.switch_page`` that keeps the view: by default it clears the query parameters, which
    Streamlit refuses while widgets are bound to them (``?lang=FR``); the bound ones follow
    their widgets, the others are carried over."""
    params = st.query_params
    st.switch_page(page, query_params={k: params.get_all(k) for k in params if k not in BOUND})


def page(name: str) -> Path:
    """Absolute path of a page file, for ``st.switch_page``."""
    return resources.pages_dir() / f"{name}.py"
