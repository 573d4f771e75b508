"""vLLM's own metrics, relayed under our names when it runs (read from its `/metrics` at scrape time).

    lorekeeper_vllm_up                         1 when vLLM's /metrics answered with vLLM metrics, else 0
    lorekeeper_vllm_kv_cache_usage_ratio       KV-cache blocks in use (0..1)
    lorekeeper_vllm_prefix_cache_hit_ratio     prefix-cache hits over queries since vLLM started (0..1)
    lorekeeper_vllm_prefix_cache_hits_total / _queries_total   the counters behind it (rate() them)
    lorekeeper_vllm_requests_running / _waiting                requests in the engine / in its queue

The page is parsed defensively: invalid UTF-8, garbage lines, odd values, a page from something that is not
vLLM, a slow or dead server — each reads as "not reported", never an exception in the exporter. Names of
both vLLM generations are understood (v0's `gpu_cache_usage_perc` and `gpu_prefix_cache_hit_rate`, v1's
`kv_cache_usage_perc` and `prefix_cache_hits`/`queries` counters); series are summed over vLLM's labels.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["VllmRelay", "parse_vllm_metrics", "register", "relay_for"]

log = logging.getLogger(__name__)

_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\S+)?\s*$")
_MAX_BYTES = 4 * 2**20
_TIMEOUT_S = 1.0
_CACHE_S = 2.0

# our name → vLLM's names, first found wins (v1 names before v0 ones)
_GAUGES = {
    "kv_cache_usage": ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
    "running": ("vllm:num_requests_running",),
    "waiting": ("vllm:num_requests_waiting",),
    "hit_rate": ("vllm:gpu_prefix_cache_hit_rate", "vllm:cpu_prefix_cache_hit_rate"),
    "hits": ("vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total", "vllm:prefix_cache_hits"),
    "queries": ("vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total",
                "vllm:prefix_cache_queries"),
}


def parse_vllm_metrics(text: str) -> dict[str, float]:
    """The figures above from a `/metrics` page (each summed over its series); a figure the page lacks is absent.
    Never raises on the page's content."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("vllm:"):
            continue
        match = _LINE.match(line.strip())
        if match is None:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        if math.isfinite(value):
            sums[match.group(1)] = sums.get(match.group(1), 0.0) + value
    found: dict[str, float] = {}
    for ours, names in _GAUGES.items():
        for name in names:
            if name in sums:
                found[ours] = sums[name]
                break
    if "kv_cache_usage" in found:
        found["kv_cache_usage"] = min(max(found["kv_cache_usage"], 0.0), 1.0)
    if "hit_rate" not in found and found.get("queries", 0.0) > 0:
        found["hit_rate"] = min(found.get("hits", 0.0) / found["queries"], 1.0)
    found["_vllm"] = float(bool(sums))
    return found


def _fetch(url: str) -> str:
    with urllib.request.urlopen(f"{url.rstrip('/')}/metrics", timeout=_TIMEOUT_S) as response:  # noqa: S310
        if response.status != 200:
            return ""
        return response.read(_MAX_BYTES).decode("utf-8", errors="replace")


class VllmRelay:
    """Collector relaying one vLLM server's metrics (see the module docstring)."""

    def __init__(self, url: str, fetch: Callable[[str], str] = _fetch,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._last: dict[str, float] = {}

    def read(self) -> dict[str, float]:
        """The relayed figures (cached for a couple of seconds); {} when vLLM is not there."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= _CACHE_S:
                try:
                    self._last = parse_vllm_metrics(self._fetch(self.url))
                except Exception as exc:  # noqa: BLE001 - refused, timed out, reset, HTTP error: not running
                    log.debug("vLLM metrics unavailable at %s: %s", self.url, type(exc).__name__)
                    self._last = {}
                self._read_at = now
            return dict(self._last)

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        figures = self.read()
        up = GaugeMetricFamily("lorekeeper_vllm_up", "1 when vLLM's /metrics answered with vLLM metrics")
        up.add_metric([], figures.get("_vllm", 0.0))
        yield up
        for key, name, help_text in (
            ("kv_cache_usage", "lorekeeper_vllm_kv_cache_usage_ratio", "vLLM KV-cache blocks in use (0..1)"),
            ("hit_rate", "lorekeeper_vllm_prefix_cache_hit_ratio", "vLLM prefix-cache hits over queries (0..1)"),
            ("running", "lorekeeper_vllm_requests_running", "Requests running in vLLM's engine"),
            ("waiting", "lorekeeper_vllm_requests_waiting", "Requests waiting in vLLM's queue"),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, help_text)
            if key in figures:
                family.add_metric([], figures[key])
            yield family
        for key, name in (("hits", "lorekeeper_vllm_prefix_cache_hits"),
                          ("queries", "lorekeeper_vllm_prefix_cache_queries")):  # fmt: skip
            counter = CounterMetricFamily(name, f"vLLM prefix-cache {key} (tokens), relayed")
            if key in figures:
                counter.add_metric([], figures[key])
            yield counter


_relays: dict[int, VllmRelay] = {}


def register(registry: Any, url: str) -> VllmRelay:
    """Relay the vLLM at `url` into `registry` (once per registry; a later call changes the URL)."""
    relay = _relays.get(id(registry))
    if relay is None:
        relay = _relays[id(registry)] = VllmRelay(url)
        registry.register(relay)
    relay.url = url
    return relay


def relay_for(registry: Any) -> VllmRelay | None:
    return _relays.get(id(registry))
