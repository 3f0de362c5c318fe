"""The ``encaisse`` command line (SPEC.md section 4)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from dashboard import metrics, store

EXIT_REFUSED = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _mapping(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("--map takes 'Source header=column'")
    header, column = text.rsplit("=", 1)
    return header.strip(), column.strip()


def build_parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", default=argparse.SUPPRESS, metavar="URL",
                    help="database URL (default: $ENCAISSE_DB_URL, else a local SQLite file)")
    p = argparse.ArgumentParser(prog="encaisse", parents=[db],
                                description="Collection performance and customer satisfaction.")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", parents=[db], help="create or upgrade the database schema")

    demo = sub.add_parser("demo", parents=[db], help="load a realistic synthetic dataset")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--customers", type=int, default=300)
    demo.add_argument("--months", type=int, default=24)
    demo.add_argument("--end", type=_date, default=None,
                      help="last day of the data (default: today)")

    imp = sub.add_parser("import", parents=[db], help="import a CSV or Excel file")
    imp.add_argument("kind", choices=["customers", "invoices", "payments", "ledger", "actions",
                                      "reasons", "surveys", "costs"])
    imp.add_argument("path")
    imp.add_argument("--sheet", default=None, help="Excel sheet name (default: the first)")
    imp.add_argument("--map", dest="mapping", action="append", type=_mapping, default=[],
                     metavar="'Header=column'", help="name the column a header holds")
    imp.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    imp.add_argument("--user", default=None, help="who imports (default: the login name)")

    bat = sub.add_parser("batches", parents=[db], help="list import batches, or undo one")
    bat.add_argument("--json", action="store_true")
    bsub = bat.add_subparsers(dest="action")
    dele = bsub.add_parser("delete", parents=[db], help="undo one batch")
    dele.add_argument("id", type=int)

    k = sub.add_parser("kpis", parents=[db], help="compute the KPIs")
    k.add_argument("--from", dest="start", type=_date, default=None)
    k.add_argument("--to", dest="end", type=_date, default=None)
    k.add_argument("--segment", action="append", default=[])
    k.add_argument("--region", action="append", default=[])
    k.add_argument("--collector", action="append", default=[])
    k.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", parents=[db], help="start the dashboard")
    serve.add_argument("--port", type=int, default=8501)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = getattr(args, "db", None)
    handler = {"init": cmd_init, "demo": cmd_demo, "import": cmd_import,
               "batches": cmd_batches, "kpis": cmd_kpis, "serve": cmd_serve}[args.command]
    return handler(args, url) or 0


def _engine(url: str | None) -> Engine:
    return store.open_store(url)


def cmd_init(args, url) -> int:
    engine = _engine(url)
    print(f"Schema ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args, url) -> int:
    from dashboard.demo import load_demo

    engine = _engine(url)
    summary = load_demo(engine, seed=args.seed, customers=args.customers, months=args.months,
                        end=args.end)
    print("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    return 0


def cmd_import(args, url) -> int:
    from data_loaders.importer import import_file
    from data_loaders.report import ImportRefused

    engine = _engine(url)
    try:
        report = import_file(engine, args.kind, args.path, sheet=args.sheet,
                             mapping=dict(args.mapping), dry_run=args.dry_run, user=args.user)
    except ImportRefused as exc:
        print(exc.report.text(), file=sys.stderr)
        return EXIT_REFUSED
    print(report.text())
    return 0


def cmd_batches(args, url) -> int:
    engine = _engine(url)
    if args.action == "delete":
        try:
            removed = store.delete_batch(engine, args.id)
        except KeyError:
            print(f"No batch {args.id}.", file=sys.stderr)
            return 1
        total = sum(removed.values())
        detail = ", ".join(f"{n} {t}" for t, n in removed.items() if n)
        print(f"Batch {args.id} undone: {total} row(s) removed" + (f" ({detail})." if detail
                                                                     else "."))
        return 0
    batches = store.list_batches(engine)
    if args.json:
        print(json.dumps(batches, indent=2))
        return 0
    if not batches:
        print("No batches yet.")
    for b in batches:
        print(f"{b['id']:>5}  {b['imported_at'][:19]}  {b['kind']:<9}  {b['file']}  "
              f"rows={b['rows']} added={b['added']} replaced={b['replaced']} "
              f"unchanged={b['unchanged']}  by {b['imported_by']}")
    return 0


def cmd_kpis(args, url) -> int:
    engine = _engine(url)
    period = metrics.default_period(engine, args.start, args.end)
    if period.start > period.end:
        print("--from is after --to", file=sys.stderr)
        return 1
    filters = metrics.Filters(tuple(args.segment), tuple(args.region), tuple(args.collector))
    result = metrics.kpis(engine, period, filters)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(format_kpis(result))
    return 0


def format_kpis(result: dict) -> str:
    cur = result["currency"]
    lines = [f"KPIs from {result['from']} to {result['to']} ({cur})"]
    for name, m in metrics.METRICS.items():
        v = result.get(name)
        unit = {"EUR": f" {cur}", "%": " %", "days": " days", "score": ""}[m.unit]
        shown = "n/a" if v is None else f"{v:,.2f}{unit}"
        lines.append(f"  {m.label:<32} {shown}")
    lines.append("  Aging: " + ", ".join(f"{k} {v:,.2f}" for k, v in result["aging"].items()))
    for o in result["owners"]:
        lines.append(f"  Owner {o['owner']:<24} {o['invoices']} invoices, {o['amount']:,.2f}")
    return "\n".join(lines)


def cmd_serve(args, url) -> int:
    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    env = dict(os.environ)
    if url:
        env["ENCAISSE_DB_URL"] = url
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port)]
    return subprocess.call(cmd, env=env, cwd=app.parent.parent)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
