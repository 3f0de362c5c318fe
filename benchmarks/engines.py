"""The engine question, measured: DuckDB over a columnar copy against the numpy engine.

An Overview filter change computes the building blocks of 14 windows (the period, the one
before it, and 12 monthly trend points) for the filtered customers. This times that work, warm,
in both engines: the numpy engine through the metric layer, and DuckDB with the 14 windows
batched in one query (a window table joined to the invoices and payments), then one query per
window, as a naive port would do; and it checks that DuckDB finds the same receivables, credit
sales and collections. Run after ``benchmarks.run`` on its work folder (CSV files, the
yardstick's DuckDB file, the SQLite database):

    python -m benchmarks.engines --workdir /tmp/encaisse-bench/1000000 --segment Retail
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from benchmarks.run import END

# Per window w = [f, t]: the ledger blocks of the metric layer, for the selected customers.
BATCHED = """
WITH w AS (SELECT * FROM windows),
sel AS (SELECT customer_id FROM customers WHERE $seg IS NULL OR segment = $seg),
inv AS (SELECT invoice_id, issue_date, due_date, amount FROM invoices
        WHERE customer_id IN (SELECT customer_id FROM sel)),
pay AS (SELECT p.invoice_id, p.payment_date, p.amount, p.status FROM payments p
        WHERE p.invoice_id IN (SELECT invoice_id FROM inv)),
paid AS (SELECT w.w, p.invoice_id,
                COALESCE(SUM(p.amount) FILTER (WHERE p.payment_date < w.f), 0) AS before,
                SUM(p.amount) AS upto
         FROM pay p JOIN w ON p.payment_date <= w.t
         WHERE p.status = 'completed' GROUP BY ALL),
led AS (SELECT w.w, w.f, w.t, i.issue_date, i.due_date, i.amount,
               COALESCE(paid.before, 0) AS b, COALESCE(paid.upto, 0) AS u
        FROM w JOIN inv i ON i.issue_date <= w.t
        LEFT JOIN paid ON paid.w = w.w AND paid.invoice_id = i.invoice_id),
blocks AS (SELECT w,
       SUM(GREATEST(amount - u, 0)) AS receivables,
       SUM(GREATEST(amount - u, 0)) FILTER (WHERE due_date >= t) AS current,
       SUM(GREATEST(amount - b, 0)) FILTER (WHERE issue_date < f) AS receivables_before,
       SUM(amount) FILTER (WHERE issue_date >= f) AS credit_sales,
       SUM(GREATEST(amount - b, 0)) FILTER (WHERE due_date <= t) AS owed,
       SUM(LEAST(u - b, GREATEST(amount - b, 0))) FILTER (WHERE due_date <= t) AS got
       FROM led GROUP BY w),
cash AS (SELECT w.w, SUM(p.amount) FILTER (WHERE p.status = 'completed') AS collected,
                COUNT(*) AS records
         FROM w JOIN pay p ON p.payment_date BETWEEN w.f AND w.t GROUP BY w.w),
answers AS (SELECT w.w, COUNT(*) FILTER (WHERE s.survey_type = 'csat') AS csat_n,
                   COUNT(*) FILTER (WHERE s.survey_type = 'nps') AS nps_n
            FROM w JOIN surveys s ON s.response_date BETWEEN w.f AND w.t
            WHERE s.customer_id IN (SELECT customer_id FROM sel) GROUP BY w.w)
SELECT w.w, blocks.*, cash.collected, cash.records, answers.csat_n, answers.nps_n
FROM w LEFT JOIN blocks USING (w) LEFT JOIN cash USING (w) LEFT JOIN answers USING (w)
ORDER BY w.w
"""


def windows(end: dt.date, days: int = 90) -> list[tuple[dt.date, dt.date]]:
    """The Overview's windows: the period, the previous one, and 12 monthly trend points."""
    from dashboard.core.periods import Period, months_back

    period = Period(end - dt.timedelta(days=days - 1), end)
    prev = period.previous()
    months = months_back(end, 12)
    return [(p.start, p.end) for p in (period, prev, *months)]


def numpy_engine(db_url: str, wins, segment: str | None) -> tuple[float, list[dict]]:
    """Seconds for the 14 windows' building blocks and KPIs, warm (columns loaded)."""
    from dashboard.core.filters import Filters
    from dashboard.core.periods import Period
    from dashboard.metrics import METRICS, metric_engine
    from dashboard.storage.store import make_engine

    engine = make_engine(db_url)
    filters = Filters(segments=(segment,) if segment else ())
    with metric_engine(engine) as eng:  # load (or map) the columns first: not timed
        eng.measures(Period(*wins[0])).ledger  # noqa: B018
    start = time.perf_counter()
    out = []
    with metric_engine(engine) as eng:
        for f, t in wins:
            s = eng.measures(Period(f, t), filters)
            kpis = {name: m.compute(s) for name, m in METRICS.items()}
            out.append(
                {
                    "receivables": s.ledger.receivables_cents / 100,
                    "credit_sales": s.ledger.credit_sales_cents / 100,
                    "collected": s.payments.collected_cents / 100,
                    "dso": kpis["dso"],
                }
            )
    return time.perf_counter() - start, out


def duckdb_engine(duck: Path, wins, segment: str | None, batched: bool) -> tuple[float, list]:
    """Seconds for the same building blocks in DuckDB, warm (the query run once before)."""
    import duckdb

    con = duckdb.connect(str(duck), read_only=True)
    con.execute("CREATE TEMP TABLE windows (w INTEGER, f DATE, t DATE)")
    rows = []

    def run_all() -> list:
        if batched:
            con.execute("DELETE FROM windows")
            con.executemany(
                "INSERT INTO windows VALUES (?, ?, ?)", [(i, f, t) for i, (f, t) in enumerate(wins)]
            )
            return con.execute(BATCHED, {"seg": segment}).fetchall()
        out = []
        for i, (f, t) in enumerate(wins):
            con.execute("DELETE FROM windows")
            con.execute("INSERT INTO windows VALUES (?, ?, ?)", (i, f, t))
            out.extend(con.execute(BATCHED, {"seg": segment}).fetchall())
        return out

    run_all()  # warm: DuckDB's buffer pool holds the columns it needs
    start = time.perf_counter()
    rows = run_all()
    wall = time.perf_counter() - start
    names = [d[0] for d in con.description]
    con.close()
    return wall, [dict(zip(names, r, strict=True)) for r in rows]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workdir", required=True, help="a benchmarks.run work folder")
    p.add_argument("--segment", default="Retail")
    p.add_argument("--end", default=END.isoformat())
    args = p.parse_args(argv)
    work = Path(args.workdir)
    wins = windows(dt.date.fromisoformat(args.end))
    db_url = f"sqlite:///{work / 'encaisse.db'}"
    duck = work / "yardstick.duckdb"
    out: dict = {"windows": len(wins), "segment": args.segment}
    for seg_label, seg in (("all", None), ("segment", args.segment)):
        np_s, np_rows = numpy_engine(db_url, wins, seg)
        batch_s, batch_rows = duckdb_engine(duck, wins, seg, batched=True)
        loop_s, _ = duckdb_engine(duck, wins, seg, batched=False)
        agree = all(
            abs(float(d[k] or 0) - n[k]) < 0.005
            for n, d in zip(np_rows, batch_rows, strict=True)
            for k in ("receivables", "credit_sales", "collected")
        )
        out[seg_label] = {
            "numpy_s": round(np_s, 3),
            "duckdb_batched_s": round(batch_s, 3),
            "duckdb_per_window_s": round(loop_s, 3),
            "same_figures": agree,
        }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
