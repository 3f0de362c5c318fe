"""A realistic, deterministic demo dataset, loaded through the real importers.

The story it tells: four segments that pay differently (key accounts slow but loyal, SMBs short
of cash or forgetful, the public sector held up by purchase orders and approval circuits, retail
quick to dispute); paper invoices that never arrive until e-invoicing is rolled out eight months
before the end, so Billing's share of late euros shrinks; a card-payment path that fails far more
than the others; reminders that escalate from e-mail to agency, with their costs; and survey
scores that follow what each customer lived (late payments, disputes, formal notices).
"""

from __future__ import annotations

import calendar
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data_loaders.importer import import_file

SEGMENTS = {
    # name: share, invoices/month, mean amount, extra days late, dispute odds, base CSAT
    "Key accounts": (0.15, 5.0, 6200, 9, 0.04, 4.8),
    "SMB": (0.45, 1.4, 1100, 6, 0.05, 4.5),
    "Public sector": (0.15, 1.8, 3900, 22, 0.03, 4.6),
    "Retail": (0.25, 3.5, 650, 3, 0.14, 4.2),
}
REGIONS = {
    "Île-de-France": "Camille Martin",
    "Nord-Est": "Hugo Bernard",
    "Sud-Est": "Léa Dubois",
    "Ouest": "Nina Moreau",
}
INDUSTRIES = ["Manufacturing", "Wholesale", "Construction", "Healthcare", "Services", "Food"]
# cause: (segment weights for Key, SMB, Public, Retail), extra days late
CAUSES = {
    "invoice_not_received": ((3, 3, 2, 3), 18),
    "invoice_error": ((2, 2, 2, 2), 16),
    "wrong_contact": ((1, 1.5, 1, 1), 12),
    "missing_po": ((2, 0.5, 5, 0.5), 20),
    "quality_dispute": ((0.5, 1, 0.3, 4), 30),
    "price_dispute": ((1.5, 1, 0.5, 2.5), 25),
    "delivery_issue": ((1, 1, 0.5, 3), 14),
    "payment_not_applied": ((1, 0.7, 0.7, 0.7), 10),
    "cash_difficulty": ((0.3, 4, 0.1, 1.5), 28),
    "approval_workflow": ((4, 0.5, 5, 0.5), 15),
    "forgotten": ((1, 3, 0.5, 2), 9),
    "payment_failed": ((0.5, 1.5, 0.2, 1.5), 7),
    "other": ((0.5, 0.5, 0.5, 0.5), 8),
}
DISPUTE_CAUSES = {"quality_dispute", "price_dispute", "invoice_error"}
METHODS = {"transfer": 0.55, "direct_debit": 0.2, "card": 0.15, "check": 0.1}
FAIL_RATE = {"transfer": 0.02, "direct_debit": 0.04, "card": 0.22, "check": 0.03}
# channel, days after due, cost EUR
LADDER = [
    ("email", 3, 0.25),
    ("sms", 8, 0.12),
    ("phone", 15, 6.5),
    ("letter", 30, 2.9),
    ("formal_notice", 45, 14.0),
    ("agency", 75, 45.0),
]
COMMENTS = {
    "low": [
        "Relances trop agressives, nous payons toujours.",
        "Invoice never reached us.",
        "Facture erronée, il a fallu trois appels pour la corriger.",
        "Received a formal notice while the dispute was open.",
        "Le portail de paiement par carte échoue sans cesse.",
    ],
    "mid": [
        "Process OK, but the invoices arrive late.",
        "Correct, sans plus.",
        "Reminder was polite but the invoice copy was missing.",
        "Délai de résolution du litige un peu long.",
    ],
    "high": [
        "Très bon suivi, interlocuteur réactif.",
        "Clear invoices, easy portal.",
        "Always a friendly call before the due date.",
        "Rien à signaler, merci.",
    ],
}


def month_starts(end: dt.date, months: int) -> list[dt.date]:
    first = end.replace(day=1)
    out = []
    for k in range(months - 1, -1, -1):
        idx = first.year * 12 + first.month - 1 - k
        out.append(dt.date(idx // 12, idx % 12 + 1, 1))
    return out


def build(
    seed: int = 7, customers: int = 300, months: int = 24, end: dt.date | None = None
) -> dict[str, pd.DataFrame]:
    """Every file kind as a DataFrame with canonical columns; same seed, same data."""
    rng = np.random.default_rng(seed)
    end = end or dt.date.today()
    starts = month_starts(end, months)
    e_invoicing = starts[max(0, len(starts) - 8)]
    seg_names = list(SEGMENTS)

    # customers
    seg = rng.choice(seg_names, size=customers, p=[SEGMENTS[s][0] for s in seg_names])
    region = rng.choice(list(REGIONS), size=customers, p=[0.4, 0.2, 0.25, 0.15])
    cust = pd.DataFrame(
        {
            "customer_id": [f"C{1000 + i}" for i in range(customers)],
            "name": [
                f"{rng.choice(['Atelier', 'Groupe', 'Société', 'Maison', 'Ets'])} "
                f"{rng.choice(['Durand', 'Lefèvre', 'Roux', 'Fontaine', 'Garnier', 'Chevalier', 'Blanc', 'Perrin', 'Morel', 'Girard'])}"  # noqa: E501
                f" {i:03d}"
                for i in range(customers)
            ],
            "segment": seg,
            "region": region,
            "country": "FR",
            "industry": rng.choice(INDUSTRIES, size=customers),
            "risk_class": rng.choice(["A", "B", "C", "D"], size=customers, p=[0.3, 0.4, 0.2, 0.1]),
            "payment_terms_days": [
                int(rng.choice([30, 45, 60] if s != "Public sector" else [30])) for s in seg
            ],
            "collector": [REGIONS[r] for r in region],
            "preferred_channel": rng.choice(
                ["email", "phone", "letter"], size=customers, p=[0.6, 0.3, 0.1]
            ),
        }
    )
    paper = rng.random(customers) < np.where(seg == "Public sector", 0.1, 0.45)
    method = rng.choice(list(METHODS), size=customers, p=list(METHODS.values()))
    slowness = rng.gamma(2.0, 1.0, size=customers)  # customer's own habit

    # invoices
    rows = []
    for ci in range(customers):
        s = seg[ci]
        _, rate, mean_amount, _, _, _ = SEGMENTS[s]
        for m0 in starts:
            season = 1.25 if m0.month in (3, 6, 9, 11) else (0.7 if m0.month == 8 else 1.0)
            length = calendar.monthrange(m0.year, m0.month)[1]
            last_day = min(length, (end - m0).days + 1)
            for _ in range(rng.poisson(rate * season)):
                day = int(rng.integers(0, last_day))
                rows.append(
                    (
                        ci,
                        m0 + dt.timedelta(days=day),
                        round(float(rng.lognormal(np.log(mean_amount), 0.6)), 2),
                    )
                )
    inv = pd.DataFrame(rows, columns=["ci", "issue_date", "amount"])
    inv = inv.sort_values(["issue_date", "ci"]).reset_index(drop=True)
    n = len(inv)
    ci = inv["ci"].to_numpy()
    inv["invoice_id"] = [f"F{d:%y%m}-{i:06d}" for i, d in enumerate(inv["issue_date"])]
    inv["customer_id"] = cust["customer_id"].to_numpy()[ci]
    terms = cust["payment_terms_days"].to_numpy()[ci]
    inv["due_date"] = [
        d + dt.timedelta(days=int(t)) for d, t in zip(inv["issue_date"], terms, strict=True)
    ]
    on_paper = paper[ci] & (inv["issue_date"] < e_invoicing).to_numpy()
    inv["delivery_channel"] = np.where(
        on_paper, "paper", np.where(seg[ci] == "Public sector", "portal", "email")
    )

    # causes of lateness
    seg_idx = np.array([seg_names.index(s) for s in seg[ci]])
    problem_p = 0.22 + 0.05 * np.minimum(slowness[ci], 3)
    has_cause = rng.random(n) < problem_p
    cause = np.full(n, None, dtype=object)
    names = list(CAUSES)
    weights = np.array([CAUSES[c][0] for c in names], dtype=float).T  # segment x cause
    for k in range(len(seg_names)):
        pick = has_cause & (seg_idx == k)
        w = weights[k] / weights[k].sum()
        cause[pick] = rng.choice(names, size=int(pick.sum()), p=w)
    # paper invoices get lost, e-invoices much less
    lost = (inv["delivery_channel"].to_numpy() == "paper") & (rng.random(n) < 0.12)
    cause[lost] = "invoice_not_received"
    cause[(cause == "invoice_not_received") & ~on_paper & (rng.random(n) < 0.7)] = None
    cause[(cause == "payment_failed") & (method[ci] != "card") & (rng.random(n) < 0.6)] = None
    disputed = np.array([c in DISPUTE_CAUSES for c in cause]) | (
        rng.random(n) < np.array([SEGMENTS[s][4] for s in seg[ci]]) * 0.2
    )
    inv["disputed"] = np.where(disputed, "yes", "no")

    base = np.array([SEGMENTS[s][3] for s in seg[ci]], dtype=float)
    extra = np.array([CAUSES[c][1] if c else 0 for c in cause], dtype=float)
    month = pd.to_datetime(inv["due_date"]).dt.month.to_numpy()
    season_late = np.where(month == 8, 9, np.where(month == 12, 6, 0))
    late = (
        rng.normal(base * 0.6 - 4, 5, n)
        + slowness[ci] * 2.5
        + extra * rng.uniform(0.6, 1.4, n)
        + season_late
    )
    late = np.where((cause == None) & (rng.random(n) < 0.45), rng.integers(-6, 1, n), late)  # noqa: E711
    late = np.round(late).astype(int)
    never = rng.random(n) < np.where(cause == "cash_difficulty", 0.12, 0.004)

    # payments: failed attempts, partial payments, settlement
    pays, acts, reasons = [], [], []
    ids, custs = inv["invoice_id"].tolist(), inv["customer_id"].tolist()
    dues, amounts, issued = (
        inv["due_date"].tolist(),
        inv["amount"].tolist(),
        inv["issue_date"].tolist(),
    )
    draws = iter(rng.random(n * 4))
    for i in range(n):
        due, amount, c, inv_id, cust_id = dues[i], amounts[i], cause[i], ids[i], custs[i]
        m = method[ci[i]]
        pay_day = due + dt.timedelta(days=int(late[i]))
        pay_day = max(pay_day, issued[i] + dt.timedelta(days=2))
        if not never[i]:
            if next(draws) < FAIL_RATE[m] or c == "payment_failed":
                status = rng.choice(["failed", "incomplete", "input_error"], p=[0.6, 0.25, 0.15])
                fail_day = pay_day - dt.timedelta(days=int(rng.integers(3, 9)))
                pays.append((inv_id, fail_day, amount, m, status))
            if next(draws) < 0.08:
                first = round(amount * float(rng.uniform(0.3, 0.7)), 2)
                pays.append((inv_id, pay_day - dt.timedelta(days=12), first, m, "completed"))
                pays.append((inv_id, pay_day, round(amount - first, 2), m, "completed"))
            else:
                pays.append((inv_id, pay_day, amount, m, "completed"))
        settled = None if never[i] else pay_day
        if next(draws) < 0.3:  # friendly pre-due reminder
            acts.append((cust_id, inv_id, due - dt.timedelta(days=5), "email", "other", 0.25))
        for channel, after, cost in LADDER:
            day = due + dt.timedelta(days=after)
            if day > end or (settled is not None and settled <= day):
                break
            if channel == "sms" and seg[ci[i]] == "Public sector":
                continue
            outcome = (
                "dispute"
                if disputed[i] and channel == "phone"
                else rng.choice(
                    ["promise_to_pay", "no_answer", "refused", "other"], p=[0.5, 0.3, 0.05, 0.15]
                )
                if channel == "phone"
                else "no_answer"
                if channel in ("email", "sms")
                else "other"
            )
            acts.append((cust_id, inv_id, day, channel, outcome, cost))
        if c and late[i] > 3 and next(draws) < 0.8:
            recorded = due + dt.timedelta(days=int(rng.integers(5, 15)))
            if recorded <= end:
                # settled before the reason was written down: resolved the day it was
                resolved = max(settled, recorded) if settled and settled <= end else None
                reasons.append((inv_id, c, recorded, resolved))

    pay = pd.DataFrame(pays, columns=["invoice_id", "payment_date", "amount", "method", "status"])
    pay = pay[pay["payment_date"] <= end].reset_index(drop=True)
    pay.insert(0, "payment_id", [f"P{i:07d}" for i in range(len(pay))])
    act = pd.DataFrame(
        acts, columns=["customer_id", "invoice_id", "action_date", "channel", "outcome", "cost"]
    )
    act = act[act["action_date"] <= end].reset_index(drop=True)
    act.insert(0, "action_id", [f"A{i:07d}" for i in range(len(act))])
    act["collector"] = act["customer_id"].map(
        dict(zip(cust["customer_id"], cust["collector"], strict=True))
    )
    promise = act["outcome"] == "promise_to_pay"
    act["promised_date"] = act["action_date"].where(
        ~promise, act["action_date"] + dt.timedelta(days=7)
    )
    act.loc[~promise, "promised_date"] = None
    # a promise is for the invoice's amount: kept or broken by what the payments then did
    act["promised_amount"] = act["invoice_id"].map(dict(zip(ids, amounts, strict=True)))
    act.loc[~promise, "promised_amount"] = None
    act["action_time"] = action_times(seed_of(rng) + 1, act, pay)
    rea = pd.DataFrame(reasons, columns=["invoice_id", "reason", "recorded_date", "resolved_date"])
    plans = build_plans(seed_of(rng), inv, never, late, end)
    # credit limits (no draw): about the customer's open balance at its terms, less for a
    # riskier class; some customers then run over theirs
    monthly = inv.groupby("customer_id")["amount"].sum() / max(len(starts), 1)
    months_open = cust["payment_terms_days"].to_numpy() / 30 + 0.5
    factor = cust["risk_class"].map({"A": 1.6, "B": 1.25, "C": 1.0, "D": 0.7}).to_numpy()
    need = monthly.reindex(cust["customer_id"]).fillna(0).to_numpy() * months_open * factor
    cust["credit_limit"] = np.maximum(1000, np.round(need / 1000) * 1000)
    cust["customer_type"] = np.where(cust["segment"] == "Public sector", "public", "b2b")

    surveys = build_surveys(rng, cust, inv, act, late, disputed, method, starts, end)
    costs = build_costs(rng, starts, customers)
    inv = inv.drop(columns=["ci"])
    return {
        "customers": cust,
        "invoices": inv,
        "payments": pay,
        "actions": act,
        "plans": plans,
        "reasons": rea,
        "surveys": surveys,
        "costs": costs,
    }


def seed_of(rng) -> int:
    """A seed for a side stream of draws, taken without drawing from ``rng`` (the rest of the
    dataset stays as it was before plans existed)."""
    return int(rng.bit_generator.state["state"]["state"] % 2**32)


def action_times(seed: int, act: pd.DataFrame, pay: pd.DataFrame) -> pd.Series:
    """The time of each e-mail, text and call (letters are posted: no time). Calls made in the
    morning are followed by a payment more often, as collectors report: a reminder followed
    by its invoice's payment within 14 days is drawn with more weight on 9-11 h."""
    rng = np.random.default_rng(seed)  # a side stream: the rest of the dataset is unchanged
    last_paid = pd.to_datetime(pay.groupby("invoice_id")["payment_date"].max())
    waited = (act["invoice_id"].map(last_paid) - pd.to_datetime(act["action_date"])).dt.days
    followed = waited.between(0, 14).to_numpy()
    hours = np.arange(8, 19)
    even = np.ones(len(hours)) / len(hours)
    morning = np.where((hours >= 9) & (hours <= 11), 3.0, 1.0)
    morning /= morning.sum()
    hour = np.where(
        followed, rng.choice(hours, len(act), p=morning), rng.choice(hours, len(act), p=even)
    )
    minute = rng.integers(0, 60, len(act))
    text = pd.Series(
        [f"{h:02d}:{m:02d}" for h, m in zip(hour, minute, strict=True)], index=act.index
    )
    return text.where(act["channel"].isin(["email", "sms", "phone"]), None)


def build_plans(seed: int, inv, never, late, end) -> pd.DataFrame:
    """Payment plans for about a third of the invoices paid over 30 days late or never: agreed
    20 days after the due date, three monthly instalments from 10 days after that. Whether an
    instalment is kept follows from the invoice's real payments (paid at once: the later
    instalments are kept too; never paid: every instalment is late)."""
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero((late > 30) | never)
    chosen = candidates[rng.random(len(candidates)) < 0.35]
    rows = []
    for i in chosen:
        due = inv["due_date"].iat[i]
        agreed = due + dt.timedelta(days=20)
        if agreed > end:
            continue
        amount = round(float(inv["amount"].iat[i]), 2)
        third = round(amount / 3, 2)
        parts = [third, third, round(amount - 2 * third, 2)]
        for k, part in enumerate(parts, start=1):
            rows.append(
                (
                    f"PL{i:06d}",
                    inv["customer_id"].iat[i],
                    inv["invoice_id"].iat[i],
                    k,
                    agreed + dt.timedelta(days=10 + 30 * (k - 1)),
                    part,
                    agreed,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "plan_id",
            "customer_id",
            "invoice_id",
            "instalment",
            "due_date",
            "amount",
            "agreed_date",
        ],
    )


def build_surveys(rng, cust, inv, act, late, disputed, method, starts, end) -> pd.DataFrame:
    """CSAT after calls and disputes, a half-yearly NPS, CES after payments by portal or card."""
    ids = cust["customer_id"].to_numpy()
    exp = pd.DataFrame(
        {"customer_id": inv["customer_id"], "late": np.maximum(late, 0), "disputed": disputed}
    )
    per = exp.groupby("customer_id").agg(late=("late", "mean"), disputes=("disputed", "mean"))
    harsh = act[act["channel"].isin(["formal_notice", "agency"])].groupby("customer_id").size()
    reminders = act.groupby("customer_id").size()
    per = per.reindex(ids).fillna(0)
    count = exp.groupby("customer_id").size().reindex(ids).fillna(0).clip(lower=1).to_numpy()
    # what a customer lived, per invoice, so that large customers are not punished for size
    per["harsh"] = harsh.reindex(ids).fillna(0).to_numpy() / count * 10
    per["reminders"] = reminders.reindex(ids).fillna(0).to_numpy() / count
    base = cust.set_index("customer_id")["segment"].map(lambda s: SEGMENTS[s][5])
    mood = (
        base
        - 0.02 * per["late"]
        - 1.5 * per["disputes"]
        - 0.25 * per["harsh"]
        - 0.25 * per["reminders"]
    )
    rows = []
    for cid in ids:
        mu = float(mood[cid])
        for m0 in starts:
            if rng.random() < 0.18:  # CSAT after a contact
                day = m0 + dt.timedelta(days=int(rng.integers(0, 27)))
                score = int(np.clip(round(rng.normal(mu, 0.8)), 1, 5))
                rows.append(
                    (
                        cid,
                        day,
                        "csat",
                        score,
                        rng.choice(
                            ["Collection call", "Dispute resolution", "Invoice", "Customer portal"],
                            p=[0.4, 0.2, 0.25, 0.15],
                        ),
                    )
                )
            if m0.month in (3, 9) and rng.random() < 0.6:
                day = m0 + dt.timedelta(days=int(rng.integers(0, 27)))
                score = int(np.clip(round(rng.normal(mu * 2.2 - 1.0, 1.5)), 0, 10))
                rows.append((cid, day, "nps", score, "Relationship survey"))
            if rng.random() < 0.06:
                day = m0 + dt.timedelta(days=int(rng.integers(0, 27)))
                is_card = method[list(ids).index(cid)] == "card"
                score = int(
                    np.clip(
                        round(rng.normal(2.6 + (1.6 if is_card else 0) - (mu - 3.5), 1.0)), 1, 7
                    )
                )
                rows.append((cid, day, "ces", score, "Payment"))
    sur = pd.DataFrame(
        rows, columns=["customer_id", "response_date", "survey_type", "score", "touchpoint"]
    )
    sur = sur[sur["response_date"] <= end].reset_index(drop=True)
    band = np.where(
        sur["survey_type"] == "ces",
        np.where(sur["score"] >= 5, "low", "high"),
        np.where(
            sur["score"] >= np.where(sur["survey_type"] == "nps", 9, 4),
            "high",
            np.where(sur["score"] <= np.where(sur["survey_type"] == "nps", 6, 2), "low", "mid"),
        ),
    )
    sur["comment"] = [rng.choice(COMMENTS[b]) if rng.random() < 0.35 else None for b in band]
    sur.insert(0, "response_id", [f"S{i:07d}" for i in range(len(sur))])
    return sur


def build_costs(rng, starts, customers) -> pd.DataFrame:
    """Monthly overheads of the credit team, scaled to the portfolio."""
    fte = max(1.0, customers / 120)
    rows = []
    for m0 in starts:
        rows.append(
            (
                f"{m0:%Y-%m}",
                "staff",
                round(4300 * fte * float(rng.uniform(0.97, 1.03)), 2),
                None,
                None,
            )
        )
        rows.append((f"{m0:%Y-%m}", "tools", 650.0, None, None))
        rows.append(
            (f"{m0:%Y-%m}", "legal", round(float(rng.uniform(200, 900)), 2), "legal", "SMB")
        )
        rows.append(
            (f"{m0:%Y-%m}", "agency", round(float(rng.uniform(300, 1200)), 2), "agency", "Retail")
        )
    return pd.DataFrame(rows, columns=["month", "category", "amount", "channel", "segment"])


def load_demo(
    engine: Engine,
    seed: int = 7,
    customers: int = 300,
    months: int = 24,
    end: dt.date | None = None,
) -> dict[str, int]:
    """Build the dataset and import it kind by kind; returns the rows per kind."""
    frames = build(seed, customers, months, end)
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, frame in frames.items():
            counts[kind] = len(frame)
            if frame.empty:  # a small portfolio may have no plan: nothing to import
                continue
            path = Path(tmp) / f"demo_{kind}.csv"
            frame.to_csv(path, index=False)
            import_file(engine, kind, path, user="demo", name=path.name)
    return counts
