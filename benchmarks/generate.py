"""A large canonical dataset for the benchmark, generated with numpy and written with Arrow.

Scales with ``invoices``: about 0.95 payment records, 0.33 actions, 0.1 reasons and 0.2 survey
answers per invoice, and one customer per 20 invoices, over the two years ending at ``end``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from dashboard.core.taxonomy import DEFAULT_REASONS

SEGMENTS = np.array(["Key accounts", "SMB", "Public sector", "Retail"])
REGIONS = np.array(["Île-de-France", "Nord-Est", "Sud-Est", "Ouest"])
CHANNELS = np.array(["email", "sms", "phone", "letter", "formal_notice"])
COSTS = np.array([0.25, 0.12, 6.5, 2.9, 14.0])
METHODS = np.array(["transfer", "direct_debit", "card", "check"])


def _dates(epoch: np.datetime64, days: np.ndarray) -> pa.Array:
    return pa.array((epoch + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(str))


def _write(path: Path, columns: dict) -> int:
    table = pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})
    pacsv.write_csv(table, path)
    return table.num_rows


# the kinds it writes a file for, in import order
WRITTEN = ("customers", "invoices", "payments", "actions", "reasons", "surveys", "costs")


def generate(folder: Path, invoices: int, end: dt.date, seed: int = 1) -> dict[str, Path]:
    """Write customers, invoices, payments, actions, reasons, surveys and costs CSV files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = np.datetime64(end - dt.timedelta(days=729))
    n_cust = max(50, invoices // 20)
    files = {k: folder / f"{k}.csv" for k in WRITTEN}
    cust_ids = np.char.add("C", np.arange(n_cust).astype(str))
    seg = rng.integers(0, 4, n_cust)
    reg = rng.integers(0, 4, n_cust)
    _write(
        files["customers"],
        {
            "customer_id": cust_ids,
            "name": np.char.add("Customer ", np.arange(n_cust).astype(str)),
            "segment": SEGMENTS[seg],
            "region": REGIONS[reg],
            "collector": np.char.add(
                "Collector ", (reg * 2 + rng.integers(0, 2, n_cust)).astype(str)
            ),
        },
    )

    ci = rng.integers(0, n_cust, invoices)
    issue = np.sort(rng.integers(0, 730, invoices))
    terms = rng.choice([30, 45, 60], invoices)
    due = issue + terms
    cents = np.maximum(100, np.round(rng.lognormal(np.log(150000), 0.9, invoices))).astype(np.int64)
    inv_ids = np.char.add("I", np.arange(invoices).astype(str))
    _write(
        files["invoices"],
        {
            "invoice_id": inv_ids,
            "customer_id": cust_ids[ci],
            "issue_date": _dates(start, issue),
            "due_date": _dates(start, due),
            "amount": cents / 100,
            "disputed": np.where(rng.random(invoices) < 0.05, "yes", "no"),
            "delivery_channel": rng.choice(["email", "paper", "portal"], invoices),
        },
    )

    late = np.round(rng.normal(6, 15, invoices)).astype(int)
    paid_day = np.maximum(issue + 1, due + late)
    paid = (rng.random(invoices) < 0.9) & (paid_day <= 729)
    failed = rng.random(invoices) < 0.05
    p_inv = np.concatenate([np.flatnonzero(paid), np.flatnonzero(failed)])
    p_day = np.concatenate([paid_day[paid], np.minimum(729, issue[failed] + terms[failed])])
    p_status = np.concatenate(
        [
            np.full(paid.sum(), "completed"),
            rng.choice(["failed", "incomplete", "input_error"], failed.sum()),
        ]
    )
    m = len(p_inv)
    _write(
        files["payments"],
        {
            "payment_id": np.char.add("P", np.arange(m).astype(str)),
            "invoice_id": inv_ids[p_inv],
            "payment_date": _dates(start, p_day),
            "amount": cents[p_inv] / 100,
            "method": METHODS[rng.integers(0, 4, m)],
            "status": p_status,
        },
    )

    a = int(invoices * 0.33)
    a_inv = rng.integers(0, invoices, a)
    ch = rng.integers(0, 5, a)
    _write(
        files["actions"],
        {
            "action_id": np.char.add("A", np.arange(a).astype(str)),
            "customer_id": cust_ids[ci[a_inv]],
            "invoice_id": inv_ids[a_inv],
            "action_date": _dates(start, np.minimum(729, due[a_inv] + rng.integers(1, 60, a))),
            "channel": CHANNELS[ch],
            "outcome": rng.choice(["promise_to_pay", "no_answer", "other"], a),
            "cost": COSTS[ch],
        },
    )

    r = int(invoices * 0.1)
    r_inv = rng.choice(invoices, r, replace=False)
    codes = np.array([c[0] for c in DEFAULT_REASONS])
    _write(
        files["reasons"],
        {"invoice_id": inv_ids[r_inv], "reason": codes[rng.integers(0, len(codes), r)]},
    )

    s = int(invoices * 0.2)
    kind = rng.choice(["csat", "nps", "ces"], s, p=[0.5, 0.3, 0.2])
    score = np.where(
        kind == "csat",
        rng.integers(1, 6, s),
        np.where(kind == "nps", rng.integers(0, 11, s), rng.integers(1, 8, s)),
    )
    _write(
        files["surveys"],
        {
            "response_id": np.char.add("S", np.arange(s).astype(str)),
            "customer_id": cust_ids[rng.integers(0, n_cust, s)],
            "response_date": _dates(start, rng.integers(0, 730, s)),
            "survey_type": kind,
            "score": score,
            "touchpoint": rng.choice(["Call", "Invoice", "Portal"], s),
        },
    )

    months = sorted({str(d)[:7] for d in (start + np.arange(0, 730, 15).astype("timedelta64[D]"))})
    cats = ["staff", "tools", "agency", "legal"]
    _write(
        files["costs"],
        {
            "month": [mo for mo in months for _ in cats],
            "category": cats * len(months),
            "amount": np.round(rng.uniform(500, 50000, len(months) * len(cats)), 2),
            "segment": [None if c in ("staff", "tools") else "SMB" for _ in months for c in cats],
        },
    )
    return files
