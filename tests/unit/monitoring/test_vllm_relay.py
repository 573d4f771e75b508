"""vLLM's /metrics relayed defensively: both vLLM generations' names, garbage and invalid UTF-8, a dead server.

A real HTTP server on 127.0.0.1 serves the pages; the relay reads them with its own urllib client.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitoring.vllm import VllmRelay, parse_vllm_metrics

V0_PAGE = """\
# HELP vllm:num_requests_running Number of requests currently running on GPU.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
vllm:gpu_cache_usage_perc{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.42
vllm:gpu_prefix_cache_hit_rate{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.75
"""

V1_PAGE = """\
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="llama"} 1.0
vllm:num_requests_running{engine="1",model_name="llama"} 2.0
vllm:num_requests_waiting{engine="0",model_name="llama"} 0.0
vllm:kv_cache_usage_perc{engine="0",model_name="llama"} 0.25
# TYPE vllm:prefix_cache_queries counter
vllm:prefix_cache_queries_total{engine="0",model_name="llama"} 1000.0
vllm:prefix_cache_hits_total{engine="0",model_name="llama"} 600.0
vllm:prefix_cache_hits_created{engine="0",model_name="llama"} 1.7e9
"""


class _Pages(http.server.BaseHTTPRequestHandler):
    body: bytes = b""
    status: int = 200

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def vllm_page() -> Iterator[tuple[str, type[_Pages]]]:
    handler = type("Handler", (_Pages,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _scrape(relay: VllmRelay) -> str:
    registry = CollectorRegistry()
    registry.register(relay)
    return generate_latest(registry).decode()


def test_v0_names_are_relayed(vllm_page) -> None:
    url, handler = vllm_page
    handler.body = V0_PAGE.encode()
    page = _scrape(VllmRelay(url))
    assert "lorekeeper_vllm_up 1.0" in page
    assert "lorekeeper_vllm_requests_running 3.0" in page and "lorekeeper_vllm_requests_waiting 2.0" in page
    assert "lorekeeper_vllm_kv_cache_usage_ratio 0.42" in page
    assert "lorekeeper_vllm_prefix_cache_hit_ratio 0.75" in page


def test_v1_names_are_summed_over_engines_and_the_hit_rate_comes_from_the_counters(vllm_page) -> None:
    url, handler = vllm_page
    handler.body = V1_PAGE.encode()
    page = _scrape(VllmRelay(url))
    assert "lorekeeper_vllm_requests_running 3.0" in page
    assert "lorekeeper_vllm_kv_cache_usage_ratio 0.25" in page
    assert "lorekeeper_vllm_prefix_cache_hit_ratio 0.6" in page
    assert "lorekeeper_vllm_prefix_cache_queries_total 1000.0" in page


def test_invalid_utf8_and_garbage_lines_are_skipped_not_raised(vllm_page) -> None:
    url, handler = vllm_page
    handler.body = (b"\xff\xfe\x80 not utf-8 at all\n" + b"vllm:num_requests_waiting{model_name=\"x\"} 1e+-\n"
                    + b"vllm:num_requests_running{model_name=\"\xc3\x28\"} 4\n" + b"vllm:kv_cache_usage_perc NaN\n"
                    + b"vllm:gpu_cache_usage_perc 7.5\n" + b"{{{{ }}}}\n")
    page = _scrape(VllmRelay(url))
    assert "lorekeeper_vllm_up 1.0" in page
    assert "lorekeeper_vllm_requests_running 4.0" in page
    assert "\nlorekeeper_vllm_requests_waiting " not in page  # its only value was garbage: not reported
    assert "lorekeeper_vllm_kv_cache_usage_ratio 1.0" in page  # out of range: clamped to 0..1


def test_a_page_that_is_not_vllm_and_an_error_status_read_as_down(vllm_page) -> None:
    url, handler = vllm_page
    handler.body = b"<html>some other server on this port</html>"
    assert "lorekeeper_vllm_up 0.0" in _scrape(VllmRelay(url))
    handler.body, handler.status = V0_PAGE.encode(), 500
    assert "lorekeeper_vllm_up 0.0" in _scrape(VllmRelay(url))


def test_no_server_reads_as_down_with_no_other_series() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    page = _scrape(VllmRelay(f"http://127.0.0.1:{port}"))
    assert "lorekeeper_vllm_up 0.0" in page
    samples = [line for line in page.splitlines() if line and not line.startswith("#")]
    assert samples == ["lorekeeper_vllm_up 0.0"]


def test_parse_never_raises_on_odd_text() -> None:
    for text in ("", "\x00\x01", "vllm:", "vllm:x{", "vllm:num_requests_running inf", "vllm:a b c d e"):
        assert isinstance(parse_vllm_metrics(text), dict)
