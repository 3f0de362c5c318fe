"""Caching at the UI edge: one engine per process, reads cached for a few minutes.

Reads take only plain, hashable arguments (dates, tuples of names); ``clear()`` runs after every
import, undo or settings change. Writes are never cached.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import analytics, columnar, metrics, report, store

TTL = 300
Key = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@st.cache_resource
def engine() -> Engine:
    engine = store.open_store()
    columnar.warm(engine)  # load the columns while the first page renders
    return engine


def clear() -> None:
    st.cache_data.clear()
    columnar.warm(engine())  # the data changed: rebuild the columns before the next read


def _filters(key: Key) -> metrics.Filters:
    return metrics.Filters(*key)


@st.cache_data(ttl=TTL, show_spinner=False)
def data_end() -> dt.date | None:
    return metrics.data_end_date(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def currency() -> str:
    return store.reporting_currency(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def is_empty() -> bool:
    return store.is_empty(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def filter_options() -> dict[str, list[str]]:
    return analytics.filter_options(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def kpis(start: dt.date, end: dt.date, key: Key) -> dict:
    return metrics.kpis(engine(), metrics.Period(start, end), _filters(key))


@st.cache_data(ttl=TTL, show_spinner=False)
def monthly(end: dt.date, months: int, key: Key, names: tuple[str, ...]) -> pd.DataFrame:
    return analytics.monthly(engine(), end, months, _filters(key), names)


@st.cache_data(ttl=TTL, show_spinner=False)
def period_table(name: str, start: dt.date, end: dt.date, key: Key, *extra) -> pd.DataFrame:
    """Any ``analytics`` breakdown of the form ``fn(engine, period, filters, *extra)``."""
    fn = getattr(analytics, name)
    return fn(engine(), metrics.Period(start, end), _filters(key), *extra)


@st.cache_data(ttl=TTL, show_spinner=False)
def months_table(name: str, end: dt.date, months: int, key: Key) -> pd.DataFrame:
    """Any ``analytics`` breakdown of the form ``fn(engine, end, months, filters)``."""
    return getattr(analytics, name)(engine(), end, months, _filters(key))


@st.cache_data(ttl=TTL, show_spinner=False)
def as_of_table(name: str, end: dt.date, key: Key, *extra) -> pd.DataFrame:
    """Any ``analytics`` breakdown of the form ``fn(engine, end, filters, *extra)``."""
    return getattr(analytics, name)(engine(), end, _filters(key), *extra)


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_detail(customer_id: str, end: dt.date) -> dict[str, pd.DataFrame]:
    return analytics.customer_detail(engine(), customer_id, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_pack(start: dt.date, end: dt.date, key: Key, lang: str) -> bytes:
    return report.write_report(engine(), metrics.Period(start, end), _filters(key), lang)


@st.cache_data(ttl=TTL, show_spinner=False)
def taxonomy() -> list[dict]:
    return store.taxonomy(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def settings(prefix: str) -> dict[str, str]:
    return store.settings_with_prefix(engine(), prefix)


def batches() -> list[dict]:
    return store.list_batches(engine())  # not cached: the Data page must show the truth
