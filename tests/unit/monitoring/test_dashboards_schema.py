"""Every Grafana dashboard in monitoring/grafana/ imports cleanly: the dashboard model's required fields, panels on
the 24-column grid without overlaps, the Prometheus datasource as a variable, variables that exist, queries that
parse as far as brackets and histogram_quantile go. (That each query names a metric the exporter really exports
is tests/integration/test_grafana_dashboards.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from monitoring import metrics

GRAFANA = Path(metrics.__file__).parent / "grafana"
DASHBOARDS = sorted(GRAFANA.glob("*.json"))
PANEL_TYPES = {"timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "text", "row"}
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range", "__dashboard"}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_dashboards_for_inference_gpu_and_sessions() -> None:
    assert {p.name for p in DASHBOARDS} >= {"lorekeeper_inference.json", "lorekeeper_gpu.json",
                                            "lorekeeper_sessions.json"}  # fmt: skip


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_the_dashboard_model_is_importable(path: Path) -> None:
    board = _load(path)
    assert isinstance(board["title"], str) and board["title"]
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 30
    assert board.get("id") is None  # an import creates its own id
    assert isinstance(board["panels"], list) and board["panels"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables["datasource"]
    assert (source["type"], source["query"]) == ("datasource", "prometheus")
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_panels_sit_on_the_grid_without_overlapping(path: Path) -> None:
    taken: set[tuple[int, int]] = set()
    for panel in _load(path)["panels"]:
        assert panel["type"] in PANEL_TYPES
        g = panel["gridPos"]
        assert all(isinstance(g[k], int) for k in ("h", "w", "x", "y"))
        assert g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def _balanced(expr: str) -> bool:
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for char in expr:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_query_uses_the_datasource_variable_and_defined_variables(path: Path) -> None:
    board = _load(path)
    defined = {v["name"] for v in board["templating"]["list"]} | BUILTIN_VARIABLES
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert panel["targets"] and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            assert expr.strip() and _balanced(expr), expr
            assert set(re.findall(r"\$\{?(\w+)", expr)) <= defined, expr
            for inner in re.findall(r"histogram_quantile\(([^,]+),\s*(.*)\)$", expr):
                assert "_bucket" in inner[1] and re.search(r"by \([^)]*\ble\b", inner[1]), expr


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_latency_panels_show_percentiles(path: Path) -> None:
    exprs = [t["expr"] for p in _load(path)["panels"] for t in p["targets"]]
    if path.name in ("lorekeeper_inference.json", "lorekeeper_sessions.json"):
        assert any(e.startswith("histogram_quantile(0.95") for e in exprs)
