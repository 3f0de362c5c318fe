"""Breakdowns for the dashboard: trends, per-segment tables, channels, reasons, customers.

This is the metric layer's second half. Wherever a KPI appears it is computed by the KPI's own
function in ``dashboard.metrics`` (per month, per segment, per touchpoint), never restated; the
few measures that exist only here (channel recovery, satisfaction against payment behaviour)
carry their formula in their docstring. Everything is aggregated before it leaves this module
(by the metric layer's engines, or in the database) and returns small DataFrames, ready to
chart.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine, and_, case, exists, func, literal, literal_column, select

from dashboard.core.filters import Filters
from dashboard.core.money import money
from dashboard.core.periods import Period, month_start, months_back, to_date
from dashboard.core.taxonomy import FALLBACK_OWNER
from dashboard.metrics import events
from dashboard.metrics.engine import kpis_of, metric_engine
from dashboard.metrics.measures import AGING_BUCKETS, Measures, SurveyCounts
from dashboard.metrics.registry import METRICS
from dashboard.metrics.sql import (
    ACT,
    CODES,
    COST,
    CUS,
    INV,
    PAY,
    REA,
    SUR,
    d,
    days_between,
    live,
    open_items_query,
    selected_customers,
    settled_invoices,
    survey_counts,
    year_month,
)
from dashboard.metrics.tables import dimension_values, plain_rows, scoped
from dashboard.storage.store import reporting_currency

CHANNEL_WINDOW_DAYS = 14
OPEN_DISPUTES_SHOWN = 1000  # the open issues listed on screen, the oldest first
BEHAVIOUR_MONTHS = 12


def frame(engine: Engine, query, columns: list[str]) -> pd.DataFrame:
    """Run a query; its rows as a DataFrame with these columns (also when there is no row)."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=columns)


def monthly(
    engine: Engine, end: dt.date, months: int, filters: Filters, names: tuple[str, ...]
) -> pd.DataFrame:
    """The KPIs ``names`` for each calendar month (as of its last day); the name ``aging`` adds
    the aging buckets at each month's end."""
    periods = months_back(end, months)
    with metric_engine(engine) as eng:
        return _month_rows(eng.measures_of(periods, filters), names)


def _month_rows(measured: list[Measures], names: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for s in measured:
        row = {"month": s.period.start, "as_of": s.period.end}
        row.update({n: METRICS[n].compute(s) for n in names if n != "aging"})
        if "aging" in names:
            row.update({b: money(v) for b, v in s.ledger.aging_cents().items()})
        rows.append(row)
    return pd.DataFrame(rows)


def overview(
    engine: Engine,
    period: Period,
    compared: Period,
    months: int,
    filters: Filters,
    names: tuple[str, ...],
) -> tuple[dict, dict, pd.DataFrame]:
    """The Overview's figures in one go: every KPI of the period and of the one it is compared
    with, and ``monthly``'s trend of ``names`` over the months up to the period's end; the
    ledger walked once and the promises and plans read once for all of them."""
    trend = months_back(period.end, months)
    # the cards read the open disputes; the trend months only if asked for them
    disputes_of = None if "disputes_open" in names else [period, compared]
    with metric_engine(engine) as eng:
        now, before, *measured = eng.measures_of([period, compared, *trend], filters, disputes_of)
        currency = reporting_currency(engine)
        return kpis_of(now, currency), kpis_of(before, currency), _month_rows(measured, names)


def kpis_by(
    engine: Engine, period: Period, filters: Filters, dimension: str, names: tuple[str, ...]
) -> pd.DataFrame:
    """KPIs per segment, region or collector (within the current filter)."""
    values = dimension_values(engine, dimension, filters)
    rows = []
    with metric_engine(engine) as eng:
        for v in values:
            s = eng.measures(period, replace(filters, **{dimension + "s": (v,)}))
            rows.append({dimension: v, **{n: METRICS[n].compute(s) for n in names}})
    return pd.DataFrame(rows, columns=[dimension, *names])


COLLECTOR_KPIS = (
    "receivables",
    "overdue",
    "recovery_rate",
    "cei",
    "promise_kept_rate",
    "csat",
    "collected",
)


def collector_performance(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """Per collector (the customers assigned to each): portfolio (customers, receivables),
    overdue, recovery rate, CEI, promises kept, CSAT of their customers, and the collection
    actions on their customers dated in P per 1,000 of cash collected."""
    table = kpis_by(engine, period, filters, "collector", COLLECTOR_KPIS)
    selected = selected_customers(filters)
    customers = select(CUS.c.collector, func.count()).where(live(CUS)).group_by(CUS.c.collector)
    actions = (
        select(CUS.c.collector, func.count())
        .select_from(ACT.join(CUS, and_(CUS.c.customer_id == ACT.c.customer_id, live(CUS))))
        .where(live(ACT), ACT.c.action_date.between(d(period.start), d(period.end)))
        .group_by(CUS.c.collector)
    )
    if selected is not None:
        customers = customers.where(CUS.c.customer_id.in_(selected))
        actions = actions.where(CUS.c.customer_id.in_(selected))
    with engine.connect() as conn:
        portfolio = dict(conn.execute(customers).all())
        done = dict(conn.execute(actions).all())
    table.insert(1, "customers", table["collector"].map(portfolio).fillna(0).astype(int))
    table["actions"] = table["collector"].map(done).fillna(0).astype(int)
    table["actions_per_1000"] = [
        1000 * a / c if c else None
        for a, c in zip(table["actions"], table["collected"], strict=True)
    ]
    return table


def promises_by(engine: Engine, period: Period, filters: Filters, dimension: str) -> pd.DataFrame:
    """Promises to pay due in P (date + 3 days in P) per collector or segment: due, kept,
    broken and the amount the broken ones put at stake."""
    rows = []
    with metric_engine(engine) as eng:
        for v in dimension_values(engine, dimension, filters):
            p = eng.measures(period, replace(filters, **{dimension + "s": (v,)})).promises
            if p.due:
                rows.append(
                    {
                        dimension: v,
                        "promises": p.due,
                        "kept": p.kept,
                        "broken": p.broken,
                        "broken_eur": money(p.broken_cents),
                        "promise_kept_rate": 100 * p.kept / p.due,
                    }
                )
    columns = [dimension, "promises", "kept", "broken", "broken_eur", "promise_kept_rate"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["broken", dimension], ascending=[False, True], ignore_index=True)


WAYS = ("at_once", "scheduled", "instalments")


def ways_to_pay(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """The invoices settled in P by the way they were paid, side by side: scheduled (a direct
    debit among their payments), in instalments (under a payment plan, or in several
    payments), else at once (one payment): invoices, amount, average days late
    (amount-weighted) and the share paid by the due date."""
    selected = selected_customers(filters)
    settled = settled_invoices(period.end, selected, period.start)
    plan = events.PLAN
    # per invoice, in the same query: its completed payments, whether one was a direct
    # debit, whether a plan names it (looked up by invoice: lists of ids sent back 500 at a
    # time took a minute at a million invoices)
    mine = and_(PAY.c.invoice_id == settled.c.invoice_id, live(PAY), PAY.c.status == "completed")
    count = select(func.count()).where(mine).correlate(settled).scalar_subquery()
    debit = exists().where(mine, PAY.c.method == "direct_debit").correlate(settled)
    planned = (
        exists().where(live(plan), plan.c.invoice_id == settled.c.invoice_id).correlate(settled)
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                settled.c.invoice_id,
                settled.c.amount_cents,
                settled.c.due_date,
                settled.c.settled_on,
                count.label("payments"),
                debit.label("debit"),
                planned.label("planned"),
            )
        ).all()
    groups: dict[str, list] = {w: [0, 0, 0, 0] for w in WAYS}  # n, Σa, Σa·days, on time
    for _, amount, due, on, payments, debit, planned in rows:
        if debit:
            way = "scheduled"
        elif planned or payments > 1:
            way = "instalments"
        else:
            way = "at_once"
        days = (to_date(on) - to_date(due)).days
        g = groups[way]
        g[0] += 1
        g[1] += int(amount)
        g[2] += int(amount) * days
        g[3] += days <= 0
    return pd.DataFrame(
        [
            {
                "way": w,
                "invoices": n,
                "amount_eur": money(a),
                "avg_days_late": ad / a if a else None,
                "on_time_pct": 100 * ok / n if n else None,
            }
            for w, (n, a, ad, ok) in groups.items()
        ]
    )


def penalty_exposure(engine: Engine, end: dt.date, filters: Filters) -> tuple[pd.DataFrame, dict]:
    """Per business or public customer: the penalties and indemnities it could be asked for at
    T (``metrics.penalties``), beside the relationship: its CSAT and payer score over the 12
    months to T, and its invoices with terms over the legal caps. Also the totals and the
    rate's source."""
    from dashboard.metrics import penalties, worklist

    result = penalties.exposure(engine, end, invoice_ids=False)  # arrays, per customer
    selected = selected_customers(filters)
    with engine.connect() as conn:
        names = dict(conn.execute(select(CUS.c.customer_id, CUS.c.name).where(live(CUS))).all())
        keep = None if selected is None else {who for (who,) in conn.execute(selected)}
        start = end - dt.timedelta(days=364)
        answers = conn.execute(
            select(SUR.c.customer_id, SUR.c.score).where(
                live(SUR),
                SUR.c.survey_type == "csat",
                SUR.c.response_date.between(d(start), d(end)),
            )
        ).all()
    csat = defaultdict(lambda: [0, 0])
    for who, score in answers:
        csat[who][0] += int(score) >= 4
        csat[who][1] += 1
    scores = {
        who: worklist.payer_score(h) for who, h in worklist.histories(engine, end, filters).items()
    }
    over = Counter(result.who[result.over_cap].tolist())
    rows = [
        {
            "customer_id": who,
            "name": names.get(who),
            "late_invoices": n,
            "penalty_eur": money(claims),
            "indemnity_eur": money(n * penalties.INDEMNITY_CENTS),
            "csat": 100 * csat[who][0] / csat[who][1] if csat[who][1] else None,
            "payer_score": scores.get(who),
            "terms_over_cap": over[who],
        }
        for who, claims, n in penalties.per_customer(result)
        if keep is None or who in keep
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "name",
            "late_invoices",
            "penalty_eur",
            "indemnity_eur",
            "csat",
            "payer_score",
            "terms_over_cap",
        ],
    )
    totals = {
        "penalty": round(float(frame["penalty_eur"].sum()), 2),
        "indemnity": round(float(frame["indemnity_eur"].sum()), 2),
        "rate_source": result.source,
    }
    return frame, totals


PROFILES = ("on_time", "a_little_late", "late", "very_late", "disputing")
REMINDER_WORKED_DAYS = 14  # a reminder "worked" when its invoice was paid within this many days


def profile_of(h) -> str | None:
    """A payer's profile from its last 12 months (a ``worklist.History``): disputing when a
    fifth or more of its invoices are disputed, else by amount-weighted days late: on time
    (up to 3, the usual tolerance), a little late (up to 15), late (up to 30), very late."""
    if h.issued and h.disputed / h.issued >= 0.2:
        return "disputing"
    if h.weighted_days_late is None:
        return None
    late = h.weighted_days_late
    return (
        "on_time"
        if late <= 3
        else "a_little_late"
        if late <= 15
        else "late"
        if late <= 30
        else "very_late"
    )


ProfileSums = tuple[dict, dict, dict, dict]  # cost, collected, worked, csat per profile


def _profile_sums_in_sql(
    engine: Engine, start: dt.date, end: dt.date, filters: Filters, profile: dict
) -> ProfileSums:
    """Per profile over [start, end]: the reminders' cost, the cash collected, per reminder
    channel the reminders of an invoice and those its payment followed within 14 days, and
    the CSAT answers (satisfied, all); from a year of rows read in the database."""
    selected = selected_customers(filters)
    with engine.connect() as conn:
        # a year of reminders and payments: plain rows (SQLAlchemy's row objects cost seconds
        # at a million invoices); dates as the driver gives them, read by ``to_date``
        acts = [
            r
            for rows in plain_rows(
                conn,
                scoped(
                    select(
                        ACT.c.customer_id,
                        ACT.c.invoice_id,
                        ACT.c.action_date,
                        ACT.c.channel,
                        ACT.c.cost_cents,
                    ).where(live(ACT), ACT.c.action_date.between(d(start), d(end))),
                    ACT.c.customer_id,
                    selected,
                ),
            )
            for r in rows
        ]
        cash = [
            r
            for rows in plain_rows(
                conn,
                scoped(
                    select(
                        INV.c.customer_id, PAY.c.invoice_id, PAY.c.payment_date, PAY.c.amount_cents
                    )
                    .select_from(
                        PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV)))
                    )
                    .where(
                        live(PAY),
                        PAY.c.status == "completed",
                        PAY.c.payment_date.between(d(start), d(end)),
                    ),
                    INV.c.customer_id,
                    selected,
                ),
            )
            for r in rows
        ]
        answers = conn.execute(
            scoped(
                select(SUR.c.customer_id, SUR.c.score).where(
                    live(SUR),
                    SUR.c.survey_type == "csat",
                    SUR.c.response_date.between(d(start), d(end)),
                ),
                SUR.c.customer_id,
                selected,
            )
        ).all()
    paid_on = defaultdict(list)
    collected = defaultdict(int)
    for who, inv, day, cents in cash:
        paid_on[inv].append(to_date(day))
        collected[profile.get(who)] += int(cents)
    cost = defaultdict(int)
    worked: dict[tuple, list] = defaultdict(lambda: [0, 0])
    window = dt.timedelta(days=REMINDER_WORKED_DAYS)
    for who, inv, day, channel, cents in acts:
        p = profile.get(who)
        cost[p] += int(cents or 0)
        if inv:
            day = to_date(day)
            w = worked[(p, channel)]
            w[0] += any(day <= x <= day + window for x in paid_on.get(inv, ()))
            w[1] += 1
    csat = defaultdict(lambda: [0, 0])
    for who, score in answers:
        csat[profile.get(who)][0] += int(score) >= 4
        csat[profile.get(who)][1] += 1
    return cost, collected, worked, csat


def _profile_sums_from_columns(
    engine: Engine, start: dt.date, end: dt.date, filters: Filters, profile: dict
) -> ProfileSums | None:
    """``_profile_sums_in_sql``'s figures from the columnar copy (each action's invoice and
    channel are in it): a reminder worked when its invoice has a completed payment dated from
    its day to 14 days after, found by one search among the window's payments sorted by
    invoice and day. None without a copy, or where an invoice's customer is not in the
    customers table."""
    import numpy as np

    from dashboard.metrics import columnar

    cols = columnar.columns_for(engine)
    if cols is None or not cols.customers_known():
        return None
    lo, hi = columnar.day(start), columnar.day(end)
    names = [None, *PROFILES]  # a profile's code is its place here (0: none)
    customers = cols.labels["customer_id"]
    of = np.zeros(len(customers) + 1, dtype=np.int64)  # per customer, then "no such customer"
    at = pd.Index(customers).get_indexer(list(profile))  # (-1: not in the copy, left out)
    codes = np.array([names.index(p) for p in profile.values()], dtype=np.int64)
    of[at[at >= 0]] = codes[at >= 0]
    sel = cols.selection(filters.segments, filters.regions, filters.collectors)

    def rows(days, customers_of) -> np.ndarray:  # a table's rows dated in the window, chosen
        at = np.arange(columnar.before(days, lo), columnar.after(days, hi))
        return at if sel is None else at[sel.customers[customers_of(at)]]

    def per_profile(codes: np.ndarray, values: np.ndarray | None = None) -> dict:
        sums = np.zeros(len(names), dtype=np.int64)  # whole numbers, exact
        np.add.at(sums, codes, 1 if values is None else values)
        return {names[k]: int(sums[k]) for k in range(len(names))}

    acts = rows(cols.act_day, lambda at: cols.act_cust[at])
    act_profile = of[cols.act_cust[acts]]
    cost = per_profile(act_profile, cols.act_cost[acts].astype(np.int64))
    paid = rows(cols.cp_day, lambda at: cols.inv_cust[cols.cp_inv[at]])
    paid_inv = cols.cp_inv[paid].astype(np.int64)
    collected = per_profile(of[cols.inv_cust[paid_inv]], cols.cp_amount[paid].astype(np.int64))
    # reminders of an invoice: followed by its payment within the days?
    act_inv = cols.act_inv[acts]
    named = act_inv != columnar.NO_INVOICE
    inv = act_inv[named].astype(np.int64)
    day = cols.act_day[acts][named].astype(np.int64) - lo
    keys = np.sort((paid_inv << 20) | (cols.cp_day[paid].astype(np.int64) - lo))
    found = np.searchsorted(keys, (inv << 20) | day)
    nxt = keys[np.minimum(found, len(keys) - 1)] if len(keys) else np.zeros(len(inv), np.int64)
    hit = (
        (found < len(keys))
        & (inv >= 0)
        & (nxt >> 20 == inv)
        & ((nxt & ((1 << 20) - 1)) <= day + REMINDER_WORKED_DAYS)
    )
    channels = cols.labels["channel"]
    pair = act_profile[named] * len(channels) + cols.act_channel[acts][named]
    size = len(names) * len(channels)
    hits = np.bincount(pair, weights=hit, minlength=size).astype(np.int64)
    counts = np.bincount(pair, minlength=size)
    worked = {
        (names[k // len(channels)], channels[k % len(channels)]): [int(hits[k]), int(counts[k])]
        for k in np.flatnonzero(counts)
    }
    answers = rows(cols.sur_day, lambda at: cols.sur_cust[at])
    csat_type = columnar.SURVEY_TYPES.index("csat")
    answers = answers[cols.sur_type[answers] == csat_type]
    answer_profile = of[cols.sur_cust[answers]]
    satisfied = per_profile(answer_profile, (cols.sur_score[answers] >= 4).astype(np.int64))
    asked = per_profile(answer_profile)
    csat = {p: [satisfied[p], asked[p]] for p in names}
    return cost, collected, worked, csat


def payer_profiles(engine: Engine, end: dt.date, filters: Filters) -> pd.DataFrame:
    """Per payer profile, over the 12 months to T: its share of customers and of receivables at
    T, the cost of its reminders per euro collected, its CSAT, and the reminder channel most
    often followed by the invoice's payment within 14 days (at least 10 reminders)."""
    from dashboard.metrics import worklist

    start = end - dt.timedelta(days=worklist.WINDOW_DAYS - 1)
    histories = worklist.histories(engine, end, filters)
    profile = {who: profile_of(h) for who, h in histories.items()}
    with metric_engine(engine) as eng:
        balances = eng.customer_balances(end)
    owed = dict(zip(balances["customer_id"], balances["open"], strict=True))
    sums = _profile_sums_from_columns(engine, start, end, filters, profile)
    cost, collected, worked, csat = sums or _profile_sums_in_sql(
        engine, start, end, filters, profile
    )
    customers = [who for who, p in profile.items() if p is not None]
    total_customers = len(customers)
    total_owed = sum(owed.get(who, 0) for who in customers)
    rows = []
    for p in PROFILES:
        mine = [who for who in customers if profile[who] == p]
        best = max(
            (
                (hits / n, channel)
                for (q, channel), (hits, n) in worked.items()
                if q == p and n >= 10
            ),
            default=None,
        )
        rows.append(
            {
                "profile": p,
                "customers": len(mine),
                "customers_pct": 100 * len(mine) / total_customers if total_customers else None,
                "receivables_pct": (
                    100 * sum(owed.get(w, 0) for w in mine) / total_owed if total_owed else None
                ),
                "cost_per_100_collected": (100 * cost[p] / collected[p] if collected[p] else None),
                "csat": 100 * csat[p][0] / csat[p][1] if csat[p][1] else None,
                "best_channel": None if best is None else best[1],
                "paid_within_14d_pct": None if best is None else 100 * best[0],
            }
        )
    return pd.DataFrame(rows)


def cost_allocation(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """How the collection cost of P is shared among segments (SPEC 3, "Shared costs"): per
    segment, its customers' own actions and their share of the cost lines; then what no
    segment holds (customers without a segment, lines with nobody active in their pool);
    then the company's figure, which the rows add up to."""
    rows = []
    with metric_engine(engine) as eng:
        for v in dimension_values(engine, "segment", filters):
            s = eng.measures(period, replace(filters, segments=(v,)))
            rows.append((v, s.action_cost_cents, s.overhead_cost_cents))
        whole = eng.measures(period, filters)
        total = (whole.action_cost_cents, whole.overhead_cost_cents)
    rest = (
        total[0] - sum(r[1] for r in rows),
        total[1] - sum(r[2] for r in rows),
    )
    rows += [("not in a segment, or unallocated", *rest), ("total", *total)]
    out = pd.DataFrame(rows, columns=["segment", "actions", "lines"])
    out["actions_eur"] = out.pop("actions").map(money)
    out["cost_lines_eur"] = out.pop("lines").map(money)
    out["collection_cost_eur"] = (out["actions_eur"] + out["cost_lines_eur"]).round(2)
    return out


# --- collections ---------------------------------------------------------------------------


def sales_and_collections(
    engine: Engine, end: dt.date, months: int, filters: Filters
) -> pd.DataFrame:
    """Credit sales and collected cash per month (the KPIs of the same names)."""
    return monthly(engine, end, months, filters, ("credit_sales", "collected"))


def channel_performance(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """Per reminder channel, actions dated in P: their count and cost, and the cash they brought.

    cash_eur = completed payments dated in P that follow an action of the channel on the same
    invoice within 14 days, each payment credited to the last action before it (last touch);
    paid_within_14d_pct = 100 × actions followed by such a payment / actions with an invoice;
    cash_per_cost = cash_eur / cost_eur.
    """
    f, t = period.start, period.end
    selected = selected_customers(filters)
    acts = select(ACT).where(live(ACT), ACT.c.action_date.between(d(f), d(t)))
    if selected is not None:
        acts = acts.where(ACT.c.customer_id.in_(selected))
    a = acts.subquery("a")
    later = ACT.alias("later")
    gap = days_between(PAY.c.payment_date, a.c.action_date)
    newer_touch = (
        select(later.c.id)
        .where(
            live(later),
            later.c.invoice_id == a.c.invoice_id,
            later.c.action_date <= PAY.c.payment_date,
            (later.c.action_date > a.c.action_date)
            | ((later.c.action_date == a.c.action_date) & (later.c.id > a.c.id)),
        )
        .exists()
    )
    credited = (
        select(a.c.id.label("action"), PAY.c.amount_cents)
        .select_from(
            a.join(
                PAY,
                and_(PAY.c.invoice_id == a.c.invoice_id, live(PAY), PAY.c.status == "completed"),
            )
        )
        .where(
            PAY.c.payment_date.between(d(f), d(t)),
            gap >= 0,
            gap <= CHANNEL_WINDOW_DAYS,
            ~newer_touch,
        )
        .subquery()
    )
    per_action = (
        select(credited.c.action, func.sum(credited.c.amount_cents).label("cash"))
        .group_by(credited.c.action)
        .subquery()
    )
    q = (
        select(
            a.c.channel,
            func.count().label("actions"),
            func.sum(a.c.cost_cents).label("cost"),
            func.sum(case((a.c.invoice_id.is_not(None), 1), else_=0)).label("with_invoice"),
            func.sum(case((per_action.c.cash > 0, 1), else_=0)).label("followed"),
            func.sum(func.coalesce(per_action.c.cash, 0)).label("cash"),
        )
        .select_from(a.outerjoin(per_action, per_action.c.action == a.c.id))
        .group_by(a.c.channel)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = pd.DataFrame(
        [
            {
                "channel": r["channel"],
                "actions": int(r["actions"]),
                "cost_eur": money(r["cost"]),
                "cash_eur": money(r["cash"]),
                "paid_within_14d_pct": (
                    100 * int(r["followed"]) / int(r["with_invoice"]) if r["with_invoice"] else None
                ),
                "cash_per_cost": (int(r["cash"]) / int(r["cost"]) if r["cost"] else None),
            }
            for r in rows
        ],
        columns=[
            "channel",
            "actions",
            "cost_eur",
            "cash_eur",
            "paid_within_14d_pct",
            "cash_per_cost",
        ],
    )
    return out.sort_values("cash_eur", ascending=False, ignore_index=True)


def cost_by_month(engine: Engine, end: dt.date, months: int, filters: Filters) -> pd.DataFrame:
    """Collection cost per month and source: action costs by channel, cost lines by category
    (whole months; the KPI prorates partial months)."""
    first = month_start(end, -(months - 1))
    selected = selected_customers(filters)
    ym = year_month(ACT.c.action_date)
    q = (
        select(
            ym.label("month"),
            ACT.c.channel.label("source"),
            func.sum(ACT.c.cost_cents).label("cost"),
        )
        .where(live(ACT), ACT.c.action_date.between(d(first), d(end)))
        .group_by(ym, ACT.c.channel)
    )
    if selected is not None:
        q = q.where(ACT.c.customer_id.in_(selected))
    c = COST
    lines = (
        select(
            c.c.month,
            (literal("overhead: ") + c.c.category).label("source"),
            func.sum(c.c.amount_cents).label("cost"),
        )
        .where(live(c), c.c.month.between(f"{first:%Y-%m}", f"{end:%Y-%m}"))
        .group_by(c.c.month, c.c.category)
    )
    if filters.segments:
        lines = lines.where(c.c.segment.in_(filters.segments))
    with engine.connect() as conn:
        rows = [*conn.execute(q).mappings(), *conn.execute(lines).mappings()]
    return pd.DataFrame(
        [{"month": r["month"], "source": r["source"], "cost_eur": money(r["cost"])} for r in rows],
        columns=["month", "source", "cost_eur"],
    )


def payment_failures(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """Payment records dated in P per method and status; failure_rate_pct as the KPI defines it."""
    selected = selected_customers(filters)
    st = PAY.c.status

    def count(value):
        return func.sum(case((st == value, 1), else_=0))

    # the same SQL text in SELECT and GROUP BY: two bound "unknown"s differ for PostgreSQL
    method = func.coalesce(PAY.c.method, literal_column("'unknown'"))
    q = (
        select(
            method.label("method"),
            func.count().label("records"),
            count("completed").label("completed"),
            count("failed").label("failed"),
            count("incomplete").label("incomplete"),
            count("input_error").label("input_error"),
        )
        .select_from(PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))))
        .where(live(PAY), PAY.c.payment_date.between(d(period.start), d(period.end)))
        .group_by(method)
    )
    if selected is not None:
        q = q.where(INV.c.customer_id.in_(selected))
    df = frame(engine, q, ["method", "records", "completed", "failed", "incomplete", "input_error"])
    for col in df.columns[1:]:
        df[col] = df[col].astype(int)
    df["failure_rate_pct"] = 100 * (df["records"] - df["completed"]) / df["records"]
    return df.sort_values("failure_rate_pct", ascending=False, ignore_index=True)


# --- satisfaction --------------------------------------------------------------------------


@dataclass(frozen=True)
class _SurveysOnly:
    surveys: SurveyCounts


def satisfaction_by(
    engine: Engine, period: Period, filters: Filters, dimension: str
) -> pd.DataFrame:
    """CSAT, NPS and CES (their KPI functions) per segment or per touchpoint."""
    by = CUS.c.segment if dimension == "segment" else SUR.c.touchpoint
    q = survey_counts(period, selected_customers(filters), by=func.coalesce(by, "—"))
    if dimension == "segment":
        q = q.join_from(SUR, CUS, and_(CUS.c.customer_id == SUR.c.customer_id, live(CUS)))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = []
    for r in rows:
        # the survey KPIs read nothing but the counts
        counts = _SurveysOnly(SurveyCounts.from_row(r))
        out.append(
            {
                dimension: r["group"],
                "responses": counts.surveys.responses,
                **{n: METRICS[n].compute(counts) for n in ("csat", "nps", "ces")},
            }
        )
    out.sort(key=lambda r: str(r[dimension]))  # GROUP BY alone promises no order
    return pd.DataFrame(out, columns=[dimension, "responses", "csat", "nps", "ces"])


def verbatims(
    engine: Engine, period: Period, filters: Filters, search: str = "", limit: int = 500
) -> pd.DataFrame:
    """Survey comments dated in P, newest first; ``search`` matches text, case-insensitively."""
    q = (
        select(
            SUR.c.response_date,
            SUR.c.customer_id,
            CUS.c.name,
            CUS.c.segment,
            SUR.c.survey_type,
            SUR.c.score,
            SUR.c.touchpoint,
            SUR.c.comment,
        )
        .join_from(SUR, CUS, and_(CUS.c.customer_id == SUR.c.customer_id, live(CUS)), isouter=True)
        .where(
            live(SUR),
            SUR.c.comment.is_not(None),
            SUR.c.response_date.between(d(period.start), d(period.end)),
        )
        .order_by(SUR.c.response_date.desc(), SUR.c.id.desc())
        .limit(limit)
    )
    if search.strip():
        q = q.where(SUR.c.comment.icontains(search.strip(), autoescape=True))
    selected = selected_customers(filters)
    if selected is not None:
        q = q.where(SUR.c.customer_id.in_(selected))
    return frame(
        engine,
        q,
        [
            "response_date",
            "customer_id",
            "name",
            "segment",
            "survey_type",
            "score",
            "touchpoint",
            "comment",
        ],
    )


@dataclass(frozen=True)
class Correlation:
    """How satisfaction moves with one payment behaviour, across customers."""

    behaviour: str
    r: float | None
    customers: int

    @property
    def strength(self) -> str:
        if self.r is None:
            return "none"
        a = abs(self.r)
        return "none" if a < 0.1 else "weak" if a < 0.3 else "moderate" if a < 0.5 else "strong"

    @property
    def direction(self) -> str:
        return "negative" if (self.r or 0) < 0 else "positive"


def customer_behaviour(engine: Engine, end: dt.date, filters: Filters) -> pd.DataFrame:
    """Per customer, over the 12 months to T: satisfaction against payment behaviour.

    csat_score = mean CSAT score (1–5) of its answers; avg_days_late = Σ amount × (settlement
    − due) / Σ amount over its invoices settled in the window; disputes = its disputed
    invoices issued in the window; reminders = its collection actions in the window.
    """
    start = month_start(end, -(BEHAVIOUR_MONTHS - 1))
    selected = selected_customers(filters)
    sat = (
        select(SUR.c.customer_id, func.avg(SUR.c.score).label("csat_score"))
        .where(
            live(SUR), SUR.c.survey_type == "csat", SUR.c.response_date.between(d(start), d(end))
        )
        .group_by(SUR.c.customer_id)
        .subquery()
    )
    disputes = (
        select(
            INV.c.customer_id,
            func.sum(case((INV.c.disputed.is_(True), 1), else_=0)).label("disputes"),
        )
        .where(live(INV), INV.c.issue_date.between(d(start), d(end)))
        .group_by(INV.c.customer_id)
        .subquery()
    )
    reminders = (
        select(ACT.c.customer_id, func.count().label("reminders"))
        .where(live(ACT), ACT.c.action_date.between(d(start), d(end)))
        .group_by(ACT.c.customer_id)
        .subquery()
    )
    q = (
        select(
            CUS.c.customer_id,
            CUS.c.name,
            CUS.c.segment,
            sat.c.csat_score,
            func.coalesce(disputes.c.disputes, 0).label("disputes"),
            func.coalesce(reminders.c.reminders, 0).label("reminders"),
        )
        .select_from(
            CUS.join(sat, sat.c.customer_id == CUS.c.customer_id)
            .outerjoin(disputes, disputes.c.customer_id == CUS.c.customer_id)
            .outerjoin(reminders, reminders.c.customer_id == CUS.c.customer_id)
        )
        .where(live(CUS))
    )
    if selected is not None:
        q = q.where(CUS.c.customer_id.in_(selected))
    df = frame(engine, q, ["customer_id", "name", "segment", "csat_score", "disputes", "reminders"])
    df["csat_score"] = pd.to_numeric(df["csat_score"], errors="coerce").astype(float)
    for col in ("disputes", "reminders"):
        df[col] = df[col].astype(int)
    df = df.merge(_avg_days_late_by_customer(engine, end, filters), on="customer_id", how="left")
    return df[
        ["customer_id", "name", "segment", "csat_score", "avg_days_late", "disputes", "reminders"]
    ]


def behaviour_points(behaviour: pd.DataFrame, limit: int = 5000) -> pd.DataFrame:
    """Points for the satisfaction scatter: one per customer up to ``limit``; beyond, the mean
    CSAT score per whole day late (with the number of customers), so a chart stays small."""
    points = behaviour.dropna(subset=["avg_days_late", "csat_score"])
    if len(points) <= limit:
        return points.assign(customers=1)
    binned = (
        points.assign(avg_days_late=points["avg_days_late"].round())
        .groupby("avg_days_late", as_index=False)
        .agg(csat_score=("csat_score", "mean"), customers=("customer_id", "size"))
    )
    binned["name"] = binned["customers"].astype(str) + " customers"
    return binned


def correlations(behaviour: pd.DataFrame) -> list[Correlation]:
    """Pearson r between csat_score and each behaviour, over customers that have both."""
    out = []
    for col in ("avg_days_late", "disputes", "reminders"):
        pair = behaviour[["csat_score", col]].dropna()
        r = None
        if len(pair) >= 3 and pair[col].std() > 0 and pair["csat_score"].std() > 0:
            r = float(pair["csat_score"].corr(pair[col]))
        out.append(Correlation(col, r, len(pair)))
    return out


# --- late-payment reasons ------------------------------------------------------------------


def _reason_rows(period: Period, filters: Filters):
    owner = func.coalesce(REA.c.owner, CODES.c.owner, FALLBACK_OWNER)
    q = (
        select(
            REA.c.reason,
            owner.label("owner"),
            INV.c.invoice_id,
            INV.c.customer_id,
            INV.c.amount_cents,
            INV.c.due_date,
        )
        .select_from(
            REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))).outerjoin(
                CODES, CODES.c.code == REA.c.reason
            )
        )
        .where(live(REA), INV.c.due_date.between(d(period.start), d(period.end)))
        .distinct()
    )
    selected = selected_customers(filters)
    if selected is not None:
        q = q.where(INV.c.customer_id.in_(selected))
    return q


def reason_pareto(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """Late reasons by code (all owners together): distinct invoices, € at stake, cumulative %."""
    r = _reason_rows(period, filters).subquery()
    per = select(r.c.reason, r.c.invoice_id, r.c.amount_cents).distinct().subquery()
    q = select(
        per.c.reason, func.count().label("invoices"), func.sum(per.c.amount_cents).label("amount")
    ).group_by(per.c.reason)
    with engine.connect() as conn:
        df = pd.DataFrame(
            [
                {"reason": a, "invoices": int(n), "amount_eur": money(s)}
                for a, n, s in conn.execute(q)
            ],
            columns=["reason", "invoices", "amount_eur"],
        )
    df = df.sort_values(["amount_eur", "invoices"], ascending=False, ignore_index=True)
    total = df["amount_eur"].sum()
    df["cumulative_pct"] = 100 * df["amount_eur"].cumsum() / total if total else 0.0
    return df


def owner_trend(engine: Engine, end: dt.date, months: int, filters: Filters) -> pd.DataFrame:
    """Per month of due date and owner: € at stake and the owner's share of that month."""
    first = month_start(end, -(months - 1))
    r = _reason_rows(Period(first, end), filters).subquery()
    per = select(r.c.owner, r.c.invoice_id, r.c.amount_cents, r.c.due_date).distinct().subquery()
    ym = year_month(per.c.due_date)
    q = select(
        ym.label("month"),
        per.c.owner,
        func.count().label("invoices"),
        func.sum(per.c.amount_cents).label("amount"),
    ).group_by(ym, per.c.owner)
    with engine.connect() as conn:
        df = pd.DataFrame(
            [
                {"month": m, "owner": o, "invoices": int(n), "amount_eur": money(s)}
                for m, o, n, s in conn.execute(q)
            ],
            columns=["month", "owner", "invoices", "amount_eur"],
        )
    totals = df.groupby("month")["amount_eur"].transform("sum")
    df["share_pct"] = 100 * df["amount_eur"] / totals.where(totals > 0)
    return df.sort_values(["month", "owner"], ignore_index=True)


MIN_REMINDERS = 20  # fewer reminders than this in a cell: not enough data to say
TIMING_KEYS = {"weekday": lambda day, time: day.weekday(), "hour": lambda day, time: time.hour}


def reminder_timing(
    engine: Engine, period: Period, filters: Filters, by: tuple[str, ...] = ("weekday",)
) -> pd.DataFrame:
    """Per reminder channel and ``by`` (``weekday``, ``hour`` or both) of the reminders dated
    in P: how many, how many were followed by a completed payment of the same invoice within
    14 days, and the cash of those payments (each payment credited to the last reminder before
    it, as for the channels). By hour, only the reminders whose file gave their time count."""
    return reminder_timings(engine, period, filters, (by,))[0]


def reminder_timings(
    engine: Engine, period: Period, filters: Filters, views: tuple[tuple[str, ...], ...]
) -> list[pd.DataFrame]:
    """:func:`reminder_timing` of each ``by`` in ``views``, the reminders and payments read
    and matched once for all of them."""
    selected = selected_customers(filters)
    start = period.start
    with engine.connect() as conn:
        acts = conn.execute(
            scoped(
                select(ACT.c.invoice_id, ACT.c.action_date, ACT.c.action_time, ACT.c.channel).where(
                    live(ACT),
                    ACT.c.invoice_id.is_not(None),
                    ACT.c.action_date.between(d(start), d(period.end)),
                ),
                ACT.c.customer_id,
                selected,
            )
        ).all()
        pays = conn.execute(
            select(PAY.c.invoice_id, PAY.c.payment_date, PAY.c.amount_cents).where(
                live(PAY),
                PAY.c.status == "completed",
                PAY.c.payment_date.between(
                    d(start), d(period.end + dt.timedelta(days=CHANNEL_WINDOW_DAYS))
                ),
            )
        ).all()
    by_invoice: dict[str, list] = defaultdict(list)
    for inv, day, time, channel in acts:
        by_invoice[inv].append((to_date(day), _time_of(time), channel))
    for touches in by_invoice.values():
        touches.sort(key=lambda t: (t[0], t[1] or dt.time.min))
    # each payment: the reminders it followed, and the last of them, which it is credited to
    window = dt.timedelta(days=CHANNEL_WINDOW_DAYS)
    credited: dict[tuple, int] = defaultdict(int)  # (invoice, touch) -> cents
    followed: set[tuple] = set()
    for inv, day, cents in pays:
        day = to_date(day)
        before = [t for t in by_invoice.get(inv, ()) if t[0] <= day <= t[0] + window]
        if before:
            credited[(inv, before[-1])] += int(cents)
            followed.update((inv, t) for t in before)
    return [_timing_table(by_invoice, followed, credited, by) for by in views]


def _timing_table(by_invoice: dict, followed: set, credited: dict, by: tuple) -> pd.DataFrame:
    """The reminders counted per channel and ``by`` (a touch without a time has no hour)."""
    counts: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])  # reminders, followed, cents
    for inv, touches in by_invoice.items():
        paid_to: set[tuple] = set()  # two identical reminders: the cash counted once
        for touch in touches:
            day, time, channel = touch
            if time is None and "hour" in by:
                continue
            c = counts[(channel, *(TIMING_KEYS[k](day, time) for k in by))]
            c[0] += 1
            c[1] += (inv, touch) in followed
            if touch not in paid_to:
                paid_to.add(touch)
                c[2] += credited.get((inv, touch), 0)
    columns = ["channel", *by]
    rows = [
        {
            **dict(zip(columns, key, strict=True)),
            "reminders": n,
            "followed": k,
            "paid_within_14d_pct": 100 * k / n if n >= MIN_REMINDERS else None,
            "cash_eur": money(cents),
        }
        for key, (n, k, cents) in sorted(counts.items())
    ]
    return pd.DataFrame(
        rows, columns=[*columns, "reminders", "followed", "paid_within_14d_pct", "cash_eur"]
    )


def _time_of(value) -> dt.time | None:
    """A stored time (SQLite may hand back its text)."""
    if value is None or isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


FIX_WINDOW_DAYS = 180  # before/after a process fix: at most half a year on each side


def reason_share(engine: Engine, period: Period, filters: Filters, reason: str) -> dict:
    """A cause's share of the late euros of invoices due in P: its invoices and their amounts
    against those of every invoice with a recorded reason (each invoice once)."""
    r = _reason_rows(period, filters).subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.reason, r.c.invoice_id, r.c.amount_cents)).all()
    every = {inv: int(a) for _, inv, a in rows}
    mine = {inv: int(a) for code, inv, a in rows if code == reason}
    total = sum(every.values())
    return {
        "invoices": len(mine),
        "late_invoices": len(every),
        "amount_eur": money(sum(mine.values())),
        "late_amount_eur": money(total),
        "share_pct": 100 * sum(mine.values()) / total if total else None,
    }


def reason_share_trend(
    engine: Engine, end: dt.date, months: int, filters: Filters, reason: str
) -> pd.DataFrame:
    """The cause's monthly share of late euros (by month of due date)."""
    rows = [
        {"month": p.start, **reason_share(engine, p, filters, reason)}
        for p in months_back(end, months)
    ]
    return pd.DataFrame(rows)


def fix_effect(
    engine: Engine, reason: str, fixed_on: dt.date, end: dt.date, filters: Filters
) -> dict | None:
    """The cause's share of late euros before and after a process fix, over the same length
    of time on each side (up to half a year; as long as the time since the fix allows):
    None while the fix is too recent (on or after T)."""
    days = min((end - fixed_on).days + 1, FIX_WINDOW_DAYS)
    if days <= 0:
        return None
    before = Period(fixed_on - dt.timedelta(days=days), fixed_on - dt.timedelta(days=1))
    after = Period(fixed_on, fixed_on + dt.timedelta(days=days - 1))
    return {
        "days": days,
        "before": {"start": before.start, "end": before.end}
        | reason_share(engine, before, filters, reason),
        "after": {"start": after.start, "end": after.end}
        | reason_share(engine, after, filters, reason),
    }


def aged_balance(engine: Engine, end: dt.date, filters: Filters) -> pd.DataFrame:
    """Per customer with an open balance at T: its open amount by aging bucket (SPEC's buckets
    by days past due), the total, the overdue part, its credit limit and the share of it used
    (exposure), its risk class and collector; largest overdue first."""
    items = open_items_query(end).subquery()
    late = days_between(d(end), items.c.due_date)

    def bucket(lo: int | None, hi: int | None):
        cond = [items.c.open_cents > 0]
        if lo is not None:
            cond.append(late >= lo)
        if hi is not None:
            cond.append(late <= hi)
        return func.sum(case((and_(*cond), items.c.open_cents), else_=0))

    q = (
        select(
            items.c.customer_id,
            bucket(None, 0).label("current"),
            bucket(1, 30).label("d1_30"),
            bucket(31, 60).label("d31_60"),
            bucket(61, 90).label("d61_90"),
            bucket(91, None).label("d90_plus"),
            func.sum(items.c.open_cents).label("open"),
        )
        .group_by(items.c.customer_id)
        .having(func.sum(items.c.open_cents) > 0)
    )
    selected = selected_customers(filters)
    if selected is not None:
        q = q.where(items.c.customer_id.in_(selected))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
        profile = conn.execute(
            select(
                CUS.c.customer_id,
                CUS.c.name,
                CUS.c.segment,
                CUS.c.collector,
                CUS.c.risk_class,
                CUS.c.credit_limit_cents,
            ).where(live(CUS))
        ).mappings()
        about = {p["customer_id"]: p for p in profile}
    out = []
    for r in rows:
        p = about.get(r["customer_id"], {})
        limit = p.get("credit_limit_cents")
        open_cents = int(r["open"])
        out.append(
            {
                "customer_id": r["customer_id"],
                "name": p.get("name"),
                "segment": p.get("segment"),
                "collector": p.get("collector"),
                "risk_class": p.get("risk_class"),
                **{f"{b}_eur": money(r[b]) for b in AGING_BUCKETS},
                "open_eur": money(open_cents),
                "overdue_eur": money(open_cents - int(r["current"])),
                "credit_limit_eur": None if limit is None else money(limit),
                "exposure_pct": None if not limit else 100 * open_cents / limit,
            }
        )
    columns = [
        "customer_id",
        "name",
        "segment",
        "collector",
        "risk_class",
        *(f"{b}_eur" for b in AGING_BUCKETS),
        "open_eur",
        "overdue_eur",
        "credit_limit_eur",
        "exposure_pct",
    ]
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values(
        ["overdue_eur", "open_eur", "customer_id"],
        ascending=[False, False, True],
        ignore_index=True,
    )


def concentration_pct(balance: pd.DataFrame, top: int = 10) -> float | None:
    """The share of receivables owed by the ``top`` customers that owe the most (%)."""
    total = balance["open_eur"].sum()
    if not total:
        return None
    return 100 * balance["open_eur"].nlargest(top).sum() / total


def dispute_scorecard(engine: Engine, period: Period, filters: Filters) -> pd.DataFrame:
    """Per process owner, disputes as SPEC.md section 3 counts them: open at T (invoices and
    their open amounts), the age of the oldest open one, the median resolution days of those
    resolved in P and in the period before it (same length)."""
    with metric_engine(engine) as eng:
        now = eng.measures(period, filters).dispute_owners
        before = eng.measures(period.previous(), filters).dispute_owners
    rows = [
        {
            "owner": owner,
            "open_invoices": figures["open_invoices"],
            "open_eur": money(figures["open_cents"]),
            "oldest_days": figures["oldest_days"],
            "resolution_days": figures["resolution_days"],
            "previous_resolution_days": before.get(owner, {}).get("resolution_days"),
        }
        for owner, figures in now.items()
    ]
    columns = [
        "owner",
        "open_invoices",
        "open_eur",
        "oldest_days",
        "resolution_days",
        "previous_resolution_days",
    ]
    out = pd.DataFrame(rows, columns=columns)
    for col in ("oldest_days",):
        out[col] = out[col].astype("Int64")
    return out.sort_values(["open_eur", "owner"], ascending=[False, True], ignore_index=True)


def resolution_trend(engine: Engine, end: dt.date, months: int, filters: Filters) -> pd.DataFrame:
    """Per owner, the median resolution days of each of the ``months`` months up to T (the
    months where the owner resolved nothing are left out), with the count behind each."""
    first = months_back(end, months)[0].start
    with engine.connect() as conn:
        rows = events.resolution_by_month(conn, first, end, selected_customers(filters))
    return pd.DataFrame(rows, columns=["owner", "month", "resolved", "resolution_days"])


def open_disputes(
    engine: Engine,
    end: dt.date,
    filters: Filters,
    owner: str | None = None,
    limit: int | None = OPEN_DISPUTES_SHOWN,
) -> tuple[pd.DataFrame, int]:
    """The reason records open at T, oldest first (the ``limit`` oldest; of one ``owner``),
    with their customer's name; and how many are open in all."""
    selected = selected_customers(filters)
    with engine.connect() as conn:
        if limit is None:
            rows = events.open_disputes(conn, end, selected, owner)
            total = len(rows)
        else:
            rows, total = events.oldest_open_disputes(conn, end, limit, selected, owner)
        names_of = select(CUS.c.customer_id, CUS.c.name).where(live(CUS))
        if limit is not None:  # a head's customers only (the whole list may name more
            # customers than a query may carry parameters: PostgreSQL's 65,535)
            names_of = names_of.where(CUS.c.customer_id.in_({r["customer_id"] for r in rows}))
        names = dict(conn.execute(names_of).all())
    out = pd.DataFrame(
        rows,
        columns=[
            "invoice_id",
            "customer_id",
            "reason",
            "owner",
            "recorded_date",
            "days_open",
            "open_eur",
        ],
    )
    out.insert(2, "name", out["customer_id"].map(names))
    return out, total


def reason_invoices(
    engine: Engine,
    period: Period,
    filters: Filters,
    owner: str | None = None,
    reason: str | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The invoices behind an owner (and a reason), with their customer and amount."""
    r = _reason_rows(period, filters).subquery()
    q = (
        select(
            r.c.invoice_id,
            r.c.reason,
            r.c.owner,
            r.c.customer_id,
            CUS.c.name,
            r.c.due_date,
            r.c.amount_cents,
        )
        .select_from(r.outerjoin(CUS, and_(CUS.c.customer_id == r.c.customer_id, live(CUS))))
        .order_by(r.c.amount_cents.desc(), r.c.invoice_id)
        .limit(limit)
    )
    if owner:
        q = q.where(r.c.owner == owner)
    if reason:
        q = q.where(r.c.reason == reason)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame(
        [
            {
                **{k: v for k, v in x.items() if k != "amount_cents"},
                "amount_eur": money(x["amount_cents"]),
            }
            for x in rows
        ],
        columns=["invoice_id", "reason", "owner", "customer_id", "name", "due_date", "amount_eur"],
    )


# --- customers -----------------------------------------------------------------------------


def customer_list(
    engine: Engine, end: dt.date, filters: Filters, search: str = "", limit: int = 2000
) -> pd.DataFrame:
    """Customers with open balance and overdue at T, average days late over 12 months, their
    latest survey score and their top late-payment reason (by € at stake); the most overdue
    first, ``limit`` at most."""
    # Balances from the metric engine; names and attributes (small) from the database.
    q = select(CUS.c.customer_id, CUS.c.name, CUS.c.segment, CUS.c.region, CUS.c.collector)
    people = frame(
        engine,
        _customer_scope(q, filters, search),
        ["customer_id", "name", "segment", "region", "collector"],
    )
    with metric_engine(engine) as eng:
        balances = eng.customer_balances(end)
    df = people.merge(balances, on="customer_id", how="left")
    df[["open", "overdue"]] = df[["open", "overdue"]].fillna(0).astype("int64")
    df = df.sort_values(
        ["overdue", "open", "customer_id"], ascending=[False, False, True], kind="stable"
    ).head(limit)
    df = df.merge(
        _last_survey_and_top_reason(engine, end, df["customer_id"].tolist()),
        on="customer_id",
        how="left",
    )
    df["open"], df["overdue"] = df["open"].map(money), df["overdue"].map(money)
    df = df.rename(columns={"open": "open_eur", "overdue": "overdue_eur"})
    df["last_score"] = pd.to_numeric(df["last_score"]).astype("Int64")
    return df.merge(
        _avg_days_late_by_customer(engine, end, filters), on="customer_id", how="left"
    ).reset_index(drop=True)


def _customer_scope(q, filters: Filters, search: str):
    q = q.where(live(CUS))
    if search.strip():
        term = search.strip()
        q = q.where(
            CUS.c.customer_id.icontains(term, autoescape=True)
            | CUS.c.name.icontains(term, autoescape=True)
        )
    selected = selected_customers(filters)
    return q if selected is None else q.where(CUS.c.customer_id.in_(selected))


def _last_survey_and_top_reason(engine: Engine, end: dt.date, ids: list[str]) -> pd.DataFrame:
    """For these customers: the type and score of their latest answer by T, and their late
    reason with the most € at stake."""
    columns = ["customer_id", "last_survey", "last_score", "top_reason"]
    if not ids:
        return pd.DataFrame(columns=columns)
    latest = (
        select(
            SUR.c.customer_id,
            SUR.c.survey_type,
            SUR.c.score,
            func.row_number()
            .over(
                partition_by=SUR.c.customer_id,
                order_by=(SUR.c.response_date.desc(), SUR.c.id.desc()),
            )
            .label("rn"),
        )
        .where(live(SUR), SUR.c.response_date <= d(end), SUR.c.customer_id.in_(ids))
        .subquery()
    )
    reasons = (
        select(INV.c.customer_id, REA.c.reason, func.sum(INV.c.amount_cents).label("amount"))
        .select_from(REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))))
        .where(live(REA), INV.c.customer_id.in_(ids))
        .group_by(INV.c.customer_id, REA.c.reason)
        .subquery()
    )
    ranked = select(
        reasons.c.customer_id,
        reasons.c.reason,
        func.row_number()
        .over(
            partition_by=reasons.c.customer_id, order_by=(reasons.c.amount.desc(), reasons.c.reason)
        )
        .label("rn"),
    ).subquery()
    last = frame(
        engine,
        select(
            latest.c.customer_id,
            latest.c.survey_type.label("last_survey"),
            latest.c.score.label("last_score"),
        ).where(latest.c.rn == 1),
        ["customer_id", "last_survey", "last_score"],
    )
    top = frame(
        engine,
        select(ranked.c.customer_id, ranked.c.reason.label("top_reason")).where(ranked.c.rn == 1),
        ["customer_id", "top_reason"],
    )
    return last.merge(top, on="customer_id", how="outer")[columns]


def _avg_days_late_by_customer(engine: Engine, end: dt.date, filters: Filters) -> pd.DataFrame:
    start = month_start(end, -(BEHAVIOUR_MONTHS - 1))
    with metric_engine(engine) as eng:
        return eng.avg_days_late_by_customer(start, end, filters)


def customer_detail(engine: Engine, customer_id: str, end: dt.date) -> dict[str, pd.DataFrame]:
    """One customer at T: profile, open items, payments, reminders, promises to pay and plan
    instalments (each judged by SPEC's rule), reasons, survey answers."""
    items = open_items_query(end).where(INV.c.customer_id == customer_id).subquery()
    with engine.connect() as conn:
        profile = pd.DataFrame(
            conn.execute(
                select(
                    CUS.c.customer_id,
                    CUS.c.name,
                    CUS.c.segment,
                    CUS.c.region,
                    CUS.c.country,
                    CUS.c.industry,
                    CUS.c.risk_class,
                    CUS.c.payment_terms_days,
                    CUS.c.collector,
                    CUS.c.preferred_channel,
                ).where(live(CUS), CUS.c.customer_id == customer_id)
            )
            .mappings()
            .all()
        )
        open_items = pd.DataFrame(
            conn.execute(
                select(
                    items.c.invoice_id,
                    items.c.issue_date,
                    items.c.due_date,
                    items.c.amount_cents,
                    items.c.open_cents,
                    items.c.disputed,
                    items.c.original_currency,
                    items.c.original_amount_cents,
                )
                .where(items.c.open_cents > 0)
                .order_by(items.c.due_date)
            )
            .mappings()
            .all(),
            columns=[
                "invoice_id",
                "issue_date",
                "due_date",
                "amount_cents",
                "open_cents",
                "disputed",
                "original_currency",
                "original_amount_cents",
            ],
        )
        payments = pd.DataFrame(
            conn.execute(
                select(
                    PAY.c.payment_date,
                    PAY.c.invoice_id,
                    PAY.c.amount_cents,
                    PAY.c.method,
                    PAY.c.status,
                    PAY.c.original_currency,
                    PAY.c.original_amount_cents,
                )
                .join_from(PAY, INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV)))
                .where(live(PAY), INV.c.customer_id == customer_id, PAY.c.payment_date <= d(end))
                .order_by(PAY.c.payment_date.desc())
                .limit(500)
            )
            .mappings()
            .all(),
            columns=[
                "payment_date",
                "invoice_id",
                "amount_cents",
                "method",
                "status",
                "original_currency",
                "original_amount_cents",
            ],
        )
        actions = pd.DataFrame(
            conn.execute(
                select(
                    ACT.c.action_date,
                    ACT.c.channel,
                    ACT.c.outcome,
                    ACT.c.invoice_id,
                    ACT.c.cost_cents,
                    ACT.c.collector,
                )
                .where(live(ACT), ACT.c.customer_id == customer_id, ACT.c.action_date <= d(end))
                .order_by(ACT.c.action_date.desc())
                .limit(500)
            )
            .mappings()
            .all(),
            columns=["action_date", "channel", "outcome", "invoice_id", "cost_cents", "collector"],
        )
        reasons = pd.DataFrame(
            conn.execute(
                select(
                    REA.c.invoice_id,
                    REA.c.reason,
                    func.coalesce(REA.c.owner, CODES.c.owner, FALLBACK_OWNER).label("owner"),
                    REA.c.recorded_date,
                    REA.c.resolved_date,
                    REA.c.comment,
                )
                .select_from(
                    REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))).outerjoin(
                        CODES, CODES.c.code == REA.c.reason
                    )
                )
                .where(live(REA), INV.c.customer_id == customer_id)
                .order_by(REA.c.recorded_date.desc())
            )
            .mappings()
            .all(),
            columns=["invoice_id", "reason", "owner", "recorded_date", "resolved_date", "comment"],
        )
        surveys = pd.DataFrame(
            conn.execute(
                select(
                    SUR.c.response_date,
                    SUR.c.survey_type,
                    SUR.c.score,
                    SUR.c.touchpoint,
                    SUR.c.comment,
                )
                .where(live(SUR), SUR.c.customer_id == customer_id, SUR.c.response_date <= d(end))
                .order_by(SUR.c.response_date.desc())
            )
            .mappings()
            .all(),
            columns=["response_date", "survey_type", "score", "touchpoint", "comment"],
        )
    for frame, cols in (
        (open_items, ("amount_cents", "open_cents")),
        (payments, ("amount_cents",)),
        (actions, ("cost_cents",)),
    ):
        for col in cols:
            frame[col.replace("_cents", "_eur")] = frame.pop(col).map(money)
    for frame in (open_items, payments):  # in another currency: its own amount, kept
        own = frame.pop("original_amount_cents")
        if frame["original_currency"].isna().all():
            frame.pop("original_currency")
        else:
            frame["original_amount"] = own.map(lambda v: None if pd.isna(v) else money(v))
    # past due: days since the due date; not yet due: days until it (never a negative delay)
    days = [(end - pd.Timestamp(x).date()).days for x in open_items["due_date"]]
    open_items["days_past_due"] = pd.array([n if n > 0 else None for n in days], dtype="Int64")
    open_items["days_until_due"] = pd.array([-n if n <= 0 else None for n in days], dtype="Int64")
    channels = (
        actions.groupby("channel").size().rename("actions").reset_index()
        if not actions.empty
        else pd.DataFrame(columns=["channel", "actions"])
    )
    with engine.connect() as conn:
        promises = pd.DataFrame(
            events.customer_promises(conn, customer_id, end),
            columns=[
                "action_date",
                "invoice_id",
                "promised_date",
                "promised_eur",
                "promise_status",
                "collector",
            ],
        )
        plans = pd.DataFrame(
            events.customer_plans(conn, customer_id, end),
            columns=[
                "plan_id",
                "instalment",
                "due_date",
                "amount_eur",
                "invoice_id",
                "instalment_status",
            ],
        )
    return {
        "profile": profile,
        "promises": promises,
        "plans": plans,
        "open_items": open_items,
        "payments": payments,
        "actions": actions,
        "channels": channels,
        "reasons": reasons,
        "surveys": surveys,
    }
