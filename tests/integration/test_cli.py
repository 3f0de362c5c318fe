"""The ``encaisse`` command line, run as a user runs it (a separate process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
