"""Narration drafts across Ray: a session's `ActorBackend` asks the router actor for a streamed answer
(`InferenceRouter.generate_stream`) and hears its pieces, so `dm.drafts` sees the narrative grow as it does
in-process; without a listener the call is the plain `generate`."""

from __future__ import annotations

import json
from typing import Any

from dm.drafts import drafting, restart_draft
from inference.factory import InferencePlan
from inference.router import RouterConfig

MESSAGES = [{"role": "user", "content": "We row towards the wreck."}]
SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"]}
STORY = "The fog parts around the hull and the old timbers groan as the tide turns beneath them."


async def test_the_router_actor_streams_pieces_to_the_callers_listener(ray_local: Any) -> None:
    from actors.inference import ActorBackend, InferenceRouter

    entry = {"reply": {"narrative": STORY}, "token_delay_s": 0.02}
    plan = InferencePlan(backends=(("embedded", [entry]),), router=RouterConfig(retry_jitter_s=0.0))
    router = InferenceRouter.remote(plan, None, 0)
    backend = ActorBackend("router", router, 8192, campaign="wreck")
    drafts: list[str] = []
    try:
        with drafting(5, lambda _channel, text: drafts.append(text)):
            generation = await backend.generate(MESSAGES, SCHEMA, max_tokens=64, stream=restart_draft())
        assert json.loads(generation.text) == {"narrative": STORY}
        assert len(drafts) >= 3 and drafts[-1] == STORY and all(STORY.startswith(d) for d in drafts)
        quiet = await backend.generate(MESSAGES, SCHEMA, max_tokens=64, stream=True)  # no listener: one answer
        assert json.loads(quiet.text) == {"narrative": STORY}
    finally:
        ray_local.kill(router)
