"""GPU statistics through nvidia-ml-py (the `gpu` extra); no driver or package → None.

`read_gpus()` reads NVML once; `GpuCollector` (registered by `monitoring.metrics.start_exporter`) turns it
into the `lorekeeper_gpu_*` gauges at scrape time, caching the read for a few seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from monitoring.instruments import pushed_gpus

__all__ = ["GpuCollector", "GpuStats", "collector", "read_gpus", "register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GpuStats:
    """One GPU's memory (bytes) and utilisation (percent; -1 when the card does not report it)."""

    index: int
    name: str
    total_bytes: int
    used_bytes: int
    free_bytes: int
    utilization_pct: int

    @property
    def total_gib(self) -> float:
        return self.total_bytes / 2**30


def read_gpus() -> list[GpuStats] | None:
    """Stats for every visible NVIDIA GPU, or None when there is no NVML (no GPU, no driver, no package)."""
    try:
        import pynvml  # nvidia-ml-py; imported here so CPU-only installs never need it
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound / DriverNotLoaded: no usable GPU
        log.debug("NVML unavailable: %s", exc)
        return None
    try:
        stats = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            try:
                utilization = int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except pynvml.NVMLError:  # NOT_SUPPORTED on some cards/MIG/WSL: memory is what matters
                utilization = -1
            stats.append(GpuStats(index=index, name=name.decode() if isinstance(name, bytes) else str(name),
                                  total_bytes=int(memory.total), used_bytes=int(memory.used),
                                  free_bytes=int(memory.free), utilization_pct=utilization))
        return stats
    except pynvml.NVMLError as exc:  # a half-working driver must not crash `llm status` or the vLLM actor
        log.warning("NVML failed while reading GPUs: %s", exc)
        return None
    finally:
        pynvml.nvmlShutdown()


# --- Prometheus: read at scrape time ---------------------------------------------------------------------

_CACHE_S = 5.0  # NVML is read at most this often, however often Prometheus (or !system_stats) scrapes


class GpuCollector:
    """`lorekeeper_gpu_*` at scrape time. No GPU (no driver, no nvidia-ml-py) reads as `lorekeeper_gpu_present 0`
    and no per-GPU series at all — never zeros that look like an idle card."""

    def __init__(self, reader: Callable[[], list[GpuStats] | None] = read_gpus,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._reader = reader
        self._clock = clock
        self._read_at: float | None = None
        self._last: list[GpuStats] | None = None
        self._lock = threading.Lock()

    def gpus(self) -> list[GpuStats] | None:
        """The GPUs as last read (re-read when older than a few seconds); None: no GPU here."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= _CACHE_S:
                try:
                    self._last = self._reader()
                except Exception as exc:  # noqa: BLE001 - a scrape never fails on the GPU edge
                    log.warning("GPU read failed: %s", exc)
                    self._last = None
                self._read_at = now
            gpus = self._last
        if not gpus:
            pushed = pushed_gpus()  # a figure pushed by the vLLM actor's fit check
            gpus = [GpuStats(index=i, name="unknown", total_bytes=total, used_bytes=used, free_bytes=total - used,
                             utilization_pct=-1) for i, (used, total) in sorted(pushed.items())] or None  # fmt: skip
        return gpus

    def describe(self) -> list[Any]:
        return []  # nothing read at registration: NVML is touched only when scraped

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        gpus = self.gpus() or []
        present = GaugeMetricFamily("lorekeeper_gpu_present", "1 when an NVIDIA GPU is visible, 0 when not")
        present.add_metric([], 1.0 if gpus else 0.0)
        count = GaugeMetricFamily("lorekeeper_gpu_count", "NVIDIA GPUs visible")
        count.add_metric([], float(len(gpus)))
        used = GaugeMetricFamily("lorekeeper_gpu_memory_used_bytes", "GPU memory in use", labels=["gpu", "name"])
        total = GaugeMetricFamily("lorekeeper_gpu_memory_total_bytes", "GPU memory", labels=["gpu", "name"])
        util = GaugeMetricFamily("lorekeeper_gpu_utilization_ratio", "GPU busy fraction over the last sample "
                                 "period (cards that report it)", labels=["gpu", "name"])  # fmt: skip
        for g in gpus:
            key = [str(g.index), g.name]
            used.add_metric(key, float(g.used_bytes))
            total.add_metric(key, float(g.total_bytes))
            if g.utilization_pct >= 0:
                util.add_metric(key, g.utilization_pct / 100.0)
        yield from (present, count, used, total, util)


_collector: GpuCollector | None = None


def collector() -> GpuCollector:
    """The process's one GPU collector (shared by the exporter and `!system_stats`)."""
    global _collector
    if _collector is None:
        _collector = GpuCollector()
    return _collector


_registered: set[int] = set()


def register(registry: Any) -> GpuCollector:
    """Add the GPU collector to `registry` once."""
    gpu = collector()
    if id(registry) not in _registered:
        registry.register(gpu)
        _registered.add(id(registry))
    return gpu
