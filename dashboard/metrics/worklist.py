"""Who to contact first: the payer score of each customer and the collector's worklist.

The payer score (0–100, higher pays better) and the priority are sums of stated parts, each
shown to the user (``SCORE_FORMULA``, ``PRIORITY_FORMULA``), computed from the customer's own
history over the 12 months to the as-of date T.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, select

from dashboard.core.filters import Filters
from dashboard.core.money import money
from dashboard.core.periods import to_date
from dashboard.metrics import events
from dashboard.metrics.sql import open_items_query, settled_invoices
from dashboard.metrics.tables import (
    ACT,
    CUS,
    INV,
    PAY,
    SUR,
    d,
    day_number,
    live,
    scoped,
    selected_customers,
)

WINDOW_DAYS = 365
ESCALATED = ("agency", "legal")  # handled outside the team once reached
PAID_WITHIN_DAYS = 14  # a reminder "works" when the invoice is paid within 14 days
MIN_ACTIONS = 10  # fewer actions of a channel in a score band: not enough to recommend it
LOW_CSAT_PCT = 60.0

SCORE_FORMULA = {
    "en": "Payer score = 100 − 40 × min(1, amount-weighted days late / 60) − 20 × share of "
    "invoices paid late − min(15, 5 × broken promises) − 15 × share of invoices disputed − "
    "min(10, 5 × failed payments); over the 12 months to T, from 0 to 100 (none without an "
    "invoice settled in those months).",
    "fr": "Score payeur = 100 − 40 × min(1, retard moyen pondéré par les montants / 60) − 20 × "
    "part des factures payées en retard − min(15, 5 × promesses non tenues) − 15 × part des "
    "factures en litige − min(10, 5 × paiements en échec) ; sur les 12 mois qui finissent à "
    "T, de 0 à 100 (aucun sans facture réglée sur ces mois).",
}
PRIORITY_FORMULA = {
    "en": "Priority = 30 × overdue / the largest overdue of the list + 25 × min(1, oldest days "
    "past due / 90) + 20 × (100 − payer score) / 100 (10 without a score) + min(10, 5 × broken "
    "promises) + 5 if a dispute is open + 10 × min(1, days since the last contact / 30) (10 "
    "if never contacted) − 20 if the customer is with an agency or in legal action.",
    "fr": "Priorité = 30 × échu / le plus gros échu de la liste + 25 × min(1, jours de retard "
    "le plus ancien / 90) + 20 × (100 − score payeur) / 100 (10 sans score) + min(10, 5 × "
    "promesses non tenues) + 5 si un litige est ouvert + 10 × min(1, jours depuis le dernier "
    "contact / 30) (10 sans contact) − 20 si le client est confié à une agence ou au "
    "contentieux.",
}


@dataclass(frozen=True)
class History:
    """One customer's last 12 months."""

    weighted_days_late: float | None = None  # amount-weighted, over invoices settled
    settled: int = 0
    paid_late: int = 0
    issued: int = 0
    disputed: int = 0
    broken_promises: int = 0
    failed_payments: int = 0


def payer_score(h: History) -> float | None:
    """``SCORE_FORMULA``: None without an invoice settled in the window."""
    if not h.settled or h.weighted_days_late is None:
        return None
    score = 100.0
    score -= 40 * min(1.0, max(0.0, h.weighted_days_late) / 60)
    score -= 20 * h.paid_late / h.settled
    score -= min(15, 5 * h.broken_promises)
    score -= 15 * (h.disputed / h.issued if h.issued else 0)
    score -= min(10, 5 * h.failed_payments)
    return max(0.0, min(100.0, score))


def priority(
    overdue: float,
    largest: float,
    oldest_days: int,
    score: float | None,
    broken: int,
    disputes_open: int,
    days_since_contact: int | None,
    escalated: bool,
) -> float:
    """``PRIORITY_FORMULA``."""
    p = 30 * (overdue / largest if largest else 0)
    p += 25 * min(1.0, max(0, oldest_days) / 90)
    p += 10 if score is None else 20 * (100 - score) / 100
    p += min(10, 5 * broken)
    p += 5 if disputes_open else 0
    p += 10 if days_since_contact is None else 10 * min(1.0, days_since_contact / 30)
    p -= 20 if escalated else 0
    return round(p, 1)


def band(score: float | None) -> str:
    """Payers grouped for the channel advice: good (70+), fair (40–70), poor, or new."""
    if score is None:
        return "new"
    return "good" if score >= 70 else "fair" if score >= 40 else "poor"


def histories(engine: Engine, end: dt.date, filters: Filters) -> dict[str, History]:
    """Each selected customer's last 12 months, from its invoices, payments and promises: the
    sums per customer from the columnar copy where there is one, else in the database."""
    start = end - dt.timedelta(days=WINDOW_DAYS - 1)
    selected = selected_customers(filters)
    sums = _sums_from_columns(engine, start, end, filters)
    with engine.connect() as conn:
        if sums is None:
            weighted, counts = _sums_in_sql(conn, start, end, selected)
        else:
            weighted, counts = sums
        promises = conn.execute(events.promises_due(start, end, selected)).all()
        verdicts = events.judge_promises(conn, promises)
    for p, (ok, _) in zip(promises, verdicts, strict=True):
        counts[p.customer_id]["broken"] += not ok
    out: dict[str, History] = {}
    for who in set(weighted) | set(counts):
        w = weighted.get(who)
        c = counts[who]
        out[who] = History(
            weighted_days_late=(w[0] / w[1]) if w and w[1] else None,
            settled=w[2] if w else 0,
            paid_late=w[3] if w else 0,
            issued=c["issued"],
            disputed=c["disputed"],
            broken_promises=c["broken"],
            failed_payments=c["failed"],
        )
    return out


Sums = tuple[dict[str, list[int]], dict[str, Counter]]


def _sums_from_columns(
    engine: Engine, start: dt.date, end: dt.date, filters: Filters
) -> Sums | None:
    """``_sums_in_sql``'s figures from the columnar copy: invoices settled in the window (the
    copy's settlement day is the SQL's first day the completed payments reach the amount
    within 0.01), issued in it, and other payment attempts dated in it. None without a copy,
    or where an invoice's customer is not in the customers table (its id is not in the copy)."""
    import numpy as np

    from dashboard.metrics import columnar

    cols = columnar.columns_for(engine)
    if cols is None or not cols.customers_known():
        return None
    lo, hi = columnar.day(start), columnar.day(end)
    labels = cols.labels["customer_id"]
    sel = cols.selection(filters.segments, filters.regions, filters.collectors)

    def chosen(rows: np.ndarray) -> np.ndarray:  # these invoice positions, of the filter's
        return rows if sel is None else rows[sel.keeps(rows)]

    def per_customer(rows: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(len(labels), dtype=np.int64)  # whole numbers, exact
        np.add.at(out, cols.inv_cust[rows], 1 if values is None else values)
        return out

    settled = chosen(np.flatnonzero((cols.inv_settled >= lo) & (cols.inv_settled <= hi)))
    amount = cols.inv_amount[settled].astype(np.int64)
    late = cols.inv_settled[settled].astype(np.int64) - cols.inv_due[settled]
    weighted_sums = (
        per_customer(settled, amount * late),
        per_customer(settled, amount),
        per_customer(settled),
        per_customer(settled, (late > 0).astype(np.int64)),
    )
    issued = chosen(
        np.arange(columnar.before(cols.inv_issue, lo), columnar.after(cols.inv_issue, hi))
    )
    a, b = columnar.before(cols.xp_day, lo), columnar.after(cols.xp_day, hi)
    failed = chosen(cols.xp_inv[a:b].astype(np.int64))
    count_sums = {
        "issued": per_customer(issued),
        "disputed": per_customer(issued, cols.inv_disputed[issued].astype(np.int64)),
        "failed": per_customer(failed),
    }
    weighted = {
        labels[k]: [int(s[k]) for s in weighted_sums]
        for k in np.flatnonzero(weighted_sums[2]).tolist()
    }
    counts: dict[str, Counter] = defaultdict(Counter)
    for name, sums in count_sums.items():
        for k in np.flatnonzero(sums).tolist():
            counts[labels[k]][name] = int(sums[k])
    return weighted, counts


def _sums_in_sql(conn, start: dt.date, end: dt.date, selected) -> Sums:
    """Per customer over [start, end]: Σ amount × days late, Σ amount, invoices settled and
    those settled late; and the invoices issued, disputed and the payment attempts failed."""
    dialect = conn.dialect.name
    # summed per customer in the database: a row per invoice took seconds at a million
    settled = settled_invoices(end, selected, start)
    days = day_number(settled.c.settled_on, dialect) - day_number(settled.c.due_date, dialect)
    rows = conn.execute(
        select(
            settled.c.customer_id,
            func.sum(settled.c.amount_cents * days),
            func.sum(settled.c.amount_cents),
            func.count(),
            func.sum(case((days > 0, 1), else_=0)),
        ).group_by(settled.c.customer_id)
    ).all()
    weighted = {who: [int(x or 0) for x in w] for who, *w in rows}  # Σa·d, Σa, n, late
    issued_rows = conn.execute(
        scoped(
            select(
                INV.c.customer_id,
                func.count(),
                func.sum(case((INV.c.disputed, 1), else_=0)),
            )
            .where(live(INV), INV.c.issue_date.between(d(start), d(end)))
            .group_by(INV.c.customer_id),
            INV.c.customer_id,
            selected,
        )
    ).all()
    failed_rows = conn.execute(
        scoped(
            select(INV.c.customer_id, func.count())
            .select_from(PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))))
            .where(
                live(PAY),
                PAY.c.status != "completed",
                PAY.c.payment_date.between(d(start), d(end)),
            )
            .group_by(INV.c.customer_id),
            INV.c.customer_id,
            selected,
        )
    ).all()
    counts: dict[str, Counter] = defaultdict(Counter)
    for who, issued, disputed in issued_rows:
        counts[who]["issued"] += int(issued)
        counts[who]["disputed"] += int(disputed or 0)
    for who, n in failed_rows:
        counts[who]["failed"] += int(n)
    return weighted, counts


# the tone of a contact, and the words of each reason given for a row (English and French)
TONES = ("relationship", "firm", "courteous")
WHY = {
    "overdue": (
        "{amount} overdue, the oldest {days} days past due",
        "{amount} échus, le plus ancien depuis {days} jours",
    ),
    "score": ("payer score {score}", "score payeur {score}"),
    "no_score": ("no payment history in 12 months", "pas d'historique de paiement sur 12 mois"),
    "broken": ("{n} broken promise(s)", "{n} promesse(s) non tenue(s)"),
    "dispute": ("{n} dispute(s) open", "{n} litige(s) ouvert(s)"),
    "low_csat": ("CSAT {csat} %", "CSAT {csat} %"),
    "no_contact": ("never contacted", "jamais contacté"),
    "last_contact": ("last contact {days} days ago", "dernier contact il y a {days} jours"),
    "contact_today": ("contacted today", "contacté aujourd'hui"),
    "escalated": (
        "already with an agency or in legal action",
        "déjà confié à une agence ou au contentieux",
    ),
    "preferred": ("its preferred channel", "son canal préféré"),
    "works": (
        "the channel that brings the cash in for {band} payers ({pct} % paid within 14 days)",
        "le canal qui fait rentrer l'argent chez les payeurs {band} ({pct} % payés sous 14 jours)",
    ),
    "default": ("no channel stands out yet", "aucun canal ne se distingue encore"),
    "relationship": (
        "relationship first: call, listen, resolve the dispute before reminding",
        "la relation d'abord : appeler, écouter, résoudre le litige avant de relancer",
    ),
    "relationship_csat": (
        "relationship first: call and listen before reminding",
        "la relation d'abord : appeler et écouter avant de relancer",
    ),
    "firm": ("firm: a formal reminder of what is due", "ferme : un rappel formel de ce qui est dû"),
    "courteous": ("courteous reminder", "relance courtoise"),
}
BANDS = {
    "good": ("good", "bons"),
    "fair": ("fair", "moyens"),
    "poor": ("poor", "mauvais"),
    "new": ("new", "nouveaux"),
}


def why_text(reasons: list[tuple[str, dict]], lang: str = "en") -> str:
    """The reasons of a row as one sentence in ``lang`` (amounts as the language writes them)."""
    k = 1 if lang == "fr" else 0
    parts = []
    for code, values in reasons:
        if code == "works":
            values = {**values, "band": BANDS[values["band"]][k]}
        if "cents" in values:
            amount = f"{values['cents'] / 100:,.2f}"
            if lang == "fr":
                amount = amount.replace(",", "\u202f").replace(".", ",")
            values = {**values, "amount": amount}
        parts.append(WHY[code][k].format(**values))
    return (" ; " if lang == "fr" else "; ").join(parts)


def build(engine: Engine, end: dt.date, filters: Filters, limit: int | None = None) -> list[dict]:
    """The customers with an overdue balance at T, highest priority first; each row holds the
    figures behind its priority, the suggested channel and tone, and ``reasons`` (codes and
    values) that ``why_text`` writes out."""
    start = end - dt.timedelta(days=WINDOW_DAYS - 1)
    selected = selected_customers(filters)
    items = open_items_query(end).subquery()
    with engine.connect() as conn:
        open_rows = conn.execute(
            scoped(
                select(
                    items.c.customer_id,
                    func.sum(items.c.open_cents),
                    func.min(items.c.due_date),
                )
                .where(items.c.open_cents > 0, items.c.due_date < d(end))
                .group_by(items.c.customer_id),
                items.c.customer_id,
                selected,
            )
        ).all()
        overdue = {who: (int(c), (end - to_date(due)).days) for who, c, due in open_rows}
        if not overdue:
            return []
        profile = {
            r.customer_id: r
            for r in conn.execute(
                select(
                    CUS.c.customer_id,
                    CUS.c.name,
                    CUS.c.segment,
                    CUS.c.collector,
                    CUS.c.preferred_channel,
                ).where(live(CUS))
            )
        }
        contact = dict(
            conn.execute(
                scoped(
                    select(ACT.c.customer_id, func.max(ACT.c.action_date))
                    .where(live(ACT), ACT.c.action_date <= d(end))
                    .group_by(ACT.c.customer_id),
                    ACT.c.customer_id,
                    selected,
                )
            ).all()
        )
        escalated = {
            who
            for (who,) in conn.execute(
                select(ACT.c.customer_id)
                .where(
                    live(ACT),
                    ACT.c.channel.in_(ESCALATED),
                    ACT.c.action_date.between(d(start), d(end)),
                )
                .distinct()
            )
        }
        csat_rows = conn.execute(
            select(SUR.c.customer_id, SUR.c.score).where(
                live(SUR),
                SUR.c.survey_type == "csat",
                SUR.c.response_date.between(d(start), d(end)),
            )
        ).all()
        disputes = Counter()
        seen = set()
        for r in events.open_disputes(conn, end, selected):
            if (r["customer_id"], r["invoice_id"]) not in seen:
                seen.add((r["customer_id"], r["invoice_id"]))
                disputes[r["customer_id"]] += 1
        reminders = conn.execute(
            select(ACT.c.customer_id, ACT.c.invoice_id, ACT.c.action_date, ACT.c.channel).where(
                live(ACT),
                ACT.c.invoice_id.is_not(None),
                ACT.c.action_date.between(d(start), d(end)),
            )
        ).all()
        paid_days = defaultdict(list)
        for inv, day in conn.execute(
            select(PAY.c.invoice_id, PAY.c.payment_date).where(
                live(PAY),
                PAY.c.status == "completed",
                PAY.c.payment_date.between(d(start), d(end)),
            )
        ):
            paid_days[inv].append(to_date(day))
    # every customer's history: the channel advice learns from the whole portfolio
    history = histories(engine, end, Filters())
    scores = {who: payer_score(h) for who, h in history.items()}
    csat: dict[str, list] = defaultdict(lambda: [0, 0])
    for who, score in csat_rows:
        csat[who][0] += int(score) >= 4
        csat[who][1] += 1
    # which channel brings the cash in, per band of payers: share of its reminders on an
    # invoice followed by a completed payment of that invoice within 14 days
    worked: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0])
    window = dt.timedelta(days=PAID_WITHIN_DAYS)
    for who, inv, day, channel in reminders:
        day = to_date(day)
        hit = any(day <= p <= day + window for p in paid_days.get(inv, ()))
        w = worked[(band(scores.get(who)), channel)]
        w[0] += hit
        w[1] += 1
    best: dict[str, tuple[str, float]] = {}
    for (b, channel), (hits, n) in worked.items():
        if n >= MIN_ACTIONS and (b not in best or hits / n > best[b][1]):
            best[b] = (channel, hits / n)
    largest = max(c for c, _ in overdue.values())
    rows = []
    for who, (cents, oldest) in overdue.items():
        p = profile.get(who)
        score = scores.get(who)
        h = history.get(who, History())
        last = contact.get(who)
        since = None if last is None else (end - to_date(last)).days
        answers = csat.get(who)
        csat_pct = 100 * answers[0] / answers[1] if answers else None
        reasons: list[tuple[str, dict]] = [
            ("overdue", {"cents": cents, "days": oldest}),
            ("score", {"score": round(score)}) if score is not None else ("no_score", {}),
        ]
        if h.broken_promises:
            reasons.append(("broken", {"n": h.broken_promises}))
        if disputes[who]:
            reasons.append(("dispute", {"n": disputes[who]}))
        if csat_pct is not None and csat_pct < LOW_CSAT_PCT:
            reasons.append(("low_csat", {"csat": round(csat_pct)}))
        reasons.append(("no_contact", {}) if since is None else ("last_contact", {"days": since}))
        if who in escalated:
            reasons.append(("escalated", {}))
        # tone, then channel: relationship first calls; else the preferred channel, else
        # the one that works for payers of its band
        if disputes[who]:
            tone, tone_why, channel, channel_why = "relationship", "relationship", "phone", None
        elif csat_pct is not None and csat_pct < LOW_CSAT_PCT:
            tone, tone_why, channel, channel_why = (
                "relationship",
                "relationship_csat",
                "phone",
                None,
            )
        else:
            tone = "firm" if score is not None and score < 40 else "courteous"
            tone_why = tone
            preferred = p.preferred_channel if p is not None else None
            if preferred:
                channel, channel_why = preferred, ("preferred", {})
            elif band(score) in best:
                channel, rate = best[band(score)]
                channel_why = ("works", {"band": band(score), "pct": round(100 * rate)})
            else:
                channel, channel_why = "email", ("default", {})
        advice = [(tone_why, {})] + ([channel_why] if channel_why else [])
        rows.append(
            {
                "customer_id": who,
                "name": p.name if p is not None else None,
                "segment": p.segment if p is not None else None,
                "collector": p.collector if p is not None else None,
                "priority": priority(
                    cents / 100,
                    largest / 100,
                    oldest,
                    score,
                    h.broken_promises,
                    disputes[who],
                    since,
                    who in escalated,
                ),
                "payer_score": None if score is None else round(score, 1),
                "overdue": money(cents),
                "oldest_days_past_due": oldest,
                "open_disputes": disputes[who],
                "broken_promises": h.broken_promises,
                "last_contact": None if last is None else to_date(last).isoformat(),
                "csat": None if csat_pct is None else round(csat_pct, 1),
                "suggested_channel": channel,
                "tone": tone,
                "reasons": reasons,
                "advice": advice,
            }
        )
    rows.sort(key=lambda r: (-r["priority"], -r["overdue"], r["customer_id"]))
    return rows[:limit] if limit else rows
