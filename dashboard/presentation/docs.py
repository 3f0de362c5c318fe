"""Documentation generated from the code, so that the README cannot drift from it."""

from __future__ import annotations

from dashboard.metrics import CARDS
from data_loaders.kinds import KINDS


def kpi_table() -> str:
    """Markdown table of every KPI: name, unit, which way is good, formula (its docstring)."""
    lines = ["| KPI | key | unit | good when | formula |", "|---|---|---|---|---|"]
    for m in CARDS.values():
        better = {"up": "higher", "down": "lower", "none": "—"}[m.better]
        lines.append(f"| {m.label} | `{m.name}` | {m.unit} | {better} | {m.formula} |")
    return "\n".join(lines)


def kinds_table() -> str:
    """Markdown table of every file kind: its columns (* = required), some accepted headers,
    how its rows are keyed and the tables it writes, all from its declaration."""
    lines = [
        "| kind | what it holds | columns (* = required) | some accepted headers | keyed by "
        "| writes |",
        "|---|---|---|---|---|---|",
    ]
    for kind in KINDS.values():
        cols = ", ".join(f"{c.name}{'*' if c.required else ''}" for c in kind.columns)
        examples = []
        for c in kind.columns[:4]:
            examples.extend(s for s in c.synonyms[:2])
        key = " + ".join(kind.key.columns)
        if kind.key.content_when_missing:
            key += " (else the row's content)"
        lines.append(
            f"| `{kind.name}` | {kind.description} | {cols} | {', '.join(examples)} | {key} "
            f"| {', '.join(kind.tables)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m dashboard.presentation.docs
    print(kinds_table())
    print()
    print(kpi_table())
