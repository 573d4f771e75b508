"""Session actors on a REAL local Ray and the real embedded PostgreSQL, with the scripted model: the director
starts a session actor for a channel, it answers a console-style exchange (commands at once, talk batched and
sent to the outbox), drops a redelivery, and after a SIGKILL mid-combat it comes back with the same fight and
answers every pending message exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator
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
    loaded = await actor.receive.remote(PlayerMessage(keep.channel, 9000, OWNER, "dm", "!load_campaign lantern keep"))
    assert loaded[0].result.name == "Lantern Keep" and loaded[0].result.campaign_id == keep.campaign.id
    refused = await actor.receive.remote(PlayerMessage(keep.channel, 8999, MIRA, "mira", "!load_campaign x"))
    assert refused[0].kind == "error" and "owner" in refused[0].result.reason
    assert await actor.receive.remote(PlayerMessage(keep.channel, 9002, MIRA, "mira", "I look around.")) == []
    assert await actor.receive.remote(PlayerMessage(keep.channel, 9003, BROM, "brom", "Me too.")) == []
    again = await actor.receive.remote(PlayerMessage(keep.channel, 9002, MIRA, "mira", "I look around."))
    assert again == []  # a redelivery: dropped, no second turn

    said = await _drain_until(actor, 1)
    assert [r.kind for r in said] == ["narrative"] and said[0].text.startswith("The lantern gutters")
    rows = await keep.db.fetch_all("SELECT discord_message_id, processed, turn_id FROM message_history "
                                   "WHERE channel_id = %s ORDER BY discord_message_id", (keep.channel,))
    assert [(r["discord_message_id"], r["processed"]) for r in rows] == [
        (8999, True), (9000, True), (9001, True), (9002, True), (9003, True)]
    assert rows[3]["turn_id"] == rows[4]["turn_id"] is not None  # one turn answered both
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1

    listed = await director.list.remote()
    assert [(s["channel_id"], s["campaign_id"], s["turns"]) for s in listed] == [(keep.channel, keep.campaign.id, 1)]
    assert await director.session.remote(keep.channel) == actor  # the same actor, not a second one

    ray.kill(actor, no_restart=True)  # gone for good (restarts used up): the next call makes a new one
    fresh = await director.session.remote(keep.channel)
    assert fresh != actor and (await fresh.status.remote())["channel_id"] == keep.channel
    rolled = await fresh.receive.remote(PlayerMessage(keep.channel, 9004, MIRA, "mira", "!roll 1d4"))
    assert rolled[0].kind == "command_result"

    assert await director.shutdown.remote(keep.channel) == 1
    assert await director.list.remote() == []
    for _ in range(50):  # the actor is gone for good: its name is free
        try:
            ray.get_actor(session_name(keep.channel), namespace="lorekeeper")
        except ValueError:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the session actor outlived its shutdown")


async def test_a_console_script_plays_through_a_session_actor(keep: Any, director_for: Any) -> None:
    """`lorekeeper play --ray`'s console on a session actor: commands at once, talk batched, the owner's command
    allowed (the console's owner is passed to the actor's table), the batch's answer printed when it comes."""
    from gateway.commands._play_ray import console_on_actor

    director = director_for({"script": (_reply("The fog parts before you both."),), "rules": False,
                             "config": FAST})  # fmt: skip
    game = console_on_actor(await director.session.remote(keep.channel), keep.channel, owner="keeper", config=FAST)
    out: list[str] = []
    await game.run(["mira: !roll 1d6", "mira: I wave at the lighthouse", "bram: I wave too", "wait 2",
                    "keeper: !load_campaign lantern keep", "bram: !load_campaign lantern keep"], out.append)
    assert re.match(r"DM: mira rolls 1d6: 1d6 \(\d\) = \d$", out[0])
    assert out.count("DM: The fog parts before you both.") == 1 and out[1] == "DM: The fog parts before you both."
    assert "Lantern Keep" in out[2] and "owner" in out[3]  # the owner may, bram may not
    assert len(out) == 4
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1


def _fight() -> dict[str, Any]:
    """Brom and Mira in round 2 of a fight, Brom's turn (the state as a dict for `PlayStateRepository.save`)."""
    from game.combat import Combatant, CombatState
    from game.creation import create_character, standard_array
    from game.effects import GameState

    scores = standard_array({"str": 15, "con": 14, "dex": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=BROM)
    mira = create_character("Mira", "human", "fighter", scores, ["insight", "history"], player_id=MIRA)
    brom.id, mira.id = f"pc-{BROM}", f"pc-{MIRA}"
    combat = CombatState(combatants=(Combatant(id=mira.id, name="Mira", initiative=15, is_player=True),
                                     Combatant(id=brom.id, name="Brom", initiative=12, is_player=True)),
                         round=2, turn_index=1)  # fmt: skip
    return GameState(characters={brom.id: brom, mira.id: mira}, combat=combat).to_dict()


async def _wait(probe: Any, timeout_s: float = 40.0) -> Any:
    """Poll `probe()` (async) until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = await probe()
        if got:
            return got
        await asyncio.sleep(0.2)
    raise AssertionError("timed out waiting")


async def test_a_session_actor_killed_mid_combat_comes_back_with_the_same_fight_and_answers_once(
    keep: Any, director_for: Any
) -> None:  # fmt: skip
    from ray.exceptions import RayActorError

    await keep.repo.save(keep.campaign.id, expected_version=0, before={}, after=_fight())
    before = {"order": [f"pc-{MIRA}", f"pc-{BROM}"], "round": 2, "current": f"pc-{BROM}"}
    director = director_for({"script": (_reply("Steel rings in the dark.", delay_s=2.0),), "rules": False,
                             "config": FAST, "owner_id": OWNER})  # fmt: skip
    actor = await director.session.remote(keep.channel)
    assert await actor.combat.remote() == before

    # Brom acts (a slow DM turn starts), then speaks again (recorded, waiting behind the turn in flight)
    talk = [PlayerMessage(keep.channel, 9101, BROM, "brom", "I swing my axe at the shadow!"),
            PlayerMessage(keep.channel, 9102, BROM, "brom", "And I shout a warning to Mira!")]  # fmt: skip
    in_flight = [actor.receive.remote(m) for m in talk]

    async def both_recorded() -> bool:
        rows = await keep.db.fetch_all("SELECT processed FROM message_history WHERE discord_message_id = ANY(%s)",
                                       ([m.message_id for m in talk],))  # fmt: skip
        return len(rows) == 2 and not any(r["processed"] for r in rows)

    await _wait(both_recorded)
    pid = (await actor.status.remote())["pid"]
    os.kill(pid, signal.SIGKILL)  # mid-turn: nothing of the turn was saved
    for ref in in_flight:
        with pytest.raises(RayActorError):
            await ref

    async def restarted() -> dict[str, Any] | None:
        try:
            status = await actor.status.remote()
        except RayActorError:
            return None
        return status if status["pid"] != pid else None

    await _wait(restarted)
    assert await actor.combat.remote() == before  # rebuilt from PostgreSQL: same order, round, current turn

    async def answered() -> list[dict[str, Any]] | None:
        rows = await keep.db.fetch_all("SELECT discord_message_id, processed, turn_id, result FROM message_history "
                                       "WHERE channel_id = %s ORDER BY discord_message_id", (keep.channel,))
        return rows if all(r["processed"] for r in rows) else None

    try:
        rows = await _wait(answered)
    except AssertionError:
        rows = await keep.db.fetch_all("SELECT discord_message_id, processed, turn_id, result FROM message_history "
                                       "WHERE channel_id = %s ORDER BY discord_message_id", (keep.channel,))
        raise AssertionError(f"not all answered: {rows}; {await actor.status.remote()}") from None
    assert [r["discord_message_id"] for r in rows] == [9101, 9102]
    assert rows[0]["turn_id"] is not None  # Brom's action: the DM turn that was cut off, run again once
    # each message answered once: by a DM turn, or (the combat gate: Brom's turn passed once his action was
    # resolved, so his next action is out of turn) by a stored denial
    assert all((r["turn_id"] is None) != (r["result"] is None) for r in rows)
    turn_ids = {r["turn_id"] for r in rows} - {None}
    without_turn = sum(r["turn_id"] is None for r in rows)
    said = await _drain_until(actor, len(turn_ids) + without_turn)
    assert sorted(r.kind for r in said) == sorted(["narrative"] * len(turn_ids) + ["denial"] * without_turn)
    assert all(r.text.startswith("Steel rings") for r in said if r.kind == "narrative")

    # exactly once: every turn stored answers at least one of the messages; nothing is answered again
    await actor.flush.remote()
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns WHERE campaign_id = %s",
                                     (keep.campaign.id,)) == len(turn_ids)  # fmt: skip
    assert await actor.drain.remote(0.5) == []
    assert await actor.receive.remote(talk[0]) == []  # a late redelivery of an answered message: nothing
    _, state = await keep.stored()  # the same fight, moved on only by the turns that answered Brom
    assert [c.id for c in state.combat.combatants] == before["order"] and state.combat.round in (2, 3)


async def test_the_persistence_actor_serialises_a_campaigns_writes_and_keeps_them_exactly_once(
    keep: Any, director_for: Any
) -> None:  # fmt: skip
    from actors.persistence import MessageStoreProxy, PlayStoreProxy
    from persistence.errors import DuplicateMessage, StaleState
    from persistence.interfaces import TurnRecord

    director = director_for({"script": (_reply("unused"),), "rules": False})
    persistence = await director.persistence.remote()
    play, messages = PlayStoreProxy(persistence), MessageStoreProxy(persistence)
    assert (await play.campaign_for_channel(keep.channel)).id == keep.campaign.id

    # two writers read version 0 and save at once: the actor runs them one after the other, the second is stale
    saves = [play.save(keep.campaign.id, expected_version=0, before={}, after=_fight()) for _ in range(2)]
    outcomes = await asyncio.gather(*saves, return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["StaleState", "int"]
    stale = next(o for o in outcomes if isinstance(o, StaleState))
    assert stale.campaign_id == keep.campaign.id and "nothing was changed" in stale.user_message

    first = await messages.record(channel_id=keep.channel, message_id=9201, author_id=BROM, content="Hello?")
    again = await messages.record(channel_id=keep.channel, message_id=9201, author_id=BROM, content="Hello?")
    assert first.new and not again.new and [m.discord_message_id for m in await messages.pending(keep.channel)] == [9201]
    turn = TurnRecord(prompt=[], reply_text="A voice answers.", backend="scripted")
    await messages.complete_turn(campaign_id=keep.campaign.id, channel_id=keep.channel, message_ids=[9201], turn=turn)
    with pytest.raises(DuplicateMessage):
        await messages.complete_turn(campaign_id=keep.campaign.id, channel_id=keep.channel, message_ids=[9201],
                                     turn=turn)  # fmt: skip
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1
    assert await messages.pending(keep.channel) == []
