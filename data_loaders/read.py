"""Reading files: recognise the format by content, detect encoding and separator, read in chunks.

Every cell comes out as a stripped string (``""`` when empty), so CSV and Excel files go through
the same parsers. Excel date cells become ISO dates and number cells plain decimals.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data_loaders.report import Problem

CHUNK_ROWS = 100_000
SEPARATORS = [",", ";", "\t", "|"]


class FileUnreadable(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.text())
        self.problem = problem


@dataclass
class Source:
    """A file ready to read: its format and, for CSV, encoding and separator."""

    path: Path
    name: str
    sha256: str
    format: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    separator: str = ","
    sheet: str | None = None
    _rows: list[list[str]] | None = field(default=None, repr=False)
    _header_row: int = 1  # spreadsheet row of the header (Excel sheets may start lower)

    def header(self) -> list[str]:
        if self.format == "xlsx":
            return self._excel()[0]
        with open(self.path, encoding=self.encoding, newline="") as f:
            first = next(csv.reader(f, delimiter=self.separator), [])
        return [h.strip() for h in first]

    def chunks(self, usecols: list[str] | None = None,
               rows: int = CHUNK_ROWS) -> Iterator[tuple[int, pd.DataFrame]]:
        """Yield ``(first spreadsheet row, frame of strings)``; empty rows are dropped."""
        if self.format == "xlsx":
            yield from self._excel_chunks(usecols, rows)
        else:
            yield from self._csv_chunks(usecols, rows)

    def _csv_chunks(self, usecols, rows):
        header = self.header()
        idx = [header.index(c) for c in usecols] if usecols is not None else None
        try:
            reader = pd.read_csv(
                self.path, sep=self.separator, encoding=self.encoding, dtype=str, header=None,
                skiprows=1, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                chunksize=rows, usecols=idx, engine="c", quotechar='"', doublequote=True,
            )
        except pd.errors.EmptyDataError:
            return  # a header and nothing else
        except pd.errors.ParserError as exc:
            raise FileUnreadable(csv_problem(str(exc))) from None
        start = 2
        try:
            for frame in reader:
                n = len(frame)
                frame = frame.iloc[:, : len(header)] if idx is None else frame
                names = header if idx is None else [header[i] for i in sorted(idx)]
                frame.columns = names[: frame.shape[1]]
                frame.index = range(start, start + n)
                start += n
                frame = frame.fillna("").apply(lambda c: c.str.strip())
                yield start - n, frame[(frame != "").any(axis=1)]
        except pd.errors.ParserError as exc:
            raise FileUnreadable(csv_problem(str(exc))) from None
        except UnicodeDecodeError as exc:  # pragma: no cover - checked up front
            raise FileUnreadable(Problem(None, None, None, f"cannot decode the text: {exc}",
                                         "save the file as UTF-8 or Windows-1252")) from None

    def _excel(self) -> list[list[str]]:
        if self._rows is None:
            self._rows, self._header_row = read_excel_rows(self.path, self.sheet)
        return self._rows

    def _excel_chunks(self, usecols, rows):
        table = self._excel()
        header, body = table[0], table[1:]
        idx = [header.index(c) for c in usecols] if usecols is not None else range(len(header))
        names = [header[i] for i in idx]
        first = self._header_row + 1
        for lo in range(0, len(body), rows):
            part = [[r[i] if i < len(r) else "" for i in idx] for r in body[lo: lo + rows]]
            frame = pd.DataFrame(part, columns=names, dtype=str,
                                 index=range(first + lo, first + lo + len(part)))
            yield first + lo, frame[(frame != "").any(axis=1)]


def csv_problem(message: str) -> Problem:
    """Turn a parser error into a problem with the row number it names."""
    m = re.search(r"(?:line|row) (\d+)", message)
    row = int(m.group(1)) if m else None
    if "EOF inside string" in message or "quote" in message.lower():
        # pandas counts this one from 0 (the header is row 0); a spreadsheet counts from 1
        return Problem(None if row is None else row + 1, None, None,
                       "a quoted value is never closed (broken quoting)",
                       'close the quote, or double each " inside a quoted value')
    if "Expected" in message and "fields" in message:
        fields = re.search(r"Expected (\d+) fields.*saw (\d+)", message)
        detail = f" (expected {fields.group(1)}, found {fields.group(2)})" if fields else ""
        return Problem(row, None, None, f"this row has more cells than the header{detail}",
                       "quote values that contain the separator, or remove the extra cells")
    return Problem(row, None, None, f"the file cannot be read as CSV: {message}",
                   "export the file again as CSV or .xlsx")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_source(path: str | Path, sheet: str | None = None, name: str | None = None) -> Source:
    """Look at the file's bytes and decide how to read it; refuse what is not a table."""
    path = Path(path)
    if not path.exists():
        raise FileUnreadable(Problem(None, None, str(path), "file not found",
                                     "check the path"))
    name = name or path.name
    with open(path, "rb") as f:
        head = f.read(65536)
    digest = sha256_of(path)
    if not head.strip():
        raise FileUnreadable(Problem(None, None, None, "the file is empty",
                                     "export the data again, with a header row"))
    if head.startswith(b"PK\x03\x04"):
        return Source(path, name, digest, "xlsx", sheet=sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileUnreadable(Problem(None, None, None,
                                     "this is an old Excel .xls (or other binary Office) file",
                                     "save it as .xlsx or CSV"))
    encoding = detect_encoding(path, head)
    text = head.decode(encoding, errors="replace")
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and len(head) == 65536:
        lines = lines[:-1]  # the last line may be cut
    return Source(path, name, digest, "csv", encoding=encoding,
                  separator=detect_separator(lines), sheet=sheet)


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252."""
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileUnreadable(Problem(None, None, None,
                                     "the file is binary, not a CSV text or .xlsx workbook",
                                     "export the data as CSV or .xlsx"))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return encoding
    raise FileUnreadable(Problem(None, None, None,
                                 "the text is neither UTF-8 nor Windows-1252 (or is binary)",
                                 "save the file as CSV UTF-8"))


def detect_separator(lines: list[str]) -> str:
    """The separator that splits the header into most cells, consistently over the first lines."""
    best, best_score = ",", (-1, -1)
    for sep in SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def cell_text(v: object) -> str:
    """An Excel cell as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.time | dt.timedelta):
        return str(v)
    return str(v).strip()


def read_excel_rows(path: Path, sheet: str | None) -> tuple[list[list[str]], int]:
    """All rows of one sheet as text, the header first, and the header's row number."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for a broken zip or XML
        raise FileUnreadable(Problem(None, None, None,
                                     f"the workbook cannot be opened ({type(exc).__name__})",
                                     "open it in Excel and save it again as .xlsx")) from None
    names = wb.sheet_names
    if sheet is not None and sheet not in names:
        raise FileUnreadable(Problem(None, None, sheet, "no sheet of that name",
                                     "use one of: " + ", ".join(names)))
    data = wb.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    rows = [[cell_text(v) for v in r] for r in data]
    skipped = 0
    while skipped < len(rows) and not any(rows[skipped]):
        skipped += 1
    rows = rows[skipped:]
    if not rows:
        raise FileUnreadable(Problem(None, None, None, "the sheet is empty",
                                     "put a header row and the data on the first sheet"))
    width = max(i + 1 for i, h in enumerate(rows[0]) if h) if any(rows[0]) else 0
    return [r[:width] + [""] * (width - len(r[:width])) for r in rows], skipped + 1


def count_rows(source: Source) -> int:
    """Data rows, for progress bars: exact for Excel, line count for CSV (no parsing)."""
    if source.format == "xlsx":
        return len(source._excel()) - 1
    lines = 0
    with open(source.path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)
