"""The ``encaisse`` command line (SPEC.md section 4)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path

from sqlalchemy import Engine

from dashboard import metrics
from dashboard.auth import accounts
from dashboard.core import resources
from dashboard.storage import store
from data_loaders.kinds import KINDS

EXIT_REFUSED = 2  # a file refused (SPEC.md section 4)
EXIT_USAGE = 2  # an option the data cannot answer (like argparse's own errors)
EXIT_STORE = 3  # a database the command cannot use


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


def _setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("--set takes COLUMN=VALUE, e.g. --set survey_type=nps")
    column, value = text.split("=", 1)
    return column.strip(), value.strip()


def _days(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 3650:
        raise argparse.ArgumentTypeError(f"--terms takes a number of days (0-3650): {text!r}")
    return int(text)


def view_options(parser: argparse.ArgumentParser) -> None:
    """The period and filters of a view (kpis, report)."""
    parser.add_argument(
        "--from",
        dest="start",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first day of the period (default: 89 days before --to)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day, the as-of date (default: the latest invoice or payment date)",
    )
    for name in ("segment", "region", "collector"):
        parser.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar=name.upper(),
            help=f"only the customers of this {name} (repeat for several; default: all)",
        )


def build_parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="database URL, sqlite:////absolute/path/encaisse.db or "
        "postgresql://user@host:5432/database (default: $ENCAISSE_DB_URL, else an SQLite "
        "file in your user data folder)",
    )
    p = argparse.ArgumentParser(
        prog="encaisse",
        parents=[db],
        description="Collection performance and customer satisfaction.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", parents=[db], help="create or upgrade the database schema")

    demo = sub.add_parser("demo", parents=[db], help="load a realistic synthetic dataset")
    demo.add_argument(
        "--seed", type=int, default=7, help="random seed: the same seed, the same data (default 7)"
    )
    demo.add_argument(
        "--customers", type=int, default=300, help="number of customers (default 300)"
    )
    demo.add_argument(
        "--months", type=int, default=24, help="months of history before --end (default 24)"
    )
    demo.add_argument(
        "--end", type=_date, default=None, help="last day of the data, YYYY-MM-DD (default: today)"
    )

    imp = sub.add_parser("import", parents=[db], help="import a CSV or Excel file")
    imp.add_argument(
        "kind",
        choices=list(KINDS),
        help="the file kind (each declared in data_loaders/kinds.py)",
    )
    imp.add_argument("path", help="the file: .csv, .txt, .tsv or .xlsx")
    imp.add_argument("--sheet", default=None, help="Excel sheet name (default: the first)")
    imp.add_argument(
        "--map",
        dest="mapping",
        action="append",
        type=_mapping,
        default=[],
        metavar="'Header=column'",
        help="name the column a header holds (in a survey file also csat, nps or ces)",
    )
    imp.add_argument(
        "--set",
        dest="fixed",
        action="append",
        type=_setting,
        default=[],
        metavar="COLUMN=VALUE",
        help="give a column the file lacks one value for every row "
        "(--set survey_type=nps, --set response_date=2022-09-30)",
    )
    imp.add_argument(
        "--terms",
        type=_days,
        default=None,
        metavar="DAYS",
        help="invoices without a due date: due the customer's payment terms after issue, else DAYS",
    )
    imp.add_argument(
        "--profile",
        default=None,
        metavar="NAME",
        help="remember this file's --map, --set and --terms as NAME (alone: use NAME); a later "
        "file with the same headers uses them without flags",
    )
    imp.add_argument(
        "--reject-file",
        default=None,
        metavar="PATH",
        help="commit the valid rows and write every refused row, with its problem, to PATH "
        "(CSV); without it a file with any bad row writes nothing",
    )
    imp.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    imp.add_argument("--user", default=None, help="who imports (default: the login name)")

    bat = sub.add_parser("batches", parents=[db], help="list import batches, or undo one")
    bat.add_argument("--json", action="store_true", help="print the list as JSON")
    bsub = bat.add_subparsers(dest="action")
    dele = bsub.add_parser("delete", parents=[db], help="undo one batch")
    dele.add_argument("id", type=int, help="the batch's number, as `encaisse batches` lists it")
    dele.add_argument("--user", default=None, help="who undoes it (default: the login name)")

    users = sub.add_parser("users", parents=[db], help="manage who may sign in")
    usub = users.add_subparsers(dest="action", required=True)
    add = usub.add_parser(
        "add",
        parents=[db],
        help="add a user (password from standard input when it is not a terminal, else prompted)",
    )
    add.add_argument("name", help="the name the user signs in with")
    add.add_argument("--role", required=True, choices=accounts.ROLES, help="what the user may do")
    usub.add_parser("list", parents=[db], help="list users").add_argument(
        "--json", action="store_true", help="print the list as JSON"
    )
    usub.add_parser("remove", parents=[db], help="remove a user").add_argument(
        "name", help="the user's sign-in name"
    )
    usub.add_parser("passwd", parents=[db], help="change a user's password").add_argument(
        "name", help="the user's sign-in name"
    )
    role = usub.add_parser("role", parents=[db], help="change a user's role")
    role.add_argument("name", help="the user's sign-in name")
    role.add_argument("role", choices=accounts.ROLES, help="the new role")

    aud = sub.add_parser("audit", parents=[db], help="who did what: imports, undos, settings")
    aud.add_argument("--limit", type=int, default=50, help="newest events shown (default 50)")
    aud.add_argument("--json", action="store_true", help="print the events as JSON")

    rep = sub.add_parser("report", parents=[db], help="write the leadership KPI pack (.xlsx)")
    rep.add_argument(
        "-o", "--output", required=True, metavar="FILE.xlsx", help="the workbook to write"
    )
    view_options(rep)
    rep.add_argument(
        "--lang", choices=["en", "fr"], default="en", help="language of the pack (default en)"
    )

    k = sub.add_parser("kpis", parents=[db], help="compute the KPIs")
    view_options(k)
    k.add_argument(
        "--json", action="store_true", help="print one JSON object (the keys of SPEC.md)"
    )

    work = sub.add_parser(
        "worklist", parents=[db], help="who to contact first: overdue customers by priority"
    )
    work.add_argument(
        "--as-of",
        dest="end",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date of the list (default: the latest invoice or payment date)",
    )
    for name in ("collector", "segment"):
        work.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar=name.upper(),
            help=f"only the customers of this {name} (repeat for several; default: all)",
        )
    work.add_argument(
        "--limit", type=int, default=None, metavar="N", help="the N first (default: all)"
    )
    work.add_argument(
        "--json",
        action="store_true",
        help="print a list of objects (customer_id, priority, payer_score, overdue, "
        "suggested_channel, why, and the figures behind them)",
    )

    fc = sub.add_parser("forecast", parents=[db], help="expected cash per week, or its backtest")
    fc.add_argument(
        "--as-of",
        dest="end",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date of the forecast (default: the latest invoice or payment date)",
    )
    fc.add_argument(
        "--weeks",
        type=int,
        default=None,
        metavar="N",
        help="weeks ahead (default 13; with --backtest, 4)",
    )
    fc.add_argument(
        "--backtest",
        action="store_true",
        help="forecasts made at each of the last 26 week-ends against what came in, beside "
        "the naive forecast (every invoice paid on its due date)",
    )
    fc.add_argument("--json", action="store_true", help="print SPEC.md's JSON object")

    legal = sub.add_parser(
        "legal-table",
        parents=[db],
        help="the management report's table of article D.441-6 (receivables past due at the "
        "year end)",
    )
    legal.add_argument("--year", type=int, required=True, metavar="YYYY", help="the fiscal year")
    legal.add_argument(
        "--year-end",
        default=None,
        metavar="MM-DD",
        help="the last day of the fiscal year, in that year (default 12-31)",
    )
    legal.add_argument("--json", action="store_true", help="print SPEC.md's JSON object")
    legal.add_argument(
        "-o", "--output", default=None, metavar="FILE.xlsx", help="also write it as a workbook"
    )
    legal.add_argument(
        "--lang",
        choices=["fr", "en"],
        default="fr",
        help="language of the workbook (default fr, as the management report needs it)",
    )

    pen = sub.add_parser(
        "penalties",
        parents=[db],
        help="French late-payment penalties and the 40 EUR indemnity of business customers",
    )
    pen.add_argument(
        "--as-of",
        dest="end",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date of the figures (default: the latest invoice or payment date)",
    )
    pen.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="PCT",
        help="the contract's yearly rate in %% (default: the setting penalty_rate_pct, else "
        "the legal rate: ECB main refinancing rate + 10 points)",
    )
    pen.add_argument("--json", action="store_true", help="print SPEC.md's JSON object")

    serve = sub.add_parser("serve", parents=[db], help="start the dashboard")
    serve.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    serve.add_argument(
        "--address",
        default=None,
        help="interface to listen on (default 127.0.0.1, from "
        ".streamlit/config.toml; 0.0.0.0 for every interface)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = getattr(args, "db", None)
    handler = {
        "init": cmd_init,
        "demo": cmd_demo,
        "import": cmd_import,
        "batches": cmd_batches,
        "kpis": cmd_kpis,
        "serve": cmd_serve,
        "users": cmd_users,
        "audit": cmd_audit,
        "report": cmd_report,
        "worklist": cmd_worklist,
        "forecast": cmd_forecast,
        "legal-table": cmd_legal_table,
        "penalties": cmd_penalties,
    }[args.command]
    try:
        return handler(args, url) or 0
    except store.StoreError as exc:
        print(f"encaisse: {exc}", file=sys.stderr)
        return EXIT_STORE


def _engine(url: str | None) -> Engine:
    """The store, created or upgraded first (commands that write)."""
    return store.open_store(url)


def _existing(url: str | None) -> Engine:
    """The store as it is (commands that only read): never a new database or schema."""
    return store.open_existing(url)


def cmd_init(args, url) -> int:
    engine = _engine(url)
    print(f"Schema ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args, url) -> int:
    from dashboard.demo.data import load_demo

    engine = _engine(url)
    summary = load_demo(
        engine, seed=args.seed, customers=args.customers, months=args.months, end=args.end
    )
    print("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    return 0


def cmd_import(args, url) -> int:
    from data_loaders.importer import import_file
    from data_loaders.problems import ImportRefused

    engine = _engine(url)
    try:
        report = import_file(
            engine,
            args.kind,
            args.path,
            sheet=args.sheet,
            mapping=args.mapping,  # pairs: a header given twice is reported, not overwritten
            fixed=dict(args.fixed),
            terms_days=args.terms,
            reject_file=args.reject_file,
            profile=args.profile,
            dry_run=args.dry_run,
            user=args.user,
        )
    except ImportRefused as exc:
        print(exc.report.text(), file=sys.stderr)
        return EXIT_REFUSED
    print(report.text())
    return 0


def cmd_batches(args, url) -> int:
    engine = _engine(url) if args.action == "delete" else _existing(url)
    if args.action == "delete":
        try:
            removed = store.delete_batch(engine, args.id, args.user or _login())
        except KeyError:
            print(f"No batch {args.id}.", file=sys.stderr)
            return 1
        total = sum(removed.values())
        detail = ", ".join(f"{n} {t}" for t, n in removed.items() if n)
        print(
            f"Batch {args.id} undone: {total} row(s) removed" + (f" ({detail})." if detail else ".")
        )
        return 0
    batches = store.list_batches(engine)
    if args.json:
        print(json.dumps(batches, indent=2))
        return 0
    if not batches:
        print("No batches yet.")
    for b in batches:
        print(
            f"{b['id']:>5}  {b['imported_at'][:19]}  {b['kind']:<9}  {b['file']}  "
            f"rows={b['rows']} added={b['added']} replaced={b['replaced']} "
            f"unchanged={b['unchanged']}"
            + (f" refused={b['rejected']}" if b["rejected"] else "")
            + f"  by {b['imported_by']}"
        )
    return 0


def _login() -> str:
    """Who runs the command: the operating system's login name."""
    return getpass.getuser()


def _view(args, engine: Engine) -> tuple[metrics.Period, metrics.Filters] | None:
    period = metrics.default_period(engine, args.start, args.end)
    if period.start > period.end:
        print("encaisse: --from is after --to", file=sys.stderr)
        return None
    asked = {"segment": args.segment, "region": args.region, "collector": args.collector}
    if any(asked.values()):
        from dashboard.metrics.tables import filter_options

        known = filter_options(engine)
        for name, values in asked.items():
            unknown = [v for v in values if v not in known[name]]
            if unknown:
                listed = ", ".join(known[name]) or "none"
                print(
                    f"encaisse: unknown {name} {', '.join(map(repr, unknown))}; known: {listed}",
                    file=sys.stderr,
                )
                return None
    return period, metrics.Filters(tuple(args.segment), tuple(args.region), tuple(args.collector))


def cmd_kpis(args, url) -> int:
    engine = _existing(url)
    view = _view(args, engine)
    if view is None:
        return EXIT_USAGE
    result = metrics.kpis(engine, *view)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(format_kpis(result))
    return 0


def cmd_worklist(args, url) -> int:
    from dashboard.metrics import worklist

    engine = _existing(url)
    args.start, args.region = None, []
    view = _view(args, engine)
    if view is None:
        return EXIT_USAGE
    period, filters = view
    rows = worklist.build(engine, period.end, filters, args.limit)
    out = [
        {
            **{k: v for k, v in r.items() if k not in ("reasons", "advice")},
            "why": worklist.why_text(r["reasons"] + r["advice"]),
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(f"Worklist at {period.end}: {len(out)} customer(s) with an overdue balance, by priority")
    print(worklist.PRIORITY_FORMULA["en"])
    print(worklist.SCORE_FORMULA["en"])
    for r in out:
        score = "—" if r["payer_score"] is None else f"{r['payer_score']:.0f}"
        print(
            f"{r['priority']:6.1f}  {r['customer_id']:<12} {r['overdue']:>14,.2f}  score "
            f"{score:>3}  {r['suggested_channel']:<13} {r['tone']:<12} {r['why']}"
        )
    return 0


def cmd_forecast(args, url) -> int:
    from dashboard.metrics import forecast

    engine = _existing(url)
    as_of = args.end or metrics.default_period(engine, None, None).end
    if args.weeks is not None and not 1 <= args.weeks <= 104:
        print("encaisse: --weeks must be between 1 and 104", file=sys.stderr)
        return EXIT_USAGE
    if args.backtest:
        result = forecast.backtest(engine, as_of, args.weeks or 4)
        if args.json:
            print(json.dumps(result, indent=2))
            return 0
        pct = "{:.1f}%".format
        print(f"Backtest to {as_of}: {len(result['points'])} forecast weeks")
        print(
            "weighted error: forecast "
            + (pct(result["mape"]) if result["mape"] is not None else "—")
            + ", naive (paid on the due date) "
            + (pct(result["naive_mape"]) if result["naive_mape"] is not None else "—")
        )
        return 0
    result = forecast.forecast(engine, as_of, args.weeks or forecast.WEEKS)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Expected cash from {as_of}, by week")
    print(result["rule"])
    for w in result["weeks"]:
        print(f"{w['week_start']}  {w['expected']:>16,.2f}")
    return 0


def cmd_legal_table(args, url) -> int:
    from dashboard.metrics import legal

    engine = _existing(url)
    try:
        end = legal.year_end(args.year, args.year_end)
    except ValueError:
        print("encaisse: --year-end must be a day of the year as MM-DD, such as 06-30",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    table = legal.legal_table(engine, end)
    if args.output:
        from dashboard.presentation.legal_table import write_legal_table

        Path(args.output).write_bytes(write_legal_table(table, args.lang))
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(f"Invoices issued, unpaid at {end} and past due (article D.441-6)")
    print(f"sales of the year {table['fiscal_year_start']} to {end}: {table['sales']:,.2f}")
    for b in [*table["bands"], {**table["total"], "band": "total"}]:
        pct = "—" if b["pct_of_sales"] is None else f"{b['pct_of_sales']:.2f}%"
        print(f"{b['band']:<9} {b['invoices']:>7} {b['amount']:>16,.2f} {pct:>8}")
    d = table["disputed"]
    print(f"disputed, left out: {d['invoices']} invoice(s), {d['amount']:,.2f}")
    print(table["terms_reference"])
    return 0


def cmd_penalties(args, url) -> int:
    from dashboard.metrics import penalties

    engine = _existing(url)
    as_of = args.end or metrics.default_period(engine, None, None).end
    result = penalties.penalties(engine, as_of, args.rate)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Late-payment penalties at {as_of} ({result['rate_source']})")
    for c in result["customers"]:
        print(f"{c['customer_id']:<14} {c['penalty']:>14,.2f} {c['indemnity']:>10,.2f}")
    print(
        f"total: penalties {result['total_penalty']:,.2f}, indemnities "
        f"{result['total_indemnity']:,.2f} ({len(result['invoices'])} invoice(s))"
    )
    if result["terms_over_cap"]:
        print(f"{len(result['terms_over_cap'])} invoice(s) with terms over the legal caps")
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


def read_password(prompt: str = "Password: ") -> str:
    """From standard input when it is not a terminal (scripts), else prompted twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise accounts.AuthError("the two passwords differ")
    return first


def cmd_users(args, url) -> int:
    engine = _existing(url) if args.action == "list" else _engine(url)
    try:
        if args.action == "list":
            users = accounts.list_users(engine)
            if args.json:
                print(json.dumps(users, indent=2))
            elif not users:
                print("No users: the dashboard is open to anyone who reaches it.")
            else:
                for u in users:
                    print(
                        f"{u['name']:<30} {u['role']:<9} added {u['created_at'][:10]} "
                        f"by {u['created_by']}"
                    )
        elif args.action == "add":
            accounts.add_user(engine, args.name, read_password(), args.role, _login())
            print(f"User {args.name} added ({args.role}).")
        elif args.action == "remove":
            accounts.remove_user(engine, args.name, _login())
            print(f"User {args.name} removed.")
        elif args.action == "passwd":
            accounts.set_password(engine, args.name, read_password("New password: "), _login())
            print(f"Password of {args.name} changed.")
        elif args.action == "role":
            accounts.set_role(engine, args.name, args.role, _login())
            print(f"User {args.name} is now {args.role}.")
    except accounts.AuthError as exc:
        print(f"encaisse users: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_audit(args, url) -> int:
    events = store.audit_log(_existing(url), args.limit)
    if args.json:
        print(json.dumps(events, indent=2, ensure_ascii=False))
        return 0
    for e in events:
        print(f"{e['at'][:19]}  {e['actor']:<20} {e['action']:<13} {e['detail']}")
    return 0


def cmd_report(args, url) -> int:
    from dashboard.presentation.kpi_pack import write_report

    engine = _existing(url)
    view = _view(args, engine)
    if view is None:
        return EXIT_USAGE
    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        print("the KPI pack is an Excel workbook: name it FILE.xlsx", file=sys.stderr)
        return 1
    out.write_bytes(write_report(engine, *view, lang=args.lang))
    print(f"KPI pack written to {out} ({view[0].start} to {view[0].end}).")
    return 0


def cmd_serve(args, url) -> int:
    env = dict(os.environ)
    if url:
        env["ENCAISSE_DB_URL"] = url
    # The shipped production settings as options, so that they hold wherever Encaisse is
    # installed and whatever folder it is started from.
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(resources.server_entry()),
        *resources.streamlit_flags(),
        f"--server.port={args.port}",
    ]
    if args.address:
        cmd.append(f"--server.address={args.address}")
    # Become the Streamlit server (no child process): stopping `encaisse serve` stops it.
    os.execve(sys.executable, cmd, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
