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
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from data_loaders.problems import Problem

CHUNK_ROWS = 100_000
SEPARATORS = [",", ";", "\t", "|"]
EXCEL_NAMES = (".xlsx", ".xlsm")
MAX_ZIP_ENTRIES = 2_000  # a real workbook has a few dozen parts
MAX_ZIP_RATIO = 200  # uncompressed / compressed size of one part; XML sheets stay far below


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """What a file may hold; each from ``ENCAISSE_MAX_*`` (see the README's Security section)."""

    file_mb: int = 200  # uploads only, as .streamlit/config.toml's maxUploadSize
    rows: int = 20_000_000
    columns: int = 200
    unzipped_mb: int = 2_048  # total uncompressed size of an .xlsx
    # The cells of a sheet's rectangle (first to last used row and column): the workbook
    # reader allocates every one of them, filled or not (5M cells: about 300 MB).
    sheet_cells: int = 5_000_000

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            _env_int("ENCAISSE_MAX_FILE_MB", cls.file_mb),
            _env_int("ENCAISSE_MAX_ROWS", cls.rows),
            _env_int("ENCAISSE_MAX_COLUMNS", cls.columns),
            _env_int("ENCAISSE_MAX_UNZIPPED_MB", cls.unzipped_mb),
            _env_int("ENCAISSE_MAX_SHEET_CELLS", cls.sheet_cells),
        )


class FileUnreadable(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.text())
        self.problem = problem


class Part(NamedTuple):
    """Where a part of a CSV file starts (byte, spreadsheet row), and how many records it has
    (None: to the end)."""

    offset: int
    first_row: int
    records: int | None


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
    _irregular: bool = False  # a row Arrow's reader refused: pandas reads this file
    _records: int | None = None  # records of a whole pass by Arrow (see ``split``)

    limits: Limits = field(default_factory=Limits.from_env)

    def header(self) -> list[str]:
        if self.format == "xlsx":
            first = self._excel()[0]
        else:
            with open(self.path, encoding=self.encoding, newline="") as f:
                try:
                    first = next(csv.reader(f, delimiter=self.separator), [])
                except csv.Error as exc:
                    raise FileUnreadable(csv_problem(str(exc))) from None
            first = [h.strip() for h in first]
        if len(first) > self.limits.columns:
            raise FileUnreadable(
                Problem(
                    1,
                    None,
                    None,
                    f"the file has {len(first)} columns, "
                    f"more than the {self.limits.columns} allowed",
                    "keep only the columns of this file kind",
                )
            )
        return first

    def chunks(
        self, usecols: list[str] | None = None, rows: int = CHUNK_ROWS, part: Part | None = None
    ) -> Iterator[tuple[int, pd.DataFrame]]:
        """Yield ``(first spreadsheet row, frame of strings)``; empty rows are dropped.
        ``part``: only that part of a CSV file (see ``split``)."""
        if part is not None:
            chunks = self._part_chunks(part, rows)
        elif self.format == "xlsx":
            chunks = self._excel_chunks(usecols, rows)
        else:
            chunks = self._csv_chunks(usecols, rows)
        for first, frame in chunks:
            if first + len(frame) - 2 > self.limits.rows and len(frame):
                raise FileUnreadable(
                    Problem(
                        self.limits.rows + 2,
                        None,
                        None,
                        f"the file has more than {self.limits.rows:,} data rows",
                        "split it into smaller files",
                    )
                )
            yield first, frame

    def _csv_chunks(self, usecols, rows):
        """Arrow's CSV reader for a regular UTF-8 file (five times faster than pandas'); at
        the first row it will not read as is (an empty line, a short or long row, broken
        quoting), pandas' reader takes over from that row, and tells what is wrong."""
        resume = 2
        if self.encoding in ("utf-8", "utf-8-sig") and not self._irregular:
            try:
                for first, frame, after in self._arrow_chunks(usecols, rows):
                    resume = after
                    yield first, frame
                return
            except pa.ArrowException:
                self._irregular = True  # the next pass goes straight to pandas
        for first, frame in self._pandas_chunks(usecols, rows):
            rest = frame[frame.index >= resume]
            if len(rest) or first >= resume:
                yield max(first, resume), rest

    def split(self, share: float) -> tuple[Part, Part] | None:
        """Two parts of the file, cut at the line end after about ``share`` of its bytes, that
        can be read at once; None unless a full pass by Arrow found each line to be one record
        (a quoted value over two lines would make a cut there unsafe)."""
        if self.format != "csv" or self._records is None or self._irregular:
            return None
        pos, newlines, cut, before, last = 0, 0, None, 0, b""
        target = int(self.path.stat().st_size * share)
        with open(self.path, "rb") as f:  # counted block by block: memory stays flat
            for block in iter(lambda: f.read(1 << 22), b""):
                if cut is None and pos + len(block) > target:
                    i = block.find(b"\n", max(0, target - pos))
                    if i >= 0:
                        cut, before = pos + i + 1, newlines + block.count(b"\n", 0, i + 1)
                newlines += block.count(b"\n")
                pos += len(block)
                last = block[-1:]
        lines = newlines + (last != b"\n")
        if cut is None or cut >= pos or lines != self._records + 1 or before < 2:
            return None
        # the header is line 1; ``before`` lines end before the cut, so the next is row
        # before + 1, and before - 1 records come first
        return Part(0, 2, before - 1), Part(cut, before + 1, None)

    def _part_chunks(self, part: Part, rows: int):
        try:
            for first, frame, _ in self._arrow_chunks(None, rows, part):
                yield first, frame
        except pa.ArrowException as exc:  # the full pass read it: the file changed since
            raise FileUnreadable(csv_problem(str(exc))) from None

    def _arrow_chunks(self, usecols, rows, part: Part | None = None):
        """Yield ``(first row, frame, first row after it)`` read by Arrow, as pandas would."""
        part = part or Part(0, 2, None)
        header = self.header()
        idx = (
            sorted({header.index(c) for c in usecols})
            if usecols is not None
            else range(len(header))
        )
        names = [f"c{i}" for i in range(len(header))]  # headers may repeat or be empty
        # A Python file: Arrow's own file readers read ahead as far as the whole file (180 MB
        # for 3M rows), this one a block at a time.
        with open(self.path, "rb") as stream:
            stream.seek(part.offset)
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    skip_rows=0 if part.offset else 1,
                    column_names=names,
                    # about half ``rows``: as fast, and
                    # a third less memory than whole chunks
                    block_size=max(1 << 20, rows * 40),
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.separator,
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[names[i] for i in idx],
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            start = part.first_row
            for batch in reader:
                if part.records is not None:  # a first part ends at the cut
                    left = part.records - (start - part.first_row)
                    if left <= 0:
                        break
                    batch = batch.slice(0, left)
                n = batch.num_rows
                rows_at = pd.RangeIndex(start, start + n)
                frame = pd.DataFrame(
                    {
                        k: pd.Series(
                            pc.utf8_trim_whitespace(batch.column(k)), index=rows_at, dtype="str"
                        )
                        for k in range(len(idx))
                    },
                    index=rows_at,
                )
                frame.columns = [header[i] for i in idx]
                start += n
                yield start - n, frame[(frame != "").any(axis=1)], start
        if part == Part(0, 2, None):
            self._records = start - 2  # a whole pass: every record read, none refused

    def _pandas_chunks(self, usecols, rows):
        header = self.header()
        idx = [header.index(c) for c in usecols] if usecols is not None else None
        width = len(header)
        try:
            reader = pd.read_csv(
                self.path,
                sep=self.separator,
                encoding=self.encoding,
                dtype=str,
                header=None,
                skiprows=1,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=rows,
                engine="c",
                quotechar='"',
                doublequote=True,
                # a subset of columns: named by position, so that short rows read as empty
                **({"usecols": idx, "names": range(width)} if idx is not None else {}),
            )
        except pd.errors.EmptyDataError:
            return  # a header and nothing else
        except (pd.errors.ParserError, ValueError) as exc:
            if idx is None:
                raise FileUnreadable(csv_problem(str(exc))) from None
            yield from self._pandas_chunks(None, rows)  # odd widths: read every column instead
            return
        start = 2
        try:
            for frame in reader:
                n = len(frame)
                frame.index = range(start, start + n)
                start += n
                if idx is None:
                    frame = fit_width(frame, width)
                    frame.columns = header
                else:
                    frame = frame[sorted(idx)]
                    frame.columns = [header[i] for i in sorted(idx)]
                frame = frame.fillna("").apply(lambda c: c.str.strip())
                yield start - n, frame[(frame != "").any(axis=1)]
        except (pd.errors.ParserError, ValueError) as exc:
            if idx is not None:  # the full read that follows reports the row
                yield from self._pandas_chunks(None, rows)
                return
            raise FileUnreadable(csv_problem(str(exc))) from None
        except UnicodeDecodeError as exc:  # pragma: no cover - checked up front
            raise FileUnreadable(
                Problem(
                    None,
                    None,
                    None,
                    f"cannot decode the text: {exc}",
                    "save the file as UTF-8 or Windows-1252",
                )
            ) from None

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
            part = [[r[i] if i < len(r) else "" for i in idx] for r in body[lo : lo + rows]]
            frame = pd.DataFrame(
                part, columns=names, dtype=str, index=range(first + lo, first + lo + len(part))
            )
            yield first + lo, frame[(frame != "").any(axis=1)]


def fit_width(frame: pd.DataFrame, width: int) -> pd.DataFrame:
    """Short rows padded with empty cells; a row with a value beyond the header is refused
    (its cells would be silently dropped otherwise)."""
    if frame.shape[1] > width:
        extra = frame.iloc[:, width:].fillna("").astype(str)
        filled = extra.apply(lambda c: c.str.strip() != "").any(axis=1)
        if filled.any():
            row = int(filled[filled].index[0])
            raise FileUnreadable(
                Problem(
                    row,
                    None,
                    None,
                    f"this row has more cells than the header (expected {width})",
                    "quote values that contain the separator, or remove the extra cells",
                )
            )
        frame = frame.iloc[:, :width]
    elif frame.shape[1] < width:
        frame = frame.reindex(columns=range(width), fill_value="")
    return frame


def csv_problem(message: str) -> Problem:
    """Turn a parser error into a problem with the row number it names."""
    m = re.search(r"(?:line|row) (\d+)", message)
    row = int(m.group(1)) if m else None
    if "EOF inside string" in message or "quote" in message.lower():
        # pandas counts this one from 0 (the header is row 0); a spreadsheet counts from 1
        return Problem(
            None if row is None else row + 1,
            None,
            None,
            "a quoted value is never closed (broken quoting)",
            'close the quote, or double each " inside a quoted value',
        )
    if "Expected" in message and "fields" in message:
        fields = re.search(r"Expected (\d+) fields.*saw (\d+)", message)
        return Problem(
            row,
            None,
            None,
            f"this row has more cells than the header (expected {fields.group(1)}, found "
            f"{fields.group(2)})"
            if fields
            else "this row has more cells than the header",
            "quote values that contain the separator, or remove the extra cells",
        )
    return Problem(
        row,
        None,
        None,
        f"the file cannot be read as CSV: {message}",
        "export the file again as CSV or .xlsx",
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_source(
    path: str | Path, sheet: str | None = None, name: str | None = None, upload: bool = False
) -> Source:
    """Look at the file's bytes and decide how to read it; refuse what is not a table.

    ``upload``: the file came through the dashboard, so its size is limited too (the command
    line is run by the server's operator and takes files of any size).
    """
    path = Path(path)
    if not path.exists():
        raise FileUnreadable(Problem(None, None, str(path), "file not found", "check the path"))
    name = name or path.name
    limits = Limits.from_env()
    size_mb = path.stat().st_size / 2**20
    if upload and size_mb > limits.file_mb:
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                f"the file is {size_mb:,.0f} MB, more than the {limits.file_mb} MB allowed",
                "split it into smaller files",
            )
        )
    with open(path, "rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise FileUnreadable(
            Problem(
                None, None, None, "the file is empty", "export the data again, with a header row"
            )
        )
    if head.startswith(b"PK\x03\x04"):
        check_workbook(path, limits)
        check_sheet_extent(path, sheet, limits)
        return Source(path, name, sha256_of(path), "xlsx", sheet=sheet, limits=limits)
    if name.lower().endswith(EXCEL_NAMES):
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                "the file is named like an Excel workbook but its content is not one",
                "open it in Excel and save it again as .xlsx, or export it as CSV",
            )
        )
    digest = sha256_of(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                "this is an old Excel .xls (or other binary Office) file",
                "save it as .xlsx or CSV",
            )
        )
    encoding = detect_encoding(path, head)
    text = head.decode(encoding, errors="replace")
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and len(head) == 65536:
        lines = lines[:-1]  # the last line may be cut
    return Source(
        path,
        name,
        digest,
        "csv",
        encoding=encoding,
        separator=detect_separator(lines),
        sheet=sheet,
        limits=limits,
    )


def check_workbook(path: Path, limits: Limits) -> None:
    """Refuse a ZIP that is not an .xlsx workbook, or that would inflate beyond the limits
    (a decompression bomb), before any part of it is decompressed."""

    def refuse(message: str, fix: str = "open it in Excel and save it again as .xlsx"):
        raise FileUnreadable(Problem(None, None, None, message, fix))

    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        refuse("the workbook cannot be opened: it is damaged (not a readable ZIP archive)")
    names = {p.filename for p in parts}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
        refuse(
            "this is a ZIP archive but not an Excel workbook (.xlsx)",
            "export the data as .xlsx or CSV",
        )
    if len(parts) > MAX_ZIP_ENTRIES:
        refuse(f"the workbook has {len(parts):,} parts, more than a workbook holds")
    total = sum(p.file_size for p in parts)
    if total > limits.unzipped_mb * 2**20:
        refuse(
            f"the workbook would unpack to {total / 2**20:,.0f} MB, more than the "
            f"{limits.unzipped_mb:,} MB allowed",
            "split it into smaller files",
        )
    for p in parts:
        ratio = p.file_size // max(p.compress_size, 1)
        if p.file_size > 2**20 and ratio > MAX_ZIP_RATIO:
            refuse(
                f"the workbook part {p.filename} inflates {ratio:,} times: refused as a "
                "decompression bomb",
                "export the data again as .xlsx or CSV",
            )
    try:
        with zipfile.ZipFile(path) as zf:
            types = zf.read("[Content_Types].xml")
    except DAMAGED_PART:
        refuse("the workbook cannot be opened: it is damaged (a part does not unpack)")
    if b"macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        refuse(
            "the workbook holds macros (an .xlsm saved under another name): refused",
            "save it in Excel as a plain workbook (.xlsx), or export it as CSV",
        )


# What reading a part of a damaged archive raises: a bad CRC, a truncated or corrupt stream, an
# encrypted part, a missing one.
DAMAGED_PART = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    ValueError,
    KeyError,
)

_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,9})"')
_CELL_COLUMN = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,4})[0-9]')
_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]*[0-9]*:?([A-Z]{1,4})([0-9]{1,9})"')


def column_number(letters: bytes) -> int:
    """``A`` = 1, ``Z`` = 26, ``AA`` = 27 …"""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def sheet_part(zf: zipfile.ZipFile, sheet: str | None) -> str | None:
    """The archive path of the sheet ``sheet`` (the first sheet if None), from the workbook's
    list of sheets and its relationships; None when the workbook does not say."""
    import xml.etree.ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        sheets = ET.fromstring(zf.read("xl/workbook.xml")).iter(f"{main}sheet")
        wanted = next((s for s in sheets if sheet is None or s.get("name") == sheet), None)
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (ET.ParseError, *DAMAGED_PART):
        return None
    if wanted is None:
        return None
    target = next((r.get("Target") for r in rels if r.get("Id") == wanted.get(rel)), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def check_sheet_extent(path: Path, sheet: str | None, limits: Limits) -> None:
    """Refuse a sheet whose rectangle of cells (as it declares it, or as its cells spread) is
    larger than ``limits.sheet_cells``, before the workbook reader allocates it: a 5 KB file
    with a cell in A1 and one in GR1048576 would make it allocate 200 million cells.
    The sheet's XML is scanned as a stream, a megabyte at a time."""
    with zipfile.ZipFile(path) as zf:
        part = sheet_part(zf, sheet)
        if part is None or part not in zf.namelist():
            return  # the reader itself says what is wrong with the workbook
        try:
            extent = _scan_sheet(zf, part)
        except DAMAGED_PART:
            return  # likewise: a part that does not unpack is reported by the reader
    rows, columns, cells, declared = extent
    spread = rows * columns
    for area, declares in ((declared or 0, True), (spread, False)):
        if area > limits.sheet_cells:
            raise FileUnreadable(
                Problem(
                    None,
                    None,
                    sheet,
                    (
                        f"the sheet declares {area:,} cells (holding {cells:,}), more than "
                        if declares
                        else f"the sheet spreads over {area:,} cells (holding {cells:,}), more "
                        "than "
                    )
                    + f"the {limits.sheet_cells:,} a sheet may span: refused before reading it",
                    "copy the data to a new sheet (without far-away cells) and save it again, "
                    "or export it as CSV",
                )
            )


def _scan_sheet(zf: zipfile.ZipFile, part: str) -> tuple[int, int, int, int | None]:
    """(last row, last column, cells, declared area) of a sheet's XML, read as a stream."""
    rows = columns = cells = 0
    declared = None
    tail = b""
    with zf.open(part) as f:
        while block := f.read(1 << 20):
            buf = tail + block
            cut = buf.rfind(b"<")  # the last tag may be cut in two: read it next time
            done, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            if declared is None and (m := _DIMENSION.search(done)):
                declared = column_number(m.group(1)) * int(m.group(2))
            cells += done.count(b"<c ") + done.count(b"<c>")
            found = _ROW_NUMBER.findall(done)
            if found:
                rows = max(rows, max(map(int, found)))
            letters = set(_CELL_COLUMN.findall(done))
            if letters:
                columns = max(columns, max(map(column_number, letters)))
    return rows, columns, cells, declared


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252."""
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                "the file is binary, not a CSV text or .xlsx workbook",
                "export the data as CSV or .xlsx",
            )
        )
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ("utf-8", "cp1252"):
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
    raise FileUnreadable(
        Problem(
            None,
            None,
            None,
            "the text is neither UTF-8 nor Windows-1252 (or is binary)",
            "save the file as CSV UTF-8",
        )
    )


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


def workbook_cell_text(v: object) -> str:
    """An Excel cell as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):  # its time too, unless midnight (a date typed as such)
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(" ", "seconds")
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
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                f"the workbook cannot be opened ({type(exc).__name__})",
                "open it in Excel and save it again as .xlsx",
            )
        ) from None
    names = wb.sheet_names
    if sheet is not None and sheet not in names:
        raise FileUnreadable(
            Problem(None, None, sheet, "no sheet of that name", "use one of: " + ", ".join(names))
        )
    try:
        data = wb.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    except Exception as exc:  # a damaged part inside a readable archive
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                f"the workbook cannot be read ({type(exc).__name__})",
                "open it in Excel and save it again as .xlsx",
            )
        ) from None
    rows = [[workbook_cell_text(v) for v in r] for r in data]
    skipped = 0
    while skipped < len(rows) and not any(rows[skipped]):
        skipped += 1
    rows = rows[skipped:]
    if not rows:
        raise FileUnreadable(
            Problem(
                None,
                None,
                None,
                "the sheet is empty",
                "put a header row and the data on the first sheet",
            )
        )
    width = max(i + 1 for i, h in enumerate(rows[0]) if h) if any(rows[0]) else 0
    return [r[:width] + [""] * (width - len(r[:width])) for r in rows], skipped + 1


def count_data_rows(source: Source) -> int:
    """Data rows, for progress bars: exact for Excel, line count for CSV (no parsing)."""
    if source.format == "xlsx":
        return len(source._excel()) - 1
    lines = 0
    with open(source.path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)
