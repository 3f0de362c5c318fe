"""What an import tells its user: problems by row and column, counts, and what it created."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MAX_LISTED = 500  # problems kept in full; the rest are counted


@dataclass
class Problem:
    """One thing wrong in a file. ``row`` is the row number as a spreadsheet shows it."""

    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        head = ", ".join(where) or "file"
        value = f" (value: {self.value!r})" if self.value not in (None, "") else ""
        return f"{head}: {self.message}{value}. Fix: {self.fix}"


@dataclass
class ImportReport:
    kind: str
    file: str
    sha256: str = ""
    rows_read: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # file header -> canonical column
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    customers_created: list[str] = field(default_factory=list)
    created_segments: dict[str, str] = field(default_factory=dict)  # created customer -> segment
    no_answer: int = 0  # survey score cells left blank or "-" (no answer, not imported)
    bad_rows: set[int] = field(default_factory=set, repr=False)  # file rows with a problem
    bad_invoices: set[str] = field(default_factory=set, repr=False)  # their invoice ids
    rejects: list[Problem] = field(default_factory=list)  # --reject-file: refused, not fatal
    rejected: int = 0  # rows refused and written to the reject file
    reject_file: str | None = None
    batch_id: int | None = None
    committed: bool = False
    dry_run: bool = False

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if problem.row is not None and problem.row > 1:
            self.bad_rows.add(problem.row)
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def as_dict(self) -> dict:
        out = asdict(self)
        out["bad_rows"] = sorted(self.bad_rows)
        out["bad_invoices"] = sorted(self.bad_invoices)
        return out

    def text(self) -> str:
        lines = [f"{self.kind} file {self.file}: {self.rows_read} rows read."]
        if self.columns:
            lines.append("Columns: " + ", ".join(f"{k} -> {v}" for k, v in self.columns.items()))
        if self.ignored_columns:
            lines.append(
                "Ignored columns (not part of this kind): " + ", ".join(self.ignored_columns)
            )
        lines.extend(self.notes)
        if self.no_answer:
            lines.append(f"{self.no_answer} score cell(s) blank or '-': no answer, skipped.")
        if not self.ok:
            lines.append(f"REFUSED: {self.problem_count} problem(s); nothing was written.")
            lines.extend("  - " + p.text() for p in self.problems)
            if self.problem_count > len(self.problems):
                lines.append(f"  ... and {self.problem_count - len(self.problems)} more.")
            return "\n".join(lines)
        if self.rejected:
            where = f" and written to {self.reject_file}" if self.reject_file else ""
            lines.append(f"{self.rejected} row(s) refused{where}:")
            lines.extend("  - " + p.text() for p in self.rejects[:MAX_LISTED])
        verb = "Would write" if self.dry_run else "Committed"
        lines.append(
            f"{verb}: {self.added} added, {self.replaced} replaced, "
            f"{self.unchanged} unchanged" + (f" (batch {self.batch_id})." if self.batch_id else ".")
        )
        if self.customers_created:
            shown = ", ".join(self.customers_created[:10])
            more = len(self.customers_created) - 10
            lines.append(
                f"Created {len(self.customers_created)} unknown customer(s) in segment "
                f"'Unassigned': {shown}" + (f" and {more} more" if more > 0 else "")
            )
        return "\n".join(lines)


class ImportRefused(Exception):
    """Raised when a file is refused; carries the full report. Nothing was written."""

    def __init__(self, report: ImportReport):
        super().__init__(report.text())
        self.report = report


def add_problems(
    report: ImportReport, mask: pd.Series, raw: pd.Series, header: str, message: str, fix: str
) -> None:
    """One problem per row where ``mask`` is set (600 listed at most, the rest counted)."""
    rows = mask[mask].index
    for row in rows[:600]:
        report.add(Problem(int(row), header, str(raw.at[row]), message, fix))
    extra = len(rows) - min(len(rows), 600)
    report.problem_count += extra
    if extra:
        report.bad_rows.update(int(r) for r in rows[600:])
