"""The worklist on a small ledger computed by hand, through the metric layer and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.cli.main import main
from dashboard.metrics import Filters
from dashboard.metrics.worklist import build
from data_loaders.importer import import_file
from tests.conftest import write

FILES = dict(
    customers="customer_id,name,segment,collector,preferred_channel\n"
    "C1,Alpha,Retail,Ann,letter\nC2,Beta,Retail,Bob,\nC3,Gamma,SMB,Ann,\n",
    invoices="invoice_id,customer_id,issue_date,due_date,amount,disputed\n"
    "A,C1,2024-03-01,2024-03-31,1000,no\nB,C1,2024-05-01,2024-05-31,500,no\n"
    "D,C2,2024-04-01,2024-05-01,2000,yes\nE,C3,2024-06-01,2024-07-01,300,no\n",
    payments="payment_id,invoice_id,payment_date,amount\nP1,A,2024-04-30,1000\n",
    actions="action_id,customer_id,invoice_id,action_date,channel,outcome\n"
    "a1,C1,B,2024-06-20,email,no_answer\n",
    reasons="invoice_id,reason,recorded_date\nD,price_dispute,2024-05-10\n",
)
T = dt.date(2024, 6, 30)


def load(engine, tmp_path) -> None:
    for kind in ("customers", "invoices", "payments", "actions", "reasons"):
        import_file(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]))


def test_overdue_customers_by_priority_with_channel_and_tone(engine, tmp_path):
    load(engine, tmp_path)
    rows = build(engine, T, Filters())
    assert [r["customer_id"] for r in rows] == ["C2", "C1"]  # C3 owes nothing overdue
    c2, c1 = rows
    # C2: the largest overdue (30), 60 days (16.7), no history (10), a dispute (5), never
    # contacted (10)
    assert c2["priority"] == pytest.approx(71.7)
    assert c2["payer_score"] is None and c2["open_disputes"] == 1
    assert (c2["suggested_channel"], c2["tone"]) == ("phone", "relationship")
    # C1: A paid 30 days late (−20), all its settled invoices late (−20): score 60;
    # 500 of 2000 (7.5) + 30 days (8.3) + score (8) + 10 days since the email (3.3)
    assert c1["payer_score"] == 60.0
    assert c1["priority"] == pytest.approx(27.2)
    assert (c1["suggested_channel"], c1["tone"]) == ("letter", "courteous")  # its preferred
    assert (c1["overdue"], c1["oldest_days_past_due"], c1["last_contact"]) == (
        500.0,
        30,
        "2024-06-20",
    )


def test_the_worklist_command_prints_spec_json(engine, tmp_path, capsys, db_url):
    load(engine, tmp_path)
    assert main(["worklist", "--db", db_url, "--as-of", "2024-06-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["customer_id"] for r in out] == ["C2", "C1"]
    for key in ("customer_id", "priority", "payer_score", "overdue", "suggested_channel", "why"):
        assert key in out[0]
    assert "dispute(s) open" in out[0]["why"]
    assert main(["worklist", "--db", db_url, "--as-of", "2024-06-30", "--collector", "Ann",
                 "--json"]) == 0  # fmt: skip
    assert [r["customer_id"] for r in json.loads(capsys.readouterr().out)] == ["C1"]
    assert main(["worklist", "--db", db_url, "--collector", "Zed"]) == 2  # unknown: refused


def test_payer_profiles_share_customers_and_receivables(engine, tmp_path):
    from dashboard.metrics.analytics import payer_profiles

    load(engine, tmp_path)
    table = payer_profiles(engine, T, Filters()).set_index("profile")
    # C1: 30 days late on average (late); C2: its one invoice disputed (disputing); C3 has
    # nothing settled and no dispute: no profile yet
    assert table["customers"].to_dict() == {
        "on_time": 0,
        "a_little_late": 0,
        "late": 1,
        "very_late": 0,
        "disputing": 1,
    }
    assert table.loc["late", "receivables_pct"] == pytest.approx(20.0)  # 500 of 2,500
    assert table.loc["disputing", "receivables_pct"] == pytest.approx(80.0)
    assert table.loc["late", "cost_per_100_collected"] == 0.0  # its e-mail cost nothing
    assert table.loc["late", "best_channel"] is None  # fewer than 10 reminders


def test_the_channel_that_brings_the_cash_in_by_hand_on_both_engines(engine, tmp_path, monkeypatch):
    """C1 (late) had ten e-mails about invoice A, paid on 30 April: six sent within the 14
    days before (16 April to 30 April, the day itself included), four earlier (1 to 15
    April), and the e-mail of 20 June about B, still unpaid: e-mail brought the cash in 6
    times out of 11. A call naming no invoice costs but
    counts no reminder of an invoice; a letter naming an invoice since undone counts, and
    never worked. The columnar copy and the database give the same table."""
    from dashboard.metrics import analytics, columnar, worklist
    from dashboard.storage.store import delete_batch

    load(engine, tmp_path)
    gone = "invoice_id,customer_id,issue_date,due_date,amount\nZZ,C1,2024-03-01,2024-03-31,10\n"
    gone_batch = import_file(engine, "invoices", write(tmp_path, "zz.csv", gone)).batch_id
    days = ["01", "05", "10", "15", "16", "18", "20", "25", "28", "30"]
    rows = "".join(f"e{d},C1,A,2024-04-{d},email,no_answer,0\n" for d in days)
    rows += "p1,C1,,2024-04-12,phone,no_answer,5\nl1,C1,ZZ,2024-04-12,letter,no_answer,1\n"
    head = "action_id,customer_id,invoice_id,action_date,channel,outcome,cost\n"
    import_file(engine, "actions", write(tmp_path, "more.csv", head + rows))
    delete_batch(engine, gone_batch)  # the letter's invoice undone: no live invoice ZZ
    tables = {}
    for choice in ("sql", "columnar"):
        monkeypatch.setenv("ENCAISSE_ENGINE", choice)
        tables[choice] = analytics.payer_profiles(engine, T, Filters()).set_index("profile")
        late = tables[choice].loc["late"]
        assert late["best_channel"] == "email", choice
        assert late["paid_within_14d_pct"] == pytest.approx(100 * 6 / 11), choice
        # 6 € of reminders (the call and the letter) for the 1,000 € collected from C1
        assert late["cost_per_100_collected"] == pytest.approx(0.6), choice
        filtered = analytics.payer_profiles(engine, T, Filters(("SMB",))).set_index("profile")
        assert filtered["customers"].sum() == 0 and filtered["best_channel"].isna().all()
    assert tables["sql"].equals(tables["columnar"])
    cols = columnar.columns_for(engine)
    assert {columnar.NO_INVOICE, columnar.UNKNOWN_INVOICE} <= set(cols.act_inv.tolist())
    start = T - dt.timedelta(days=worklist.WINDOW_DAYS - 1)
    profile = {
        w: analytics.profile_of(h) for w, h in worklist.histories(engine, T, Filters()).items()
    }
    worked = [
        dict(sums(engine, start, T, Filters(), profile)[2])
        for sums in (analytics._profile_sums_in_sql, analytics._profile_sums_from_columns)
    ]
    assert worked[0] == worked[1] == {("late", "email"): [6, 11], ("late", "letter"): [0, 1]}
