"""On Ray the session and the database writes happen in actors: the gateway's /metrics relays them (monitoring.relay).
A REAL local Ray, a session actor and the persistence actor from a real `SessionDirector`, the embedded PostgreSQL;
the exporter's merged view must show the actor's session and its command's writes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dm.session import SessionConfig
from dm.table import PlayerMessage
from monitoring import metrics
from monitoring.relay import MergedView, ray_actor_texts
from test_session_actors import director_for, ray_local  # noqa: F401 - the REAL Ray fixtures

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REPLY = {"reply": {"narrative": "The lantern gutters.", "rolls": [], "rule_lookups": [], "effects": []}}


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


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
    merged = _samples(generate_latest(MergedView(metrics.REGISTRY, lambda: texts)).decode())  # type: ignore[arg-type]
    assert merged["lorekeeper_sessions_open"] >= 1
    assert merged['lorekeeper_messages_received_total{campaign="lantern_keep",kind="command"}'] >= 1
    assert merged['lorekeeper_messages_processed_total{campaign="lantern_keep"}'] >= 1
    assert merged['lorekeeper_db_write_duration_seconds_count{op="save_state"}'] >= 1  # the persistence actor's
    # the status commands run in the session actor: their figures come from there and the actors it can ask
    (status,) = await actor.receive.remote(PlayerMessage(keep.channel, 971_002, 1, "dm", "!model_status"))
    (stats,) = await actor.receive.remote(PlayerMessage(keep.channel, 971_003, 1, "dm", "!system_stats"))
    assert status.kind == "command_result" and "speed" in status.result.status
    assert stats.result.stats["runtime"]["sessions_open"] == 1  # its own session, not counted twice
