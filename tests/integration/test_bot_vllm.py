"""At start-up with a GPU, `lorekeeper bot` launches `vllm serve` through the GPU-pinned `VLLMActor`, which
supervises it. Slow: a local Ray with one (declared) GPU, and a stand-in `vllm serve` (fake_vllm_server.py)
that takes a moment to turn healthy — the call that launches it returns at once."""

from __future__ import annotations

import asyncio
import socket
import time
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

FAKE = str(Path(__file__).resolve().parent / "fake_vllm_server.py")


@pytest.fixture
def ray_with_a_gpu() -> Iterator[Any]:
    import ray

    if ray.is_initialized():
        pytest.skip("Ray is already running in this process")
    ray.init(num_cpus=1, num_gpus=1, include_dashboard=False, log_to_driver=False, namespace="lorekeeper")
    yield ray
    ray.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_gpu_box_launches_and_supervises_vllm(ray_with_a_gpu: Any, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:  # fmt: skip
    import monitoring.gpu
    from gateway.commands.bot import launch_vllm
    from gateway.settings import load_settings
    from monitoring.gpu import GpuStats

    card = GpuStats(0, "stand-in card", 16 * 2**30, 0, 16 * 2**30, 0)
    monkeypatch.setattr(monitoring.gpu, "read_gpus", lambda: [card])
    settings = load_settings(vllm_port=_free_port(), local_model_name="stand-in/model")
    started = time.monotonic()
    actor = launch_vllm(settings, executable=(sys.executable, FAKE), pid_file=str(tmp_path / "vllm.pid"),
                        env=(("FAKE_VLLM_STARTUP_DELAY", "2"),), health_timeout_s=60.0)  # fmt: skip
    assert actor is not None and time.monotonic() - started < 5  # not waited for: the fallbacks answer meanwhile
    state = ""
    for _ in range(120):
        status = await actor.status.remote()
        state = str(status["state"])
        if state == "healthy":
            break
        await asyncio.sleep(0.5)
    assert state == "healthy", status
    assert "serve stand-in/model" in str(status["command"]) and f"--port {settings.vllm_port}" in str(status["command"])
    await actor.stop.remote()
    ray_with_a_gpu.kill(actor, no_restart=True)
