"""A customer's statement of account: one Excel sheet, in the customer's language, to send
before they ask (open items with what each still owes, recent payments, the balance).

Every figure comes from the metric layer's customer view; every text cell is written inert
(a name or an invoice number from a file never becomes a live formula).
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Engine

from dashboard.metrics import analytics
from dashboard.presentation.exports import force_text, neutralize
from dashboard.presentation.i18n import fmt_date, t

FRENCH_SPEAKING = {"FR", "BE", "LU", "MC", "CH", "FRANCE", "BELGIQUE", "SUISSE", "LUXEMBOURG"}
PAYMENT_DAYS = 90  # the payments received over the last 90 days are listed
MONEY = "#,##0.00"


def customer_language(country: object, default: str = "en") -> str:
    """French for a customer in a French-speaking country, English for any other; ``default``
    when the country is not known."""
    if not isinstance(country, str) or not country.strip():
        return default
    return "fr" if country.strip().upper() in FRENCH_SPEAKING else "en"


def write_statement(
    engine: Engine, customer_id: str, end: dt.date, currency: str, default_lang: str = "en"
) -> bytes:
    """The statement of ``customer_id`` at ``end`` as .xlsx bytes."""
    detail = analytics.customer_detail(engine, customer_id, end)
    profile = detail["profile"].iloc[0]
    lang = customer_language(profile.get("country"), default_lang)

    def tr(text: str, **values) -> str:
        return t(text, lang, **values)

    date_format = "DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD"
    wb = Workbook()
    ws = wb.active
    ws.title = tr("Statement of account")[:31]
    bold = Font(bold=True)
    ws.append([neutralize(tr("Statement of account"))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([tr("Customer"), neutralize(str(profile["name"] or customer_id))])
    ws.append([tr("Customer id"), neutralize(customer_id)])
    ws.append([tr("As of"), fmt_date(end, lang)])
    ws.append([tr("Currency"), currency])
    ws.append([])

    items = detail["open_items"]
    items = items[items["open_eur"] > 0]
    ws.append([tr("Open items")])
    ws.cell(ws.max_row, 1).font = bold
    header = [
        tr("Invoice"),
        tr("Issue date"),
        tr("Due date"),
        tr("Amount"),
        tr("Paid"),
        tr("Still owed"),
        tr("Days past due"),
        tr("Disputed"),
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for _, r in items.iterrows():
        days = r.get("days_past_due")
        ws.append(
            [
                neutralize(r["invoice_id"]),
                r["issue_date"],
                r["due_date"],
                r["amount_eur"],
                round(r["amount_eur"] - r["open_eur"], 2),
                r["open_eur"],
                None if pd.isna(days) else int(days),
                tr("yes") if r["disputed"] else "",
            ]
        )
        row = ws.max_row
        for col in (2, 3):
            ws.cell(row, col).number_format = date_format
        for col in (4, 5, 6):
            ws.cell(row, col).number_format = MONEY
    total = round(float(items["open_eur"].sum()), 2)
    overdue = round(float(items.loc[items["due_date"] < end, "open_eur"].sum()), 2)
    ws.append([])
    for label, value in ((tr("Balance"), total), (tr("Of which overdue"), overdue)):
        ws.append([label, None, None, None, None, value])
        ws.cell(ws.max_row, 1).font = bold
        ws.cell(ws.max_row, 6).number_format = MONEY
        ws.cell(ws.max_row, 6).font = bold
    ws.append([])

    since = end - dt.timedelta(days=PAYMENT_DAYS - 1)
    pays = detail["payments"]
    pays = pays[(pays["status"] == "completed") & (pays["payment_date"] >= since)]
    ws.append(
        [
            tr(
                "Payments received from {start} to {end}",
                start=fmt_date(since, lang),
                end=fmt_date(end, lang),
            )
        ]
    )
    ws.cell(ws.max_row, 1).font = bold
    ws.append([tr("Date"), tr("Invoice"), tr("Amount")])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for _, p in pays.iterrows():
        ws.append([p["payment_date"], neutralize(p["invoice_id"]), p["amount_eur"]])
        ws.cell(ws.max_row, 1).number_format = date_format
        ws.cell(ws.max_row, 3).number_format = MONEY
    if pays.empty:
        ws.append([tr("No payment received in these days.")])
    for col, width in zip("ABCDEFGH", (22, 14, 14, 14, 14, 14, 14, 10), strict=True):
        ws.column_dimensions[col].width = width
    force_text(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
