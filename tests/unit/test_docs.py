"""The README's KPI and file tables are generated from the code and must stay in step."""

from pathlib import Path

from dashboard.presentation.docs import kinds_table, kpi_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_has_every_kpi_formula():
    assert kpi_table() in README, (
        "run `python -m dashboard.presentation.docs` and update the README"
    )


def test_readme_has_every_file_kind():
    assert kinds_table() in README


def test_readme_quick_start_commands_exist():
    assert "pip install -e . && encaisse demo && encaisse serve" in README
    assert "bash scripts/test.sh" in README
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
