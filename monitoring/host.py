"""The host's CPU and memory, read at scrape time (psutil when installed, /proc and os otherwise).

    lorekeeper_host_cpu_count, lorekeeper_host_load1, lorekeeper_host_cpu_utilization_ratio,
    lorekeeper_host_memory_total_bytes, lorekeeper_host_memory_available_bytes
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["HostCollector", "cpu_utilization", "memory_bytes", "register"]


def memory_bytes() -> tuple[int, int] | None:
    """(total, available) bytes of RAM, or None when neither psutil nor /proc/meminfo can say."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available)
    except ImportError:
        pass
    fields: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            key, _, rest = line.partition(":")
            fields[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    if not fields.get("MemTotal"):
        return None
    return fields["MemTotal"], fields.get("MemAvailable", 0)


def cpu_utilization() -> float | None:
    """Busy fraction of all CPUs since the previous call (psutil; None without it or on the first call)."""
    try:
        import psutil
    except ImportError:
        return None
    value = psutil.cpu_percent(interval=None)  # non-blocking: since the last call
    return None if value is None else float(value) / 100.0


try:  # psutil's first cpu_percent() reads 0.0: prime it so the first scrape (or !system_stats) is a real figure
    import psutil as _psutil

    _psutil.cpu_percent(interval=None)
except ImportError:  # pragma: no cover - psutil comes with ray[default]
    pass


class HostCollector:
    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        cpus = GaugeMetricFamily("lorekeeper_host_cpu_count", "Logical CPUs of the host")
        cpus.add_metric([], float(os.cpu_count() or 0))
        yield cpus
        load = GaugeMetricFamily("lorekeeper_host_load1", "Host load average over one minute")
        try:
            load.add_metric([], os.getloadavg()[0])
        except OSError:
            pass
        yield load
        busy = GaugeMetricFamily("lorekeeper_host_cpu_utilization_ratio", "Host CPU busy fraction since the last "
                                 "scrape")  # fmt: skip
        value = cpu_utilization()
        if value is not None:
            busy.add_metric([], value)
        yield busy
        total = GaugeMetricFamily("lorekeeper_host_memory_total_bytes", "Host RAM")
        available = GaugeMetricFamily("lorekeeper_host_memory_available_bytes", "Host RAM available")
        memory = memory_bytes()
        if memory is not None:
            total.add_metric([], float(memory[0]))
            available.add_metric([], float(memory[1]))
        yield total
        yield available


_registered: set[int] = set()


def register(registry: Any) -> None:
    if id(registry) not in _registered:
        registry.register(HostCollector())
        _registered.add(id(registry))
