"""Text safe to hand to a spreadsheet: no cell can become a live formula (CSV downloads and the
importer's reject files share this one rule)."""

from __future__ import annotations

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
