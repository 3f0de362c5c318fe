"""SPEC.md section 3 written out literally in pandas: an independent oracle for the metric layer.

It reads the demo generator's source frames (not the database), so it checks the importers and
the SQL together. Deliberately naive: per-invoice Python where that is clearest.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

OWNER_OF = {
    "invoice_not_received": "Billing (ADV)",
    "invoice_error": "Billing (ADV)",
    "wrong_contact": "Billing (ADV)",
    "missing_po": "Sales",
    "quality_dispute": "Sales",
    "price_dispute": "Sales",
    "delivery_issue": "Logistics",
    "payment_not_applied": "Accounting",
    "cash_difficulty": "Customer",
    "approval_workflow": "Customer",
    "forgotten": "Customer",
    "payment_failed": "Customer",
    "other": "Credit & Collections",
}


def _cents(x) -> int:
    return int(round(float(x) * 100))


def reference_kpis(
    frames: dict[str, pd.DataFrame],
    f: dt.date,
    t: dt.date,
    segments: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
) -> dict:
    cust = frames["customers"]
    sel = cust
    if segments:
        sel = sel[sel["segment"].isin(segments)]
    if regions:
        sel = sel[sel["region"].isin(regions)]
    ids = set(sel["customer_id"])
    inv = frames["invoices"][frames["invoices"]["customer_id"].isin(ids)].copy()
    inv["cents"] = inv["amount"].map(_cents)
    pay = frames["payments"][frames["payments"]["invoice_id"].isin(set(inv["invoice_id"]))].copy()
    pay["cents"] = pay["amount"].map(_cents)
    done = pay[pay["status"] == "completed"]
    by_inv = {k: g for k, g in done.groupby("invoice_id")}
    days = (t - f).days + 1
    fm1 = f - dt.timedelta(days=1)

    def paid(i, upto):
        g = by_inv.get(i)
        return 0 if g is None else int(g.loc[g["payment_date"] <= upto, "cents"].sum())

    def receivables(upto, due_from=None):
        total = 0
        for row in inv.itertuples():
            if row.issue_date > upto or (due_from is not None and row.due_date < due_from):
                continue
            total += max(0, row.cents - paid(row.invoice_id, upto))
        return total

    rec_t, cur_t, rec_f = receivables(t), receivables(t, due_from=t), receivables(fm1)
    sales = int(inv.loc[(inv["issue_date"] >= f) & (inv["issue_date"] <= t), "cents"].sum())
    collected = int(
        done.loc[(done["payment_date"] >= f) & (done["payment_date"] <= t), "cents"].sum()
    )
    owed = got = 0
    late_amount = late_weighted = 0
    for row in inv.itertuples():
        if row.due_date <= t and row.issue_date <= t:
            o = max(0, row.cents - paid(row.invoice_id, fm1))
            g = by_inv.get(row.invoice_id)
            during = (
                0
                if g is None
                else int(g.loc[(g["payment_date"] >= f) & (g["payment_date"] <= t), "cents"].sum())
            )
            owed += o
            got += min(o, during)
        g = by_inv.get(row.invoice_id)
        if g is not None:
            run = g.groupby("payment_date")["cents"].sum().sort_index().cumsum()
            hit = run[run >= row.cents - 1]
            if len(hit) and f <= hit.index[0] <= t:
                late_amount += row.cents
                late_weighted += row.cents * (hit.index[0] - row.due_date).days

    def pct(a, b):
        return None if not b else 100 * a / b

    acts = frames["actions"]
    acts = acts[
        acts["customer_id"].isin(ids) & (acts["action_date"] >= f) & (acts["action_date"] <= t)
    ]
    cost = sum(_cents(c) for c in acts["cost"])
    # shared costs (SPEC 3): a line's pool is its segment's customers (everyone without one);
    # a filter takes the selected customers' share, by actions in the month, else payments
    segment_of = dict(zip(cust["customer_id"], cust["segment"], strict=True))
    every_act = frames["actions"]
    every_pay = frames["payments"][frames["payments"]["status"] == "completed"].merge(
        frames["invoices"][["invoice_id", "customer_id"]], on="invoice_id"
    )
    for row in frames["costs"].itertuples():
        y, m = map(int, row.month.split("-"))
        n = calendar.monthrange(y, m)[1]
        lo, hi = max(f, dt.date(y, m, 1)), min(t, dt.date(y, m, n))
        if hi < lo:
            continue
        share = 1.0
        if segments or regions:
            share = 0.0
            line_segment = row.segment if isinstance(row.segment, str) and row.segment else None
            first, last = dt.date(y, m, 1), dt.date(y, m, n)
            for frame, date_col, weight in (
                (every_act, "action_date", None),
                (every_pay, "payment_date", "amount"),
            ):
                month = frame[(frame[date_col] >= first) & (frame[date_col] <= last)]
                if line_segment is not None:
                    month = month[month["customer_id"].map(segment_of) == line_segment]
                w = pd.Series(1, index=month.index) if weight is None else month[weight].map(_cents)
                if w.sum():
                    share = w[month["customer_id"].isin(ids)].sum() / w.sum()
                    break
        cost += _cents(row.amount) * ((hi - lo).days + 1) / n * share
    issued = inv[(inv["issue_date"] >= f) & (inv["issue_date"] <= t)]
    recs = pay[(pay["payment_date"] >= f) & (pay["payment_date"] <= t)]
    sur = frames["surveys"]
    sur = sur[
        sur["customer_id"].isin(ids) & (sur["response_date"] >= f) & (sur["response_date"] <= t)
    ]
    cs, np_, ce = (sur[sur["survey_type"] == k]["score"] for k in ("csat", "nps", "ces"))
    rea = frames["reasons"].merge(inv[["invoice_id", "cents", "due_date"]], on="invoice_id")
    rea = rea[(rea["due_date"] >= f) & (rea["due_date"] <= t)].copy()
    rea["owner"] = rea["reason"].map(OWNER_OF)
    owners = (
        rea.drop_duplicates(["owner", "invoice_id"]).groupby("owner")["cents"].agg(["count", "sum"])
    )
    dso = None if not sales else rec_t / sales * days
    best = None if not sales else cur_t / sales * days
    return {
        "receivables": rec_t / 100,
        "current": cur_t / 100,
        "overdue": (rec_t - cur_t) / 100,
        "credit_sales": sales / 100,
        "collected": collected / 100,
        "dso": dso,
        "best_possible_dso": best,
        "add": None if dso is None else dso - best,
        "cei": pct(rec_f + sales - rec_t, rec_f + sales - cur_t),
        "recovery_rate": pct(got, owed),
        "avg_days_late": None if not late_amount else late_weighted / late_amount,
        "collection_cost": round(cost / 100, 2),
        "cost_to_collect": pct(cost, collected),
        "dispute_rate": pct(int((issued["disputed"] == "yes").sum()), len(issued)),
        "payment_failure_rate": pct(int((recs["status"] != "completed").sum()), len(recs)),
        "csat": pct(int((cs >= 4).sum()), len(cs)),
        "nps": pct(int((np_ >= 9).sum()) - int((np_ <= 6).sum()), len(np_)),
        "ces": None if ce.empty else float(ce.mean()),
        "owners": {
            o: (int(r["count"]), round(int(r["sum"]) / 100, 2)) for o, r in owners.iterrows()
        },
    }


def reference_penalty(amount_cents: int, payments: list, due: dt.date, as_of: dt.date, rate_of):
    """SPEC section 4 read literally, in exact fractions: Σ over the days from due + 1 to the
    settlement day (payments reaching the amount within 0.01) or T of what was unpaid that
    day (a payment counts from the day after it) × the day's rate / 100 / 365; rounded to the
    cent, half to even. ``rate_of(day)`` gives the rate in percent. None: never a day late."""
    from fractions import Fraction

    payments = sorted(payments)
    settled, paid = None, 0
    for day, cents in payments:
        paid += cents
        if paid >= amount_cents - 1:
            settled = day
            break
    last = settled or as_of
    if last <= due:
        return None
    total, day = Fraction(0), due + dt.timedelta(days=1)
    while day <= last:
        unpaid = amount_cents - sum(c for d, c in payments if d < day)
        total += max(0, unpaid) * Fraction(str(rate_of(day))) / 100 / 365
        day += dt.timedelta(days=1)
    return round(total), (last - due).days
