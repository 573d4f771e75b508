"""Other processes' metric pages merged into this process's /metrics (monitoring.relay): counters, histograms and
the per-process gauges summed, other gauges the largest, host figures never relayed, a garbled page skipped."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from exposition import samples
from monitoring.relay import MergedView


def _page(*, requests: float, sessions: float, breaker: float, ttft: float, memory: float) -> str:
    registry = CollectorRegistry()
    Counter("lorekeeper_llm_requests", "", ["backend", "outcome"], registry=registry).labels("vllm", "ok").inc(requests)
    Gauge("lorekeeper_sessions_open", "", registry=registry).set(sessions)
    Gauge("lorekeeper_llm_breaker_state", "", ["backend"], registry=registry).labels("vllm").set(breaker)
    Histogram("lorekeeper_llm_ttft_seconds", "", ["backend", "model"], buckets=(0.5, 1.0),
              registry=registry).labels("vllm", "m").observe(ttft)  # fmt: skip
    Gauge("lorekeeper_host_memory_total_bytes", "", registry=registry).set(memory)
    return generate_latest(registry).decode()


def _local() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("lorekeeper_llm_requests", "", ["backend", "outcome"], registry=registry).labels("vllm", "ok").inc(1)
    Gauge("lorekeeper_sessions_open", "", registry=registry).set(0)
    Gauge("lorekeeper_host_memory_total_bytes", "", registry=registry).set(100)
    return registry


def _samples(view: MergedView) -> dict[str, float]:
    return samples(generate_latest(view).decode(), skip_created=True)  # type: ignore[arg-type]


def test_two_actor_pages_merge_into_the_local_registry() -> None:
    pages = [_page(requests=2, sessions=1, breaker=0, ttft=0.2, memory=7),
             _page(requests=3, sessions=1, breaker=2, ttft=0.8, memory=9)]  # fmt: skip
    s = _samples(MergedView(_local(), lambda: pages))
    assert s['lorekeeper_llm_requests_total{backend="vllm",outcome="ok"}'] == 6  # 1 here + 2 + 3
    assert s["lorekeeper_sessions_open"] == 2  # one session in each actor
    assert s['lorekeeper_llm_breaker_state{backend="vllm"}'] == 2  # not summed: the worst state
    assert s['lorekeeper_llm_ttft_seconds_count{backend="vllm",model="m"}'] == 2
    assert s['lorekeeper_llm_ttft_seconds_bucket{backend="vllm",le="0.5",model="m"}'] == 1
    assert s["lorekeeper_host_memory_total_bytes"] == 100  # this host's own figure, not relayed


def test_the_merged_page_has_each_family_once() -> None:
    pages = [_page(requests=2, sessions=1, breaker=0, ttft=0.2, memory=7)] * 2
    text = generate_latest(MergedView(_local(), lambda: pages)).decode()  # type: ignore[arg-type]
    assert text.count("# TYPE lorekeeper_llm_requests_total counter") == 1
    assert text.count("# TYPE lorekeeper_llm_ttft_seconds histogram") == 1


def test_a_garbled_page_is_skipped_and_no_pages_is_the_local_registry() -> None:
    pages = ["lorekeeper_llm_requests_total{backend= 1 2 3 {{{", _page(requests=4, sessions=0, breaker=0, ttft=1,
                                                                        memory=0)]  # fmt: skip
    s = _samples(MergedView(_local(), lambda: pages))
    assert s['lorekeeper_llm_requests_total{backend="vllm",outcome="ok"}'] == 5
    assert _samples(MergedView(_local(), lambda: []))['lorekeeper_llm_requests_total{backend="vllm",outcome="ok"}'] == 1
