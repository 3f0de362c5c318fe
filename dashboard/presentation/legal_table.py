"""The table of article D.441-6 as the management report prints it (model of annex 4-1 of the
Code de commerce, receivables side), in French or English, ready to paste."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dashboard.metrics.legal import TERMS_REFERENCE
from dashboard.presentation.exports import force_text
from dashboard.presentation.i18n import fmt_date

WORDS = {
    "title": (
        "Invoices issued, unpaid at the year end and past due (article D.441-6 of the French "
        "Commercial Code)",
        "Factures émises non réglées à la date de clôture de l'exercice dont le terme est échu "
        "(article D.441-6 du Code de commerce)",
    ),
    "year_end": ("Year end", "Date de clôture"),
    "bands": (
        ["1 to 30 days", "31 to 60 days", "61 to 90 days", "91 days and more",
         "Total (1 day and more)"],
        ["1 à 30 jours", "31 à 60 jours", "61 à 90 jours", "91 jours et plus",
         "Total (1 jour et plus)"],
    ),
    "a": ("(A) Late-payment bands", "(A) Tranches de retard de paiement"),
    "count": ("Number of invoices concerned", "Nombre de factures concernées"),
    "amount": (
        "Total amount of the invoices concerned (tax included)",
        "Montant total des factures concernées (TTC)",
    ),
    "pct": (
        "Share of the year's sales (tax included)",
        "Pourcentage du chiffre d'affaires de l'exercice (TTC)",
    ),
    "b": (
        "(B) Invoices left out of (A): disputed receivables",
        "(B) Factures exclues du (A) relatives à des créances litigieuses",
    ),
    "b_count": ("Number of invoices left out", "Nombre des factures exclues"),
    "b_amount": ("Total amount of the invoices left out (tax included)",
                 "Montant total des factures exclues (TTC)"),
    "c": ("(C) Payment terms used as reference", "(C) Délais de paiement de référence utilisés"),
    "sales": ("Sales of the year (tax included)", "Chiffre d'affaires de l'exercice (TTC)"),
}  # fmt: skip


def write_legal_table(table: dict, lang: str = "fr") -> bytes:
    """``table`` (``metrics.legal.legal_table``) as one .xlsx sheet in ``lang``."""
    k = 1 if lang == "fr" else 0

    def w(key: str):
        return WORDS[key][k]

    wb = Workbook()
    ws = wb.active
    ws.title = "D.441-6"
    bold = Font(bold=True)
    ws.append([w("title")])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([w("year_end"), fmt_date(table["year_end"], lang)])
    ws.append([w("sales"), table["sales"]])
    ws.append([])
    ws.append(["", *w("bands")])
    for cell in ws[ws.max_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True)
    ws.append([w("a")])
    ws.cell(ws.max_row, 1).font = bold
    bands = [*table["bands"], table["total"]]
    ws.append([w("count"), *(b["invoices"] for b in bands)])
    ws.append([w("amount"), *(b["amount"] for b in bands)])
    ws.append([w("pct"), *(b["pct_of_sales"] for b in bands)])
    ws.append([])
    ws.append([w("b")])
    ws.cell(ws.max_row, 1).font = bold
    ws.append([w("b_count"), table["disputed"]["invoices"]])
    ws.append([w("b_amount"), table["disputed"]["amount"]])
    ws.append([])
    ws.append([w("c")])
    ws.cell(ws.max_row, 1).font = bold
    ws.append([TERMS_REFERENCE["fr" if k else "en"]])
    for row in ws.iter_rows(min_row=2):
        for cell in row[1:]:
            if isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 58
    for col in "BCDEF":
        ws.column_dimensions[col].width = 16
    force_text(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
