"""On Ray the session, the database writes and the model calls happen in actors: the gateway's /metrics relays them
(monitoring.relay). A REAL local Ray: a session actor and the persistence actor from a real `SessionDirector` on the
embedded PostgreSQL, and the named router actor with an (unnamed) Gemini actor talking HTTP to a stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dm.session import SessionConfig
from dm.table import PlayerMessage
from inference.gemini_backend import GeminiConfig
from inference.router import RouterConfig
from inference_standins import GeminiStandIn  # noqa: E402 - tests/integration is on sys.path
from exposition import samples
from monitoring import metrics
from monitoring.relay import MergedView, ray_actor_texts
from test_session_actors import director_for  # noqa: F401 - the REAL Ray fixtures

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REPLY = {"reply": {"narrative": "The lantern gutters.", "rolls": [], "rule_lookups": [], "effects": []}}


async def test_the_exporter_relays_the_session_and_persistence_actors(
        keep: Any, director_for: Any) -> None:  # noqa: F811
    from prometheus_client import generate_latest

    director = director_for({"script": (REPLY,), "rules": False, "owner_id": 1,
                             "config": SessionConfig(batch_window_s=0.5, batch_cap_s=3.0)})  # fmt: skip
    actor = await director.session.remote(keep.channel)
    replies = await actor.receive.remote(PlayerMessage(keep.channel, 971_001, 1, "dm", "!roll 1d20"))
    assert replies and replies[0].kind == "command_result"
    texts = await asyncio.to_thread(ray_actor_texts)  # the exporter's thread asks, not this event loop
    assert len(texts) >= 2  # the session actor and the persistence actor (the director has no metrics_text)
    merged = samples(generate_latest(MergedView(metrics.REGISTRY, lambda: texts)).decode())  # type: ignore[arg-type]
    assert merged["lorekeeper_sessions_open"] >= 1
    assert merged['lorekeeper_messages_received_total{campaign="lantern_keep",kind="command"}'] >= 1
    assert merged['lorekeeper_messages_processed_total{campaign="lantern_keep"}'] >= 1
    assert merged['lorekeeper_db_write_duration_seconds_count{op="save_state"}'] >= 1  # the persistence actor's
    # the status commands run in the session actor: their figures come from there and the actors it can ask
    (status,) = await actor.receive.remote(PlayerMessage(keep.channel, 971_002, 1, "dm", "!model_status"))
    (stats,) = await actor.receive.remote(PlayerMessage(keep.channel, 971_003, 1, "dm", "!system_stats"))
    assert status.kind == "command_result" and "speed" in status.result.status
    assert stats.result.stats["runtime"]["sessions_open"] == 1  # its own session, not counted twice


async def test_the_router_actor_relays_its_fallbacks_and_its_backend_actors_calls(ray_local: Any) -> None:  # noqa: F811
    from actors.director import NAMESPACE
    from actors.inference import GeminiActor, InferenceRouter
    from inference.factory import InferencePlan
    from prometheus_client import generate_latest

    gemini = GeminiStandIn()
    await gemini.start()
    gemini_actor = GeminiActor.remote(GeminiConfig(api_key="g", base_url=f"http://127.0.0.1:{gemini.port}",
                                                   timeout_s=5))  # fmt: skip
    plan = InferencePlan(backends=(("gemini", GeminiConfig(api_key="g")), ("embedded", [REPLY["reply"]])),
                         router=RouterConfig(retry_jitter_s=0.0, attempt_timeout_s=5.0))  # fmt: skip
    router = InferenceRouter.options(name="inference-router", namespace=NAMESPACE).remote(
        plan, {"gemini": gemini_actor}, 0)
    messages = [{"role": "user", "content": "I open the door."}]
    try:
        gemini.mode = "500"
        assert (await router.generate.remote(messages, None, 64, 0.2, False, "m-1")).backend == "embedded"
        gemini.mode = "ok"
        assert (await router.generate.remote(messages, None, 64, 0.2, False, "m-2")).backend == "gemini"
        texts = await asyncio.to_thread(ray_actor_texts)
        view = MergedView(metrics.REGISTRY, lambda: texts)
        merged = samples(generate_latest(view).decode())  # type: ignore[arg-type]
        assert merged['lorekeeper_llm_fallbacks_total{backend="gemini",reason="unavailable"}'] >= 1  # the router's
        assert merged['lorekeeper_llm_requests_total{backend="gemini",outcome="ok"}'] >= 1  # the Gemini actor's
    finally:
        ray_local.kill(router)
        ray_local.kill(gemini_actor)
        await gemini.stop()

