"""The architecture, checked: dependencies run one way and nothing imports in a circle.

core ← storage ← (metrics, auth, data_loaders) ← (presentation, demo) ← (app, cli, pages).
A module may import its own package and the layers below it, never a layer above nor a peer of
its own layer; only the app shell and the pages import Streamlit; a migration imports no live
code (it must do tomorrow what it did the day it was written).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: list[tuple[str, ...]] = [
    ("dashboard.core",),
    ("dashboard.storage",),
    ("dashboard.metrics", "dashboard.auth", "data_loaders"),
    ("dashboard.presentation", "dashboard.demo"),
    ("dashboard.app", "dashboard.cli", "pages"),
]
# Peers that may use each other within the top layer: pages are rendered by the app shell.
ALLOWED_PEERS = {("pages", "dashboard.app")}
OURS = ("dashboard", "data_loaders", "pages")
MIGRATIONS = "dashboard.storage.migrations.versions"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for top in OURS:
        for path in (ROOT / top).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imports(path: Path) -> set[str]:
    """Every module this file imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def package_of(module: str) -> str | None:
    """The layered package a module belongs to (longest match)."""
    names = [p for layer in LAYERS for p in layer]
    owners = [p for p in names if module == p or module.startswith(p + ".")]
    return max(owners, key=len) if owners else None


def rank(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_every_module_belongs_to_a_layer():
    strays = [m for m in modules() if m != "dashboard" and package_of(m) is None]
    assert not strays, f"modules outside every layer: {strays}"


def test_dependencies_run_one_way():
    known = modules()
    wrong = []
    for name, path in known.items():
        here = package_of(name)
        if here is None:
            continue
        for target in imports(path):
            if target not in known:
                continue
            there = package_of(target)
            if there is None or there == here or (here, there) in ALLOWED_PEERS:
                continue
            if rank(there) >= rank(here):
                wrong.append(f"{name} imports {target} ({there} is not below {here})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycle():
    known = modules()
    graph = {m: {t for t in imports(p) if t in known and t != m} for m, p in known.items()}
    # a package's __init__ that re-exports its modules is not a cycle with them
    graph = {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(trail[trail.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_migrations_import_no_live_code():
    for name, path in modules().items():
        if name.startswith(MIGRATIONS + "."):
            ours = [t for t in imports(path) if t.split(".")[0] in OURS]
            assert not ours, f"{name} imports {ours}"


@pytest.mark.parametrize(
    "layer",
    [
        "dashboard.core",
        "dashboard.storage",
        "dashboard.metrics",
        "dashboard.auth",
        "data_loaders",
        "dashboard.presentation",
        "dashboard.demo",
        "dashboard.cli",
    ],
)
def test_only_the_app_shell_imports_streamlit(layer):
    # migrations run only inside Alembic's context
    names = sorted(m for m in modules() if package_of(m) == layer and ".migrations" not in m)
    code = (
        "import importlib, sys\n"
        f"for m in {names!r}: importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The rule itself: storage importing metrics would be caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from dashboard.metrics import kpis\n")
    assert "dashboard.metrics" in imports(bad)
    assert rank(package_of("dashboard.metrics")) > rank(package_of("dashboard.storage.store"))
