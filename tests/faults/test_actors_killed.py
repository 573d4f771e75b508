"""Actors killed on a real local Ray. Slow part (`make test-faults`).

- A session actor SIGKILLed mid-combat comes back with the same fight and answers every pending message
  exactly once: tests/integration/test_session_actors.py already plays this through the director; it is
  collected here too (imported, not copied) so the fault suite runs it.
- A VLLMActor killed (Ray restarts it) leaves its `vllm serve` child running on the port; the restarted actor
  reaps that orphan and serves again (hole f), and a `switch_model` to a model that fails to start rolls the
  actor back to the model that worked. The "vLLM server" is the real stand-in process on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from faults.fault_helpers import INTEGRATION
from test_inference_vllm_server import alive, free_port, wait_for  # noqa: E402 - tests/integration
from test_session_actors import (  # noqa: E402, F401 - the fixtures the imported test needs
    director_for,
    test_a_session_actor_killed_mid_combat_comes_back_with_the_same_fight_and_answers_once,
)

pytestmark = [pytest.mark.faults, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
FAKE = str(INTEGRATION / "fake_vllm_server.py")
MESSAGES = [{"role": "user", "content": "hello"}]
SMALL = "meta-llama/Llama-3.2-1B-Instruct"  # the registry's llama-3.2-1b


def _actor(ray: Any, env: tuple[tuple[str, str], ...] = ()) -> Any:
    from actors.inference import VLLMActor
    from inference.vllm_backend import VLLMBackendConfig
    from inference.vllm_server import VLLMServerConfig

    port = free_port()
    server = VLLMServerConfig(model="stand-in/llama-a", port=port, executable=(sys.executable, FAKE), env=env,
                              health_timeout_s=30, stop_grace_s=5)  # fmt: skip
    client = VLLMBackendConfig(port=port, served_model="stand-in/llama-a", timeout_s=10)
    return VLLMActor.options(num_gpus=0, num_cpus=0).remote(server, client)


async def test_a_killed_vllm_actor_comes_back_and_reaps_its_orphaned_server(ray_local: Any) -> None:
    actor = _actor(ray_local)
    try:
        first = await actor.start.remote()
        orphan = first["pid"]
        ray_local.kill(actor, no_restart=False)  # the actor's process dies at once; Ray restarts it
        assert alive(orphan)  # its vLLM child outlived it, holding the port

        async def restarted() -> dict[str, Any] | None:
            try:
                status = await actor.start.remote()
            except Exception as exc:  # noqa: BLE001 - RayActorError while Ray restarts it
                if "in use" in str(exc):
                    raise  # the hole: the restarted actor refused the taken port
                status = None
            if status is not None and status.get("pid") != orphan:
                return status
            await asyncio.sleep(0.5)  # not restarted yet (the kill is asynchronous: the old actor may still answer)
            return None

        second = None
        for _ in range(60):
            second = await restarted()
            if second:
                break
        assert second is not None and second["state"] == "healthy" and second["pid"] != orphan
        await wait_for(lambda: not alive(orphan), 10)
        reply = await actor.generate.remote(MESSAGES, None, 32, 0.2, False)
        assert "served by stand-in/llama-a" in reply.text
    finally:
        with contextlib.suppress(Exception):  # an actor still restarting cannot stop; the kill below ends it
            await actor.stop.remote()
        ray_local.kill(actor, no_restart=True)


async def test_a_failed_switch_model_rolls_the_actor_back(ray_local: Any) -> None:
    actor = _actor(ray_local, env=(("FAKE_VLLM_BAD_MODEL", SMALL),))
    try:
        first = await actor.start.remote()
        with pytest.raises(Exception, match="still serving stand-in/llama-a"):
            await actor.switch_model.remote("llama-3.2-1b")
        status = await actor.status.remote()
        assert status["state"] == "healthy" and status["model"] == "stand-in/llama-a"
        assert status["pid"] != first["pid"]
        reply = await actor.generate.remote(MESSAGES, None, 32, 0.2, False)
        assert "served by stand-in/llama-a" in reply.text  # the client still points at the model that works
    finally:
        await actor.stop.remote()
        ray_local.kill(actor, no_restart=True)


def test_the_imported_session_actor_test_is_the_integration_one() -> None:
    here = test_a_session_actor_killed_mid_combat_comes_back_with_the_same_fight_and_answers_once
    assert Path(here.__code__.co_filename).parent == INTEGRATION and os.path.exists(here.__code__.co_filename)
