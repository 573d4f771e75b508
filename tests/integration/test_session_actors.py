"""Session actors on a REAL local Ray and the real embedded PostgreSQL, with the scripted model: the director
starts a session actor for a channel, it answers a console-style exchange (commands at once, talk batched and
sent to the outbox), drops a redelivery, and after a SIGKILL mid-combat it comes back with the same fight and
answers every pending message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from dm.session import SessionConfig
from dm.table import PlayerMessage, TableReply

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OWNER, BROM, MIRA = 1, 11, 12
FAST = SessionConfig(batch_window_s=0.5, batch_cap_s=3.0)


def _reply(narrative: str, delay_s: float = 0.0) -> dict[str, Any]:
    entry: dict[str, Any] = {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": []}}
    return entry | ({"delay_s": delay_s} if delay_s else {})


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    """A local Ray (two CPUs, no dashboard) for this module; left running if someone else started it."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started_here:
        ray.shutdown()


@pytest.fixture
async def director_for(ray_local: Any, embedded_pg: str) -> AsyncIterator[Any]:
    """`director_for(defaults)` → a SessionDirector (not detached); every actor it made is gone afterwards."""
    from actors.director import SessionDirector

    made: list[Any] = []

    def make(defaults: dict[str, Any]) -> Any:
        director = SessionDirector.remote(embedded_pg, defaults, 3, False)
        made.append(director)
        return director

    yield make
    for director in made:
        await director.shutdown.remote()
        ray_local.kill(await director.persistence.remote(), no_restart=True)
        ray_local.kill(director, no_restart=True)


async def _drain_until(actor: Any, count: int, timeout_s: float = 30.0) -> list[TableReply]:
    got: list[TableReply] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        got += await actor.drain.remote(1.0)
    return got


async def test_a_session_actor_answers_a_console_exchange_and_drops_a_redelivery(keep: Any, director_for: Any) -> None:
    from actors.session import session_name

    director = director_for({"script": (_reply("The lantern gutters as you all look around."),), "rules": False,
                             "config": FAST, "owner_id": OWNER})  # fmt: skip
    actor = await director.session.remote(keep.channel)
    import ray

    assert ray.get_actor(session_name(keep.channel), namespace="lorekeeper") is not None

    rolled = await actor.receive.remote(PlayerMessage(keep.channel, 9001, MIRA, "mira", "!roll 1d20+2"))
    assert len(rolled) == 1 and rolled[0].kind == "command_result" and 3 <= rolled[0].result.roll["total"] <= 22
    assert await actor.receive.remote(PlayerMessage(keep.channel, 9002, MIRA, "mira", "I look around.")) == []
    assert await actor.receive.remote(PlayerMessage(keep.channel, 9003, BROM, "brom", "Me too.")) == []
    again = await actor.receive.remote(PlayerMessage(keep.channel, 9002, MIRA, "mira", "I look around."))
    assert again == []  # a redelivery: dropped, no second turn

    said = await _drain_until(actor, 1)
    assert [r.kind for r in said] == ["narrative"] and said[0].text.startswith("The lantern gutters")
    rows = await keep.db.fetch_all("SELECT discord_message_id, processed, turn_id FROM message_history "
                                   "WHERE channel_id = %s ORDER BY discord_message_id", (keep.channel,))
    assert [(r["discord_message_id"], r["processed"]) for r in rows] == [(9001, True), (9002, True), (9003, True)]
    assert rows[1]["turn_id"] == rows[2]["turn_id"] is not None  # one turn answered both
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1

    listed = await director.list.remote()
    assert [(s["channel_id"], s["campaign_id"], s["turns"]) for s in listed] == [(keep.channel, keep.campaign.id, 1)]
    assert await director.session.remote(keep.channel) == actor  # the same actor, not a second one
