"""Characters through the real table on the real PostgreSQL: made by the quick form or step by step, read
back by a fresh table, and a redelivered !use_item that does not drink the potion twice."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dm.commands.character import ItemConsumed, Sheet
from dm.commands.creation import CharacterCreated, CreationStep
from dm.commands.results import Refusal
from conftest import Keep
from dm.table import Table
from game.effects import GameState
from game.inventory import make_item

PLAYER = 31
_ids = itertools.count(70_000)


def say(table: Table, keep: Keep, text: str, message_id: int | None = None) -> Any:
    return keep.say(table, text, author=PLAYER, name="bob", message_id=message_id)


async def test_quick_character_survives_a_fresh_table_and_a_redelivered_potion_is_drunk_once(keep: Keep) -> None:
    made = await say(keep.table(3), keep, '!create_character "Sir Bob" hill dwarf fighter')
    assert made.kind == "command_result" and isinstance(made.result, CharacterCreated)
    cid = made.result.id
    assert cid == f"pc-{PLAYER}"

    reread = keep.table(4)
    sheet = (await say(reread, keep, "!my_sheet")).result
    assert isinstance(sheet, Sheet) and (sheet.id, sheet.name, sheet.subrace) == (cid, "Sir Bob", "Hill Dwarf")
    assert sheet.player_id == PLAYER and sheet.max_hp == made.result.max_hp == 14 and sheet.armor_class == 18
    second = await say(reread, keep, "!create_character Rob elf wizard")
    assert isinstance(second.result, Refusal) and "You already play Sir Bob" in second.result.reason

    # Sir Bob is hurt and finds two potions (written the way any change is saved)
    version, state = await keep.stored()
    bob = state.characters[cid].model_copy(deep=True)
    bob.take_damage(10)
    bob.add_item(make_item("Potion of healing", 2))
    await keep.repo.save(keep.campaign.id, expected_version=version, before=state.to_dict(),
                            after=state.replace(cid, bob).to_dict())  # fmt: skip

    drinker = keep.table(5)
    first = await say(drinker, keep, "!use_item potion", message_id=99_001)
    again = await say(drinker, keep, "!use_item potion", message_id=99_001)
    after_restart = await say(keep.table(6), keep, "!use_item potion", message_id=99_001)
    assert isinstance(first.result, ItemConsumed) and not first.replayed
    assert first.result.remaining == 1 and first.result.hp_before == 4 and first.result.hp > 4
    assert again.replayed and again.result == first.result
    assert after_restart.replayed and after_restart.result == first.result
    _, final = await keep.stored()
    assert final.characters[cid].inventory.quantity("Potion of healing") == 1
    assert final.characters[cid].hp == first.result.hp


async def test_guided_creation_answers_plain_text_and_the_character_is_saved(keep: Keep) -> None:
    table = keep.table(8)
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
    _, state = await keep.stored()
    mira = state.characters[f"pc-{PLAYER}"]
    assert (mira.name, mira.subrace, mira.class_name, mira.ability_scores.intelligence) == (
        "Mira Quill", "High Elf", "Wizard", 16)  # fmt: skip
    assert {i.name for i in mira.inventory.items} >= {"Quarterstaff", "Arcane focus", "Scholar's pack", "Spellbook"}
