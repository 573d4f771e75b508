"""The vLLM server manager supervising a real child process (a stand-in `vllm serve`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from inference.errors import BackendUnavailable
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference.vllm_server import VLLMServerConfig, VLLMServerManager, build_command, describe

FAKE = str(Path(__file__).resolve().parent / "fake_vllm_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(**changes) -> VLLMServerConfig:
    base = dict(model="stand-in/llama-a", executable=(sys.executable, FAKE), port=free_port(), health_timeout_s=20,
                stop_grace_s=5, restart_backoff_s=(0.1, 0.2), stable_after_s=60)
    return VLLMServerConfig(**(base | changes))


def alive(pid: int) -> bool:
    """Running (a zombie — dead, waiting for a parent or init to reap it — counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def worker_pids(manager: VLLMServerManager) -> list[int]:
    return [int(line.rsplit(" ", 1)[1]) for line in manager.status()["log_tail"] if "worker pid" in line]


async def wait_for(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_start_waits_for_health_and_streams_the_log() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_STARTUP_DELAY", "0.5"),)))
    await manager.start()
    try:
        assert manager.state == "healthy" and alive(manager.pid)
        status = manager.status()
        assert status["command"] == describe(build_command(manager.config))
        assert any("fake vllm serving stand-in/llama-a" in line and "max_num_seqs=16" in line
                   for line in status["log_tail"])
        client = VLLMBackend(VLLMBackendConfig(port=manager.config.port, served_model="stand-in/llama-a"))
        generation = await client.generate([{"role": "user", "content": "hi"}], max_tokens=20)
        assert "served by stand-in/llama-a" in generation.text
        await client.close()
    finally:
        await manager.stop()


async def test_a_crashed_server_is_restarted() -> None:
    manager = VLLMServerManager(config())
    await manager.start()
    try:
        first = manager.pid
        os.kill(first, signal.SIGKILL)
        await wait_for(lambda: manager.restarts == 1 and manager.state == "healthy")
        assert manager.pid != first and alive(manager.pid)
        assert manager.status()["last_exit_code"] == -signal.SIGKILL
        assert await manager.health()
    finally:
        await manager.stop()


async def test_stop_ends_the_process_and_does_not_restart_it() -> None:
    manager = VLLMServerManager(config())
    await manager.start()
    pid = manager.pid
    await manager.stop()
    assert manager.state == "stopped" and not alive(pid)
    await asyncio.sleep(0.4)  # longer than the restart backoff
    assert manager.restarts == 0 and not await manager.health()


async def test_a_server_ignoring_sigterm_is_killed_after_the_grace_period() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_IGNORE_TERM", "1"),), stop_grace_s=0.5))
    await manager.start()
    pid = manager.pid
    await manager.stop()
    assert not alive(pid)
    assert manager.status()["last_exit_code"] == -signal.SIGKILL


async def test_switch_model_restarts_with_the_new_model() -> None:
    manager = VLLMServerManager(config())
    await manager.start()
    try:
        old_pid = manager.pid
        await manager.switch_model("stand-in/llama-b", served_model_name="llama-b")
        assert manager.pid != old_pid and not alive(old_pid)
        assert manager.config.model == "stand-in/llama-b"
        assert "--served-model-name llama-b" in manager.status()["command"]
        client = VLLMBackend(VLLMBackendConfig(port=manager.config.port, served_model="llama-b"))
        assert "served by llama-b" in (await client.generate([{"role": "user", "content": "hi"}])).text
        await client.close()
    finally:
        await manager.stop()


async def test_a_server_that_dies_while_starting_reports_its_log() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_EXIT_CODE", "3"),)))
    with pytest.raises(BackendUnavailable) as caught:
        await manager.start()
    assert "code 3" in caught.value.detail and "KV cache" in caught.value.detail
    assert manager.state == "failed"


async def test_sleep_and_wake_need_sleep_mode() -> None:
    manager = VLLMServerManager(config(enable_sleep_mode=True))
    await manager.start()
    try:
        assert "--enable-sleep-mode" in manager.command
        assert await manager.sleep() is True and await manager.wake_up() is True
    finally:
        await manager.stop()
    plain = VLLMServerManager(config())
    assert await plain.sleep() is False


async def test_start_twice_keeps_one_process() -> None:
    manager = VLLMServerManager(config())
    await manager.start()
    try:
        pid = manager.pid
        await manager.start()
        assert manager.pid == pid and manager.restarts == 0
    finally:
        await manager.stop()


async def test_failing_restarts_escalate_the_backoff_and_give_up(tmp_path) -> None:
    broken = tmp_path / "gpu-broken"
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_FAIL_IF_EXISTS", str(broken)),), stable_after_s=0.2,
                                       restart_backoff_s=(0.05, 0.1), max_restarts=3))
    await manager.start()
    try:
        await asyncio.sleep(0.4)  # healthy longer than stable_after_s: the next crash starts a fresh count
        broken.touch()  # from now on every start dies (e.g. the GPU is taken)
        os.kill(manager.pid, signal.SIGKILL)
        # Each failed restart is a new crash of an *unhealthy* server: the count must climb to max_restarts,
        # and "failed" is shown only once the supervisor gives up (a failed restart in between is "restarting").
        seen: list[tuple[str, int]] = []
        await wait_for(lambda: seen.append((manager.state, manager.restarts)) or manager.state == "failed", timeout=15)
        assert manager.restarts == 3 and all(r == 3 for state, r in seen if state == "failed"), seen
        assert manager.status()["last_exit_code"] == 3
    finally:
        await manager.stop()


async def test_a_cancelled_start_leaves_no_process_behind() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_STARTUP_DELAY", "60"),)))
    starting = asyncio.ensure_future(manager.start())
    await wait_for(lambda: manager.pid is not None)
    pid = manager.pid
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert not alive(pid)
    assert manager.state != "starting"


async def test_engine_workers_left_by_a_crash_are_killed_before_the_restart() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_WORKER", "1"),)))
    await manager.start()
    try:
        await wait_for(lambda: len(worker_pids(manager)) == 1)
        first_worker = worker_pids(manager)[0]
        os.kill(manager.pid, signal.SIGKILL)  # e.g. the OOM killer takes the API server only
        await wait_for(lambda: manager.restarts == 1 and manager.state == "healthy")
        assert not alive(first_worker)  # it would still hold the GPU memory the new server needs
    finally:
        await manager.stop()
    await wait_for(lambda: not any(alive(pid) for pid in worker_pids(manager)), timeout=5)  # SIGKILL lands async


async def test_stop_also_ends_workers_that_ignore_sigterm() -> None:
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_WORKER", "1"),)))
    await manager.start()
    await wait_for(lambda: len(worker_pids(manager)) == 1)
    worker = worker_pids(manager)[0]
    await manager.stop()
    await wait_for(lambda: not alive(worker), timeout=5)  # SIGKILL lands asynchronously


async def test_a_port_already_serving_is_not_mistaken_for_our_server() -> None:
    """A leftover server (e.g. from a crashed actor) answers /health on our port: the manager must not call its
    own child healthy because of it, nor loop restarting a child that cannot bind."""
    squatter = VLLMServerManager(config())
    await squatter.start()
    try:
        manager = VLLMServerManager(config(port=squatter.config.port, model="stand-in/llama-b"))
        with pytest.raises(BackendUnavailable) as caught:
            await manager.start()
        assert str(squatter.config.port) in caught.value.detail and "in use" in caught.value.detail
        assert manager.state == "failed" and manager.pid is None
        await manager.stop()
    finally:
        await squatter.stop()


async def test_a_missing_executable_is_a_translated_error() -> None:
    manager = VLLMServerManager(config(executable=("/nonexistent/bin/vllm",)))
    with pytest.raises(BackendUnavailable) as caught:
        await manager.start()
    assert "cannot start" in caught.value.detail and manager.state == "failed"


@pytest.mark.parametrize("length, kept", [(200_000, "INFO config: xxx"), (3_000_000, "too long")])
async def test_a_very_long_log_line_does_not_stop_the_log_pump(length, kept) -> None:
    """A stalled pump stops draining the pipe, and vLLM then blocks on its next write."""
    manager = VLLMServerManager(config(env=(("FAKE_VLLM_LONG_LINE", str(length)),)))
    await manager.start()
    try:
        assert await manager.health()
        await wait_for(lambda: any("GET /health" in line for line in manager.status()["log_tail"]), timeout=10)
        tail = manager.status()["log_tail"]
        assert any(kept in line for line in tail) and max(len(line) for line in tail) <= 4000
    finally:
        await manager.stop()
