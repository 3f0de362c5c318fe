"""Caching at the UI edge: one engine per process; reads cached per data version.

Every cached read takes the store's data version (one cheap query) among its arguments, so an
import or undo made anywhere (this app, another session, the command line) shows on the next
rerun; ``clear()`` also runs after this app's own writes. Reads take only plain, hashable
arguments (dates, tuples of names). Writes are never cached.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import metrics
from dashboard.metrics import analytics, columnar, forecast, tables, worklist
from dashboard.presentation import statement
from dashboard.presentation.kpi_pack import write_report
from dashboard.storage import store

TTL = 300  # entries of older versions are never read again: they expire
Key = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@st.cache_resource
def engine() -> Engine:
    engine = store.open_store()
    columnar.warm(engine)  # load the columns while the first page renders
    return engine


def clear() -> None:
    st.cache_data.clear()
    columnar.warm(engine())  # the data changed: rebuild the columns before the next read


def version() -> str:
    """The data version every import, undo and taxonomy change moves."""
    with engine().connect() as conn:
        return store.data_version(conn)


def _filters(key: Key) -> metrics.Filters:
    return metrics.Filters(*key)


def _period(start: dt.date, end: dt.date) -> metrics.Period:
    return metrics.Period(start, end)


# (the version is a plain argument: Streamlit does not hash names starting with "_")
cached = st.cache_data(ttl=TTL, show_spinner=False)


@cached
def _opening(data_version: str) -> tuple[dt.date | None, dt.date | None]:
    end = metrics.data_end_date(engine())
    last_open = metrics.last_open_date(engine(), end) if end else None
    return (last_open, end) if last_open else (end, None)


def opening() -> tuple[dt.date | None, dt.date | None]:
    """The as-of date the dashboard opens on (the end of the data, or, when everything is
    paid by then, the last day something was open), and the day the ledger is fully settled
    (None while items are open at the end of the data)."""
    return _opening(version())


@cached
def _currency(data_version: str) -> str:
    return store.reporting_currency(engine())


def currency() -> str:
    return _currency(version())


@cached
def _is_empty(data_version: str) -> bool:
    return store.is_empty(engine())


def is_empty() -> bool:
    return _is_empty(version())


@cached
def _filter_options(data_version: str) -> dict[str, list[str]]:
    return tables.filter_options(engine())


def filter_options() -> dict[str, list[str]]:
    return _filter_options(version())


@cached
def _kpis(data_version: str, start: dt.date, end: dt.date, key: Key) -> dict:
    return metrics.kpis(engine(), _period(start, end), _filters(key))


def kpis(start: dt.date, end: dt.date, key: Key) -> dict:
    return _kpis(version(), start, end, key)


@cached
def _monthly(
    data_version: str, end: dt.date, months: int, key: Key, names: tuple[str, ...]
) -> pd.DataFrame:
    return analytics.monthly(engine(), end, months, _filters(key), names)


def monthly(end: dt.date, months: int, key: Key, names: tuple[str, ...]) -> pd.DataFrame:
    return _monthly(version(), end, months, key, names)


@cached
def _overview(
    data_version: str,
    period: tuple[dt.date, dt.date],
    compared: tuple[dt.date, dt.date],
    months: int,
    key: Key,
    names: tuple[str, ...],
) -> tuple[dict, dict, pd.DataFrame]:
    return analytics.overview(
        engine(), _period(*period), _period(*compared), months, _filters(key), names
    )


def overview(
    period: tuple[dt.date, dt.date],
    compared: tuple[dt.date, dt.date],
    months: int,
    key: Key,
    names: tuple[str, ...],
) -> tuple[dict, dict, pd.DataFrame]:
    """The Overview's KPIs now and before, and its monthly trend, computed together."""
    return _overview(version(), period, compared, months, key, names)


@cached
def _kpis_by(
    data_version: str,
    start: dt.date,
    end: dt.date,
    key: Key,
    dimension: str,
    names: tuple[str, ...],
) -> pd.DataFrame:
    return analytics.kpis_by(engine(), _period(start, end), _filters(key), dimension, names)


def kpis_by(
    start: dt.date, end: dt.date, key: Key, dimension: str, names: tuple[str, ...]
) -> pd.DataFrame:
    return _kpis_by(version(), start, end, key, dimension, names)


@cached
def _cost_allocation(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.cost_allocation(engine(), _period(start, end), _filters(key))


def cost_allocation(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _cost_allocation(version(), start, end, key)


@cached
def _channel_performance(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.channel_performance(engine(), _period(start, end), _filters(key))


def channel_performance(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _channel_performance(version(), start, end, key)


@cached
def _cost_by_month(data_version: str, end: dt.date, months: int, key: Key) -> pd.DataFrame:
    return analytics.cost_by_month(engine(), end, months, _filters(key))


def cost_by_month(end: dt.date, months: int, key: Key) -> pd.DataFrame:
    return _cost_by_month(version(), end, months, key)


@cached
def _payment_failures(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.payment_failures(engine(), _period(start, end), _filters(key))


def payment_failures(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _payment_failures(version(), start, end, key)


@cached
def _satisfaction_by(
    data_version: str, start: dt.date, end: dt.date, key: Key, dimension: str
) -> pd.DataFrame:
    return analytics.satisfaction_by(engine(), _period(start, end), _filters(key), dimension)


def satisfaction_by(start: dt.date, end: dt.date, key: Key, dimension: str) -> pd.DataFrame:
    return _satisfaction_by(version(), start, end, key, dimension)


@cached
def _verbatims(
    data_version: str, start: dt.date, end: dt.date, key: Key, search: str
) -> pd.DataFrame:
    return analytics.verbatims(engine(), _period(start, end), _filters(key), search)


def verbatims(start: dt.date, end: dt.date, key: Key, search: str) -> pd.DataFrame:
    return _verbatims(version(), start, end, key, search)


@cached
def _customer_behaviour(data_version: str, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.customer_behaviour(engine(), end, _filters(key))


def customer_behaviour(end: dt.date, key: Key) -> pd.DataFrame:
    return _customer_behaviour(version(), end, key)


@cached
def _reason_pareto(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.reason_pareto(engine(), _period(start, end), _filters(key))


def reason_pareto(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _reason_pareto(version(), start, end, key)


@cached
def _owner_trend(data_version: str, end: dt.date, months: int, key: Key) -> pd.DataFrame:
    return analytics.owner_trend(engine(), end, months, _filters(key))


def owner_trend(end: dt.date, months: int, key: Key) -> pd.DataFrame:
    return _owner_trend(version(), end, months, key)


@cached
def _reason_invoices(
    data_version: str, start: dt.date, end: dt.date, key: Key, owner: str | None, reason: str | None
) -> pd.DataFrame:
    return analytics.reason_invoices(engine(), _period(start, end), _filters(key), owner, reason)


def reason_invoices(
    start: dt.date, end: dt.date, key: Key, owner: str | None, reason: str | None
) -> pd.DataFrame:
    return _reason_invoices(version(), start, end, key, owner, reason)


@cached
def _collector_performance(
    data_version: str, start: dt.date, end: dt.date, key: Key
) -> pd.DataFrame:
    return analytics.collector_performance(engine(), _period(start, end), _filters(key))


def collector_performance(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _collector_performance(version(), start, end, key)


@cached
def _statement(
    data_version: str, customer_id: str, end: dt.date, currency: str, lang: str
) -> bytes:
    return statement.write_statement(engine(), customer_id, end, currency, lang)


def statement_bytes(customer_id: str, end: dt.date, currency: str, lang: str) -> bytes:
    return _statement(version(), customer_id, end, currency, lang)


@cached
def _worklist(data_version: str, end: dt.date, key: Key) -> list[dict]:
    return worklist.build(engine(), end, _filters(key))


def worklist_rows(end: dt.date, key: Key) -> list[dict]:
    return _worklist(version(), end, key)


@cached
def _forecast(data_version: str, end: dt.date, key: Key) -> dict:
    return forecast.forecast(engine(), end, forecast.WEEKS, _filters(key))


def cash_forecast(end: dt.date, key: Key) -> dict:
    return _forecast(version(), end, key)


@cached
def _backtest(data_version: str, end: dt.date) -> dict:
    return forecast.backtest(engine(), end)


def backtest(end: dt.date) -> dict:
    return _backtest(version(), end)


@cached
def _payer_profiles(data_version: str, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.payer_profiles(engine(), end, _filters(key))


def payer_profiles(end: dt.date, key: Key) -> pd.DataFrame:
    return _payer_profiles(version(), end, key)


@cached
def _promises_by(
    data_version: str, start: dt.date, end: dt.date, key: Key, dimension: str
) -> pd.DataFrame:
    return analytics.promises_by(engine(), _period(start, end), _filters(key), dimension)


def promises_by(start: dt.date, end: dt.date, key: Key, dimension: str) -> pd.DataFrame:
    return _promises_by(version(), start, end, key, dimension)


@cached
def _ways_to_pay(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.ways_to_pay(engine(), _period(start, end), _filters(key))


def ways_to_pay(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _ways_to_pay(version(), start, end, key)


@cached
def _legal_table(data_version: str, end: dt.date) -> dict:
    from dashboard.metrics.legal import legal_table

    return legal_table(engine(), end)


def legal_table(end: dt.date) -> dict:
    return _legal_table(version(), end)


@cached
def _penalty_exposure(data_version: str, end: dt.date, key: Key) -> tuple:
    return analytics.penalty_exposure(engine(), end, _filters(key))


def penalty_exposure(end: dt.date, key: Key) -> tuple:
    return _penalty_exposure(version(), end, key)


@cached
def _fix_view(data_version: str, reason: str, fixed_on: dt.date, end: dt.date, key: Key) -> tuple:
    filters = _filters(key)
    trend = analytics.reason_share_trend(engine(), end, 12, filters, reason)
    return trend, analytics.fix_effect(engine(), reason, fixed_on, end, filters)


def fix_view(reason: str, fixed_on: dt.date, end: dt.date, key: Key) -> tuple:
    return _fix_view(version(), reason, fixed_on, end, key)


@cached
def _reminder_timings(
    data_version: str, start: dt.date, end: dt.date, key: Key, views: tuple
) -> list[pd.DataFrame]:
    return analytics.reminder_timings(engine(), _period(start, end), _filters(key), views)


def reminder_timings(start: dt.date, end: dt.date, key: Key, views: tuple) -> list[pd.DataFrame]:
    return _reminder_timings(version(), start, end, key, views)


@cached
def _aged_balance(data_version: str, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.aged_balance(engine(), end, _filters(key))


def aged_balance(end: dt.date, key: Key) -> pd.DataFrame:
    return _aged_balance(version(), end, key)


def concentration_pct(balance: pd.DataFrame, top: int) -> float | None:
    return analytics.concentration_pct(balance, top)


@cached
def _dispute_scorecard(data_version: str, start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.dispute_scorecard(engine(), _period(start, end), _filters(key))


def dispute_scorecard(start: dt.date, end: dt.date, key: Key) -> pd.DataFrame:
    return _dispute_scorecard(version(), start, end, key)


@cached
def _resolution_trend(data_version: str, end: dt.date, key: Key) -> pd.DataFrame:
    return analytics.resolution_trend(engine(), end, 12, _filters(key))


def resolution_trend(end: dt.date, key: Key) -> pd.DataFrame:
    return _resolution_trend(version(), end, key)


@cached
def _open_disputes(
    data_version: str, end: dt.date, key: Key, owner: str | None, oldest: bool
) -> tuple[pd.DataFrame, int]:
    limit = analytics.OPEN_DISPUTES_SHOWN if oldest else None
    return analytics.open_disputes(engine(), end, _filters(key), owner, limit)


def open_disputes(
    end: dt.date, key: Key, owner: str | None, oldest: bool = True
) -> tuple[pd.DataFrame, int]:
    """The oldest open issues (of one owner; all of them without ``oldest``) and how many
    are open in all."""
    return _open_disputes(version(), end, key, owner, oldest)


@cached
def _customer_list(data_version: str, end: dt.date, key: Key, search: str) -> pd.DataFrame:
    return analytics.customer_list(engine(), end, _filters(key), search)


def customer_list(end: dt.date, key: Key, search: str) -> pd.DataFrame:
    return _customer_list(version(), end, key, search)


@cached
def _customer_detail(data_version: str, customer_id: str, end: dt.date) -> dict[str, pd.DataFrame]:
    return analytics.customer_detail(engine(), customer_id, end)


def customer_detail(customer_id: str, end: dt.date) -> dict[str, pd.DataFrame]:
    return _customer_detail(version(), customer_id, end)


@cached
def _kpi_pack(data_version: str, start: dt.date, end: dt.date, key: Key, lang: str) -> bytes:
    return write_report(engine(), _period(start, end), _filters(key), lang)


def kpi_pack(start: dt.date, end: dt.date, key: Key, lang: str) -> bytes:
    return _kpi_pack(version(), start, end, key, lang)


@cached
def _taxonomy(data_version: str) -> list[dict]:
    return store.taxonomy(engine())


def taxonomy() -> list[dict]:
    return _taxonomy(version())


@st.cache_data(ttl=TTL, show_spinner=False)
def settings(prefix: str) -> dict[str, str]:
    return store.settings_with_prefix(engine(), prefix)


def batches() -> list[dict]:
    return store.list_batches(engine())  # not cached: the Data page must show the truth
