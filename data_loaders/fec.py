"""The French FEC (Fichier des Écritures Comptables) as receivables: customers, invoices and
payments from the lines of the customer accounts (SPEC.md section 2, "The French FEC").

A FEC is the whole general ledger, one line per debit or credit. Only the lines of customer
accounts (``411…``) are kept, with, per entry, whether it touches a bank account (``5…``) or a
bad-debt loss (``654…``/``6714…``):

- a debit in a sales journal is (a line of) an invoice: ``PieceRef``, ``PieceDate`` (else the
  entry date), the amount tax included; its due date comes from ``--terms``;
- a credit in a sales journal is a credit note: lettered to invoices, it lowers what they owe;
- a credit elsewhere settles the invoices that carry its lettering code (``EcritureLet``, lower
  case when partial): cash when the entry touches a bank account (or is in a bank journal), a
  write-off when it books a bad-debt loss, else a settlement by compensation; one payment is
  shared among its invoices in issue order;
- opening entries (``A-nouveaux``) bring the open invoices of the previous year: imported only
  when the store and the file do not already hold that invoice, so two years are not counted
  twice;
- what cannot be matched (payments on account, credit notes not lettered) is reported and stays
  on the customer's balance in the accounts, outside Encaisse's figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_loaders.kinds import FEC_COLUMNS
from data_loaders.parse import parse_dates, parse_money
from data_loaders.problems import ImportReport, add_problems

CUSTOMER_ACCOUNT = "411"
LOSS_ACCOUNTS = ("654", "6714")
BANK_ACCOUNT = "5"
SALES_JOURNAL = re.compile(r"^(?:VT|VE|VEN|VTE|V\d*|FAC|SAL|SALES?)$|vente|factur|sales", re.I)
BANK_JOURNAL = re.compile(r"^(?:BQ|BNQ|BK|BAN|CAI|CA|B\d+|BQ\d+)$|banque|bank|caisse|tresor", re.I)
OPENING = re.compile(r"^(?:AN|RAN|ANO|AN\d*|OUV|OPEN)$|nouveau|ouverture|opening|report", re.I)


@dataclass
class Receivables:
    """What the customer lines of a FEC give, in the canonical columns of each table."""

    invoices: pd.DataFrame
    payments: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)  # customer id -> its account's name


@dataclass
class Lines:
    """The customer lines kept while reading, and the entries' other accounts."""

    kept: list[pd.DataFrame] = field(default_factory=list)
    bank_entries: set[tuple[str, str]] = field(default_factory=set)
    loss_entries: set[tuple[str, str]] = field(default_factory=set)


def add_chunk(lines: Lines, raw: pd.DataFrame, cols: dict[str, str]) -> None:
    """Keep one chunk's customer lines (file row as index) and note its entries' accounts."""
    account = raw[cols["CompteNum"]].str.strip()
    entry = list(
        zip(raw[cols["JournalCode"]].str.strip(), raw[cols["EcritureNum"]].str.strip(), strict=True)
    )
    entry = pd.Series(entry, index=raw.index)
    lines.bank_entries.update(entry[account.str.startswith(BANK_ACCOUNT)])
    lines.loss_entries.update(entry[account.str.startswith(LOSS_ACCOUNTS)])
    mine = account.str.startswith(CUSTOMER_ACCOUNT)
    if mine.any():
        kept = pd.DataFrame(
            {name: raw.loc[mine, header].str.strip() for name, header in cols.items()}
        )
        lines.kept.append(kept)


def receivables(
    lines: Lines,
    cols: dict[str, str],
    report: ImportReport,
    terms_days: int | None,
    customer_terms: dict[str, int],
    known: Callable[[list[str]], set[str]],
) -> Receivables:
    """Customers, invoices and payments from the kept lines; problems and notes go to
    ``report`` (file row, FEC column, value). ``known``: which of these invoice ids the store
    holds already."""
    df = pd.concat(lines.kept) if lines.kept else pd.DataFrame(columns=list(cols))
    empty = Receivables(pd.DataFrame(), pd.DataFrame())
    if df.empty:
        report.notes.append("No line on a customer account (411…): nothing to import.")
        return empty
    shown = {name: cols.get(name, name) for name in FEC_COLUMNS}

    entry_day, bad = parse_dates(df["EcritureDate"], "DMY")
    when = df["EcritureDate"]
    add_problems(report, bad | (when == ""), when, shown["EcritureDate"], "not a date",
                 "write the date as YYYYMMDD")  # fmt: skip
    piece = df["PieceDate"] if "PieceDate" in df else pd.Series("", index=df.index)
    piece_day, bad = parse_dates(piece, "DMY")
    add_problems(report, bad, piece, shown["PieceDate"], "not a date", "write the date as YYYYMMDD")
    money = [c for c in ("Debit", "Credit", "Montant") if c in df]
    decimal = "," if any(df[c].str.contains(",", regex=False).any() for c in money) else "."
    signed = _signed_cents(df, shown, report, decimal)
    if not report.ok:
        return empty

    df["day"] = piece_day.where(piece_day.notna(), entry_day)
    df["entry_day"] = entry_day
    df["cents"] = signed
    aux = df.get("CompAuxNum", pd.Series("", index=df.index))
    df["customer_id"] = aux.where(aux != "", df["CompteNum"])
    name = df.get("CompAuxLib", pd.Series("", index=df.index))
    name = name.where(name != "", df.get("CompteLib", pd.Series("", index=df.index)))
    names = dict(zip(df["customer_id"], name, strict=True))
    names = {k: v for k, v in names.items() if v}
    journal = df["JournalCode"] + " " + df.get("JournalLib", pd.Series("", index=df.index))
    lib = df.get("EcritureLib", pd.Series("", index=df.index))
    opening = journal.str.contains(OPENING) | df["JournalCode"].str.fullmatch(OPENING)
    opening |= lib.str.contains(r"^\s*(?:a|à)[ -]nouveau", case=False, regex=True)
    sales = ~opening & journal.str.contains(SALES_JOURNAL)
    entry = pd.Series(list(zip(df["JournalCode"], df["EcritureNum"], strict=True)), index=df.index)
    loss = entry.isin(lines.loss_entries)
    bank = entry.isin(lines.bank_entries) | journal.str.contains(BANK_JOURNAL)
    letter = df.get("EcritureLet", pd.Series("", index=df.index)).str.strip()
    df["letter"] = letter.str.upper()
    ref = df["PieceRef"].where(df["PieceRef"] != "", df["EcritureNum"])
    df["invoice_id"] = ref

    # invoices: sales debits, and opening debits the store and the file do not hold already
    is_invoice = (df["cents"] > 0) & (sales | opening)
    inv = df[is_invoice]
    shared = inv.groupby("invoice_id")["customer_id"].transform("nunique") > 1
    df.loc[inv.index[shared], "invoice_id"] = (
        inv.loc[shared, "invoice_id"] + "/" + inv.loc[shared, "customer_id"]
    )
    inv = df[is_invoice]
    from_sales = set(inv.loc[~opening[inv.index], "invoice_id"])
    candidates = sorted(set(inv.loc[opening[inv.index], "invoice_id"]) - from_sales)
    held = known(candidates) if candidates else set()
    again = opening[inv.index] & inv["invoice_id"].isin(from_sales)
    inv = inv[~again]  # an opening item issued again in this file: the sales line counts
    carried_line = opening[inv.index] & inv["invoice_id"].isin(held)
    if carried_line.any() or again.any():
        report.notes.append(
            f"Opening entries: {int(carried_line.sum() + again.sum())} open item(s) of the "
            "previous year "
            "already held (imported with that year's FEC, or in this file) were not counted "
            "twice; their payments this year apply to them."
        )
    invoices = (
        inv.assign(carried=carried_line)
        .groupby("invoice_id", sort=False)
        .agg(
            src_row=("cents", lambda v: int(v.index[0])),
            customer_id=("customer_id", "first"),
            issue_date=("day", "min"),
            amount_cents=("cents", "sum"),
            carried=("carried", "all"),
            letter=("letter", "first"),
        )
        .reset_index()
    )
    # credit notes lettered to invoices lower what they owe
    notes = df[(df["cents"] < 0) & sales]
    unmatched_notes = _apply(invoices, notes)

    # settlements: credits outside sales journals and opening entries
    settle = df[~sales & ~opening & (df["cents"] < 0)]
    reopened = df[~sales & ~opening & (df["cents"] > 0)]
    if len(reopened):
        report.notes.append(
            f"Debits outside sales journals (refunds, bounced payments): {len(reopened)} "
            f"line(s), {reopened['cents'].sum() / 100:,.2f}; reported, not applied."
        )
    settle = settle.assign(
        kind=np.where(
            loss[settle.index], "written_off", np.where(bank[settle.index], "bank", "other")
        )
    )
    pays, unmatched = _allocate(invoices, settle)
    if unmatched:
        report.notes.append(
            f"Payments on account: {unmatched[0]} line(s), {unmatched[1] / 100:,.2f} not lettered "
            "to an invoice; reported, not applied (they stay on the customer's balance)."
        )
    if unmatched_notes:
        report.notes.append(
            f"Credit notes: {unmatched_notes[0]} not lettered to an invoice "
            f"({unmatched_notes[1] / 100:,.2f}); reported, not applied."
        )
    opening_credits = df[opening & (df["cents"] < 0)]
    if len(opening_credits):
        report.notes.append(
            f"Opening credit balances: {len(opening_credits)} line(s), "
            f"{-opening_credits['cents'].sum() / 100:,.2f} (advances or credits carried over); "
            "reported, not applied."
        )

    due_missing = terms_days is None
    if due_missing and len(invoices):
        report.add(_terms_problem())
        return empty
    days = invoices["customer_id"].map(customer_terms).fillna(terms_days).astype(int)
    issued = pd.to_datetime(invoices["issue_date"])
    invoices["due_date"] = (issued + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
    offs = pays[pays["kind"] == "written_off"].groupby("invoice_id")
    invoices["written_off_cents"] = (
        invoices["invoice_id"].map(offs["amount_cents"].sum()).astype("Int64")
    )
    invoices["written_off_date"] = invoices["invoice_id"].map(offs["payment_date"].max())
    cash = pays[pays["kind"] != "written_off"].copy()
    cash["method"] = np.where(cash["kind"] == "bank", None, "compensation")
    cash["status"] = "completed"
    invoices = invoices[(invoices["amount_cents"] > 0) & ~invoices["carried"]]
    report.notes.append(
        f"FEC: {len(invoices):,} invoice(s) of {invoices['customer_id'].nunique():,} customer(s), "
        f"{len(cash):,} payment(s), {int(invoices['written_off_cents'].notna().sum())} "
        "written off."
    )
    return Receivables(
        invoices.drop(columns=["letter", "carried"]), cash.drop(columns="kind"), names
    )


def _terms_problem():
    from data_loaders.problems import Problem

    return Problem(
        None,
        "due_date",
        None,
        "a FEC holds no due dates",
        "give the payment terms with --terms DAYS (the customer's own terms come first)",
    )


def _signed_cents(
    df: pd.DataFrame, shown: dict[str, str], report: ImportReport, decimal: str
) -> pd.Series:
    """Debit − credit in cents, from Debit and Credit, or from Montant and Sens."""
    if "Debit" in df and "Credit" in df:
        debit, bad_d = parse_money(df["Debit"].replace("", "0"), decimal)
        credit, bad_c = parse_money(df["Credit"].replace("", "0"), decimal)
        add_problems(report, bad_d, df["Debit"], shown["Debit"], "not an amount", "write 1234,56")
        add_problems(report, bad_c, df["Credit"], shown["Credit"], "not an amount", "write 1234,56")
        return (debit.fillna(0) - credit.fillna(0)).astype("int64")
    if "Montant" in df and "Sens" in df:
        amount, bad = parse_money(df["Montant"].replace("", "0"), decimal)
        add_problems(report, bad, df["Montant"], shown["Montant"], "not an amount", "write 1234,56")
        sens = df["Sens"].str.upper().str.strip()
        sign = sens.map({"D": 1, "C": -1, "+1": 1, "-1": -1, "1": 1, "DEBIT": 1, "CREDIT": -1})
        sign = sign.where(sign.notna(), sens.str.normalize("NFKD").str[:1].map({"D": 1, "C": -1}))
        add_problems(report, sign.isna(), df["Sens"], shown["Sens"], "not a debit or credit sense",
                     "write D or C")  # fmt: skip
        return (amount.fillna(0) * sign.fillna(0)).astype("int64")
    return pd.Series(0, index=df.index, dtype="int64")


def _apply(invoices: pd.DataFrame, notes: pd.DataFrame) -> tuple[int, int] | None:
    """Credit notes lettered to invoices lower their amounts (in issue order); the rest is
    returned as (count, cents) not matched."""
    left = [0, 0]
    for (customer, letter), group in notes.groupby(["customer_id", "letter"]):
        credit = -int(group["cents"].sum())
        targets = invoices[(invoices["customer_id"] == customer) & (invoices["letter"] == letter)]
        if not letter or targets.empty:
            left[0] += len(group)
            left[1] += credit
            continue
        for i in targets.sort_values("issue_date").index:
            take = min(credit, int(invoices.at[i, "amount_cents"]))
            invoices.at[i, "amount_cents"] -= take
            credit -= take
        if credit:
            left[0] += 1
            left[1] += credit
    return tuple(left) if left[0] else None


def _allocate(
    invoices: pd.DataFrame, settle: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[int, int] | None]:
    """Each settlement line shared among the invoices of its customer and lettering code, in
    issue order, up to what each still owes; (count, cents) of lines with no invoice."""
    rows, left = [], [0, 0]
    owed = invoices.set_index("invoice_id")["amount_cents"].astype("int64").to_dict()
    by_letter = {
        key: list(group.sort_values("issue_date")["invoice_id"])
        for key, group in invoices.groupby(["customer_id", "letter"])
        if key[1]
    }
    for row in settle.sort_values("entry_day").itertuples():
        amount = -int(row.cents)  # a credit, positive here
        targets = by_letter.get((row.customer_id, row.letter)) if row.letter else None
        if not targets:
            left[0] += 1
            left[1] += amount
            continue
        for n, invoice in enumerate(targets):
            last = n == len(targets) - 1
            take = amount if last else max(0, min(amount, owed[invoice]))
            if take:
                owed[invoice] -= take
                amount -= take
                rows.append(
                    {
                        "payment_id": f"fec:{row.JournalCode}:{row.EcritureNum}:{invoice}",
                        "invoice_id": invoice,
                        "payment_date": row.entry_day,
                        "amount_cents": take,
                        "kind": row.kind,
                        "src_row": int(row.Index),
                    }
                )
            if not amount:
                break
    pays = pd.DataFrame(
        rows,
        columns=["payment_id", "invoice_id", "payment_date", "amount_cents", "kind", "src_row"],
    )
    # one entry's lines on one invoice are one payment
    pays = pays.groupby(["payment_id", "invoice_id", "payment_date", "kind"], as_index=False).agg(
        amount_cents=("amount_cents", "sum"), src_row=("src_row", "first")
    )
    return pays, (tuple(left) if left[0] else None)
