"""GPU statistics through nvidia-ml-py (the `gpu` extra); no driver or package → None."""

from __future__ import annotations

import logging
from dataclasses import dataclass

__all__ = ["GpuStats", "read_gpus"]

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
