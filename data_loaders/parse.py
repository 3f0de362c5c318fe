"""Vectorised parsers for cell values: amounts, dates, booleans, codes.

Each parser takes a Series of stripped strings (``""`` for an empty cell) and returns the parsed
values with a boolean mask of the cells it could not read; the importer turns that mask into
problems with row numbers. Column-level choices (decimal mark, day/month order) are inferred from
the whole column first, by the ``*Evidence`` accumulators, so a file read in chunks is still
judged as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_loaders.kinds import normalize_value

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_CURRENCY = re.compile(r"(?i)^(€|eur)|(€|eur)$")

PLAIN_NUMBER = r"^-?\d+(\.\d+)?$"
COMMA_DEC = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,\d{1,2})$")
DOT_DEC = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+\.\d+|\d+\.\d{1,2})$")


def clean_number(s: pd.Series) -> pd.Series:
    """Drop spaces (incl. no-break and narrow no-break), apostrophes and a euro sign."""
    s = s.str.replace(_SPACES, "", regex=True)
    return s.str.replace(_CURRENCY, "", regex=True)


@dataclass
class DecimalEvidence:
    """Counts values that can only be read with a decimal comma, or with a decimal point."""

    comma: int = 0
    dot: int = 0

    def add(self, s: pd.Series) -> None:
        s = s[s != ""]
        if not s.str.fullmatch(PLAIN_NUMBER).all():  # machine exports have nothing to clean
            s = clean_number(s)
        self.comma += int(s.str.match(COMMA_DEC).sum())
        self.dot += int(s.str.match(DOT_DEC).sum())

    def mark(self, separator: str) -> str:
        if self.comma != self.dot:
            return "," if self.comma > self.dot else "."
        return "," if separator == ";" else "."


def parse_money(s: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Amounts in integer cents (nullable Int64); ``bad`` marks non-empty unreadable cells."""
    # the common case (machine exports) has nothing to clean
    plain = decimal == "." and s.str.fullmatch(PLAIN_NUMBER).all()
    c = s if plain else clean_number(s)
    if decimal == ",":
        c = c.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif c is not s:
        c = c.str.replace(",", "", regex=False)
    num = pd.to_numeric(c.where(c != ""), errors="coerce")
    bad = num.isna() & (s != "") | (num.abs() >= 1e13)
    cents = np.floor(num.abs() * 100 + 0.5) * np.sign(num)
    return cents.where(~bad).astype("Int64"), bad


def parse_rate(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Exchange rates: positive decimals, point or comma (``1.0832``, ``1,0832``)."""
    c = clean_number(s).str.replace(",", ".", regex=False)
    num = pd.to_numeric(c.where(c != ""), errors="coerce")
    bad = (num.isna() | (num <= 0) | (num >= 1e9)) & (s != "")
    return num.where(~bad), bad


# --- dates ---------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
DATE_RX = re.compile(
    r"^(?:(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{4}|\d{2})"
    r"|(?P<cy>(?:19|20)\d{2})(?P<cm>[01]\d)(?P<cd>[0-3]\d)"
    r"|(?P<serial>\d{1,6}(?:\.\d+)?))" + _TIME + "$"
)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_MIN, SERIAL_MAX = 18264, 73051  # 1950-01-01 .. 2100-01-01


@dataclass
class DateEvidence:
    """Whether a column's ``a/b/yyyy`` values show the day first (a > 12) or the month first."""

    day_first: int = 0
    month_first: int = 0

    def add(self, s: pd.Series) -> None:
        s = s[s.str.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]")]
        if s.empty:
            return
        m = s.str.extract(DATE_RX)
        a = pd.to_numeric(m["a"], errors="coerce")
        b = pd.to_numeric(m["b"], errors="coerce")
        self.day_first += int((a > 12).sum())
        self.month_first += int((b > 12).sum())

    def order(self) -> str | None:
        """``DMY``, ``MDY``, or None when the column does not tell (or contradicts itself)."""
        if self.day_first and not self.month_first:
            return "DMY"
        if self.month_first and not self.day_first:
            return "MDY"
        return None


def parse_dates(s: pd.Series, order: str) -> tuple[pd.Series, pd.Series]:
    """ISO ``YYYY-MM-DD`` strings (None where empty); ``bad`` marks unreadable cells."""
    iso = s.str.match(r"^\d{4}-\d{2}-\d{2}$")
    if iso.all():  # the common case, parsed natively
        parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
        # a real date written YYYY-MM-DD is already its own ISO text
        return s.astype(object).where(parsed.notna(), None), parsed.isna()
    m = s.str.extract(DATE_RX)
    first = pd.to_numeric(m["a"], errors="coerce")
    second = pd.to_numeric(m["b"], errors="coerce")
    year_short = pd.to_numeric(m["c"], errors="coerce")
    year_short = year_short.where(year_short >= 100, year_short + 2000)
    day, month = (first, second) if order == "DMY" else (second, first)
    year = (
        pd.to_numeric(m["iy"], errors="coerce")
        .fillna(pd.to_numeric(m["cy"], errors="coerce"))
        .fillna(year_short)
    )
    month = (
        pd.to_numeric(m["im"], errors="coerce")
        .fillna(pd.to_numeric(m["cm"], errors="coerce"))
        .fillna(month)
    )
    day = (
        pd.to_numeric(m["id"], errors="coerce")
        .fillna(pd.to_numeric(m["cd"], errors="coerce"))
        .fillna(day)
    )
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    ok_parts = parts.notna().all(axis=1)
    parsed = pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]")
    if ok_parts.any():
        parsed[ok_parts] = pd.to_datetime(parts[ok_parts].astype("int64"), errors="coerce").astype(
            "datetime64[s]"
        )
    serial = pd.to_numeric(m["serial"], errors="coerce")
    serial = serial.where((serial >= SERIAL_MIN) & (serial <= SERIAL_MAX))
    has_serial = serial.notna()
    if has_serial.any():
        parsed[has_serial] = (
            EXCEL_EPOCH + pd.to_timedelta(np.floor(serial[has_serial]), unit="D")
        ).astype("datetime64[s]")
    bad = parsed.isna() & (s != "")
    out = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)
    return out.astype(object).where(out.notna(), None), bad


TIME_RX = re.compile(
    r"^(?:.*[ T])?(?P<h>\d{1,2})(?::|h|H)(?P<m>\d{2})?(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?\s*(?P<ampm>[aApP]\.?[mM]\.?)?$"
)
EXCEL_FRACTION = re.compile(r"^(?:\d{1,6})?\.\d+$")  # 0.5 is noon; 45352.75 a day at 18:00


def parse_time(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``HH:MM:SS`` from ``14:32``, ``14:32:05``, ``14h32``, ``14h``, ``2:32 PM``, a date and
    time (``2024-03-04 14:32``, ``2024-03-04T14:32:00Z``: the time as written, no zone
    conversion) or an Excel day fraction; ``bad`` marks unreadable cells."""
    m = s.str.extract(TIME_RX)
    hour = pd.to_numeric(m["h"], errors="coerce")
    minute = pd.to_numeric(m["m"], errors="coerce").fillna(0)
    second = pd.to_numeric(m["s"], errors="coerce").fillna(0)
    ampm = m["ampm"].fillna("").str.lower().str[:1]
    hour = hour.where(~((ampm == "p") & (hour < 12)), hour + 12)
    hour = hour.where(~((ampm == "a") & (hour == 12)), 0)
    bad_ampm = (ampm != "") & ((hour > 23) | (pd.to_numeric(m["h"], errors="coerce") > 12))
    fraction = s.str.match(EXCEL_FRACTION)
    if fraction.any():
        seconds = (pd.to_numeric(s[fraction], errors="coerce") % 1 * 86400).round()
        hour[fraction] = seconds // 3600
        minute[fraction] = seconds % 3600 // 60
        second[fraction] = seconds % 60
    ok = hour.notna() & (hour <= 23) & (minute <= 59) & (second <= 59) & ~bad_ampm
    text = (
        hour.fillna(0).astype(int).astype(str).str.zfill(2)
        + ":"
        + minute.astype(int).astype(str).str.zfill(2)
        + ":"
        + second.astype(int).astype(str).str.zfill(2)
    )
    out = text.astype(object).where(ok & (s != ""), None)
    return out, ~ok & (s != "")


def time_of_dates(s: pd.Series) -> pd.Series:
    """The time written after a date (``2024-03-04 14:32``), "" where there is none; midnight
    counts as none: ERPs write a date alone as a date at 00:00."""
    has = s.str.match(r"^\S+[ T]\d{1,2}:\d{2}") | s.str.match(r"^\d{5}\.\d+$")
    out = pd.Series("", index=s.index, dtype="str")
    if has.any():
        values, bad = parse_time(s[has])
        midnight = values == "00:00:00"
        out[has] = values.where(~bad & ~midnight, "").fillna("")
    return out


def parse_month(s: pd.Series, order: str) -> tuple[pd.Series, pd.Series]:
    """``YYYY-MM`` from ``2024-01``, ``2024/01``, ``01/2024`` or any full date."""
    ym = s.str.extract(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$")
    my = s.str.extract(r"^(?P<m>\d{1,2})[-/.](?P<y>\d{4})$")
    year = pd.to_numeric(ym["y"], errors="coerce").fillna(pd.to_numeric(my["y"], errors="coerce"))
    month = pd.to_numeric(ym["m"], errors="coerce").fillna(pd.to_numeric(my["m"], errors="coerce"))
    short = year.notna() & month.between(1, 12)
    out = pd.Series(None, index=s.index, dtype=object)
    out[short] = (
        year[short].astype(int).astype(str)
        + "-"
        + month[short].astype(int).astype(str).str.zfill(2)
    )
    full, _ = parse_dates(s.where(~short, ""), order)
    rest = ~short & full.notna()
    out[rest] = full[rest].str[:7]
    bad = out.isna() & (s != "")
    return out, bad


# --- codes and flags -----------------------------------------------------------------------

TRUE = {"yes", "y", "oui", "o", "1", "true", "vrai", "x", "disputed", "litige", "1_0"}
FALSE = {"no", "n", "non", "0", "false", "faux", "0_0", "not_disputed"}


def normalized(s: pd.Series) -> pd.Series:
    """``normalize_value`` of each cell, computed once per distinct value."""
    uniques = s.unique()
    return s.map(dict(zip(uniques, map(normalize_value, uniques), strict=True)))


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    key = normalized(s)
    yes, no = key.isin(TRUE), key.isin(FALSE) | (s == "")
    return yes.astype(bool), ~(yes | no)


def parse_code(s: pd.Series, table: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map values through ``table`` (normalised form -> code); unknown non-empty is bad."""
    out = normalized(s).map(table)
    bad = out.isna() & (s != "")
    return out.astype(object).where(out.notna(), None), bad


def parse_label(s: pd.Series, table: dict[str, str]) -> pd.Series:
    """Descriptive values: recognised forms become their code, anything else is kept as text."""
    out = normalized(s).map(table)
    out = out.where(out.notna(), s)
    return out.astype(object).where(s != "", None)


MAX_DAYS = 100_000  # a number of days beyond this is a shifted column, not payment terms


def parse_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers of days, also inside text such as ``30 jours`` or ``Net 30``."""
    digits = s.str.extract(r"(\d+(?:[.,]0+)?)")[0].str.replace(r"[.,]0+$", "", regex=True)
    num = pd.to_numeric(digits, errors="coerce")
    bad = (num.isna() | (num > MAX_DAYS)) & (s != "")
    return num.where(~bad).astype("Int64"), bad


def parse_score(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    num = pd.to_numeric(s.str.replace(",", ".", regex=False).where(s != ""), errors="coerce")
    # far out of any scale's range: refused here, before it could overflow a whole number
    bad = (num.isna() | (num != np.floor(num)) | (num.abs() > 1_000)) & (s != "")
    return num.where(~bad).astype("Int64"), bad


def parse_id(s: pd.Series) -> pd.Series:
    """Identifiers as text; ``123.0`` (a number cell from Excel) becomes ``123``."""
    if s.str.contains(".", regex=False).any():
        s = s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return s.astype(object).where(s != "", None)
