"""GPU gauges at the nvidia-ml-py edge: no GPU is `lorekeeper_gpu_present 0` and no per-GPU series (never zeros
that look like an idle card); a card is its memory and utilisation. `pynvml` is replaced in `sys.modules` by a
stand-in (the hardware edge), so these run the same on a GPU host and without one."""

from __future__ import annotations

import sys
import types

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exposition import samples
from monitoring.gpu import GpuCollector, read_gpus

GIB = 2**30


def _nvml(monkeypatch: pytest.MonkeyPatch, *, init_error: bool = False, utilization: bool = True) -> None:
    class NVMLError(Exception):
        pass

    module = types.ModuleType("pynvml")
    module.NVMLError = NVMLError

    def init() -> None:
        if init_error:
            raise NVMLError("Driver Not Loaded")

    module.nvmlInit = init
    module.nvmlShutdown = lambda: None
    module.nvmlDeviceGetCount = lambda: 2
    module.nvmlDeviceGetHandleByIndex = lambda index: index
    module.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=24 * GIB, used=(h + 1) * 3 * GIB,
                                                                     free=24 * GIB - (h + 1) * 3 * GIB)
    module.nvmlDeviceGetName = lambda h: b"NVIDIA RTX A5000"

    def rates(h: int) -> types.SimpleNamespace:
        if not utilization:
            raise NVMLError("Not Supported")
        return types.SimpleNamespace(gpu=50 + h)

    module.nvmlDeviceGetUtilizationRates = rates
    monkeypatch.setitem(sys.modules, "pynvml", module)


def _samples(collector: GpuCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    return samples(generate_latest(registry).decode())


def test_without_nvidia_ml_py_the_gpu_is_absent_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    samples = _samples(GpuCollector())
    assert samples == {"lorekeeper_gpu_present": 0.0, "lorekeeper_gpu_count": 0.0}


def test_a_driverless_nvml_reads_as_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    _nvml(monkeypatch, init_error=True)
    assert read_gpus() is None
    samples = _samples(GpuCollector())
    assert samples["lorekeeper_gpu_present"] == 0.0
    assert not any(name.startswith("lorekeeper_gpu_memory") for name in samples)


def test_each_card_reports_memory_and_utilisation(monkeypatch: pytest.MonkeyPatch) -> None:
    _nvml(monkeypatch)
    samples = _samples(GpuCollector())
    assert samples["lorekeeper_gpu_present"] == 1.0 and samples["lorekeeper_gpu_count"] == 2.0
    assert samples['lorekeeper_gpu_memory_total_bytes{gpu="0",name="NVIDIA RTX A5000"}'] == 24 * GIB
    assert samples['lorekeeper_gpu_memory_used_bytes{gpu="1",name="NVIDIA RTX A5000"}'] == 6 * GIB
    assert samples['lorekeeper_gpu_utilization_ratio{gpu="1",name="NVIDIA RTX A5000"}'] == 0.51


def test_a_card_without_utilisation_counters_has_no_utilisation_series(monkeypatch: pytest.MonkeyPatch) -> None:
    _nvml(monkeypatch, utilization=False)
    samples = _samples(GpuCollector())
    assert samples['lorekeeper_gpu_memory_used_bytes{gpu="0",name="NVIDIA RTX A5000"}'] == 3 * GIB
    assert not any(name.startswith("lorekeeper_gpu_utilization_ratio") for name in samples)  # not a fake 0 %


def test_nvml_is_read_at_most_every_few_seconds() -> None:
    reads = []
    now = [100.0]
    collector = GpuCollector(reader=lambda: reads.append(1) or None, clock=lambda: now[0])
    for _ in range(5):
        collector.gpus()
    assert len(reads) == 1
    now[0] += 10
    collector.gpus()
    assert len(reads) == 2


def test_a_reader_that_raises_reads_as_absent() -> None:
    def broken() -> None:
        raise RuntimeError("NVML exploded")

    assert _samples(GpuCollector(reader=broken))["lorekeeper_gpu_present"] == 0.0
