"""The metric layer: every KPI of SPEC.md section 3, declared once (``registry``), computed from
typed building blocks (``measures``) by one of two engines (``sql``, ``columnar``) chosen in
``engine``; ``analytics`` builds the dashboard's breakdowns on them.

The names below are the layer's public face for pages, exports and the command line.
"""

from dashboard.core.filters import NO_FILTER, Filters
from dashboard.core.periods import Period
from dashboard.metrics.engine import kpis, last_open_date, metric_engine
from dashboard.metrics.measures import AGING_BUCKETS
from dashboard.metrics.registry import CARDS, KPI_KEYS, METRICS, Metric
from dashboard.metrics.sql import data_end_date, default_period

__all__ = [
    "AGING_BUCKETS",
    "KPI_KEYS",
    "METRICS",
    "CARDS",
    "NO_FILTER",
    "Filters",
    "Metric",
    "Period",
    "data_end_date",
    "default_period",
    "last_open_date",
    "kpis",
    "metric_engine",
]
