"""Every query of every Grafana dashboard names only metrics the exporter really exports: the code paths are run
for real (a game with a fallback on PostgreSQL, a failed write, the vLLM backend against an HTTP stand-in whose
/metrics the relay also reads, the fair queue, a GPU at the nvidia-ml-py edge), then the names are collected from
what a scrape of the live registry returns — a metric declared but never given a value does not count."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from inference.fair_queue import FairQueue
from inference.scripted import ScriptedBackend
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference_standins import OpenAIStandIn  # noqa: E402 - tests/integration is on sys.path
from monitoring import gpu, metrics, vllm
from monitoring.gpu import GpuStats
from monitoring_play import play_with_fallback  # noqa: E402
from dm_party import reply  # noqa: E402

GRAFANA = Path(metrics.__file__).parent / "grafana"
PROMQL_WORDS = {"sum", "by", "rate", "histogram_quantile", "avg", "max", "min", "without", "on", "ignoring",
                "increase", "irate", "count", "le", "bool", "and", "or", "unless", "offset"}  # fmt: skip
V1_PAGE = (b'vllm:num_requests_running{engine="0",model_name="llama-local"} 2\n'
           b'vllm:num_requests_waiting{engine="0",model_name="llama-local"} 1\n'
           b'vllm:kv_cache_usage_perc{engine="0",model_name="llama-local"} 0.3\n'
           b'vllm:prefix_cache_queries_total{engine="0",model_name="llama-local"} 200\n'
           b'vllm:prefix_cache_hits_total{engine="0",model_name="llama-local"} 150\n')  # fmt: skip
MESSAGES = [{"role": "user", "content": "Describe the harbour."}]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers outside label matchers, ranges, `by (...)` lists,
    numbers and PromQL's own words."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare)) - PROMQL_WORDS
    return {n for n in names if not n.startswith("__")}


def test_metric_names_reads_a_query_as_prometheus_would() -> None:
    assert metric_names('histogram_quantile(0.95, sum by (le, backend) (rate(a_bucket{x="y"}[5m])))') == {"a_bucket"}
    assert metric_names("b_used_bytes / b_total_bytes") == {"b_used_bytes", "b_total_bytes"}


def _exported(page: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in page.splitlines() if line and not line.startswith("#")}


@pytest.fixture
def a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """One 16 GiB card, as nvidia-ml-py would read it (the hardware edge)."""
    card = GpuStats(index=0, name="NVIDIA GeForce RTX 4080", total_bytes=16 * 2**30, used_bytes=9 * 2**30,
                    free_bytes=7 * 2**30, utilization_pct=64)  # fmt: skip
    collector = gpu.collector()
    monkeypatch.setattr(collector, "_reader", lambda: [card])
    monkeypatch.setattr(collector, "_read_at", None)
    yield
    collector._read_at = None  # noqa: SLF001 - the next reader reads the real NVML again


@pytest.fixture
async def vllm_standin() -> Any:
    """The OpenAI/vLLM HTTP stand-in, its /metrics a vLLM v1 page; the relay reads it (then is taken away)."""
    server = OpenAIStandIn()
    await server.start()
    server.metrics_body = V1_PAGE
    relays = dict(vllm._relays)  # noqa: SLF001
    vllm._relays.clear()  # noqa: SLF001
    metrics.ensure_collectors(vllm_url=f"http://127.0.0.1:{server.port}")
    yield server
    relay = vllm.relay_for(metrics.REGISTRY)
    if relay is not None:
        metrics.REGISTRY.unregister(relay)
    vllm._relays.clear()  # noqa: SLF001
    vllm._relays.update(relays)  # noqa: SLF001
    await server.stop()


async def test_every_dashboard_query_names_an_exported_metric(keep: Any, a_gpu: None, vllm_standin: Any) -> None:
    played = await play_with_fallback(keep)  # sessions, DM turns, the router's timeout and fallback, database writes
    with pytest.raises(Exception):
        await keep.db.execute("INSERT INTO no_such_table_for_dashboards VALUES (1)")  # a database error
    backend = VLLMBackend(VLLMBackendConfig(port=vllm_standin.port, served_model="llama-local", timeout_s=5.0,
                                            context_window=4096))  # fmt: skip
    await backend.generate(MESSAGES, None, max_tokens=50, temperature=0.5)  # the vLLM client: speed, queue depth
    await backend.queue_depth()
    queue = FairQueue(ScriptedBackend([reply("The tide turns.")]))
    await queue.for_campaign("lantern keep").generate(MESSAGES, None, 50, 0.5)  # the fair queue's depth gauge
    page = await asyncio.to_thread(metrics.scrape)  # the relay reads the stand-in over HTTP: not on this loop
    exported = _exported(page)
    assert played.session.status()["turns"] == 2  # alive (the session gauges read live sessions) and played
    assert "lorekeeper_vllm_kv_cache_usage_ratio" in exported and "lorekeeper_gpu_memory_used_bytes" in exported
    missing: dict[str, set[str]] = {}
    for path in sorted(GRAFANA.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                names = metric_names(target["expr"])
                assert names, target["expr"]
                if names - exported:
                    missing.setdefault(f"{path.name}: {panel['title']}", set()).update(names - exported)
    assert missing == {}
