"""A campaign's play state in PostgreSQL: the whole GameState round-trips, only what changed is written,
a stale writer is refused, and a turn is saved in one transaction with its messages' processed flags."""

from __future__ import annotations

import random
from typing import Any

import pytest

from game.creation import create_character, standard_array
from game.effects import (
    CombatEntrant,
    CombatStart,
    GameState,
    HpChange,
    ItemAdd,
    NpcIntroduce,
    PlotAdvance,
    StoryHook,
    WorldEvent,
)
from game.validation import apply_effects
from persistence.errors import DuplicateMessage, StaleState
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository


def _party() -> GameState:
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=11)
    mira = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf",
                            player_id=12)  # fmt: skip
    brom.id, mira.id = "pc-11", "pc-12"
    return GameState(
        characters={"pc-11": brom, "pc-12": mira},
        location="Crow Point",
        known_locations=("Crow Point", "Saltmere"),
        events={"the tide turns": WorldEvent(name="The Tide Turns", description="At dusk the causeway floods.")},
        hooks=(StoryHook(text="A drowned bell rings at night."),),
    )


async def _campaign(repo: PlayStateRepository, name: str = "Keep") -> int:
    return (await repo.create_campaign(name)).id


async def _save(repo: PlayStateRepository, cid: int, before: GameState, after: GameState, **kw: Any) -> int:
    version = await repo.version(cid)
    return await repo.save(cid, expected_version=version, before=before.to_dict(), after=after.to_dict(), **kw)


async def test_a_whole_game_state_round_trips_through_the_tables(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    cid = await _campaign(repo)
    empty = GameState.from_dict((await repo.load(cid)).state)
    assert empty == GameState()
    state = _party()
    fight = [CombatEntrant(id="pc-11"), CombatEntrant(id="pc-12"),
             CombatEntrant(id="goblin", name="Goblin", hit_points=7, armor_class=15, dexterity=14),
             CombatEntrant(id="goblin", name="Goblin", hit_points=7, armor_class=15, dexterity=14)]  # fmt: skip
    state, outcomes = apply_effects(state, [
        CombatStart(combatants=fight),
        HpChange(target="goblin-1", amount=-3),
        ItemAdd(target="Brom", item="Potion of Healing", quantity=2),
        NpcIntroduce(name="Osric Tallow", description="Keeper of the Crow Point light"),
        PlotAdvance(thread="The Drowned Lantern", progress="The party found the lamp-room key."),
    ], rng=random.Random(3))  # fmt: skip
    assert all(o.accepted for o in outcomes), [o.reason for o in outcomes]
    await _save(repo, cid, empty, state)

    loaded = GameState.from_dict((await repo.load(cid)).state)
    assert loaded == state
    assert {c.name for c in loaded.creatures.values()} == {"Goblin 1", "Goblin 2"}
    rows = await clean_db.fetch_all(
        "SELECT c.name, c.hit_points, c.key FROM combatants c JOIN combats f ON f.id = c.combat_id "
        "WHERE f.campaign_id = %s ORDER BY c.turn_order", (cid,))  # fmt: skip
    assert {r["name"] for r in rows} == {"Brom", "Mira", "Goblin 1", "Goblin 2"}
    assert next(r for r in rows if r["key"] == "goblin-1")["hit_points"] == 4
    links = await clean_db.fetch_all(  # each combatant row points at its own character or creature row
        "SELECT c.key, ch.key AS pc, cr.key AS monster FROM combatants c JOIN combats f ON f.id = c.combat_id "
        "LEFT JOIN characters ch ON ch.id = c.character_id LEFT JOIN creatures cr ON cr.id = c.creature_id "
        "WHERE f.campaign_id = %s", (cid,))  # fmt: skip
    assert {(r["key"], r["pc"], r["monster"]) for r in links} == {
        ("pc-11", "pc-11", None), ("pc-12", "pc-12", None),
        ("goblin-1", None, "goblin-1"), ("goblin-2", None, "goblin-2"),
    }
    inventory = await clean_db.fetch_value("SELECT inventory FROM characters WHERE key = 'pc-11'")
    assert isinstance(inventory, list) and any(i["name"] == "Potion of Healing" for i in inventory)
    progress = await clean_db.fetch_value("SELECT progress FROM plot_threads WHERE campaign_id = %s", (cid,))
    assert progress == 1


async def test_a_creature_keeps_its_wounds_after_the_fight(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    cid = await _campaign(repo)
    before = GameState()
    state, _ = apply_effects(_party(), [
        CombatStart(combatants=[CombatEntrant(id="pc-11"), CombatEntrant(id="ogre", name="Ogre", hit_points=59)]),
        HpChange(target="ogre", amount=-20),
        {"kind": "combat_end", "reason": "the ogre flees"},
    ], rng=random.Random(1))  # fmt: skip
    await _save(repo, cid, before, state)
    loaded = GameState.from_dict((await repo.load(cid)).state)
    assert loaded.combat is None and loaded.creatures["ogre"].hp == 39
    assert await clean_db.fetch_value("SELECT count(*) FROM combats WHERE campaign_id = %s AND active", (cid,)) == 0


async def test_only_what_changed_is_written(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    cid = await _campaign(repo)
    state = _party()
    await _save(repo, cid, GameState(), state)
    hurt, _ = apply_effects(state, [HpChange(target="Mira", amount=-2)])
    await _save(repo, cid, state, hurt)
    versions = {r["key"]: r["version"] for r in await clean_db.fetch_all("SELECT key, version FROM characters")}
    assert versions == {"pc-11": 1, "pc-12": 2}


async def test_a_stale_writer_is_refused_and_writes_nothing(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    cid = await _campaign(repo)
    state = _party()
    version = await repo.version(cid)
    await repo.save(cid, expected_version=version, before={}, after=state.to_dict())
    hurt, _ = apply_effects(state, [HpChange(target="Brom", amount=-5)])
    with pytest.raises(StaleState):
        await repo.save(cid, expected_version=version, before=state.to_dict(), after=hurt.to_dict())
    loaded = GameState.from_dict((await repo.load(cid)).state)
    assert loaded.characters["pc-11"].hp == state.characters["pc-11"].hp


async def test_state_and_processed_flag_commit_together(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo, log = PlayStateRepository(clean_db), MessageLog(clean_db)
    cid = await _campaign(repo)
    await log.record(channel_id=-cid, message_id=501, author_id=11, content="!hp", is_command=True)
    state = _party()
    await _save(repo, cid, GameState(), state, channel_id=-cid, message_ids=[501], result={"type": "info"})
    stored = await log.record(channel_id=-cid, message_id=501, author_id=11, content="!hp", is_command=True)
    assert stored.message.processed and stored.result == {"type": "info"}
    hurt, _ = apply_effects(state, [HpChange(target="Brom", amount=-5)])
    with pytest.raises(DuplicateMessage):  # the message was answered: the second answer writes nothing
        await _save(repo, cid, state, hurt, channel_id=-cid, message_ids=[501], result={"type": "info"})
    loaded = GameState.from_dict((await repo.load(cid)).state)
    assert loaded.characters["pc-11"].hp == state.characters["pc-11"].hp


async def test_binding_a_channel_moves_it_between_campaigns(clean_db) -> None:  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    a, b = await _campaign(repo, "Alpha"), await _campaign(repo, "Beta")
    await repo.bind_channel(a, 42)
    await repo.bind_channel(b, 42)
    found = await repo.campaign_for_channel(42)
    assert found is not None and found.id == b
    assert (await repo.find_campaign("alpha")).id == a  # type: ignore[union-attr]
