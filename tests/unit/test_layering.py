"""Walk every module's imports with `ast` and fail on an edge STYLE.md forbids."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OURS = ("game", "dm", "inference", "ingest", "persistence", "actors", "gateway", "monitoring")

# package → our packages it may import (itself is always allowed)
ALLOWED: dict[str, set[str]] = {
    "game": set(),
    # dm/ sees the Protocols and may catch the errors they raise (never the concrete classes)
    "dm": {"game", "persistence.interfaces", "persistence.errors", "inference.interfaces", "inference.errors"},
    "inference": {"monitoring"},
    "ingest": {"persistence"},
    "persistence": set(),
    "monitoring": set(),
    "actors": set(OURS),
    "gateway": set(OURS),
}
# third-party modules a package must never import
FORBIDDEN_FOREIGN: dict[str, set[str]] = {
    "game": {"asyncio", "ray", "psycopg", "discord", "httpx", "requests", "socket", "pathlib", "subprocess"},
    "dm": {"psycopg", "discord", "ray"},
    "inference": {"discord", "psycopg"},
    "ingest": {"discord", "ray"},
    "persistence": {"discord", "ray"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _modules() -> list[tuple[str, Path]]:
    return [(pkg, path) for pkg in OURS for path in sorted((REPO_ROOT / pkg).rglob("*.py"))]


def _allowed(package: str, target: str) -> bool:
    if target.split(".")[0] == package:
        return True
    return any(target == allowed or target.startswith(allowed + ".") for allowed in ALLOWED[package])


@pytest.mark.parametrize(("package", "path"), _modules(), ids=lambda v: str(v).replace(str(REPO_ROOT) + "/", ""))
def test_module_respects_layering(package: str, path: Path) -> None:
    bad = []
    for lineno, target in _imports(path):
        root = target.split(".")[0]
        if root in OURS and not _allowed(package, target):
            # `from dm import x` is recorded both as "dm" and "dm.x": judge the precise one
            if any(t.startswith(target + ".") for _, t in _imports(path) if _allowed(package, t)):
                continue
            bad.append(f"line {lineno}: {target}")
        if root in FORBIDDEN_FOREIGN.get(package, set()):
            bad.append(f"line {lineno}: {target}")
    assert bad == [], f"{path.relative_to(REPO_ROOT)} imports what {package}/ may not"


def test_the_walker_catches_a_forbidden_edge(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import asyncio\nfrom persistence.database import Database\n")
    targets = [t for _, t in _imports(sample)]
    assert not _allowed("game", "persistence.database")
    assert "asyncio" in targets and "persistence.database" in targets


@pytest.mark.parametrize("package", OURS)
def test_every_package_says_what_it_owns(package: str) -> None:
    docstring = ast.get_docstring(ast.parse((REPO_ROOT / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 5, f"{package}/__init__.py needs a docstring saying what it owns"
