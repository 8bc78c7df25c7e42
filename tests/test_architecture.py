"""The layout holds: data flows geo → planning → app, no import circles, modules of readable size."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "planning", "app_support")
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules imported anywhere in the file (inside functions too)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(path, name, set(modules)):
            # A package's __init__ re-exporting its own modules is not a circle.
            if not name or not target.startswith(name + "."):
                graph.add_edge(name, target)
    return graph


def test_no_import_circles() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert cycles == [], "import circles: " + "; ".join(" → ".join(c + [c[0]]) for c in cycles[:5])


@pytest.mark.parametrize("lower, upper", [("geo", "planning"), ("geo", "app_support"), ("planning", "app_support")])
def test_data_flows_one_way(lower: str, upper: str) -> None:
    wrong = [(a, b) for a, b in _graph().edges if a.split(".")[0] == lower and b.split(".")[0] == upper]
    assert wrong == []


def test_engine_never_imports_streamlit() -> None:
    offenders = []
    for name, path in _modules().items():
        if name.split(".")[0] in ("geo", "planning"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(m.split(".")[0] in ("streamlit", "streamlit_folium", "folium") for m in mods):
                    offenders.append(name)
    assert offenders == []


def test_modules_stay_readable() -> None:
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
