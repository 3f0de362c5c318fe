"""The same KPIs in plain DuckDB SQL over the benchmark CSV files: the speed yardstick and an
independent check of the numbers. Run as a process: ``python -m benchmarks.yardstick DB F T``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

LOAD = {
    "customers": "customer_id VARCHAR, name VARCHAR, segment VARCHAR, region VARCHAR, "
    "collector VARCHAR",
    "invoices": "invoice_id VARCHAR, customer_id VARCHAR, issue_date DATE, due_date DATE, "
    "amount DECIMAL(18,2), disputed VARCHAR, delivery_channel VARCHAR",
    "payments": "payment_id VARCHAR, invoice_id VARCHAR, payment_date DATE, amount DECIMAL(18,2),"
    " method VARCHAR, status VARCHAR",
    "surveys": "response_id VARCHAR, customer_id VARCHAR, response_date DATE, "
    "survey_type VARCHAR, score INTEGER, touchpoint VARCHAR",
}


def load(db: Path, folder: Path) -> None:
    """Copy the CSV files into a DuckDB database file (not part of the timed query)."""
    import duckdb

    con = duckdb.connect(str(db))
    for table, cols in LOAD.items():
        columns = (
            "{"
            + ", ".join(f"'{c.split()[0]}': '{c.split(maxsplit=1)[1]}'" for c in cols.split(", "))
            + "}"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv("
            f"'{folder / (table + '.csv')}', header=true, columns={columns})"
        )
    con.close()


SQL = """
WITH sel AS (SELECT customer_id FROM customers WHERE $seg IS NULL OR segment = $seg),
inv AS (SELECT * FROM invoices WHERE customer_id IN (SELECT customer_id FROM sel)),
pay AS (SELECT p.* FROM payments p JOIN inv USING (invoice_id)),
done AS (SELECT invoice_id,
                SUM(CASE WHEN payment_date < $f THEN amount ELSE 0 END) AS before,
                SUM(amount) AS upto
         FROM pay WHERE status = 'completed' AND payment_date <= $t GROUP BY invoice_id),
led AS (
  SELECT i.*, GREATEST(i.amount - COALESCE(d.upto, 0), 0) AS open_t,
         GREATEST(i.amount - COALESCE(d.before, 0), 0) AS open_f,
         COALESCE(d.upto, 0) - COALESCE(d.before, 0) AS during
  FROM inv i LEFT JOIN done d USING (invoice_id) WHERE i.issue_date <= $t),
run AS (SELECT invoice_id, payment_date,
               SUM(amount) OVER (PARTITION BY invoice_id ORDER BY payment_date) AS cum
        FROM pay WHERE status = 'completed' AND payment_date <= $t),
settled AS (SELECT i.invoice_id, i.amount, i.due_date, MIN(r.payment_date) AS s
            FROM inv i JOIN run r USING (invoice_id) WHERE r.cum >= i.amount - 0.01
            GROUP BY ALL)
SELECT
  (SELECT SUM(open_t) FROM led) AS receivables,
  (SELECT SUM(open_t) FILTER (WHERE due_date >= $t) FROM led) AS current,
  (SELECT SUM(open_f) FILTER (WHERE issue_date < $f) FROM led) AS receivables_before,
  (SELECT SUM(amount) FILTER (WHERE issue_date >= $f) FROM led) AS credit_sales,
  (SELECT SUM(open_f) FILTER (WHERE due_date <= $t) FROM led) AS owed,
  (SELECT SUM(LEAST(during, open_f)) FILTER (WHERE due_date <= $t) FROM led) AS got,
  (SELECT SUM(amount) FROM pay WHERE status = 'completed'
     AND payment_date BETWEEN $f AND $t) AS collected,
  (SELECT COUNT(*) FILTER (WHERE status <> 'completed') * 100.0 / NULLIF(COUNT(*), 0) FROM pay
     WHERE payment_date BETWEEN $f AND $t) AS payment_failure_rate,
  (SELECT COUNT(*) FILTER (WHERE disputed = 'yes') * 100.0 / NULLIF(COUNT(*), 0) FROM led
     WHERE issue_date >= $f) AS dispute_rate,
  (SELECT SUM(amount * (s - due_date)) / SUM(amount) FROM settled WHERE s BETWEEN $f AND $t)
     AS avg_days_late,
  (SELECT COUNT(*) FILTER (WHERE score >= 4) * 100.0 / NULLIF(COUNT(*), 0) FROM surveys
     WHERE survey_type = 'csat' AND response_date BETWEEN $f AND $t
       AND customer_id IN (SELECT customer_id FROM sel)) AS csat,
  (SELECT (COUNT(*) FILTER (WHERE score >= 9) - COUNT(*) FILTER (WHERE score <= 6)) * 100.0
          / NULLIF(COUNT(*), 0) FROM surveys
     WHERE survey_type = 'nps' AND response_date BETWEEN $f AND $t
       AND customer_id IN (SELECT customer_id FROM sel)) AS nps
"""


def kpis(db: Path, start: dt.date, end: dt.date, segment: str | None) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    row = con.execute(SQL, {"f": start, "t": end, "seg": segment}).fetchone()
    names = [d[0] for d in con.description]
    r = {k: (float(v) if v is not None else None) for k, v in zip(names, row, strict=True)}
    days = (end - start).days + 1
    sales = r["credit_sales"] or 0
    base = (r["receivables_before"] or 0) + sales
    out = {
        "receivables": r["receivables"],
        "current": r["current"],
        "credit_sales": r["credit_sales"],
        "collected": r["collected"],
        "dso": r["receivables"] / sales * days if sales else None,
        "cei": 100 * (base - r["receivables"]) / (base - r["current"])
        if base - r["current"]
        else None,
        "recovery_rate": 100 * r["got"] / r["owed"] if r["owed"] else None,
        "avg_days_late": r["avg_days_late"],
        "dispute_rate": r["dispute_rate"],
        "payment_failure_rate": r["payment_failure_rate"],
        "csat": r["csat"],
        "nps": r["nps"],
    }
    return out


if __name__ == "__main__":
    db, f, t = (
        Path(sys.argv[1]),
        dt.date.fromisoformat(sys.argv[2]),
        dt.date.fromisoformat(sys.argv[3]),
    )
    seg = sys.argv[4] if len(sys.argv) > 4 else None
    print(json.dumps(kpis(db, f, t, seg)))
