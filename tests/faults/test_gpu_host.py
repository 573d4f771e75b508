"""Hole (e): the monitoring unit tests asserted that the machine has no GPU, so they failed on every GPU
host. Here they run on a simulated GPU host (an nvidia-ml-py reporting one card, first on the path) and
must pass there as they do on this one (where tests/unit runs them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MONITORING_TESTS = REPO / "tests" / "unit" / "monitoring" / "test_metrics_and_gpu.py"

GPU_HOST_PYNVML = '''
import types
class NVMLError(Exception):
    pass
def nvmlInit(): pass
def nvmlShutdown(): pass
def nvmlDeviceGetCount(): return 1
def nvmlDeviceGetHandleByIndex(i): return object()
def nvmlDeviceGetMemoryInfo(h): return types.SimpleNamespace(total=24 * 2**30, used=2**30, free=23 * 2**30)
def nvmlDeviceGetName(h): return "NVIDIA L4"
def nvmlDeviceGetUtilizationRates(h): return types.SimpleNamespace(gpu=5)
'''


@pytest.mark.parametrize("host", ["gpu"])  # (on this host they run in the unit suite itself)
def test_the_monitoring_tests_pass_on_a_gpu_host(host: str, tmp_path: Path) -> None:
    env = dict(os.environ)
    if host == "gpu":
        (tmp_path / "pynvml.py").write_text(GPU_HOST_PYNVML)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
        probe = subprocess.run([sys.executable, "-c", "from monitoring.gpu import read_gpus; print(read_gpus())"],
                               env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert "NVIDIA L4" in probe.stdout  # the simulated host really has a GPU
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(MONITORING_TESTS)],
                            env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
