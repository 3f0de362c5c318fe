"""Table downloads as CSV and Excel, safe to open: no cell can become a live formula."""

from __future__ import annotations

import io

import pandas as pd

from dashboard.core.safe_text import neutralize, safe_frame, to_csv_bytes

__all__ = ["neutralize", "safe_frame", "to_csv_bytes", "to_xlsx_bytes", "force_text"]


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
