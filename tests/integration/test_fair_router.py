"""The router actor on a real local Ray queues each campaign's calls fairly (inference.fair_queue): a session's
`ActorBackend(campaign=...)` names its campaign, and one campaign's burst does not hold back another's call."""

from __future__ import annotations

import asyncio
from typing import Any

from inference.factory import InferencePlan
from inference.router import RouterConfig

MESSAGES = [{"role": "user", "content": "I open the door."}]
SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"]}


async def test_the_router_actor_serves_campaigns_round_robin(ray_local: Any) -> None:
    from actors.inference import ActorBackend, InferenceRouter

    plan = InferencePlan(backends=(("embedded", [{"narrative": "The door opens.", "delay_s": 0.05}]),),
                         router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=10.0))  # fmt: skip
    router = InferenceRouter.remote(plan, None, 0, 1, 1)  # one call at a time, so the order is the service order
    chatty, quiet = (ActorBackend("router", router, 8192, campaign=c) for c in ("chatty", "quiet"))
    done: list[str] = []

    async def call(backend: ActorBackend, tag: str) -> None:
        generation = await backend.generate(MESSAGES, SCHEMA, max_tokens=32)
        assert generation.data == {"narrative": "The door opens."}
        done.append(tag)

    burst = [asyncio.create_task(call(chatty, f"chatty-{i}")) for i in range(6)]
    for _ in range(200):  # until the burst is in the actor: one on the model, five queued
        if (await router.status.remote())["fair_queue"]["depths"] == {"chatty": 5}:
            break
        await asyncio.sleep(0.02)
    await asyncio.gather(call(quiet, "quiet-0"), *burst)
    assert done.index("quiet-0") == 1  # served right after the chatty call on the model, not after all six
    assert sorted(done) == [*(f"chatty-{i}" for i in range(6)), "quiet-0"]
    status = await router.status.remote()
    assert status["fair_queue"] == {"waiting": 0, "in_flight": 0, "per_campaign": 1, "total": 1, "depths": {}}
    ray_local.kill(router)
