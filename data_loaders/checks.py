"""Parsing and checking one chunk: the first pass that learns each column's conventions, the
per-column parsers and checks, and the row rules of the kind's declaration."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import String

from dashboard.storage.models import FACT_TABLES
from data_loaders.kinds import LABELS, LEDGER_STATUS, STATUS, SURVEY_TYPES, Kind, lookup
from data_loaders.parse import (
    DateEvidence,
    DecimalEvidence,
    parse_bool,
    parse_code,
    parse_dates,
    parse_id,
    parse_int,
    parse_label,
    parse_money,
    parse_month,
    parse_rate,
    parse_score,
    parse_time,
    time_of_dates,
)
from data_loaders.problems import ImportReport, add_problems
from data_loaders.read import Source
from data_loaders.rows import LATER_KIND_COLUMNS, write_offs

Progress = Callable[[str, int], None]


def default_date_order() -> str:
    """Order for columns whose dates never show it (all days <= 12): ENCAISSE_DATE_ORDER."""
    return "MDY" if os.environ.get("ENCAISSE_DATE_ORDER", "DMY").upper() == "MDY" else "DMY"


def _text_limits() -> dict[str, int]:
    """Longest text each column may hold (its database length; free text up to 10,000)."""
    limits: dict[str, int] = {}
    for model in FACT_TABLES.values():
        for c in model.__table__.columns:
            if isinstance(c.type, String):
                limit = c.type.length or 10_000
                limits[c.name] = min(limits.get(c.name, limit), limit)
    return limits


TEXT_LIMITS = _text_limits()


@dataclass
class Context:
    """What the first pass learnt about the file, and the lookups the parsers need."""

    kind: Kind
    headers: dict[str, str]  # canonical -> file header
    decimal: dict[str, str] = field(default_factory=dict)
    date_order: dict[str, str] = field(default_factory=dict)
    currency: str = "EUR"
    reasons: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)  # --set: column -> value of every row
    terms_days: int | None = None  # --terms: due date = issue date + the customer's terms, else
    customer_terms: dict[str, int] = field(default_factory=dict)  # + these days
    scores: dict[str, str] = field(default_factory=dict)  # wide surveys: header -> survey type
    incomplete: bool = False  # a required column is missing: check values, stage nothing
    rates: dict[str, tuple] = field(default_factory=dict)  # currency -> (ISO days, rates)
    fx_invoices: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (cur, rate)


def cells(frame: pd.DataFrame, header: str) -> pd.Series:
    """A header's column; of a header written twice (a problem already), the first."""
    found = frame[header]
    return found.iloc[:, 0] if isinstance(found, pd.DataFrame) else found


def infer(source: Source, ctx: Context, progress: Progress | None) -> None:
    """First pass over the money and date columns only."""
    kind = ctx.kind
    money = [c.name for c in kind.columns if c.type.startswith("money") and c.name in ctx.headers]
    dates = [c.name for c in kind.columns if c.type in ("date", "month") and c.name in ctx.headers]
    dec = {c: DecimalEvidence() for c in money}
    ev = {c: DateEvidence() for c in dates}
    wanted = [ctx.headers[c] for c in money + dates]
    if wanted:
        for _, chunk in source.chunks(usecols=wanted):
            for c in money:
                dec[c].add(cells(chunk, ctx.headers[c]))
            for c in dates:
                ev[c].add(cells(chunk, ctx.headers[c]))
            if progress:
                progress("scanning", int(chunk.index[-1]) if len(chunk) else 0)
    ctx.decimal = {c: dec[c].mark(source.separator) for c in money}
    decided = {e.order() for e in ev.values()} - {None}
    fallback = decided.pop() if len(decided) == 1 else default_date_order()
    ctx.date_order = {c: ev[c].order() or fallback for c in dates}


def convert(ctx: Context, raw: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Parse and check one chunk; returns canonical typed columns, problems go to ``report``."""
    out = pd.DataFrame(index=raw.index)
    for col in ctx.kind.columns:
        header = ctx.headers.get(col.name)
        if header is None and col.name in ctx.fixed:
            s = pd.Series(ctx.fixed[col.name], index=raw.index, dtype="str")
        elif header is None and col.type.startswith("time:") and col.type[5:] in ctx.headers:
            # no column of its own: the time written after the date (none at midnight)
            s, header = time_of_dates(cells(raw, ctx.headers[col.type[5:]])), None
        elif header is None:
            if col.name in LATER_KIND_COLUMNS:
                continue  # stored empty without a column in the frame (see rows.LATER_COLUMNS)
            if col.default is None and col.type not in ("bool", "currency"):
                out[col.name] = None
                continue
            # absent: parse the default (bool -> no, currency -> the reporting currency)
            s = pd.Series(col.default or "", index=raw.index, dtype="str")
        else:
            s = cells(raw, header)
        if col.default is not None:
            s = s.where(s != "", col.default)
        shown = header or (f"--set {col.name}" if col.name in ctx.fixed else col.name)
        if col.name == "due_date" and ctx.terms_days is not None:
            pass  # an empty due date comes from the terms (``due_from_terms``)
        elif col.required:
            add_problems(
                report,
                s == "",
                s,
                shown,
                "required value is empty",
                f"fill in {col.name} on this row, or remove the row",
            )
        t = col.type
        if t == "id":
            out[col.name] = parse_id(s)
        elif t == "text":
            out[col.name] = s.astype(object).where(s != "", None)
        elif t.startswith("money"):
            cents, bad = parse_money(s, ctx.decimal.get(col.name, "."))
            add_problems(
                report,
                bad,
                s,
                shown,
                "not an amount",
                "write a number such as 1234.56 or 1 234,56 (no text, one amount)",
            )
            limit = (cents <= 0) if t == "money" else (cents < 0)
            limit = limit.fillna(False) & ~bad
            add_problems(
                report,
                limit,
                s,
                shown,
                "amount must be greater than 0" if t == "money" else "amount must not be negative",
                "credit notes and refunds are not imported: remove the row or correct the sign",
            )
            out[col.name] = cents
        elif t == "date":
            values, bad = parse_dates(s, ctx.date_order.get(col.name, default_date_order()))
            order = ctx.date_order.get(col.name, "DMY")
            shape = "DD/MM/YYYY" if order == "DMY" else "MM/DD/YYYY"
            add_problems(
                report,
                bad,
                s,
                shown,
                "not a valid date",
                f"write the date as YYYY-MM-DD or {shape} (this column is read {shape})",
            )
            out[col.name] = values
        elif t == "month":
            values, bad = parse_month(s, ctx.date_order.get(col.name, default_date_order()))
            add_problems(report, bad, s, shown, "not a month", "write the month as YYYY-MM")
            out[col.name] = values
        elif t == "bool":
            values, bad = parse_bool(s)
            add_problems(
                report,
                bad,
                s,
                shown,
                "not a yes/no value",
                "write yes or no (oui/non, 1/0, true/false)",
            )
            out[col.name] = values
        elif t == "int":
            values, bad = parse_int(s)
            add_problems(
                report,
                bad,
                s,
                shown,
                "not a whole number of days"
                if col.name.endswith("_days")
                else "not a whole number",
                "write a number of days such as 30"
                if col.name.endswith("_days")
                else "write a whole number such as 1",
            )
            out[col.name] = values
        elif t == "score":
            values, bad = parse_score(s)
            add_problems(
                report,
                bad,
                s,
                shown,
                "not a whole-number score",
                "write the score as a whole number",
            )
            out[col.name] = values
        elif t == "status":
            values, bad = parse_code(s, lookup(STATUS))
            add_problems(
                report,
                bad,
                s,
                shown,
                "unknown payment status",
                "use completed, failed, incomplete or input_error (or leave empty for completed)",
            )
            out[col.name] = values
        elif t == "ledger_status":
            values, bad = parse_code(s, lookup(LEDGER_STATUS))
            add_problems(
                report,
                bad,
                s,
                shown,
                "unknown invoice status",
                "use paid, unpaid, open, partial or written off (payée, impayée, passée en "
                "perte), or leave it empty",
            )
            out[col.name] = values
        elif t == "survey_type":
            values, bad = parse_code(s, lookup(SURVEY_TYPES))
            add_problems(report, bad, s, shown, "unknown survey type", "use csat, nps or ces")
            out[col.name] = values
        elif t == "code":
            values, bad = parse_code(s, ctx.reasons)
            add_problems(
                report,
                bad,
                s,
                shown,
                "unknown late-payment reason",
                "use a code or label of the taxonomy: "
                + ", ".join(sorted(set(ctx.reasons.values()))),
            )
            out[col.name] = values
        elif t == "owner":
            out[col.name] = parse_label(s, ctx.owners)
        elif t == "currency":
            cur = s.str.strip().str.upper().replace({"€": "EUR", "$": "USD", "£": "GBP"})
            out[col.name] = cur.where(cur != "", None)  # converted after the loop
        elif t == "currency_code":
            cur = s.str.strip().str.upper()
            add_problems(
                report,
                ~cur.str.fullmatch(r"[A-Z]{3}") & (s != ""),
                s,
                shown,
                "not a currency code",
                "write the ISO code of the currency, such as USD or GBP",
            )
            out[col.name] = cur
        elif t == "rate":
            values, bad = parse_rate(s)
            add_problems(
                report,
                bad,
                s,
                shown,
                "not an exchange rate",
                "write the units of the reporting currency for one unit, such as 0.92",
            )
            out[col.name] = values
        elif t.startswith("time"):
            values, bad = parse_time(s)
            add_problems(
                report,
                bad,
                s,
                shown,
                "not a time of day",
                "write the time as HH:MM, such as 14:30 (or leave it empty)",
            )
            out[col.name] = values
        elif t.startswith("label:"):
            out[col.name] = parse_label(s, lookup(LABELS[t.split(":", 1)[1]]))
        if (t in ("id", "text", "owner") or t.startswith("label:")) and header is not None:
            limit = TEXT_LIMITS.get(col.name, 10_000)
            # ids and free text are the cell or shorter: a file whose cells all fit needs no
            # look at the values (checked by Arrow on the cells, not value by value)
            if t in ("id", "text") and fits(s, limit):
                continue
            check_text(report, out[col.name], s, shown, limit)
    if ctx.terms_days is not None and "due_date" in out:
        due_from_terms(out, ctx)
    if "currency" in out and ctx.kind.name != "rates":
        to_reporting_currency(out, ctx, report)
    if ctx.kind.settles and ("status" in ctx.headers or "status" in ctx.fixed):
        write_offs(out)
    return out


def _round_cents(values: pd.Series) -> pd.Series:
    """Half away from zero, to whole cents (as amounts are parsed)."""
    return (np.floor(values.abs() + 0.5) * np.sign(values)).astype("Int64")


def to_reporting_currency(out: pd.DataFrame, ctx: Context, report: ImportReport) -> None:
    """Rows in another currency convert at the invoice's issue-date rate (the latest rate on or
    before it); their own currency and amount are kept. A payment is in its invoice's currency
    unless its row says the reporting one."""
    header = ctx.headers.get("currency", "currency")
    cur = out["currency"]
    convertible = bool(ctx.rates or ctx.fx_invoices)
    if convertible:  # the same columns in every chunk of the file (see rows.LATER_COLUMNS)
        out["original_currency"], out["original_amount_cents"] = None, pd.NA
    if ctx.kind.name == "payments":
        known = out["invoice_id"].map(lambda i: ctx.fx_invoices.get(i, (None, None)))
        inv_cur = known.map(lambda v: v[0])
        rate = known.map(lambda v: v[1])
        cur = cur.where(cur.notna(), inv_cur).fillna(ctx.currency)
        foreign = cur != ctx.currency
        mismatch = foreign & (cur != inv_cur)
        add_problems(
            report,
            mismatch,
            cur.astype(str),
            header,
            "a payment in another currency than its invoice's",
            f"give the payment in the invoice's currency or in {ctx.currency}",
        )
        foreign &= ~mismatch
    else:
        cur = cur.fillna(ctx.currency)
        foreign = cur != ctx.currency
        rate = pd.Series(np.nan, index=out.index)
        for code in cur[foreign].unique():
            rows = foreign & (cur == code)
            days, rates = ctx.rates.get(code, (np.array([], dtype=object), np.array([])))
            when = out.loc[rows, "issue_date"].fillna("").astype(str).to_numpy(dtype=object)
            at = (
                np.searchsorted(days, when, side="right") - 1
                if len(days)
                else np.full(len(when), -1)
            )
            found = (at >= 0) & (when != "")
            missing = pd.Series(~found, index=out.index[rows])
            shown = pd.Series(
                [f"{code} on {w or '?'}" for w in when], index=out.index[rows], dtype=object
            )
            add_problems(
                report,
                missing,
                shown,
                header,
                f"no exchange rate for {code} on or before the invoice's issue date",
                f"import a rates file with a {code} rate dated on or before it",
            )
            rate.loc[out.index[rows][found]] = rates[at[found]]
        foreign &= rate.notna()
        if convertible:
            out["fx_rate"] = rate.where(foreign)
    out["currency"] = ctx.currency
    if not foreign.any():
        if convertible and "paid_amount" in out:
            out["original_paid_cents"] = pd.NA
        return
    out.loc[foreign, "original_currency"] = cur[foreign]
    out["original_amount_cents"] = out["amount"].where(foreign).astype("Int64")
    factor = rate.where(foreign).astype(float)
    out.loc[foreign, "amount"] = _round_cents(
        out.loc[foreign, "amount"].astype(float) * factor[foreign]
    )
    if "paid_amount" in out:
        paid = out["paid_amount"].astype("Float64")
        out["original_paid_cents"] = out["paid_amount"].where(foreign).astype("Int64")
        out["paid_amount"] = out["paid_amount"].where(
            ~foreign | paid.isna(), _round_cents(paid * factor)
        )


def due_from_terms(out: pd.DataFrame, ctx: Context) -> None:
    """``--terms``: an invoice without a due date is due its customer's payment terms after
    its issue date, else ``terms_days`` after it."""
    empty = out["due_date"].isna() & out["issue_date"].notna()
    if not empty.any():
        return
    days = out.loc[empty, "customer_id"].map(ctx.customer_terms).fillna(ctx.terms_days)
    issued = pd.to_datetime(out.loc[empty, "issue_date"])
    due = issued + pd.to_timedelta(days.astype("int64"), unit="D")
    out.loc[empty, "due_date"] = due.dt.strftime("%Y-%m-%d")


def fits(raw: pd.Series, limit: int) -> bool:
    """Whether every cell is at most ``limit`` characters long and without a NUL."""
    if raw.empty:
        return True
    return bool(raw.str.len().max() <= limit) and not raw.str.contains("\x00", regex=False).any()


def check_text(
    report: ImportReport, values: pd.Series, raw: pd.Series, header: str, limit: int
) -> None:
    """Text the database could not store as it is: too long, or with a NUL character."""
    text = values.dropna()
    if text.empty:
        return
    text = text.astype(str)
    long = text.str.len() > limit
    add_problems(
        report,
        long.reindex(raw.index, fill_value=False),
        raw.str.slice(0, 60) + "…",
        header,
        f"value longer than {limit:,} characters",
        "shorten it (an id or a name this long is most likely a shifted column)",
    )
    nul = text.str.contains("\x00", regex=False)
    add_problems(
        report,
        nul.reindex(raw.index, fill_value=False),
        raw.str.replace("\x00", "␀"),
        header,
        "value contains a NUL character",
        "remove the control character",
    )


def check_rows(df: pd.DataFrame, ctx: Context, report: ImportReport) -> None:
    """The rules across columns of one row that the kind declares."""
    for rule in ctx.kind.row_rules:
        rule(df, ctx.headers, report)
