"""Every kind of bad file is refused with a precise report and leaves the database as it was."""

from __future__ import annotations

import pytest

from data_loaders.importer import import_file
from data_loaders.problems import ImportRefused
from tests.conftest import table_counts, write

INVOICES = (
    "invoice_id,customer_id,issue_date,due_date,amount\n"
    "A,C1,2024-01-10,2024-02-09,1000\nB,C1,2024-02-15,2024-03-16,500\n"
)


@pytest.fixture
def seeded(engine, tmp_path):
    import_file(engine, "invoices", write(tmp_path, "seed.csv", INVOICES))
    return engine


def refused(engine, tmp_path, kind, name, content, encoding="utf-8", **kw):
    """Import a bad file; return its problems after checking nothing was written."""
    before = table_counts(engine)
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    with pytest.raises(ImportRefused) as info:
        import_file(engine, kind, path, **kw)
    assert table_counts(engine) == before
    report = info.value.report
    assert not report.committed and report.problem_count >= 1
    return report.problems


def test_missing_required_column(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "m.csv",
        "invoice_id,customer_id,issue_date,amount\nX,C1,2024-01-01,10\n",
    )
    assert (p.row, p.column) == (1, "due_date") and "missing" in p.message
    assert "--map" in p.fix


def test_bad_date(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "d.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "X,C1,2024-01-01,2024-01-31,10\nY,C1,2024-02-30,2024-03-31,10\n",
    )
    assert (p.row, p.column, p.value) == (3, "issue_date", "2024-02-30")


def test_negative_amount(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "n.csv",
        "invoice_id;customer_id;issue_date;due_date;amount\n"
        "X;C1;2024-01-01;2024-01-31;10,00\nY;C1;2024-01-01;2024-01-31;-5,50\n",
    )
    assert (p.row, p.column, p.value) == (3, "amount", "-5,50")
    assert "greater than 0" in p.message


def test_unknown_invoice(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "payments",
        "u.csv",
        "payment_id,invoice_id,payment_date,amount\nP1,A,2024-02-01,10\nP2,NOPE,2024-02-01,10\n",
    )
    assert (p.row, p.column, p.value) == (3, "invoice_id", "NOPE")
    assert "unknown invoice" in p.message


def test_unknown_invoice_in_reasons(seeded, tmp_path):
    [p] = refused(seeded, tmp_path, "reasons", "r.csv", "N° facture;Motif\nZZ;Oubli\n")
    assert (p.row, p.column, p.value) == (2, "N° facture", "ZZ")


def test_duplicate_key_with_different_values(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "customers",
        "dup.csv",
        "customer_id,name\nX,Acme\nZ,Zed\nX,Acme SA\n",
    )
    assert (p.row, p.column, p.value) == (4, "customer_id", "X")
    assert "row 2" in p.message


def test_identical_duplicate_rows_count_once(seeded, tmp_path):
    path = write(tmp_path, "same.csv", "customer_id,name\nX,Acme\nX,Acme\n")
    report = import_file(seeded, "customers", path)
    assert report.added == 1


def test_rows_of_one_invoice_are_its_lines(seeded, tmp_path):
    """SPEC section 2, second wave: an invoice id on several rows is one invoice, summed."""
    path = write(
        tmp_path,
        "same.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "X,C1,2024-01-01,2024-01-31,10\nX,C1,2024-01-01,2024-01-31,10\n",
    )
    report = import_file(seeded, "invoices", path)
    assert report.added == 1 and any("Invoice lines" in n for n in report.notes)


def test_out_of_range_score(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "surveys",
        "s.csv",
        "customer_id,response_date,survey_type,score\nC1,2024-01-01,nps,10\nC1,2024-01-02,csat,6\n",
    )
    assert (p.row, p.column, p.value) == (3, "score", "6")
    assert "1 to 5" in p.fix


def test_other_currency(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "c.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,currency\n"
        "X,C1,2024-01-01,2024-01-31,10,EUR\nY,C1,2024-01-01,2024-01-31,10,USD\n",
    )
    assert (p.row, p.column, p.value) == (3, "currency", "USD on 2024-01-01")
    assert "no exchange rate for USD" in p.message and "rates" in p.fix


def test_empty_file(seeded, tmp_path):
    [p] = refused(seeded, tmp_path, "invoices", "e.csv", b"")
    assert "empty" in p.message


def test_header_without_rows(seeded, tmp_path):
    [p] = refused(
        seeded, tmp_path, "invoices", "h.csv", "invoice_id,customer_id,issue_date,due_date,amount\n"
    )
    assert "no data rows" in p.message


def test_binary_garbage(seeded, tmp_path):
    [p] = refused(seeded, tmp_path, "invoices", "g.csv", bytes(range(256)) * 40)
    assert "binary" in p.message


def test_fake_xlsx(seeded, tmp_path):
    [p] = refused(seeded, tmp_path, "invoices", "f.xlsx", b"PK\x03\x04" + b"\x00junk" * 50)
    assert "workbook cannot be opened" in p.message


def test_broken_quoting(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "q.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "X,C1,2024-01-01,2024-01-31,10\n"
        'Y,"C1,2024-01-01,2024-01-31,10\n'
        "Z,C1,2024-01-01,2024-01-31,10\n",
    )
    assert p.row == 3 and "quot" in p.message


def test_extra_cells(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "x.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "X,C1,2024-01-01,2024-01-31,10\nY,C1,2024-01-01,2024-01-31,10,99\n",
    )
    assert p.row == 3 and "more cells" in p.message


def test_not_a_number(seeded, tmp_path):
    [p] = refused(
        seeded,
        tmp_path,
        "invoices",
        "nn.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\nX,C1,2024-01-01,2024-01-31,ten euros\n",
    )
    assert (p.row, p.column) == (2, "amount")


def test_unknown_reason_lists_the_codes(seeded, tmp_path):
    [p] = refused(seeded, tmp_path, "reasons", "rr.csv", "invoice_id,reason\nA,bad weather\n")
    assert (p.row, p.column, p.value) == (2, "reason", "bad weather")
    assert "invoice_not_received" in p.fix


def test_every_problem_is_reported_not_just_the_first(seeded, tmp_path):
    problems = refused(
        seeded,
        tmp_path,
        "invoices",
        "many.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "X,,2024-01-01,2024-01-31,10\nY,C1,bad,2024-01-31,10\n"
        "Z,C1,2024-01-01,2024-01-31,0\n",
    )
    assert [(p.row, p.column) for p in problems] == [
        (2, "customer_id"),
        (3, "issue_date"),
        (4, "amount"),
    ]
