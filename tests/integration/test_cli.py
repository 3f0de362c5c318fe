"""The ``encaisse`` command line, run as a user runs it (a separate process)."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from dashboard.metrics import KPI_KEYS
from tests.conftest import FIXTURES, write


def run(db: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ENCAISSE_DB_URL": db}
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_import_batches_kpis_and_undo(tmp_path, db_url):
    db = db_url
    assert run(db, "init").returncode == 0
    ok = run(db, "import", "invoices", str(FIXTURES / "factures_fr_cp1252.csv"))
    assert ok.returncode == 0, ok.stderr
    assert "4 added" in ok.stdout
    bad = write(
        tmp_path,
        "bad.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\nX,C1,2024-13-01,2024-01-31,10\n",
    )
    refused = run(db, "import", "invoices", str(bad))
    assert refused.returncode == 2
    assert (
        "row 2, column 'issue_date'" in refused.stderr and "nothing was written" in refused.stderr
    )
    batches = json.loads(run(db, "batches", "--json").stdout)
    assert len(batches) == 1
    assert {"id", "kind", "file", "rows", "imported_at"} <= set(batches[0])
    out = run(db, "kpis", "--from", "2024-01-01", "--to", "2024-03-31", "--json")
    k = json.loads(out.stdout)
    assert tuple(k) == KPI_KEYS
    assert k["credit_sales"] == 13334.46 and k["currency"] == "EUR"
    assert set(k["aging"]) == {"current", "d1_30", "d31_60", "d61_90", "d90_plus"}
    assert set(k["survey_responses"]) == {"csat", "nps", "ces"}
    undo = run(db, "batches", "delete", str(batches[0]["id"]))
    assert undo.returncode == 0 and "4 invoices" in undo.stdout
    assert json.loads(run(db, "batches", "--json").stdout) == []


def test_kpis_default_period_and_filters(tmp_path, db_url):
    db = db_url
    run(db, "import", "ledger", str(FIXTURES / "ledger_en.xlsx"))
    k = json.loads(run(db, "kpis", "--json").stdout)
    assert (k["from"], k["to"]) == ("2023-12-01", "2024-02-28")  # latest date, 89 days back
    smb = json.loads(
        run(db, "--db", db, "kpis", "--segment", "SMB", "--to", "2024-02-29", "--json").stdout
    )
    assert smb["credit_sales"] == 325.25
    text = run(db, "kpis", "--to", "2024-02-29")
    assert "DSO" in text.stdout and text.returncode == 0


def test_kpis_json_loads_no_pandas(db_url):
    """``kpis --json``, filtered or not, answers from the metric layer alone: pandas (0.25 s
    and 70 MB at start-up) is for the app, the imports and the reports (and for building the
    columnar copy, which the first read after an import does and saves)."""
    run(db_url, "import", "ledger", str(FIXTURES / "ledger_en.xlsx"))
    assert run(db_url, "kpis", "--json").returncode == 0
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['encaisse', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('dashboard.cli.main', run_name='__main__')\n"
        "finally:\n"
        "    print('pandas' in sys.modules, file=sys.stderr)\n"
    )
    for filters in ([], ["--segment", "SMB"]):
        out = subprocess.run(
            [sys.executable, "-c", probe, "kpis", "--to", "2024-02-29", *filters, "--json"],
            capture_output=True,
            text=True,
            env={**os.environ, "ENCAISSE_DB_URL": db_url},
            timeout=120,
        )
        assert json.loads(out.stdout)["currency"] == "EUR", out.stderr
        assert out.stderr.strip().splitlines()[-1] == "False", (filters, out.stderr)


def test_dry_run_and_map(tmp_path, db_url):
    db = db_url
    path = write(
        tmp_path, "odd.csv", "Ref,Client,Billed,Pay by,Total\nX,C1,2024-01-01,2024-01-31,10\n"
    )
    refused = run(db, "import", "invoices", str(path))
    assert (
        refused.returncode == 2
        and "column 'invoice_id': required column is missing" in refused.stderr
    )
    args = [
        "import",
        "invoices",
        str(path),
        "--map",
        "Ref=invoice_id",
        "--map",
        "Billed=issue_date",
        "--map",
        "Pay by=due_date",
    ]
    dry = run(db, *args, "--dry-run")
    assert dry.returncode == 0 and "Would write: 1 added" in dry.stdout
    assert json.loads(run(db, "batches", "--json").stdout) == []
    assert run(db, *args).returncode == 0
    assert len(json.loads(run(db, "batches", "--json").stdout)) == 1


def test_ibm_sample_through_the_cli(ibm_csv, db_url):
    db = db_url
    assert run(db, "import", "ledger", str(ibm_csv)).returncode == 0
    k = json.loads(run(db, "kpis", "--from", "2012-01-01", "--to", "2014-01-09", "--json").stdout)
    assert k["collected"] == 147703.18 and k["receivables"] == 0


def test_real_exports_with_the_flags_a_user_types(tmp_path, db_url):
    """--set, --terms, --profile and --reject-file on the command line; one header mapped twice
    is refused with a clear message."""
    db = db_url
    shop = str(FIXTURES / "exports" / "invoices_without_due_date.csv")
    twice = run(db, "import", "invoices", shop, "--map", "Customer=customer_id",
                "--map", "Customer=name", "--terms", "30")  # fmt: skip
    assert twice.returncode == 2
    assert "--map gives this header twice (customer_id and name)" in twice.stderr
    first = run(db, "import", "invoices", shop, "--terms", "30", "--profile", "shop")
    assert first.returncode == 0, first.stderr
    assert "Mapping remembered as 'shop': --terms 30" in first.stdout
    # next month's export, same headers: no flag needed, the report says why
    later = write(tmp_path, "shop2.csv", "Invoice No,Customer,Invoice Date,Amount (EUR)\n"
                  "INV-3,CUST-7,2024-02-15,99.00\n")  # fmt: skip
    again = run(db, "import", "invoices", str(later))
    assert again.returncode == 0, again.stderr
    assert "Remembered mapping 'shop' used" in again.stdout
    telco_like = write(tmp_path, "t.csv", "Customer ID,Satisfaction Score\nA-1,5\nA-2,oops\n")
    rejects = tmp_path / "rejects.csv"
    out = run(db, "import", "surveys", str(telco_like), "--set", "response_date=2022-09-30",
              "--reject-file", str(rejects))  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "1 row(s) refused and written to" in out.stdout
    assert "oops" in rejects.read_text(encoding="utf-8-sig")
    listed = json.loads(run(db, "batches", "--json").stdout)
    assert listed[0]["rejected"] == 1 and listed[0]["kind"] == "surveys"
    k = json.loads(run(db, "kpis", "--from", "2022-07-01", "--to", "2022-09-30", "--json").stdout)
    assert (k["csat"], k["survey_responses"]["csat"], k["written_off"]) == (100.0, 1, 0.0)
    bad = run(db, "import", "surveys", str(telco_like), "--set", "response_date")
    assert bad.returncode == 2 and "--set takes COLUMN=VALUE" in bad.stderr


def _fails(db: str, *args: str) -> str:
    out = run(db, *args)
    assert out.returncode == 3, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and out.stderr.startswith("encaisse: ")
    assert len(out.stderr.strip().splitlines()) == 1  # one line: what is wrong, how to fix it
    return out.stderr


def test_the_command_line_explains_instead_of_crashing(tmp_path):
    missing = tmp_path / "missing.db"
    for command in (["kpis"], ["batches"], ["audit"], ["users", "list"],
                    ["report", "-o", str(tmp_path / "k.xlsx")]):  # fmt: skip
        said = _fails(f"sqlite:///{missing}", *command)
        assert "no database at" in said and "encaisse init" in said
    assert not missing.exists()  # a command that reads never creates a database
    assert "not a path" in _fails(str(missing), "kpis")
    assert "sqlite:////" in _fails(str(missing), "init")  # the README's form, shown
    assert "is a folder" in _fails(f"sqlite:///{tmp_path}", "kpis")
    assert "folder" in _fails(f"sqlite:///{tmp_path}", "init")
    said = _fails("mysql://u:secret@host/db", "kpis")
    assert "no driver" in said and "secret" not in said  # a password is never shown
    said = _fails("postgresql://postgres:secret@127.0.0.1:1/test", "kpis")
    assert "cannot connect" in said and "secret" not in said
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert "no Encaisse schema" in _fails(f"sqlite:///{empty}", "kpis")
    with sqlite3.connect(empty) as conn:  # and no schema was written into it
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone() == (0,)


def test_a_read_only_command_on_a_server_database_without_schema(tmp_path):
    """PostgreSQL: `kpis` on a database without Encaisse's tables says so and creates none."""
    from tests.conftest import PG_ENV

    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} is not set (no PostgreSQL server for this run)")
    from sqlalchemy import create_engine, inspect, text

    from dashboard.storage.store import normalize_url

    admin = create_engine(normalize_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")
    name = f"encaisse_empty_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        assert "no Encaisse schema" in _fails(url, "kpis")
        empty = create_engine(normalize_url(url))
        assert inspect(empty).get_table_names() == []
        empty.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_an_unknown_segment_is_refused_with_the_known_ones(tmp_path, db_url):
    run(db_url, "import", "invoices", str(FIXTURES / "factures_fr_cp1252.csv"))
    out = run(db_url, "kpis", "--segment", "Retial", "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "unknown segment 'Retial'; known: Unassigned" in out.stderr


def test_every_option_says_what_it_means():
    from dashboard.cli.main import build_parser

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction):
                yield path, action

    missing = [f"{path} {a.dest}" for path, a in walk(build_parser(), "encaisse") if not a.help]
    assert missing == []
