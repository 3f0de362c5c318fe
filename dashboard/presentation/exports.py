"""Table downloads as CSV and Excel, safe to open: no cell can become a live formula."""

from __future__ import annotations

import io
import re

import pandas as pd

# A cell starting with one of these is run as a formula by spreadsheet programs (OWASP ASVS 5.0,
# 1.2.10); prefixing it with an apostrophe keeps the text visible and inert.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


# Control characters that an .xlsx cannot hold (openpyxl refuses them): dropped from text.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralize(value: object) -> object:
    """Text made inert: a formula start gets an apostrophe, illegal control characters go."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START):
        value = "'" + value
    return ILLEGAL.sub("", value)


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralize)
    out.columns = [neutralize(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so that Excel opens accents right."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(
    df: pd.DataFrame, sheet: str = "data", scope: list[tuple[str, str]] | None = None
) -> bytes:
    """One sheet of data; with ``scope`` (label, value: period, filters …), a second sheet
    saying what the figures are for."""
    buf = io.BytesIO()
    frame = safe_frame(df)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
        force_text(writer.sheets[sheet[:31]])
        if scope:
            about = safe_frame(pd.DataFrame(scope, columns=["", " "]))
            about.to_excel(writer, index=False, header=False, sheet_name="scope")
            force_text(writer.sheets["scope"])
    return buf.getvalue()


def force_text(ws) -> None:
    """openpyxl stores any string starting with "=" as a formula: make every such cell text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
