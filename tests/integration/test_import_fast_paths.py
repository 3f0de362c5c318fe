"""The import's fast paths give exactly what the plain paths give.

Arrow's CSV reader against pandas' (row numbers, values, refusals); the row hash against the
formula the stored hashes were made with; a bulk load (indexes dropped and rebuilt) against the
same rows loaded batch by batch; COPY of Arrow-written CSV on PostgreSQL for awkward text.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, select

from benchmarks.generate import generate
from dashboard.storage.models import FACT_TABLES, Batch, Reason
from dashboard.storage.store import make_engine, upgrade
from data_loaders import checks, headers, merge, parallel, rows
from data_loaders.importer import import_file
from data_loaders.kinds import KINDS
from data_loaders.problems import ImportRefused, ImportReport
from data_loaders.read import FileUnreadable, open_source
from data_loaders.rows import row_hash
from tests.conftest import new_database


def stored_hash(frame: pd.DataFrame) -> pd.Series:
    """The row hash as every earlier version computed it (and so as databases hold it)."""
    text = frame.astype(object).where(frame.notna(), "\x00").astype(str)
    return pd.util.hash_pandas_object(text, index=False).astype("int64")


def test_row_hash_is_the_stored_formula_for_every_column_type():
    frame = pd.DataFrame(
        {
            "ints": pd.array([1, None, -3, 2**62, 0], dtype="Int64"),
            "flags": [True, False, True, False, True],
            "text": ["x", None, "é\x00z", "", 'a,b"c'],
            "nothing": [None] * 5,
            "numpy_ints": np.array([1, 2, 3, 4, 5]),
            "floats": [1.5, np.nan, 2.0, 3.25, -0.0],
            "arrow_text": pd.Series(["u", None, "w", "z", "€"], dtype="str"),
            "dates": ["2024-01-31", None, "2024-02-29", "1999-12-31", "2026-11-23"],
        },
        index=[2, 3, 5, 8, 13],
    )
    assert row_hash(frame).tolist() == stored_hash(frame).tolist()
    for col in frame.columns:  # and column by column, so that no pair of errors cancels out
        assert row_hash(frame[[col]]).tolist() == stored_hash(frame[[col]]).tolist(), col


def test_columns_added_later_leave_the_stored_hash_of_rows_that_do_not_fill_them():
    before = pd.DataFrame({"invoice_id": ["A", "B"], "amount_cents": [100, 200]})
    after = before.assign(
        written_off_cents=pd.array([None, 50], dtype="Int64"), written_off_date=[None, "2024-01-02"]
    )
    assert row_hash(after)[0] == row_hash(before)[0] == stored_hash(before)[0]
    assert row_hash(after)[1] != row_hash(before)[1]  # a write-off is a change
    again = after.assign(written_off_cents=pd.array([None, 60], dtype="Int64"))
    assert row_hash(again)[1] != row_hash(after)[1]


def test_row_hash_is_the_stored_formula_on_generated_files(tmp_path):
    files = generate(tmp_path, 2_000, dt.date(2026, 10, 31))
    for kind in ("customers", "invoices", "payments", "actions", "reasons", "surveys"):
        source = open_source(files[kind])
        spec = KINDS[kind]
        report = ImportReport(kind, "")
        matched = headers.match_headers(spec, source.header(), None, report)
        ctx = checks.Context(spec, {v: k for k, v in matched.items()})
        ctx.reasons = {r: r for r in pd.read_csv(files["reasons"])["reason"].unique()}
        checks.infer(source, ctx, None)
        for _, raw in source.chunks():
            shaped = rows.shape(KINDS[kind], checks.convert(ctx, raw, report))
            for table, table_rows in shaped.items():
                # as earlier versions stored them: without the columns added since, which
                # these files leave empty
                values = table_rows.drop(
                    columns=["key", "row_hash", *rows.LATER_COLUMNS], errors="ignore"
                )
                assert table_rows["row_hash"].tolist() == stored_hash(values).tolist(), (
                    kind,
                    table,
                )


# --- Arrow's CSV reader and pandas' ------------------------------------------------------------

HEADER = "invoice_id,customer_id,issue_date,due_date,amount\n"
REGULAR = "".join(
    f'"I{i}", C{i % 7} ,2024-01-{1 + i % 28:02d},2024-02-{1 + i % 28:02d},{i}.5\n'
    for i in range(40)
)
CASES = {
    "regular": HEADER + REGULAR,
    "bom_crlf": "\ufeff" + (HEADER + REGULAR).replace("\n", "\r\n"),
    "quoted_newline_and_quotes": HEADER
    + 'A,"C ""1""\nsecond line",2024-01-01,2024-01-31,1\n'
    + REGULAR,
    "repeated_and_empty_headers": "a,a,,b,c\n" + REGULAR,
    "semicolons": HEADER.replace(",", ";") + REGULAR.replace(",", ";").replace(".5", ",5"),
    "blank_cells_and_blank_rows_of_separators": HEADER + REGULAR + ",,,,\n  , , , ,\n" + REGULAR,
    "empty_line_after_the_first_chunk": HEADER + REGULAR + "\n" + REGULAR,
    "trailing_empty_lines": HEADER + REGULAR + "\n\n",
    "short_row_late": HEADER + REGULAR + "X,C1,2024-01-01\n" + REGULAR,
    "long_row_with_empty_extra_cells": HEADER + REGULAR + "X,C1,2024-01-01,2024-01-31,1,,\n",
    "long_row_with_a_value_beyond_the_header": HEADER
    + REGULAR
    + "X,C1,2024-01-01,2024-01-31,1,9\n",
    "quote_never_closed": HEADER + REGULAR + 'X,"C1,2024-01-01,2024-01-31,1\n',
}


def read_all(path, arrow: bool, usecols=None) -> tuple[list[int], pd.DataFrame] | str:
    """Every chunk of a file (first rows, and the frames joined), or the refusal's text."""
    source = open_source(path)
    source._irregular = not arrow
    try:
        chunks = list(source.chunks(usecols=usecols, rows=16))
    except FileUnreadable as exc:
        return str(exc.problem)
    frames = [frame for _, frame in chunks]
    return [first for first, _ in chunks], pd.concat(frames) if frames else pd.DataFrame()


@pytest.mark.parametrize("case", sorted(CASES))
def test_arrow_reader_reads_what_pandas_reads(tmp_path, case):
    path = tmp_path / f"{case}.csv"
    path.write_bytes(CASES[case].encode("utf-8"))
    for usecols in (None, ["issue_date", "amount"]):
        if usecols and case == "repeated_and_empty_headers":
            usecols = ["a", "c"]
        by_pandas = read_all(path, arrow=False, usecols=usecols)
        by_arrow = read_all(path, arrow=True, usecols=usecols)
        if isinstance(by_pandas, str):
            assert by_arrow == by_pandas
            continue
        firsts, frame = by_arrow
        assert list(frame.columns) == list(by_pandas[1].columns)
        assert frame.index.tolist() == by_pandas[1].index.tolist()  # the file's row numbers
        assert frame.astype(object).values.tolist() == by_pandas[1].astype(object).values.tolist()
        assert firsts[0] == 2 and firsts == sorted(firsts)


def test_arrow_reads_regular_files_and_hands_irregular_ones_to_pandas(tmp_path):
    regular, irregular = tmp_path / "r.csv", tmp_path / "i.csv"
    regular.write_text(CASES["regular"])
    irregular.write_text(CASES["short_row_late"])  # row 42 is short: pandas pads it
    source = open_source(regular)
    assert sum(len(f) for _, f in source.chunks(rows=16)) == 40 and not source._irregular
    source = open_source(irregular)
    frame = pd.concat([f for _, f in source.chunks(rows=16)])
    assert source._irregular  # Arrow refused the row; the next pass goes straight to pandas
    assert frame.index.tolist() == list(range(2, 83))  # each row once, from the right one on
    assert frame.loc[42].tolist() == ["X", "C1", "2024-01-01", "", ""]


# --- bulk loads --------------------------------------------------------------------------------


def schema_of(engine, table: str) -> tuple[list, list]:
    inspector = inspect(engine)
    indexes = sorted(
        (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
        for ix in inspector.get_indexes(table)
    )
    fks = sorted(
        (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
        for fk in inspector.get_foreign_keys(table)
    )
    return indexes, fks


def live_rows(engine, table: str) -> list[tuple]:
    t = FACT_TABLES[table].__table__
    cols = [c for c in t.c if c.name not in ("id", "batch_id")]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(t.c.key, t.c.id))]


@pytest.fixture
def generated(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("gen"), 12_000, dt.date(2026, 10, 31))


def load(engine, files, kinds=("customers", "invoices", "payments", "actions")):
    return {kind: import_file(engine, kind, files[kind]) for kind in kinds}


def test_a_bulk_load_rebuilds_the_indexes_and_keeps_the_schema(engine, generated, monkeypatch):
    before = {t: schema_of(engine, t) for t in ("invoices", "payments", "actions")}
    taken = []
    real = merge.bulk_indexes

    def spy(conn, t, staged, **kwargs):
        indexes = real(conn, t, staged, **kwargs)
        taken.append((t.name, [ix.name for ix in indexes]))
        return indexes

    monkeypatch.setattr(merge, "bulk_indexes", spy)
    reports = load(engine, generated)
    rebuilt = dict(taken)
    assert "ix_invoices_customer_id" in rebuilt["invoices"]  # the fast path was taken
    # a first load: no live key to look up, so the live-key index is rebuilt too
    assert "uq_invoices_live_key" in rebuilt["invoices"]
    assert {t: schema_of(engine, t) for t in before} == before  # every index and reference back
    assert reports["invoices"].added == 12_000
    # The same file again, as big as the table now: SQLite keeps its indexes up to date (a
    # rebuild only pays on a nearly empty table there), PostgreSQL rebuilds them again.
    taken.clear()
    again = import_file(engine, "invoices", generated["invoices"])
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 12_000)
    assert bool(dict(taken)["invoices"]) == (engine.dialect.name == "postgresql")
    assert {t: schema_of(engine, t) for t in before} == before
    # a batch small beside its table never drops an index
    taken.clear()
    head = generated["invoices"].read_text().splitlines()[:3001]
    (generated["invoices"].parent / "head.csv").write_text("\n".join(head) + "\n")
    import_file(engine, "invoices", generated["invoices"].parent / "head.csv")
    assert dict(taken)["invoices"] == []


def test_a_bulk_load_stores_what_batch_by_batch_loading_stores(
    engine, other_engine, generated, monkeypatch
):
    load(engine, generated)
    monkeypatch.setattr(merge, "REBUILD_WHEN_BATCH_OVER", {})  # indexes kept up to date
    load(other_engine, generated)
    for table in ("customers", "invoices", "payments", "actions"):
        assert live_rows(other_engine, table) == live_rows(engine, table), table


def test_a_live_key_staged_twice_with_other_values_is_still_refused(engine, generated, tmp_path):
    # (customers: in an invoices file, rows sharing an id are the lines of one invoice)
    load(engine, generated, kinds=("customers",))
    before = live_rows(engine, "customers")
    text = generated["customers"].read_text().splitlines()
    changed = text[1].replace("Customer 0", "Customer zero")  # row 2's key, another name
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([*text, changed]) + "\n")
    with pytest.raises(ImportRefused) as refused:
        import_file(engine, "customers", path)
    problem = refused.value.report.problems[0]
    assert problem.row == len(text) + 1 and "same key as row 2" in problem.message
    assert live_rows(engine, "customers") == before


def test_awkward_text_round_trips_through_staging(engine, tmp_path):
    notes = ["plain", 'a "quoted" word, and a comma', "two\nlines", "", "\\N", "NULL", "é € ✓"]
    (tmp_path / "inv.csv").write_text(
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        + "".join(f"X{i},C1,2024-01-01,2024-01-31,10\n" for i in range(len(notes)))
    )
    import_file(engine, "invoices", tmp_path / "inv.csv")
    quoted = ['"' + n.replace('"', '""') + '"' for n in notes]
    (tmp_path / "why.csv").write_text(
        "invoice_id,reason,comment\n"
        + "".join(f"X{i},forgotten,{q}\n" for i, q in enumerate(quoted)),
        encoding="utf-8",
    )
    import_file(engine, "reasons", tmp_path / "why.csv")
    t = Reason.__table__
    with engine.connect() as conn:
        got = conn.execute(select(t.c.comment).order_by(t.c.key)).scalars().all()
    assert got == [n if n else None for n in notes]  # an empty cell is no value; text stays


# --- a second process for big files ------------------------------------------------------------

FACTS = ("customers", "invoices", "payments", "actions", "reasons", "surveys")


def everything(engine) -> dict[str, list[tuple]]:
    """Every row of every imported table in id order, ids and batches included."""
    with engine.connect() as conn:
        got = {
            t: [
                tuple(r)
                for r in conn.execute(
                    select(FACT_TABLES[t].__table__).order_by(FACT_TABLES[t].__table__.c.id)
                )
            ]
            for t in FACTS
        }
        b = Batch.__table__
        got["batches"] = [
            tuple(r)
            for r in conn.execute(
                select(
                    b.c.id,
                    b.c.kind,
                    b.c.file_name,
                    b.c.sha256,
                    b.c.rows_read,
                    b.c.rows_added,
                    b.c.rows_replaced,
                    b.c.rows_unchanged,
                    b.c.customers_created,
                    b.c.imported_by,
                ).order_by(b.c.id)
            )
        ]
    return got


def summary(report) -> tuple:
    return (
        report.rows_read,
        report.added,
        report.replaced,
        report.unchanged,
        report.customers_created,
        [p.text() for p in report.problems],
        report.problem_count,
        report.notes,
    )


@pytest.fixture
def helpers(monkeypatch):
    """Every CSV file read by two processes (not only big ones); the helpers made."""
    made = []

    def using(method: str):
        def for_source(cls, source):
            if source.format != "csv":
                return None
            made.append(cls(method))
            return made[-1]

        monkeypatch.setattr(parallel.Helper, "for_source", classmethod(for_source))
        return made

    return using


@pytest.fixture
def other_engine(tmp_path):
    """A second fresh database of this run's backend."""
    (tmp_path / "other").mkdir()
    url, drop = new_database(tmp_path / "other")
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    drop()


def one_process(engine, files, kinds, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("ENCAISSE_IMPORT_WORKERS", "1")
        return {k: summary(import_file(engine, k, files[k], user="t")) for k in kinds}


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_two_processes_store_exactly_what_one_stores(
    engine, other_engine, generated, helpers, monkeypatch, method
):
    expected = one_process(other_engine, generated, FACTS, monkeypatch)
    made = helpers(method)
    got = {k: summary(import_file(engine, k, generated[k], user="t")) for k in FACTS}
    cut = {k for k, h in zip(FACTS, made, strict=True) if h.result is not None}
    # cut in two: each file whose first pass (money and dates) read every record
    assert cut >= {"invoices", "payments", "actions", "surveys"}
    assert all(not h.process.is_alive() for h in made)
    assert got == expected
    mine, theirs = everything(engine), everything(other_engine)
    for table in mine:
        assert mine[table] == theirs[table], table  # same ids: the file's order is kept


def test_a_ledger_in_two_processes_keeps_first_seen_customers(
    engine, other_engine, ibm_csv, helpers, monkeypatch
):
    files = {"ledger": ibm_csv}
    expected = one_process(other_engine, files, ["ledger"], monkeypatch)
    made = helpers("fork")
    assert {"ledger": summary(import_file(engine, "ledger", ibm_csv, user="t"))} == expected
    assert made[0].result is not None
    assert everything(engine) == everything(other_engine)


def test_problems_of_both_parts_come_in_file_order(
    engine, other_engine, generated, helpers, monkeypatch, tmp_path
):
    lines = generated["invoices"].read_text().splitlines()
    first, late = lines[4].split(","), lines[-3].split(",")
    first[2] = '"2024-13-45"'  # row 5: not a date
    late[4] = "-5"  # the last row but two: a negative amount
    lines[4], lines[-3] = ",".join(first), ",".join(late)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    import_file(engine, "customers", generated["customers"])
    import_file(other_engine, "customers", generated["customers"])
    with monkeypatch.context() as m, pytest.raises(ImportRefused) as one:
        m.setenv("ENCAISSE_IMPORT_WORKERS", "1")
        import_file(other_engine, "invoices", bad)
    made = helpers("fork")
    with pytest.raises(ImportRefused) as two:
        import_file(engine, "invoices", bad)
    assert made[0].result is not None
    assert summary(two.value.report) == summary(one.value.report)
    assert [p.row for p in two.value.report.problems] == [5, len(lines) - 2]
    assert live_rows(engine, "invoices") == []


def test_a_file_with_a_value_over_two_lines_is_not_cut(engine, helpers, tmp_path):
    rows = [f"I{i},C1,2024-01-01,2024-01-31,{i + 1}" for i in range(400)]
    rows[300] = 'I300,"C\n1",2024-01-01,2024-01-31,301'
    path = tmp_path / "inv.csv"
    path.write_text("invoice_id,customer_id,issue_date,due_date,amount\n" + "\n".join(rows))
    made = helpers("fork")
    report = import_file(engine, "invoices", path)
    assert made[0].result is None  # read by this process alone
    assert report.added == 400 and "C\n1" in report.customers_created


def test_a_failing_or_dying_second_process_leaves_the_work_to_the_first(
    engine, other_engine, generated, helpers, monkeypatch
):
    expected = one_process(other_engine, generated, ["customers", "invoices"], monkeypatch)
    helpers("fork")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(parallel, "stage_part", broken)  # the forked process inherits it
    assert (
        summary(import_file(engine, "customers", generated["customers"], user="t"))
        == expected["customers"]
    )
    monkeypatch.undo()
    made = helpers("fork")
    real = parallel.Helper.collect

    def killed_first(self, *args):
        self.process.kill()
        self.process.join()
        return real(self, *args)

    monkeypatch.setattr(parallel.Helper, "collect", killed_first)
    assert (
        summary(import_file(engine, "invoices", generated["invoices"], user="t"))
        == expected["invoices"]
    )
    assert made and made[0].result is None
    assert everything(engine) == everything(other_engine)


def test_the_second_process_stops_when_the_first_is_gone(generated, tmp_path):
    source = open_source(generated["invoices"])
    spec = KINDS["invoices"]
    ctx = checks.Context(spec, {c.name: c.name for c in spec.columns if c.name in source.header()})
    checks.infer(source, ctx, None)
    folder = tmp_path / "scratch"
    folder.mkdir()
    _, second = source.split(0.5)
    with pytest.raises(SystemExit):
        parallel.stage_part(source, ctx, second, "sqlite", str(folder), parent=-1)
    assert not folder.exists()


def test_only_big_csv_files_get_a_second_process(tmp_path, monkeypatch, generated):
    big = open_source(generated["invoices"])
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    helper = parallel.Helper.for_source(big)
    assert helper is not None
    helper.close()
    assert not helper.process.is_alive() and not helper.folder.exists()
    monkeypatch.setenv("ENCAISSE_IMPORT_WORKERS", "1")
    assert parallel.Helper.for_source(big) is None
    monkeypatch.delenv("ENCAISSE_IMPORT_WORKERS")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 16 << 20)
    assert parallel.Helper.for_source(big) is None  # 12k rows: one process is enough
