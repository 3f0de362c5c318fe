"""``columnar.Days``: a day-ordered column kept as where each day's rows begin reads exactly as
the array it stands for (counts up to a day, days of rows, the rows a filter keeps)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.metrics.columnar import Days, after, before


def plain(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # gaps of days without rows, and days with many
    return np.sort(rng.choice(np.arange(19_000, 19_060), size=n)).astype(np.int32)


@pytest.mark.parametrize(("seed", "n"), [(1, 0), (2, 1), (3, 7), (4, 500)])
def test_days_read_as_the_array(seed, n):
    days = plain(seed, n)
    d = Days(Days.pack(days))
    assert len(d) == n
    assert d[:].tolist() == days.tolist()
    for t in (18_000, 18_999, 19_000, 19_001, 19_030, 19_059, 19_060, 20_000):
        assert after(d, t) == after(days, t), t
        assert before(d, t) == before(days, t), t
    for a, b in ((0, n), (1, n - 1), (n // 3, n // 2), (n, n), (n // 2, n // 2 + 1)):
        assert d[a:b].tolist() == days[a:b].tolist(), (a, b)
        assert d[a:b].dtype == np.int32
    rows = np.arange(n)[::3]
    assert d[rows].tolist() == days[rows].tolist()
    mask = np.arange(n) % 2 == 0
    assert d[mask].tolist() == days[mask].tolist()


def test_the_rows_a_filter_keeps_are_their_days():
    days = plain(5, 300)
    rng = np.random.default_rng(6)
    rows = np.flatnonzero(rng.random(300) < 0.4)
    kept = Days(Days.kept(Days.pack(days), rows))
    assert kept[:].tolist() == days[rows].tolist()
    for t in (18_999, 19_010, 19_045, 19_070):
        assert after(kept, t) == after(days[rows], t)
    assert len(Days(Days.kept(Days.pack(days), rows[:0]))) == 0
