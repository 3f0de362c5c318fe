"""Rules across the columns of one row, named in each kind's declaration (``kinds.KINDS``).

Each rule reads the parsed rows of a chunk (canonical columns) and the file's headers (canonical
name -> header as written), and adds a problem or a note to the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from data_loaders.problems import ImportReport, add_problems

if TYPE_CHECKING:  # the rules take frames; declaring them (``kinds``) needs no pandas
    import pandas as pd

RowRule = Callable[["pd.DataFrame", dict[str, str], ImportReport], None]

SCORE_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def score_in_range(df: pd.DataFrame, headers: dict[str, str], report: ImportReport) -> None:
    """A score within its survey's scale."""
    for stype, (lo, hi) in SCORE_RANGES.items():
        bad = (df["survey_type"] == stype) & df["score"].notna() & ~df["score"].between(lo, hi)
        add_problems(
            report,
            bad.fillna(False),
            df["score"].astype(str),
            headers["score"],
            f"{stype} score out of range",
            f"a {stype} score is a whole number from {lo} to {hi}",
        )


def paid_amount_needs_a_date(
    df: pd.DataFrame, headers: dict[str, str], report: ImportReport
) -> None:
    """A ledger's paid amount comes with the date it was paid."""
    if "paid_amount" not in headers:
        return
    orphan = df["paid_amount"].notna() & df["paid_date"].isna()
    add_problems(
        report,
        orphan,
        df["paid_amount"].astype(str),
        headers["paid_amount"],
        "a paid amount without a paid date",
        "fill in the paid date, or empty the paid amount",
    )


def due_before_issue(df: pd.DataFrame, headers: dict[str, str], report: ImportReport) -> None:
    """A due date before the issue date is imported, and noted (credit terms can be odd)."""
    early = (df["due_date"] < df["issue_date"]).fillna(False)
    if early.any():
        report.notes.append(
            f"Note: {int(early.sum())} row(s) have a due date before the "
            f"issue date (first at row {int(early[early].index[0])})."
        )


def paid_needs_a_date(df: pd.DataFrame, headers: dict[str, str], report: ImportReport) -> None:
    """A ledger row marked paid says when (else its cash could not be placed in time)."""
    if "status" not in headers:
        return
    undated = (df["status"] == "paid") & df["paid_date"].isna()
    add_problems(
        report,
        undated.fillna(False),
        df["status"].astype(str),
        headers["status"],
        "marked paid without a paid date",
        "fill in the date it was paid, or mark the row unpaid",
    )
