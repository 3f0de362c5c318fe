"""The dashboard through streamlit.testing.v1.AppTest, on a fixture database."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.generate import generate
from dashboard.demo.data import load_demo
from dashboard.metrics import METRICS, Filters, Period, kpis
from dashboard.presentation.i18n import fmt_kpi, fmt_pct, fmt_value, t
from dashboard.presentation.vocabulary import CODES
from dashboard.storage.store import list_batches, open_store
from data_loaders import parallel
from data_loaders.importer import import_file
from tests.conftest import FIXTURES, IBM, new_database, table_counts

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app" / "main.py")
END = dt.date(2025, 6, 30)
PAGES = [
    "overview",
    "collections",
    "satisfaction",
    "reasons",
    "segments",
    "aged_balance",
    "worklist",
    "customer",
    "data",
]
CARDS = [
    "receivables",
    "overdue_pct",
    "dso",
    "cei",
    "recovery_rate",
    "cost_to_collect",
    "csat",
    "nps",
    "promise_kept_rate",
    "plan_kept_rate",
    "dispute_resolution_days",
]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url, drop = new_database(tmp_path_factory.mktemp("app"))
    load_demo(open_store(url), seed=5, customers=40, months=12, end=END)
    yield url
    drop()


def fresh_app(url: str, monkeypatch, **query) -> AppTest:
    """An app on the database at ``url``, with Streamlit's caches emptied; not yet run."""
    monkeypatch.setenv("ENCAISSE_DB_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query)
    return at


@pytest.fixture
def app(demo_url, monkeypatch):
    """A fresh app on the demo database, run once."""
    at = fresh_app(demo_url, monkeypatch)
    at.run()
    assert not at.exception, at.exception
    return at


def engine_for(url: str):
    return open_store(url)


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected(url: str, filters: Filters | None = None, lang: str = "en") -> dict[str, str]:
    k = kpis(engine_for(url), Period(END - dt.timedelta(days=89), END), filters or Filters())
    out = {METRICS[n].label if lang == "en" else n: fmt_kpi(n, k[n], lang) for n in CARDS}
    # open disputes: the card counts the invoices (their amount is written under it)
    out["Open disputes" if lang == "en" else "disputes_open"] = str(k["disputes_open"]["invoices"])
    return out


def test_overview_cards_equal_the_metric_layer(app, demo_url):
    assert app.title[0].value == "Overview"
    assert shown(app) == expected(demo_url)
    helps = {m.label: m.proto.help for m in app.metric}
    assert "receivables(T) =" in helps["Receivables"]


def test_cards_and_kpi_table_write_each_kpi_with_its_unit_and_decimals(app):
    """The table under the cards showed raw floats (5105156.530000); cost to collect, a
    fraction of a percent, is declared with two decimals and shown so everywhere."""
    import re

    cards = shown(app)
    assert re.fullmatch(r"\d\.\d\d%", cards["Cost to collect"])
    assert re.fullmatch(r"\d+\.\d days", cards["DSO"])
    [table] = [d.value for d in app.dataframe if "Formula" in d.value.columns]
    rows = table.set_index("KPI")
    for label, value in cards.items():  # the same text as the card
        assert rows.loc[label, "Value"] == value
    assert all(isinstance(v, str) for v in table["Value"])
    assert rows.loc["Receivables", "Value"].startswith("€")
    app.segmented_control(key="lang").set_value("FR").run()
    [table] = [d.value for d in app.dataframe if "Formule" in d.value.columns]
    rows = table.set_index("Indicateur")
    assert rows.loc["DSO", "Valeur"].endswith("\u00a0j")


def test_year_to_date_is_compared_with_last_years_same_dates(app, demo_url):
    """Not with "the previous 181 days": a change means the same part of last year."""
    app.selectbox(key="preset").set_value("ytd").run()
    now = kpis(engine_for(demo_url), Period(dt.date(2025, 1, 1), END))
    last = kpis(engine_for(demo_url), Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    card = next(m for m in app.metric if m.label == "Receivables")
    assert card.proto.delta_description == "vs the same dates last year"
    diff = now["receivables"] - last["receivables"]
    assert card.proto.delta == ("-" if diff < 0 else "+") + fmt_value(abs(diff), "EUR", "en")


def one(value):
    """A query parameter as AppTest holds it (a value, or a list of one)."""
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_a_link_holds_codes_and_opens_the_same_view_in_either_language(demo_url, monkeypatch, lang):
    """?preset=ytd, ?owner=…&reason=… mean the same in English and French (a bound selectbox
    would write its translated label in the URL: a French link would open the default in
    English)."""
    engine = engine_for(demo_url)
    late = kpis(engine, Period(END - dt.timedelta(days=89), END))["late_reasons"]
    owner, reason = late[-1]["owner"], late[-1]["reason"]
    at = fresh_app(demo_url, monkeypatch, lang=lang, preset="ytd", owner=owner, reason=reason)
    at.run()
    assert at.selectbox(key="preset").value == "ytd"
    card = next(m for m in at.metric if m.label == METRICS["receivables"].label_in(lang.lower()))
    assert card.proto.delta_description == t("vs the same dates last year", lang.lower())
    assert one(at.query_params["preset"]) == "ytd"
    at.selectbox(key="preset").set_value("last30").run()
    assert one(at.query_params["preset"]) == "last30"
    at.selectbox(key="preset").set_value("last90").run()  # the default: a clean URL
    assert "preset" not in at.query_params
    at.query_params.update(owner=owner, reason=reason)
    at.switch_page("../../pages/reasons.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="owner").value == owner
    assert at.selectbox(key="reason").value == reason
    assert one(at.query_params["owner"]) == owner and one(at.query_params["reason"]) == reason
    causes = next(d.value for d in at.dataframe if t("Reason", lang.lower()) in d.value.columns)
    assert len(causes) == sum(1 for r in late if r["owner"] == owner)
    at.selectbox(key="owner").set_value(None).run()
    assert "owner" not in at.query_params


def test_cards_say_how_many_answers_and_how_much_is_overdue(app, demo_url):
    k = kpis(engine_for(demo_url), Period(END - dt.timedelta(days=89), END))
    captions = [c.value for c in app.caption]
    n = k["survey_responses"]["csat"]
    assert n > 0 and f"{n:,} answers" in captions
    overdue = fmt_value(k["overdue"], "EUR", "en")
    over90 = fmt_value(k["aging"]["d90_plus"], "EUR", "en")
    assert f"{overdue} overdue, {over90} over 90 days" in captions


@pytest.mark.parametrize("page", ["overview", "collections", "satisfaction", "reasons", "segments"])
def test_every_page_says_which_period_and_filters_its_figures_are_for(app, page):
    app.multiselect(key="segment").set_value(["Retail"]).run()
    app.switch_page(f"../../pages/{page}.py").run()
    said = app.main.caption[0].value
    start = (END - dt.timedelta(days=89)).isoformat()
    assert f"Period: {start} to {END} (90 days)" in said
    assert "Compared with: " in said and "Segments: Retail" in said


def test_downloads_are_named_and_scoped_by_period_and_filter():
    import io

    from openpyxl import load_workbook

    from dashboard.app.state import View
    from dashboard.presentation.exports import to_xlsx_bytes

    view = View(
        "fr", Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), Filters(("Grands comptes",))
    )
    assert view.file_stem("segments") == "segments_2026-01-01_2026-03-31_Grands-comptes"
    book = load_workbook(
        io.BytesIO(to_xlsx_bytes(pd.DataFrame({"a": [1]}), "segments", view.scope()))
    )
    assert book.sheetnames == ["segments", "scope"]
    about = {r[0]: r[1] for r in book["scope"].iter_rows(values_only=True)}
    assert about["Période"] == "du 01/01/2026 au 31/03/2026 (90 jours)"
    assert about["Segments"] == "Grands comptes" and about["Régions"] == "tous"


def test_a_long_table_shows_its_numbers_rounded_as_written():
    """Past STYLE_MAX_ROWS a table goes without per-cell styling: its numbers are rounded to
    the digits their column is written with (money 2, a score 1, a count 0) and grouped in
    the reader's browser, not shown raw ("86.5725", "10862.5714")."""
    from dashboard.app import widgets
    from dashboard.app.state import View

    view = View("fr", Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), Filters())
    df = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "penalty_eur": [10862.5714, 0.125],
            "payer_score": [86.5725, None],
            "late_invoices": [12, 3],
        }
    )
    shown, _ = widgets._labelled(df, view, {"payer_score": "Payer score"})
    data, config = widgets._long(df, shown, view)
    assert data["penalty_eur"].tolist() == [10862.57, 0.12]
    assert data["Score payeur"].iloc[0] == 86.6 and pd.isna(data["Score payeur"].iloc[1])
    assert data["late_invoices"].tolist() == [12, 3]
    assert set(config) == {"penalty_eur", "Score payeur", "late_invoices"}
    assert all(c["type_config"]["format"] == "localized" for c in config.values())
    assert shown["penalty_eur"].tolist() == [10862.5714, 0.125]  # the downloads keep all


def test_a_change_a_card_shows_is_coloured_at_the_digits_it_is_written_with():
    """Cost to collect is written with two decimals: "+0.03 pts" is a rise (bad: red), not a
    flat grey; a change that rounds to "+0.00" stays grey (seen in Chromium: 1.04 → 1.07 %
    was grey, the flatness read one decimal for every KPI but money)."""
    from dashboard.app import widgets
    from dashboard.app.state import View

    view = View("en", Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), Filters())
    assert widgets.delta_text("cost_to_collect", 1.07, 1.04, view) == "+0.03 pts"
    assert not widgets.is_flat("cost_to_collect", 1.07, 1.04)
    assert widgets.is_flat("cost_to_collect", 1.071, 1.069)
    assert widgets.delta_text("dso", 42.04, 42.0, view) == "+0.0 days"
    assert widgets.is_flat("dso", 42.04, 42.0) and not widgets.is_flat("dso", 42.1, 42.0)


def test_a_customer_without_a_name_is_picked_by_its_id_alone():
    """A customer a ledger created has no name: the pickers (Customer, Segments) offer "NEW1",
    not "NEW1 — nan" (seen in Chromium) nor "NEW1 — "."""
    from dashboard.app import widgets

    frame = pd.DataFrame(
        {"customer_id": ["C1", "NEW1", "NEW2", "NEW3"], "name": ["Alpha", float("nan"), None, ""]}
    )
    choice = widgets.customer_choice(frame)
    assert [choice(c) for c in frame["customer_id"]] == ["C1 — Alpha", "NEW1", "NEW2", "NEW3"]


def test_a_filter_changes_the_figures(app, demo_url):
    before = shown(app)
    app.multiselect(key="segment").set_value(["Retail"]).run()
    assert not app.exception
    after = shown(app)
    assert after != before
    assert after == expected(demo_url, Filters(segments=("Retail",)))


def test_period_preset_changes_the_figures(app, demo_url):
    app.selectbox(key="preset").set_value("last30").run()
    k = kpis(engine_for(demo_url), Period(END - dt.timedelta(days=29), END))
    assert shown(app)["DSO"] == fmt_value(k["dso"], "days", "en")


@pytest.mark.parametrize("lang", ["EN", "FR"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app, page, lang):
    app.segmented_control(key="lang").set_value(lang).run()
    app.switch_page(f"../../pages/{page}.py").run()
    assert not app.exception, app.exception
    assert app.title, page
    if page not in ("data", "customer"):  # tables show a gap as "—", not the grid's "None"
        assert any(t.proto.placeholder == "—" for t in app.dataframe), page
    for box in app.selectbox:  # an empty picker says what to do in the reader's language,
        if not box.proto.HasField("default"):  # not Streamlit's "Choose an option"
            assert box.proto.placeholder not in ("", "Choose an option"), (page, box.label)


def test_french_interface_formats_numbers(app, demo_url):
    app.segmented_control(key="lang").set_value("FR").run()
    assert app.title[0].value == "Vue d'ensemble"
    values = [m.value for m in app.metric]
    assert values[0].endswith("\u00a0€") and "\u202f" in values[0]
    k = kpis(engine_for(demo_url), Period(END - dt.timedelta(days=89), END))
    assert values[2] == fmt_value(k["dso"], "days", "fr")


def test_french_cards_take_label_and_formula_from_the_kpi_declaration(app):
    app.segmented_control(key="lang").set_value("FR").run()
    helps = {m.label: m.proto.help for m in app.metric}
    assert set(helps) >= {METRICS[n].label_fr for n in CARDS}
    assert "Formule : " + METRICS["dso"].formula_fr == helps[METRICS["dso"].label_fr]


def test_a_write_from_elsewhere_shows_on_the_next_rerun(tmp_path, monkeypatch):
    """Reads are cached per data version: an import made outside this session (the command
    line, another user) changes the figures at the next rerun, not after a cache expiry."""
    url, drop = new_database(tmp_path)
    try:
        load_demo(open_store(url), seed=3, customers=20, months=6, end=END)
        at = fresh_app(url, monkeypatch)
        at.run()
        before = shown(at)["Receivables"]
        assert before == expected(url)["Receivables"]
        late = tmp_path / "late.csv"
        late.write_text(
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            f"LATE-1,C1001,{END.isoformat()},{(END + dt.timedelta(days=30)).isoformat()},"
            "123456.78\n"
        )
        import_file(open_store(url), "invoices", late)  # not through this app
        at.run()
        assert not at.exception
        after = shown(at)["Receivables"]
        assert after != before and after == expected(url)["Receivables"]
    finally:
        drop()


def test_customer_page_shows_one_customer(app, demo_url):
    app.switch_page("../../pages/customer.py").run()
    app.selectbox(key="customer").set_value("C1003").run()
    assert not app.exception
    assert any(s.value == "Open items" for s in app.subheader)
    assert len(app.dataframe) >= 5
    assert app.query_params["customer"] in ("C1003", ["C1003"])


def test_customer_page_opens_on_the_most_overdue_and_counts_days_until_due(app, demo_url):
    """Not a bare picker: the customers with the most overdue first; and an item not yet due
    shows the days until its due date, not a negative delay."""
    from dashboard.metrics import analytics

    app.switch_page("../../pages/customer.py").run()
    assert any(s.value == "Most overdue customers" for s in app.subheader)
    [top] = [d.value for d in app.dataframe if "Overdue" in d.value.columns]
    every = analytics.customer_list(engine_for(demo_url), END, Filters())
    owing = every[every["overdue_eur"] > 0]
    assert list(top["Customer"]) == list(owing["customer_id"].head(25))
    assert top["Overdue"].is_monotonic_decreasing
    app.selectbox(key="customer").set_value(top["Customer"].iloc[0]).run()
    [items] = [d.value for d in app.dataframe if "Days until due" in d.value.columns]
    past, until = items["Days past due"], items["Days until due"]
    assert (past.dropna() > 0).all() and (until.dropna() >= 0).all()
    assert (past.isna() != until.isna()).all()  # each item is one or the other
    assert until.notna().any() and past.notna().any()


def test_customer_link_opens_that_customer(demo_url, monkeypatch):
    at = fresh_app(demo_url, monkeypatch)
    at.run()
    at.query_params["customer"] = "C1002"
    at.switch_page("../../pages/customer.py").run()
    assert not at.exception
    assert at.selectbox(key="customer").value == "C1002"
    assert any(s.value == "Open items" for s in at.subheader)


def test_upload_refuses_a_bad_file_and_writes_nothing(app, demo_url, tmp_path):
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    bad = b"invoice_id,customer_id,issue_date,due_date,amount\nX1,C1000,2025-06-01,2025-06-30,-10\n"
    app.file_uploader[0].set_value(("bad.csv", bad, "text/csv")).run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert any("Nothing was written" in e.value for e in app.error)
    [report] = [d.value for d in app.dataframe if "Problem" in d.value.columns]
    assert report[["Row", "Column", "Value"]].values.tolist() == [[2, "amount", "-10"]]
    assert table_counts(engine) == before


SNAKE = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")
# codes whose French label differs: none of them may show in a French table
CODED = {code for field in CODES.values() for code, (_, fr) in field.items() if code != fr}


def test_every_table_in_french_names_its_columns_and_codes_in_french(demo_url, monkeypatch):
    """Tables draw on a canvas (a browser's text does not hold them): their columns and coded
    values are checked here, on every page, the Customer page, the audit log and a refused
    file's report included."""
    at = fresh_app(demo_url, monkeypatch, lang="FR")
    at.run()
    seen = 0
    for page in [*PAGES, "admin"]:
        if page == "customer":
            at.query_params["customer"] = "C1002"
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        if page == "data":
            content = (  # a date, a due date and an amount wrong
                "N° facture;Code client;Date facture;Date d'échéance;Montant TTC\n"
                "F-1;C1000;32/13/2026;30/11/2026;12,50\nF-2;C1000;01/10/2026;;abc\n"
            ).encode()
            at.file_uploader[0].set_value(("factures.csv", content, "text/csv")).run()
            at.button(key="check_upload").click().run()
            [report] = [d.value for d in at.dataframe if "Comment corriger" in d.value.columns]
            assert list(report["Problème"]) == [
                "ce n'est pas une date valide",
                "valeur obligatoire vide",
                "ce n'est pas un montant",
            ]
            assert report["Comment corriger"][1] == (
                "renseignez Date d'échéance sur cette ligne, ou supprimez la ligne"
            )
            text = " ".join(report["Problème"]) + " ".join(report["Comment corriger"])
            assert not SNAKE.search(text) and "YYYY" not in text, text
        for d in at.dataframe:
            frame = d.value
            columns = [str(c) for c in frame.columns]
            shown_by_label = set()  # an editor's columns hidden or showing a label per value
            if d.proto.editing_mode:  # an editor: its columns are named by its column config
                config = json.loads(d.proto.columns)
                for c, cfg in config.items():
                    if cfg.get("hidden") is True:
                        shown_by_label.add(c)  # not shown at all
                    options = cfg.get("type_config", {}).get("options", [])
                    if options:
                        shown_by_label.add(c)
                        labels = {o["label"] for o in options}
                        assert not CODED & labels, (page, c, CODED & labels)
                columns = [
                    config.get(c, {}).get("label", c)
                    for c in columns
                    if config.get(c, {}).get("hidden") is not True
                ]
            assert not [c for c in columns if SNAKE.fullmatch(c)], (page, columns)
            for col in frame.columns:
                if col in shown_by_label:
                    continue
                if col == "code":  # the taxonomy editor shows each cause's code on purpose:
                    continue  # it is what a file may hold, beside its two labels
                if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                    codes = CODED & {v for v in frame[col] if isinstance(v, str)}
                    assert not codes, (page, col, codes)
            seen += 1
    assert seen > 15  # the tables were there to check


def test_upload_commits_a_good_file_and_undo_removes_it(app, demo_url):
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    content = (FIXTURES / "factures_fr_cp1252.csv").read_bytes()
    app.file_uploader[0].set_value(("factures.csv", content, "text/csv")).run()
    assert any("Detected kind: Invoices" in c.value for c in app.caption)  # detected kind
    app.button(key="check_upload").click().run()
    assert any("valid" in s.value for s in app.success)
    assert table_counts(engine) == before
    app.button(key="commit_upload").click().run()
    assert any("Imported: batch" in s.value for s in app.success)
    assert table_counts(engine)["invoices"] == before["invoices"] + 4
    newest = list_batches(engine)[0]
    assert newest["file"] == "factures.csv"
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()  # asks first
    assert any(f"Undo batch {newest['id']}" in w.value for w in app.warning)
    assert table_counts(engine)["invoices"] == before["invoices"] + 4
    app.button(key="undo_cancel").click().run()  # kept
    assert table_counts(engine)["invoices"] == before["invoices"] + 4
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert any(
        f"Batch {newest['id']} undone: 4 invoices" in s.value for s in app.success
    )  # says what it removed
    assert not app.exception
    assert table_counts(engine)["invoices"] == before["invoices"]
    assert newest["id"] not in [b["id"] for b in list_batches(engine)]


def test_upload_offers_terms_and_a_value_for_every_row(app, demo_url):
    """The Data page gives what the command line's --terms and --set give, with its report."""
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    content = (FIXTURES / "exports" / "invoices_without_due_date.csv").read_bytes()
    app.selectbox(key="upload_kind").set_value("invoices").run()
    app.file_uploader[0].set_value(("shop.csv", content, "text/csv")).run()
    assert any("Detected kind: Invoices" in c.value for c in app.caption)  # terms will do
    app.button(key="check_upload").click().run()
    [report] = [d.value for d in app.dataframe if "Problem" in d.value.columns]
    assert report["Column"].tolist() == ["due_date"]
    app.number_input(key="terms_invoices").set_value(30).run()
    app.text_input(key="profile_invoices").set_value("shop export").run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert any("Imported: batch" in s.value for s in app.success)
    assert table_counts(engine)["invoices"] == before["invoices"] + 2
    newest = list_batches(engine)[0]
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine) == before
    # the same headers again: the remembered mapping is offered and used with no choice made
    app.selectbox(key="upload_kind").set_value("invoices").run()
    app.file_uploader[0].set_value(("shop-2.csv", content, "text/csv")).run()
    assert any("shop export" in i.value and "terms 30" in i.value for i in app.info)
    app.button(key="commit_upload").click().run()
    assert any("Imported: batch" in s.value for s in app.success)
    newest = list_batches(engine)[0]
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine) == before

    survey = b"Customer ID,Satisfaction Score\nC1000,4\nC1001,2\n"
    app.file_uploader[0].set_value(("telco.csv", survey, "text/csv")).run()
    app.selectbox(key="upload_kind").set_value("surveys").run()
    app.selectbox(key="map_surveys_response_date").set_value("\x00same").run()
    app.text_input(key="set_surveys_response_date").set_value("2022-09-30").run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert table_counts(engine)["surveys"] == before["surveys"] + 2
    newest = list_batches(engine)[0]
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine) == before


def test_upload_can_set_the_refused_rows_aside(app, demo_url):
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    body = (
        b"invoice_id,customer_id,issue_date,due_date,amount\n"
        b"R1,C1000,2025-06-01,2025-06-30,10\nR2,C1000,2025-06-01,2025-06-30,-5\n"
    )
    app.file_uploader[0].set_value(("two.csv", body, "text/csv")).run()
    app.checkbox(key="rejects_invoices").check().run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert any("1 row(s) refused and set aside" in w.value for w in app.warning)
    [refused] = [d.value for d in app.dataframe if "Problem" in d.value.columns]
    assert refused[["Row", "Column", "Value"]].values.tolist() == [[3, "amount", "-5"]]
    assert any(b.label == "Download the refused rows" for b in app.get("download_button"))
    assert table_counts(engine)["invoices"] == before["invoices"] + 1
    newest = list_batches(engine)[0]
    assert newest["rejected"] == 1
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine) == before


def test_a_fec_uploads_with_its_terms(app, demo_url):
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    content = (FIXTURES / "exports" / "123456789FEC20231231.txt").read_bytes()
    app.file_uploader[0].set_value(("123456789FEC20231231.txt", content, "text/plain")).run()
    assert any("Detected kind: FEC" in c.value for c in app.caption)  # detected from its 18 columns
    app.number_input(key="terms_fec").set_value(30).run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert any("Imported: batch" in s.value for s in app.success)
    assert table_counts(engine)["invoices"] == before["invoices"] + 5
    [created] = [d.value for d in app.dataframe if "Segment" in d.value.columns]
    assert created.values.tolist() == [
        ["CLI001", "Unassigned"],
        ["CLI002", "Unassigned"],
        ["CLI003", "Unassigned"],
        ["CLI004", "Unassigned"],
    ]
    newest = list_batches(engine)[0]
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine) == before


def test_owner_of_a_cause_is_edited_and_saved_from_the_reasons_page(demo_url, monkeypatch):
    from dashboard.storage.store import set_reason_owner, taxonomy

    engine = engine_for(demo_url)
    codes = [c["code"] for c in taxonomy(engine)]
    period = Period(END - dt.timedelta(days=89), END)
    assert {
        r["owner"] for r in kpis(engine, period)["late_reasons"] if r["reason"] == "forgotten"
    } == {"Customer"}
    at = fresh_app(demo_url, monkeypatch)
    at.run()
    at.switch_page("../../pages/reasons.py").run()
    # the editor's own edit state, as the browser sends it: row of "forgotten" -> Sales
    at.session_state["taxonomy"] = {
        "edited_rows": {codes.index("forgotten"): {"owner": "Sales"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_owners").click().run()
    assert not at.exception
    try:
        assert {c["code"]: c["owner"] for c in taxonomy(engine)}["forgotten"] == "Sales"
        assert {
            r["owner"] for r in kpis(engine, period)["late_reasons"] if r["reason"] == "forgotten"
        } == {"Sales"}
    finally:
        set_reason_owner(engine, "forgotten", "Customer")


def test_welcome_page_on_an_empty_database(db_url, monkeypatch):
    url = db_url
    at = fresh_app(url, monkeypatch)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Encaisse"
    assert at.button(key="load_demo")
    at.button(key="load_demo").click().run()
    assert not at.exception
    assert table_counts(open_store(url))["invoices"] > 1000
    assert at.title[0].value == "Overview"


def test_welcome_leads_to_the_data_page(db_url, monkeypatch):
    at = fresh_app(db_url, monkeypatch)
    at.run()
    at.button(key="go_upload").click().run()
    assert not at.exception
    assert at.title[0].value == "Data"


def test_segments_page_opens_a_customer(app):
    app.switch_page("../../pages/segments.py").run()
    app.selectbox(key="open_customer").set_value("C1003").run()
    assert not app.exception
    assert app.title[0].value == "Customer"
    assert any(s.value == "Open items" for s in app.subheader)


def test_url_reproduces_the_view(demo_url, monkeypatch):
    at = fresh_app(demo_url, monkeypatch, segment=["SMB"], lang="FR")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Vue d'ensemble"
    assert at.multiselect(key="segment").value == ["SMB"]
    k = kpis(
        engine_for(demo_url), Period(END - dt.timedelta(days=89), END), Filters(segments=("SMB",))
    )
    assert at.metric[0].value == fmt_value(k["receivables"], "EUR", "fr")


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_every_page_on_the_ibm_sample(db_url, monkeypatch, lang):
    if not IBM.exists():
        pytest.skip(f"IBM sample not found at {IBM}")
    from data_loaders.importer import import_file

    url = db_url
    import_file(open_store(url), "ledger", IBM)
    at = fresh_app(url, monkeypatch, lang=lang, preset="ytd")
    at.run()
    assert not at.exception, at.exception
    # every invoice is paid by 2014-01-09, the last date in the file: the view opens on the
    # day before, the last with an open item, and says so (not on receivables of 0)
    k = kpis(open_store(url), Period(dt.date(2014, 1, 1), dt.date(2014, 1, 8)))
    assert k["receivables"] > 0
    assert at.metric[0].value == fmt_value(k["receivables"], "EUR", lang.lower())
    said = [c.value for c in at.sidebar.caption]
    settled, opens = ("09/01/2014", "08/01/2014") if lang == "FR" else ("2014-01-09", "2014-01-08")
    assert any(settled in c and opens in c for c in said), said
    # no survey and no cost in this file: unknown, said so, never a 0
    notes = [c.value for c in at.main.caption] + [i.value for i in at.info]
    if lang == "EN":
        assert "no survey answers in this period" in notes and "no cost data loaded" in notes
        assert "No survey answers in these 12 months." in notes
    else:
        assert "aucune réponse d'enquête sur la période" in notes
        assert "Aucune donnée de coût chargée." in notes
        assert at.main.caption[0].value.startswith("Période\u00a0: du ")  # French colon
    at.switch_page("../../pages/satisfaction.py").run()
    empty = [i.value for i in at.info]
    assert empty.count(at.session_state["_view"].t("No survey answers in these 12 months.")) == 3
    for page in PAGES:
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)


def test_segment_table_has_every_kpi_per_segment(app, demo_url):
    app.switch_page("../../pages/segments.py").run()
    table = app.dataframe[0].value
    assert list(table.columns) == ["Segment", *[m.label for m in METRICS.values()]]
    retail = table.set_index("Segment").loc["Retail"]
    k = kpis(
        engine_for(demo_url),
        Period(END - dt.timedelta(days=89), END),
        Filters(segments=("Retail",)),
    )
    assert retail["Receivables"] == k["receivables"]
    assert retail["DSO"] == pytest.approx(k["dso"])


def test_every_page_uses_the_configured_reporting_currency(demo_url, monkeypatch):
    from dashboard.storage.store import set_setting

    engine = engine_for(demo_url)
    set_setting(engine, "currency", "USD")
    try:
        at = fresh_app(demo_url, monkeypatch, customer="C1003")
        at.run()
        at.switch_page("../../pages/customer.py").run()
        assert not at.exception
        assert at.metric[0].value.startswith("$")
    finally:
        set_setting(engine, "currency", "EUR")


def test_an_upload_cut_in_two_lands_like_any_other(app, demo_url, monkeypatch, tmp_path):
    """A big upload is staged by two processes (the app's server has threads: spawned)."""
    made = []
    real_init = parallel.Helper.__init__

    def spy(self, method=None):
        real_init(self, method)
        made.append(self)

    monkeypatch.setattr(parallel.Helper, "__init__", spy)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)  # this small file counts as big
    files = generate(tmp_path, 3_000, dt.date(2026, 10, 31))
    engine = engine_for(demo_url)
    before = table_counts(engine)
    app.switch_page("../../pages/data.py").run()
    app.file_uploader[0].set_value(("big.csv", files["invoices"].read_bytes(), "text/csv")).run()
    app.button(key="commit_upload").click().run()
    assert not app.exception
    assert any("Imported: batch" in s.value for s in app.success)
    assert table_counts(engine)["invoices"] == before["invoices"] + 3_000
    assert made and all(h.result is not None for h in made)  # cut in two, and both parts in
    assert {h.method for h in made} == {"spawn"}
    newest = list_batches(engine)[0]
    app.selectbox(key="undo_id").set_value(newest["id"]).run()
    app.button(key="undo_batch").click().run()
    app.button(key="undo_confirm").click().run()
    assert table_counts(engine)["invoices"] == before["invoices"]


def test_the_reasons_page_scores_each_owner_on_its_disputes(demo_url, monkeypatch):
    """Open disputes and € at stake, the oldest, median resolution against the owner's target
    (set by an administrator), and the open issues of the owner chosen in the drill-down."""
    from dashboard.metrics.analytics import dispute_scorecard
    from dashboard.storage import store

    engine = engine_for(demo_url)
    period = Period(END - dt.timedelta(days=89), END)
    expected_card = dispute_scorecard(engine, period, Filters())
    owner = expected_card["owner"].iloc[0]  # the most at stake
    days = expected_card["resolution_days"].iloc[0]
    store.set_setting(engine, f"target.resolution_days.{owner}", repr(float(days)), "test")
    try:
        at = fresh_app(demo_url, monkeypatch, owner=owner)
        at.run()
        at.switch_page("../../pages/reasons.py").run()
        assert not at.exception, at.exception
        card = next(d.value for d in at.dataframe if "Within target" in d.value.columns)
        row = card.set_index("Owner").loc[owner]
        assert row["Open disputes"] == expected_card["open_invoices"].iloc[0]
        assert row["Within target"] == "yes"  # its median equals the target
        issues = next(d.value for d in at.dataframe if "Days open" in d.value.columns)
        assert set(issues["Owner"]) == {owner}  # the drill-down's owner only
        assert issues["Days open"].is_monotonic_decreasing  # oldest first
        assert len(issues) >= expected_card["open_invoices"].iloc[0]  # a record per reason
    finally:
        store.delete_setting(engine, f"target.resolution_days.{owner}", "test")


def test_the_aged_balance_reconciles_with_the_aging_and_opens_a_customer(app, demo_url):
    """Customer × bucket sums to the aging of the KPIs to the cent; the concentration card is
    the ten largest balances' share; a row opens its customer."""
    k = kpis(engine_for(demo_url), Period(END - dt.timedelta(days=89), END))
    app.switch_page("../../pages/aged_balance.py").run()
    assert not app.exception, app.exception
    table = next(d.value for d in app.dataframe if "Limit used" in d.value.columns)
    for bucket, label in (("current", "Not yet due"), ("d1_30", "1–30 days")):
        assert round(table[label].sum(), 2) == pytest.approx(k["aging"][bucket], abs=0.005)
    assert round(table["Open balance"].sum(), 2) == pytest.approx(k["receivables"], abs=0.005)
    assert table["Overdue"].is_monotonic_decreasing  # the most overdue first
    top10 = 100 * table["Open balance"].nlargest(10).sum() / table["Open balance"].sum()
    card = next(m for m in app.metric if m.label == "Held by the 10 largest")
    assert card.value == fmt_value(top10, "%", "en")
    over = next(m for m in app.metric if m.label == "Over their credit limit")
    assert over.value == str(int((table["Limit used"] > 100).sum()))
    first = table["Customer"].iloc[0]
    grid = next(d for d in app.dataframe if "Limit used" in d.value.columns)
    assert grid.proto.selection_mode  # rows can be clicked (AppTest cannot click a grid)
    app.session_state["goto_customer"] = first  # what a click on the first row sets
    app.session_state["_open_customer"] = True
    app.run()
    assert app.session_state["customer"] == first


def test_two_columns_translated_alike_stay_two_columns():
    """In French, "Instalment" and "Due date" both read "Échéance": the date format of one
    must not land on the other (the Customer page failed so)."""
    from dashboard.app.state import View
    from dashboard.app.widgets import _labelled

    view = View("fr", Period(END, END), Filters())
    frame = pd.DataFrame({"instalment": [1], "due_date": [dt.date(2026, 1, 2)]})
    shown, styled = _labelled(frame, view, {"instalment": "Due date", "due_date": "Due date"})
    assert len(set(shown.columns)) == 2
    html = styled.to_html()
    assert "02/01/2026" in html and ">1<" in html


def test_collectors_are_compared_on_their_own_portfolios(app, demo_url):
    """Per collector: its customers, their receivables as the metric layer computes them for
    that collector, and actions per 1,000 collected."""
    app.switch_page("../../pages/segments.py").run()
    assert not app.exception, app.exception
    table = next(d.value for d in app.dataframe if "Actions per 1,000 collected" in d.value.columns)
    engine = engine_for(demo_url)
    period = Period(END - dt.timedelta(days=89), END)
    for _, row in table.iterrows():
        k = kpis(engine, period, Filters(collectors=(row["Collector"],)))
        assert row["Receivables"] == pytest.approx(k["receivables"])
        if k["collected"]:
            assert row["Actions per 1,000 collected"] == pytest.approx(
                1000 * row["Actions"] / k["collected"]
            )
    assert table["Customers"].sum() == 40  # the demo's 40 customers, each with one collector


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_the_customer_page_offers_its_statement_of_account(demo_url, monkeypatch, lang):
    at = fresh_app(demo_url, monkeypatch, lang=lang, customer="C1002")
    at.run()
    at.switch_page("../../pages/customer.py").run()
    assert not at.exception, at.exception
    buttons = {b.proto.label: b.proto.help for b in at.get("download_button")}
    label = t("Statement of account (Excel)", lang.lower())
    assert label in buttons
    # the demo's customers are in France: French, whatever the reader's language
    assert ("français" if lang == "FR" else "French") in buttons[label]


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_the_worklist_page_lists_who_to_call_first(demo_url, monkeypatch, lang):
    from dashboard.metrics.worklist import build

    at = fresh_app(demo_url, monkeypatch, lang=lang)
    at.run()
    at.switch_page("../../pages/worklist.py").run()
    assert not at.exception, at.exception
    rows = build(engine_for(demo_url), END, Filters())
    priority = t("Priority", lang.lower())
    table = next(d.value for d in at.dataframe if priority in d.value.columns)
    assert list(table[t("Customer", lang.lower())]) == [r["customer_id"] for r in rows]
    assert list(table[priority]) == sorted(table[priority], reverse=True)
    why = table[t("Why", lang.lower())].iloc[0]
    assert ("overdue" in why) if lang == "EN" else ("échus" in why)
    formulas = " ".join(c.value for c in at.caption)
    assert ("Payer score =" if lang == "EN" else "Score payeur =") in formulas


def test_the_aged_balance_page_holds_the_legal_table(app, demo_url):
    from dashboard.metrics.legal import legal_table

    app.switch_page("../../pages/aged_balance.py").run()
    assert not app.exception, app.exception
    table = next(
        d.value for d in app.dataframe if "Days past due at the year end" in d.value.columns
    )
    expected = legal_table(engine_for(demo_url), dt.date(2024, 12, 31))  # the year before T
    assert list(table["Invoices"]) == [b["invoices"] for b in expected["bands"]] + [
        expected["total"]["invoices"]
    ]
    assert list(table["Days past due at the year end"])[-1] == "Total (1 day and more)"
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Excel (French)" in labels and "Excel (English)" in labels


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_collections_shows_penalties_beside_the_relationship(demo_url, monkeypatch, lang):
    from dashboard.metrics.penalties import penalties

    at = fresh_app(demo_url, monkeypatch, lang=lang)
    at.run()
    at.switch_page("../../pages/collections.py").run()
    assert not at.exception, at.exception
    header = t("Penalties", lang.lower())
    table = next(d.value for d in at.dataframe if header in d.value.columns)
    expected = penalties(engine_for(demo_url), END)
    assert round(table[header].sum(), 2) == pytest.approx(expected["total_penalty"], abs=0.02)
    assert "Payer score" in table.columns or "Score payeur" in table.columns
    source = "ECB" if lang == "EN" else "BCE"
    assert any(source in c.value for c in at.caption)


def test_a_process_fix_is_charted_with_its_before_and_after(demo_url, monkeypatch):
    from dashboard.metrics.analytics import fix_effect
    from dashboard.storage import store

    engine = engine_for(demo_url)
    key = "process_fix.invoice_not_received.2025-04-01"
    store.set_setting(engine, key, "address check added to invoicing", "test")
    try:
        at = fresh_app(demo_url, monkeypatch)
        at.run()
        at.switch_page("../../pages/reasons.py").run()
        assert not at.exception, at.exception
        effect = fix_effect(engine, "invoice_not_received", dt.date(2025, 4, 1), END, Filters())
        said = " ".join(c.value for c in at.caption)
        assert f"Over {effect['days']} days on each side" in said
        assert f"({effect['after']['invoices']} of {effect['after']['late_invoices']})" in said
        assert any("address check added to invoicing" in m.value for m in at.markdown)
    finally:
        store.delete_setting(engine, key, "test")


@pytest.mark.parametrize("lang", ["EN", "FR"])
def test_collections_times_reminders_by_hour_and_tests_the_forecast_on_request(
    demo_url, monkeypatch, lang
):
    from dashboard.metrics.forecast import backtest

    at = fresh_app(demo_url, monkeypatch, lang=lang)
    at.run()
    at.switch_page("../../pages/collections.py").run()
    assert not at.exception, at.exception
    # the demo's e-mails, texts and calls have a time: the table by hour is there
    hour = t("Hour", lang.lower())
    by_hour = next(d.value for d in at.dataframe if hour in d.value.columns)
    assert set(by_hour[hour]) <= set(range(8, 19)) and len(by_hour) > 5
    # the backtest waits to be asked for, then states its errors
    tested = backtest(engine_for(demo_url), END)
    errors = [fmt_pct(tested[k], lang.lower()) for k in ("mape", "naive_mape")]
    sentence = "Weighted error" if lang == "EN" else "Erreur pondérée"
    assert not any(sentence in c.value for c in at.caption)
    at.toggle(key="backtest").set_value(True).run()
    assert not at.exception, at.exception
    said = next(c.value for c in at.caption if sentence in c.value)
    assert all(e in said for e in errors), (errors, said)
