"""The Encaisse benchmark: imports, KPIs and the app at scale, beside a DuckDB yardstick.

    python -m benchmarks.run --invoices 1000000            # SQLite, and PostgreSQL if reachable
    python -m benchmarks.run --invoices 100000 --backends sqlite --out results.json

Prints a table and writes every figure as JSON (default benchmarks/results-<N>.json) for
comparison across commits. Each measured command runs in its own process, so wall time and peak
memory (max RSS) are that process's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, text

from benchmarks.generate import WRITTEN, generate
from benchmarks.yardstick import load as duck_load

# every kind the generator writes a file for (the ledger is the invoices and payments together)
KINDS = list(WRITTEN)
COMPARED = [
    "receivables",
    "current",
    "credit_sales",
    "collected",
    "dso",
    "cei",
    "recovery_rate",
    "avg_days_late",
    "dispute_rate",
    "payment_failure_rate",
    "csat",
    "nps",
]
END = dt.date(2026, 10, 31)


class Measured(NamedTuple):
    wall: float  # seconds
    rss: float  # the process's own peak resident memory, MB
    out: str  # its standard output
    children_rss: float  # the largest peak of a process it started (an import's second), MB


def run(cmd: list[str], env: dict | None = None) -> Measured:
    """Run a process; return its wall time, peak memory, output and its children's peak.

    The peak is the child's VmHWM, sampled from /proc while it runs: ru_maxrss would not do,
    as Linux carries it across execve from the (large) benchmark process that forked.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        peak_kb, children_kb = 0, 0
        while proc.poll() is None:
            peak_kb = max(peak_kb, vm_hwm_kb(proc.pid))
            for child in children(proc.pid):
                children_kb = max(children_kb, vm_hwm_kb(child))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}")
        return Measured(wall, peak_kb / 1024, out.read().decode(), children_kb / 1024)


def children(pid: int) -> list[int]:
    """Processes started by ``pid`` (Linux)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return []


def vm_hwm_kb(pid: int | str = "self") -> int:
    """Peak resident memory of a process image (resets on exec), in kB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def encaisse(db: str, *args: str) -> Measured:
    return run([sys.executable, "-m", "dashboard.cli.main", "--db", db, *args])


def best_of(n: int, fn) -> Measured:
    runs = [fn() for _ in range(n)]
    return min(runs, key=lambda r: r[0])


def pg_database(url: str, name: str) -> str | None:
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return admin.url.set(database=name).render_as_string(hide_password=False)
    except Exception as exc:  # no server: the PostgreSQL column stays empty
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        return None


def excel_file(folder: Path, rows: int) -> Path:
    """An .xlsx of ``rows`` invoices (date cells), made from the CSV."""
    import pandas as pd

    df = pd.read_csv(folder / "invoices.csv", nrows=rows, dtype=str)
    for col in ("issue_date", "due_date"):
        df[col] = pd.to_datetime(df[col])
    df["amount"] = df["amount"].astype(float)
    path = folder / f"invoices_{rows}.xlsx"
    df.to_excel(path, index=False)
    return path


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--invoices", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "ENCAISSE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    p.add_argument("--workdir", default="/tmp/encaisse-bench")
    p.add_argument("--excel-rows", type=int, default=100_000)
    p.add_argument("--skip-app", action="store_true")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    work = Path(args.workdir) / str(args.invoices)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # columnar copies of the PostgreSQL database go here, not to the user's cache folder
    os.environ["ENCAISSE_CACHE_DIR"] = str(work / "cache")
    results: dict = {
        "invoices": args.invoices,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "date": dt.date.today().isoformat(),
        },
    }

    start = time.perf_counter()
    files = generate(work / "data", args.invoices, END)
    results["generate_s"] = round(time.perf_counter() - start, 2)
    rows = {k: count_lines(v) - 1 for k, v in files.items()}
    results["rows"] = rows

    duck = work / "yardstick.duckdb"
    start = time.perf_counter()
    duck_load(duck, work / "data")
    results["duckdb_load_s"] = round(time.perf_counter() - start, 2)
    period = (END - dt.timedelta(days=89)).isoformat(), END.isoformat()
    yard = {}
    for label, seg in (("all", []), ("segment", ["SMB"])):
        wall, _, out, _ = best_of(
            3,
            lambda seg=seg: run(
                [sys.executable, "-m", "benchmarks.yardstick", str(duck), *period, *seg]
            ),
        )
        yard[label] = {"s": round(wall, 3), "kpis": json.loads(out)}
    results["duckdb"] = {k: v["s"] for k, v in yard.items()}

    for backend in args.backends.split(","):
        db = (
            f"sqlite:///{work / 'encaisse.db'}"
            if backend == "sqlite"
            else pg_database(args.pg_url, f"encaisse_bench_{args.invoices}")
        )
        if db is None:
            continue
        res: dict = {"import": {}}
        encaisse(db, "init")
        for kind in KINDS:
            wall, rss, _, second = encaisse(db, "import", kind, str(files[kind]))
            res["import"][kind] = {
                "rows": rows[kind],
                "s": round(wall, 2),
                "rows_per_s": round(rows[kind] / wall),
                "peak_rss_mb": round(rss, 1),
                "second_process_peak_rss_mb": round(second, 1),
            }
        # The first read after an import builds the columnar copy of the tables (then saved):
        # timed apart, as every later command reads the saved copy.
        wall, rss, _, _ = encaisse(db, "kpis", "--from", period[0], "--to", period[1], "--json")
        res["kpis_first_after_import_s"] = round(wall, 3)
        res["kpis_first_after_import_peak_rss_mb"] = round(rss, 1)
        agree = {}
        for label, seg in (("all", []), ("segment", ["--segment", "SMB"])):
            wall, rss, out, _ = best_of(
                3,
                lambda seg=seg, db=db: encaisse(
                    db, "kpis", "--from", period[0], "--to", period[1], *seg, "--json"
                ),
            )
            mine = json.loads(out)
            res[f"kpis_{label}_s"] = round(wall, 3)
            res[f"kpis_{label}_peak_rss_mb"] = round(rss, 1)
            res[f"kpis_{label}_vs_duckdb"] = round(wall / yard[label]["s"], 1)
            agree[label] = [k for k in COMPARED if not _same(mine[k], yard[label]["kpis"][k])]
        res["disagreements_with_duckdb"] = agree
        res["metric_layer_filter_change_s"] = _in_process_filter_change(db, period)
        if not args.skip_app:
            _, _, out, _ = run(
                [sys.executable, "-m", "benchmarks.app_timing"], env={"ENCAISSE_DB_URL": db}
            )
            res["app"] = json.loads(out)
        results[backend] = res

    if args.excel_rows and "sqlite" in args.backends:
        xlsx = excel_file(work / "data", min(args.excel_rows, args.invoices))
        db = f"sqlite:///{work / 'excel.db'}"
        encaisse(db, "init")
        wall, rss, _, _ = encaisse(db, "import", "invoices", str(xlsx))
        results["excel_import"] = {
            "rows": min(args.excel_rows, args.invoices),
            "s": round(wall, 2),
            "peak_rss_mb": round(rss, 1),
        }

    out = Path(args.out or Path(__file__).parent / f"results-{args.invoices}.json")
    out.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nwritten to {out}")
    return results


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 0.005 + 1e-9 * abs(b)


def _in_process_filter_change(db: str, period: tuple[str, str]) -> float:
    from dashboard.metrics import Filters, Period, kpis
    from dashboard.storage.store import make_engine

    engine = make_engine(db)
    p = Period(dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1]))
    kpis(engine, p, Filters(segments=("SMB",)))  # warm
    start = time.perf_counter()
    kpis(engine, p, Filters(segments=("Retail",)))
    return round(time.perf_counter() - start, 3)


def table(r: dict) -> str:
    lines = [
        f"Encaisse benchmark, {r['invoices']:,} invoices "
        f"({r['machine']['cpus']} cores, Python {r['machine']['python']})",
        "",
    ]
    backends = [b for b in ("sqlite", "postgresql") if b in r]
    lines.append(f"{'measure':<44}" + "".join(f"{b:>16}" for b in backends))
    for kind in KINDS:
        cells = "".join(f"{r[b]['import'][kind]['rows_per_s']:>12,} r/s" for b in backends)
        lines.append(f"{'import ' + kind + ' (rows/s)':<44}{cells}")
    cells = "".join(
        f"{max(v['peak_rss_mb'] for v in r[b]['import'].values()):>13,.0f} MB" for b in backends
    )
    lines.append(f"{'import peak memory':<44}{cells}")
    for label in ("all", "segment"):
        cells = "".join(
            f"{r[b][f'kpis_{label}_s']:>9.2f} s ×{r[b][f'kpis_{label}_vs_duckdb']:<4}"
            for b in backends
        )
        name = f"kpis --json {label} (DuckDB {r['duckdb'][label]} s)"
        lines.append(f"{name:<44}{cells}")
    cells = "".join(f"{r[b]['kpis_first_after_import_s']:>14.2f} s" for b in backends)
    lines.append(f"{'kpis --json first after the imports':<44}{cells}")
    cells = "".join(f"{r[b]['metric_layer_filter_change_s']:>14.2f} s" for b in backends)
    lines.append(f"{'metric layer, one filter change':<44}{cells}")
    for key in (
        "overview_first_render_s",
        "overview_filter_change_warm_s",
        "segments_first_render_s",
        "peak_rss_mb",
    ):
        if all("app" in r[b] for b in backends):
            unit = "MB" if key == "peak_rss_mb" else "s"
            cells = "".join(f"{r[b]['app'][key]:>14.2f} {unit}" for b in backends)
            lines.append(f"{'app ' + key:<44}{cells}")
    if all("app" in r[b] for b in backends):
        for page in r[backends[0]]["app"].get("pages_first_render_s", {}):
            cells = "".join(
                f"{r[b]['app']['pages_first_render_s'][page]:>14.2f} s" for b in backends
            )
            lines.append(f"{'app ' + page + ' first render':<44}{cells}")
    for b in backends:
        lines.append(f"{b}: KPIs differing from DuckDB: {r[b]['disagreements_with_duckdb']}")
    if "excel_import" in r:
        e = r["excel_import"]
        lines.append(f"Excel import, {e['rows']:,} rows: {e['s']} s")
    return "\n".join(lines)


def markdown(r: dict) -> str:
    """The README's Performance table, from a results file."""
    backends = [b for b in ("sqlite", "postgresql") if b in r]
    head = "| measure | " + " | ".join(backends) + " | target |"
    rows = [head, "|---|" + "---|" * len(backends) + "---|"]

    def row(name: str, cells: list[str], target: str) -> None:
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    for kind in KINDS:
        imp = [r[b]["import"][kind] for b in backends]
        row(
            f"import {kind} ({imp[0]['rows']:,} rows)",
            [
                f"{i['s']} s, {i['rows_per_s']:,} rows/s, {i['peak_rss_mb']:.0f} MB"
                + (
                    f" (+ {i['second_process_peak_rss_mb']:.0f} MB)"
                    if i.get("second_process_peak_rss_mb")
                    else ""
                )
                for i in imp
            ],
            "≥ 100,000 rows/s" if kind in ("invoices", "payments") else "",
        )
    for label, name in (
        ("all", "`encaisse kpis --json`, 90 days"),
        ("segment", "the same with `--segment SMB`"),
    ):
        row(
            f"{name} (DuckDB: {r['duckdb'][label]} s)",
            [
                f"{r[b][f'kpis_{label}_s']} s (× {r[b][f'kpis_{label}_vs_duckdb']})"
                for b in backends
            ],
            "≤ 3 × DuckDB",
        )
    row(
        "`encaisse kpis --json`, first after the imports (builds the columnar copy, if used)",
        [f"{r[b]['kpis_first_after_import_s']} s" for b in backends],
        "",
    )
    row(
        "metric layer in-process, one filter change",
        [f"{r[b]['metric_layer_filter_change_s']} s" for b in backends],
        "",
    )
    if all("app" in r[b] for b in backends):
        for key, name, target in (
            ("overview_first_render_s", "app: Overview first render", "≤ 3 s"),
            ("overview_filter_change_warm_s", "app: Overview filter change", "≤ 0.5 s"),
            ("segments_first_render_s", "app: Segments first render", "≤ 3 s"),
            ("peak_rss_mb", "app: peak memory (MB)", "< 1024 MB"),
        ):
            row(name, [f"{r[b]['app'][key]}" for b in backends], target)
        for page in r[backends[0]]["app"].get("pages_first_render_s", {}):
            row(
                f"app: {page.capitalize()} first render",
                [f"{r[b]['app']['pages_first_render_s'][page]}" for b in backends],
                "≤ 3 s",
            )
    verdicts = []
    for b in backends:
        differ = r[b]["disagreements_with_duckdb"]
        verdicts.append(f"{b}: " + ("all agree" if not any(differ.values()) else str(differ)))
    agree = ", ".join(verdicts)
    rows.append("")
    rows.append(f"KPIs against the DuckDB yardstick ({', '.join(COMPARED)}): {agree}.")
    if "excel_import" in r:
        e = r["excel_import"]
        rows.append(
            f"Excel import of {e['rows']:,} invoices (.xlsx, date cells): {e['s']} s "
            f"(target < 5 s), peak {e['peak_rss_mb']:.0f} MB."
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
