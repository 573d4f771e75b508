"""Metrics recording and the guarded GPU read."""

from __future__ import annotations

from monitoring import metrics
from monitoring.gpu import read_gpus


def test_record_generation_counts_tokens_and_speed() -> None:
    before = metrics.sample("lorekeeper_llm_tokens_total", backend="m-test", kind="completion")
    metrics.record_generation("m-test", prompt_tokens=10, completion_tokens=50, latency_s=2.5, ttft_s=0.5)
    assert metrics.sample("lorekeeper_llm_tokens_total", backend="m-test", kind="completion") == before + 50
    assert metrics.sample("lorekeeper_llm_tokens_per_second", backend="m-test") == 25.0
    assert metrics.sample("lorekeeper_llm_ttft_seconds_count", backend="m-test") >= 1


def test_breaker_and_queue_gauges() -> None:
    metrics.set_breaker_state("m-gauge", "half_open")
    metrics.set_queue_depth("m-gauge", 7)
    assert metrics.sample("lorekeeper_llm_breaker_state", backend="m-gauge") == 1
    assert metrics.sample("lorekeeper_llm_queue_depth", backend="m-gauge") == 7


def test_no_gpu_reads_as_none() -> None:
    # This machine has no NVIDIA driver: with or without nvidia-ml-py the answer is None.
    assert read_gpus() is None


def test_dashboard_queries_only_metrics_that_exist() -> None:
    import json
    import re
    from pathlib import Path

    dashboard = json.loads((Path(metrics.__file__).parent / "grafana" / "lorekeeper_inference.json").read_text())
    ours = {name for metric in metrics.REGISTRY.collect() for name in
            (metric.name, metric.name + "_total", metric.name + "_bucket")}
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"lorekeeper_[a-z_]+", target["expr"])}
    assert used and used <= ours
