"""Fuzzing the importers: mutated and random files always end in a commit or a report, never a
traceback and never a partial write."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_loaders.importer import import_file
from data_loaders.kinds import KINDS as ALL_KINDS
from data_loaders.problems import ImportRefused
from tests.conftest import FIXTURES, table_counts

pytestmark = pytest.mark.slow  # hundreds of generated files

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KINDS = list(ALL_KINDS)  # every declared kind
VALID_CSV = (
    "invoice_id;customer_id;issue_date;due_date;amount;disputed\n"
    "F1;C1;03/01/2024;02/02/2024;1 234,50;non\n"
    "F2;C2;15/01/2024;14/02/2024;99,90;oui\n"
    "F3;C1;20/01/2024;19/02/2024;10;non\n"
).encode("cp1252")


def _workbook() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(
        {
            "invoice_id": ["X1", "X2"],
            "customer_id": ["C1", "C2"],
            "issue_date": pd.to_datetime(["2024-01-03", "2024-01-04"]),
            "due_date": pd.to_datetime(["2024-02-03", "2024-02-04"]),
            "amount": [10.5, 20],
        }
    ).to_excel(buf, index=False)
    return buf.getvalue()


VALID_XLSX = _workbook()
SEED_FILES = [
    VALID_CSV,
    VALID_XLSX,
    (FIXTURES / "motifs_fr.csv").read_bytes(),
    (FIXTURES / "enquetes_fr.csv").read_bytes(),
]


@st.composite
def mutated(draw) -> bytes:
    """A real file with bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(draw(st.sampled_from(SEED_FILES)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(
                st.binary(min_size=1, max_size=12)
                | st.sampled_from(
                    [b";", b",", b'"', b"\n", b"\r\n", b"\x00", b"=1+1", b"\xff\xfe", b"PK\x03\x04"]
                )
            )
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 20))]
        elif op == "truncate":
            data = data[:pos]
    return bytes(data)


CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def random_table(draw) -> bytes:
    """A grid of random cells under real or random headers, joined by any separator."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    headers = draw(
        st.lists(
            st.sampled_from(
                [
                    "invoice_id",
                    "customer_id",
                    "issue_date",
                    "due_date",
                    "amount",
                    "paid_date",
                    "payment_date",
                    "reason",
                    "score",
                    "survey_type",
                    "response_date",
                    "month",
                    "category",
                    "status",
                    "N° facture",
                    "Montant",
                    "payment_terms_days",
                    "cost",
                    "promised_amount",
                    "customer_id",
                    "name",
                ]
            )
            | CELL,
            min_size=1,
            max_size=8,
        )
    )
    rows = draw(
        st.lists(
            st.lists(
                CELL
                | st.sampled_from(
                    [
                        "2024-01-31",
                        "31/01/2024",
                        "1 234,56",
                        "-5",
                        "1e9",
                        "1e30",
                        "99999999999999999999",
                        "csat",
                        "11",
                        "oui",
                        '"',
                        "",
                        "x" * 400,
                    ]
                ),
                min_size=0,
                max_size=9,
            ),
            max_size=6,
        )
    )
    text = "\n".join(sep.join(r) for r in [headers, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


def import_or_report(engine, kind: str, data: bytes, name: str) -> None:
    before = table_counts(engine)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            report = import_file(engine, kind, path, user="fuzz")
        except ImportRefused as refused:
            assert refused.report.problem_count > 0 and refused.report.problems
            assert all(p.message and p.fix for p in refused.report.problems)
            assert table_counts(engine) == before  # nothing written
            return
    after = table_counts(engine)
    assert report.committed and after["batches"] == before["batches"] + 1
    assert sum(after.values()) >= sum(before.values())


@FUZZ
@given(data=mutated(), kind=st.sampled_from(KINDS), xlsx=st.booleans())
def test_mutated_files_commit_or_report(engine, data, kind, xlsx):
    import_or_report(engine, kind, data, "fuzz.xlsx" if xlsx else "fuzz.csv")


@FUZZ
@given(data=random_table(), kind=st.sampled_from(KINDS))
def test_random_tables_commit_or_report(engine, data, kind):
    import_or_report(engine, kind, data, "random.csv")


@FUZZ
@given(data=st.binary(max_size=300), kind=st.sampled_from(KINDS))
def test_random_bytes_commit_or_report(engine, data, kind):
    import_or_report(engine, kind, data, "noise.csv")
