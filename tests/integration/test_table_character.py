"""Characters through the real table on the real PostgreSQL: made by the quick form or step by step, read
back by a fresh table, and a redelivered !use_item that does not drink the potion twice."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dm.commands.character import ItemConsumed, Sheet
from dm.commands.creation import CharacterCreated, CreationStep
from dm.commands.results import Refusal
from dm.table import PlayerMessage, Table, TableReply
from game.effects import GameState
from game.inventory import make_item
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id

PLAYER = 31
_ids = itertools.count(70_000)


@pytest.fixture
async def keep(clean_db: Any) -> dict[str, Any]:
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Lantern Keep")
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    return {"db": clean_db, "repo": repo, "campaign": campaign, "channel": channel}


def _table(keep: dict[str, Any], seed: int) -> Table:
    """A new table: nothing cached, so it reads the campaign from PostgreSQL."""
    return Table(store=keep["repo"], messages=MessageLog(keep["db"]), owner_id=1, seed=seed)


async def say(table: Table, keep: dict[str, Any], text: str, message_id: int | None = None) -> TableReply:
    replies = await table.handle(PlayerMessage(keep["channel"], message_id or next(_ids), PLAYER, "bob", text))
    assert len(replies) == 1
    return replies[0]


async def _stored(keep: dict[str, Any]) -> tuple[int, GameState]:
    loaded = await keep["repo"].load(keep["campaign"].id)
    return loaded.version, GameState.from_dict(loaded.state)


async def test_quick_character_survives_a_fresh_table_and_a_redelivered_potion_is_drunk_once(keep: dict[str, Any]) -> None:
    made = await say(_table(keep, 3), keep, '!create_character "Sir Bob" hill dwarf fighter')
    assert made.kind == "command_result" and isinstance(made.result, CharacterCreated)
    cid = made.result.id
    assert cid == f"pc-{PLAYER}"

    reread = _table(keep, 4)
    sheet = (await say(reread, keep, "!my_sheet")).result
    assert isinstance(sheet, Sheet) and (sheet.id, sheet.name, sheet.subrace) == (cid, "Sir Bob", "Hill Dwarf")
    assert sheet.player_id == PLAYER and sheet.max_hp == made.result.max_hp == 14 and sheet.armor_class == 18
    second = await say(reread, keep, "!create_character Rob elf wizard")
    assert isinstance(second.result, Refusal) and "You already play Sir Bob" in second.result.reason

    # Sir Bob is hurt and finds two potions (written the way any change is saved)
    version, state = await _stored(keep)
    bob = state.characters[cid].model_copy(deep=True)
    bob.take_damage(10)
    bob.add_item(make_item("Potion of healing", 2))
    await keep["repo"].save(keep["campaign"].id, expected_version=version, before=state.to_dict(),
                            after=state.replace(cid, bob).to_dict())  # fmt: skip

    drinker = _table(keep, 5)
    first = await say(drinker, keep, "!use_item potion", message_id=99_001)
    again = await say(drinker, keep, "!use_item potion", message_id=99_001)
    after_restart = await say(_table(keep, 6), keep, "!use_item potion", message_id=99_001)
    assert isinstance(first.result, ItemConsumed) and not first.replayed
    assert first.result.remaining == 1 and first.result.hp_before == 4 and first.result.hp > 4
    assert again.replayed and again.result == first.result
    assert after_restart.replayed and after_restart.result == first.result
    _, final = await _stored(keep)
    assert final.characters[cid].inventory.quantity("Potion of healing") == 1
    assert final.characters[cid].hp == first.result.hp


async def test_guided_creation_answers_plain_text_and_the_character_is_saved(keep: dict[str, Any]) -> None:
    table = _table(keep, 8)
    start = await say(table, keep, "!create_character")
    assert isinstance(start.result, CreationStep) and start.result.step == "race"
    steps = []
    for text in ("elf", "!pick high elf", "wizard", "standard", "recommended", "arcana, history", "a", "b", "a"):
        reply = await say(table, keep, text)  # plain text goes to !choose while the draft is open
        assert isinstance(reply.result, CreationStep) and not reply.result.problem, (text, reply.result)
        steps.append(reply.result.step)
    assert steps == ["subrace", "class", "method", "scores", "skills", "equipment", "equipment", "equipment", "name"]
    done = await say(table, keep, "Mira Quill")
    assert isinstance(done.result, CharacterCreated) and done.result.name == "Mira Quill"
    talk = await say(table, keep, "hello there")  # the flow is over: plain talk goes to the storyteller again
    assert talk.kind == "narrative"
    _, state = await _stored(keep)
    mira = state.characters[f"pc-{PLAYER}"]
    assert (mira.name, mira.subrace, mira.class_name, mira.ability_scores.intelligence) == (
        "Mira Quill", "High Elf", "Wizard", 16)  # fmt: skip
    assert {i.name for i in mira.inventory.items} >= {"Quarterstaff", "Arcane focus", "Scholar's pack", "Spellbook"}
