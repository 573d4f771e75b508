"""Hole (f): a `vllm serve` child outlived its dead owner (the VLLMActor's process was killed; the child
runs in its own session), the restarted owner refused the taken port and nothing ever killed the orphan.
And a failed `switch_model` left the server down on the model that failed instead of rolling back to the
one that worked. The "vLLM server" is the real stand-in process (tests/integration/fake_vllm_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from test_inference_vllm_server import alive, config, wait_for  # noqa: E402

from inference.errors import BackendUnavailable  # noqa: E402
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig  # noqa: E402
from inference.vllm_server import VLLMServerManager  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "user", "content": "hello"}]

# The owner: starts the server through the real manager, says the child's pid, then waits to be killed.
OWNER = """
import asyncio, json, sys
from inference.vllm_server import VLLMServerConfig, VLLMServerManager
spec = json.loads(sys.argv[1])
spec["executable"] = tuple(spec["executable"]); spec["env"] = tuple(tuple(p) for p in spec["env"])
async def main():
    manager = VLLMServerManager(VLLMServerConfig(**spec))
    await manager.start()
    print("child", manager.pid, flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def _owner(cfg) -> tuple[subprocess.Popen, int]:
    spec = {"model": cfg.model, "port": cfg.port, "executable": list(cfg.executable), "env": [list(p) for p in cfg.env],
            "health_timeout_s": cfg.health_timeout_s, "stop_grace_s": cfg.stop_grace_s}
    owner = subprocess.Popen([sys.executable, "-c", OWNER, json.dumps(spec)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True)
    line = owner.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("child "), line
    return owner, int(line.split()[1])


async def test_a_restarted_owner_reaps_the_orphan_left_by_a_killed_one() -> None:
    cfg = config(env=(("FAKE_VLLM_WORKER", "1"),))
    owner, orphan = _owner(cfg)
    owner.send_signal(signal.SIGKILL)  # the actor's process dies; its vLLM child keeps the port (and the GPU)
    owner.wait()
    assert alive(orphan)
    manager = VLLMServerManager(cfg)
    try:
        await manager.start()  # before: "port ... is already in use (a vLLM server left running?)"
        assert manager.state == "healthy" and manager.pid != orphan
        await wait_for(lambda: not alive(orphan), timeout=10)
        reply = await VLLMBackend(VLLMBackendConfig(port=cfg.port, served_model=cfg.model)).generate(MESSAGES)
        assert reply.text
    finally:
        await manager.stop()
        if alive(orphan):
            os.killpg(orphan, signal.SIGKILL)


async def test_a_foreign_server_on_the_port_is_still_refused_not_killed() -> None:
    """The reaping is for orphans only: a server whose owner still runs (the same pid file names it), or one
    some other program runs (no pid file of ours names it), still makes start() refuse, and it stays up."""
    squatter = VLLMServerManager(config())
    await squatter.start()
    try:
        for pid_file in (None, str(Path(squatter.pid_file).with_suffix(".other"))):
            manager = VLLMServerManager(config(port=squatter.config.port, model="stand-in/llama-b", pid_file=pid_file))
            with pytest.raises(BackendUnavailable, match="in use"):
                await manager.start()
            assert alive(squatter.pid) and squatter.state == "healthy"
    finally:
        await squatter.stop()


async def test_a_stale_pid_file_naming_another_process_kills_nothing(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        cfg = config(pid_file=str(tmp_path / "vllm.pid"))
        Path(cfg.pid_file).write_text(json.dumps({"pid": bystander.pid, "argv": ["vllm", "serve", "x"]}))
        manager = VLLMServerManager(cfg)
        await manager.start()
        assert alive(bystander.pid)
        await manager.stop()
        assert not Path(cfg.pid_file).exists()  # a clean stop leaves no pid file
    finally:
        bystander.kill()
        bystander.wait()


async def test_a_failed_switch_rolls_back_to_the_model_that_worked() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_BAD_MODEL", "stand-in/too-big"),)))
    await manager.start()
    first_pid = manager.pid
    try:
        with pytest.raises(BackendUnavailable) as caught:
            await manager.switch_model("stand-in/too-big")
        assert "stand-in/too-big" in caught.value.detail and "stand-in/llama-a" in caught.value.detail
        assert manager.state == "healthy" and manager.config.model == "stand-in/llama-a"
        assert manager.pid not in (None, first_pid)
        reply = await VLLMBackend(VLLMBackendConfig(port=manager.config.port,
                                                    served_model="stand-in/llama-a")).generate(MESSAGES)
        assert "served by stand-in/llama-a" in reply.text
        assert "does not fit" in " ".join(manager.status()["log_tail"])
    finally:
        await manager.stop()


async def test_workers_of_the_orphan_die_with_it() -> None:
    cfg = config(env=(("FAKE_VLLM_WORKER", "1"),))
    owner, orphan = _owner(cfg)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    # the orphan's engine worker (same process group, ignores SIGTERM) must go too
    workers = [int(pid) for pid in os.popen(f"pgrep -g {orphan}").read().split() if int(pid) != orphan]
    assert workers and all(alive(w) for w in workers)
    manager = VLLMServerManager(cfg)
    try:
        await manager.start()
        await wait_for(lambda: not any(alive(w) for w in workers), timeout=10)
    finally:
        await manager.stop()
        for pid in workers + [orphan]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
