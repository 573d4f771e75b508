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


def test_without_nvidia_ml_py_reads_as_none(monkeypatch) -> None:
    # Not "this machine has no GPU" (false on every GPU host): the package's absence is simulated.
    import sys

    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    assert read_gpus() is None


def test_without_a_driver_reads_as_none(monkeypatch) -> None:
    _stand_in_nvml(monkeypatch, init_error=True)
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


def _stand_in_nvml(monkeypatch, *, utilization_error: bool = False, count_error: bool = False,
                   init_error: bool = False):
    """A stand-in `pynvml` (the hardware edge): one 16 GiB card; some calls fail like NVML_ERROR_NOT_SUPPORTED."""
    import sys
    import types

    class NVMLError(Exception):
        pass

    module = types.ModuleType("pynvml")
    module.NVMLError = NVMLError
    def init():
        if init_error:  # NVMLError_LibraryNotFound / DriverNotLoaded: the package without a driver
            raise NVMLError("NVML Shared Library Not Found")

    module.nvmlInit = init
    module.nvmlShutdown = lambda: None

    def count():
        if count_error:
            raise NVMLError("Unknown Error")
        return 1

    def utilization(handle):
        if utilization_error:
            raise NVMLError("Not Supported")
        return types.SimpleNamespace(gpu=37)

    module.nvmlDeviceGetCount = count
    module.nvmlDeviceGetHandleByIndex = lambda index: object()
    module.nvmlDeviceGetMemoryInfo = lambda handle: types.SimpleNamespace(total=16 * 2**30, used=2**30,
                                                                         free=15 * 2**30)
    module.nvmlDeviceGetName = lambda handle: b"NVIDIA GeForce RTX 4080"
    module.nvmlDeviceGetUtilizationRates = utilization
    monkeypatch.setitem(sys.modules, "pynvml", module)


def test_a_card_without_utilization_counters_still_reports_its_memory(monkeypatch) -> None:
    _stand_in_nvml(monkeypatch, utilization_error=True)
    (gpu,) = read_gpus()
    assert (gpu.name, gpu.total_gib, gpu.used_bytes) == ("NVIDIA GeForce RTX 4080", 16.0, 2**30)
    assert gpu.utilization_pct == -1


def test_an_nvml_failure_after_init_reads_as_no_gpu(monkeypatch) -> None:
    _stand_in_nvml(monkeypatch, count_error=True)
    assert read_gpus() is None


def test_the_stand_in_nvml_reads_normally(monkeypatch) -> None:
    _stand_in_nvml(monkeypatch)
    (gpu,) = read_gpus()
    assert gpu.utilization_pct == 37 and gpu.free_bytes == 15 * 2**30
