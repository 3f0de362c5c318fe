"""Chart builders through their specs; formatting per language; safe exports."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.presentation import charts
from dashboard.presentation.exports import to_csv_bytes, to_xlsx_bytes
from dashboard.presentation.i18n import (
    FR,
    READINGS,
    column_formatters,
    fmt_date,
    fmt_days,
    fmt_money,
    fmt_pct,
    fmt_value,
    t,
)

MONTHS = pd.DataFrame(
    {
        "month": pd.date_range("2024-01-01", periods=3, freq="MS"),
        "dso": [40.0, 45.5, 50.0],
        "cei": [80.0, 85.0, None],
    }
)


def test_trend_spec_has_every_series_and_the_target():
    spec = charts.trend(
        MONTHS, "month", {"dso": "DSO", "cei": "CEI"}, "Days", target=45, title="DSO"
    ).to_dict()
    line, rule = spec["layer"]
    assert line["mark"]["type"] == "line"
    assert {r["kpi"] for r in spec["datasets"][line["data"]["name"]]} == {"DSO", "CEI"}
    assert spec["datasets"][rule["data"]["name"]] == [{"target": 45}]
    assert spec["title"] == "DSO"


def test_french_locale_in_charts():
    spec = charts.trend(MONTHS, "month", {"dso": "DSO"}, "Jours", lang="fr").to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["time"]["months"][0] == "janvier"


def test_charts_refuse_unaggregated_data():
    big = pd.DataFrame(
        {"month": pd.date_range("2000-01-01", periods=charts.MAX_ROWS + 1), "dso": 1.0}
    )
    with pytest.raises(ValueError, match="aggregate first"):
        charts.trend(big, "month", {"dso": "DSO"}, "Days")


def test_resolution_trend_keeps_each_owners_colour_and_shows_the_count():
    df = pd.DataFrame(
        {
            "owner": ["Sales", "Billing (ADV)"],
            "owner_label": ["Ventes", "Facturation (ADV)"],
            "month": [dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
            "resolved": [1, 2],
            "resolution_days": [10.0, 27.0],
        }
    )
    spec = charts.resolution_trend(df, "Jours", "Litiges résolus", "fr").to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        "Ventes": charts.OWNER_COLORS["Sales"],
        "Facturation (ADV)": charts.OWNER_COLORS["Billing (ADV)"],
    }
    tips = {t.get("title", t["field"]): t["field"] for t in spec["encoding"]["tooltip"]}
    assert tips["Litiges résolus"] == "resolved"
    assert tips["Jours"] == "resolution_days"
    assert spec["encoding"]["y"]["field"] == "resolution_days"


def test_pareto_has_bars_and_cumulative_line():
    df = pd.DataFrame(
        {
            "label": ["a", "b"],
            "invoices": [3, 1],
            "amount_eur": [300.0, 100.0],
            "cumulative_pct": [75.0, 100.0],
        }
    )
    spec = charts.pareto(df, "label", "EUR", "%").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "line"]
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["a", "b"]


def test_quadrant_labels_the_corners():
    df = pd.DataFrame(
        {
            "segment": ["A", "B"],
            "recovery_rate": [80.0, 90.0],
            "csat": [50.0, 70.0],
            "receivables": [1.0, 2.0],
        }
    )
    spec = charts.quadrant(
        df,
        "segment",
        "recovery_rate",
        "csat",
        "receivables",
        "x",
        "y",
        85,
        60,
        {"firm_kind": "Firm but kind", "firm": "F", "kind": "K", "neither": "N"},
    ).to_dict()
    texts = [r["t"] for data in spec["datasets"].values() for r in data if "t" in r]
    assert sorted(texts) == ["F", "Firm but kind", "K", "N"]
    rules = [r for data in spec["datasets"].values() for r in data if "v" in r or "h" in r]
    assert {"v": 85} in rules and {"h": 60} in rules


def test_hbars_highlight_one_bar():
    df = pd.DataFrame({"method": ["card", "transfer"], "rate": [15.0, 2.0]})
    spec = charts.hbars(df, "method", "rate", "%", highlight="card").to_dict()
    assert spec["encoding"]["color"]["condition"]["value"] == charts.BAD


def test_money_and_numbers_per_language():
    assert fmt_money(1234.56, "fr") == "1\u202f234,56\u00a0€"
    assert fmt_money(1234.56, "en") == "€1,234.56"
    assert fmt_money(-5, "en") == "−€5.00"
    assert fmt_pct(12.345, "fr") == "12,3\u00a0%"
    assert fmt_pct(None, "fr") == "—"
    assert fmt_days(57.25, "en") == "57.2 days"  # 57.25 is exact in binary: half to even
    assert fmt_date(dt.date(2026, 11, 3), "fr") == "03/11/2026"
    assert fmt_date(dt.date(2026, 11, 3), "en") == "2026-11-03"
    assert fmt_value(5585035.94, "EUR", "fr") == "5\u202f585\u202f036\u00a0€"


def test_column_formatters_pick_the_unit():
    f = column_formatters(["amount_eur", "recovery_rate", "dso", "due_date", "name"], "fr")
    assert f["amount_eur"](10) == "10,00\u00a0€"
    assert f["recovery_rate"](50) == "50,0\u00a0%"
    assert f["dso"](12.25) == "12,2"
    assert f["due_date"]("2024-01-31") == "31/01/2024"
    assert "name" not in f


def test_exports_never_carry_live_formulas():
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "Normal", "-2"],
            "amount": [1.5, 2, 3, 4, 5],
        }
    )
    text = to_csv_bytes(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM" in text and "'-2" in text
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(df, "t")))
    cells = [c.value for c in wb["t"]["A"]]
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in cells)
    assert [c.data_type for c in wb["t"]["A"]][1:] == ["s"] * 5
    assert wb["t"]["B"][1].value == 1.5


def test_correlation_readings_are_sentences_in_both_languages():
    en = t(
        READINGS["negative"],
        "en",
        behaviour=t("days late", "en"),
        strength=t("weak", "en"),
        r="-0.17",
        n=277,
    )
    assert en == (
        "Customers with more days late give lower CSAT scores: weak correlation "
        "(r = -0.17, 277 customers)."
    )
    fr = t(
        READINGS["negative"],
        "fr",
        behaviour=t("days late", "fr"),
        strength=t("weak", "fr"),
        r="-0,17",
        n=277,
    )
    assert "jours de retard" in fr and "faible" in fr
    assert all(sentence in FR for sentence in READINGS.values())


def test_aging_buckets_have_reader_labels_in_both_languages():
    from dashboard.metrics import AGING_BUCKETS
    from dashboard.presentation.i18n import AGING_LABELS

    assert [AGING_LABELS[b] for b in AGING_BUCKETS] == [
        "Not yet due",
        "1–30 days",
        "31–60 days",
        "61–90 days",
        "Over 90 days",
    ]
    assert t(AGING_LABELS["d90_plus"], "fr") == "> 90 j"


def test_ui_strings_have_french():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in [
        *root.glob("pages/*.py"),
        *root.glob("dashboard/app/*.py"),
        root / "dashboard/presentation/kpi_pack.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("t", "tr")
            ):
                used.add(node.args[0].value)
    assert len(used) > 50
    assert sorted(u for u in used if u not in FR) == []


def test_behaviour_points_stay_under_the_chart_limit():
    import numpy as np

    from dashboard.metrics.analytics import behaviour_points

    n = charts.MAX_ROWS + 500
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "name": "x",
            "csat_score": np.linspace(1, 5, n),
            "avg_days_late": np.arange(n) % 40,
            "disputes": 0,
            "reminders": 0,
        }
    )
    points = behaviour_points(df)
    assert len(points) == 40 and points["customers"].sum() == n
    charts.scatter_with_fit(points, "avg_days_late", "csat_score", "x", "y")  # no error
    assert len(behaviour_points(df.head(10))) == 10
