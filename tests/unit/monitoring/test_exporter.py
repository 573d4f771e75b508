"""The exporter: served on a port, idempotent, a taken port is a warning; bounded labels; quantiles."""

from __future__ import annotations

import logging
import socket
import urllib.request

import pytest

from monitoring import metrics


@pytest.fixture
def fresh_exporter(monkeypatch: pytest.MonkeyPatch):
    """start_exporter as in a new process (its state is process-wide); the servers it starts are shut down."""
    state: dict = {}
    monkeypatch.setattr(metrics, "_exporter", state)
    yield state
    if "server" in state:
        state["server"].shutdown()
        state["server"].server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serves_metrics_and_a_second_start_returns_the_same_port(fresh_exporter) -> None:
    port = _free_port()
    metrics.record_generation("exp-test", prompt_tokens=5, completion_tokens=20, latency_s=1.5, ttft_s=0.5,
                              model="m1")
    assert metrics.start_exporter(port, "127.0.0.1") == port
    assert metrics.start_exporter(_free_port(), "127.0.0.1") == port  # idempotent: still the first one
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'lorekeeper_llm_ttft_seconds_count{backend="exp-test",model="m1"} 1.0' in page
    assert "lorekeeper_gpu_present" in page and "lorekeeper_sessions_open" in page
    assert metrics.exporter_port() == port


def test_a_taken_port_is_a_warning_not_a_crash(fresh_exporter, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="monitoring.metrics"):
            assert metrics.start_exporter(port, "127.0.0.1") is None
    assert any("not available" in r.getMessage() and str(port) in r.getMessage() for r in caplog.records)
    assert metrics.exporter_port() is None


def test_port_zero_and_metrics_port_from_the_environment(fresh_exporter, monkeypatch: pytest.MonkeyPatch) -> None:
    assert metrics.start_exporter(0) is None and metrics.exporter_port() is None
    monkeypatch.setenv("METRICS_PORT", "0")
    assert metrics.start_exporter() is None
    monkeypatch.setenv("METRICS_PORT", "not-a-port")
    assert metrics._port_from_env() == metrics.DEFAULT_PORT


def test_failure_reasons_are_bounded_labels_and_timeouts_are_counted() -> None:
    before = metrics.sample("lorekeeper_llm_timeouts_total", backend="exp-fail")
    metrics.record_failure("exp-fail", "timeout")
    metrics.record_failure("exp-fail", "Weird Reason: with a message id 123456789 and far too much text" * 3)
    assert metrics.sample("lorekeeper_llm_timeouts_total", backend="exp-fail") == before + 1
    errors = metrics._matching("lorekeeper_llm_errors_total", {"backend": "exp-fail"})
    reasons = {labels["reason"] for labels, _ in errors}
    assert "timeout" in reasons and all(len(r) <= 32 and " " not in r for r in reasons)


def test_quantile_interpolates_like_histogram_quantile() -> None:
    for seconds in (0.2, 0.2, 0.2, 3.0):
        metrics.record_generation("exp-q", prompt_tokens=1, completion_tokens=1, latency_s=seconds, ttft_s=seconds)
    p50 = metrics.quantile("lorekeeper_llm_ttft_seconds", 0.5, backend="exp-q")
    p95 = metrics.quantile("lorekeeper_llm_ttft_seconds", 0.95, backend="exp-q")
    assert 0.1 < p50 <= 0.25  # inside the (0.1, 0.25] bucket
    assert 2 < p95 <= 4  # inside the (2, 4] bucket
    assert metrics.quantile("lorekeeper_llm_ttft_seconds", 0.5, backend="never-called") is None


def test_decode_speed_is_a_histogram_and_a_last_call_gauge_per_model() -> None:
    metrics.record_generation("exp-speed", prompt_tokens=10, completion_tokens=40, latency_s=2.5, ttft_s=0.5,
                              model="big")
    assert metrics.sample("lorekeeper_llm_tokens_per_second", backend="exp-speed", model="big") == 20.0
    assert metrics.sample("lorekeeper_llm_decode_tokens_per_second_count", backend="exp-speed", model="big") == 1
