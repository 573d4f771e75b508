"""Owner, system and campaign commands on a real table (gateway.wiring.open_table) and the real PostgreSQL:
only the owner changes anything, changes are saved once, !load_campaign rebinds the channel, and the
status commands never show a secret."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.registry import REGISTRY
from dm.table import PlayerMessage, Table
from game.creation import create_character, standard_array
from game.effects import GameState, WorldEvent
from gateway.render.text import render_text
from gateway.settings import load_settings
from gateway.wiring import open_table
from persistence.play_state import PlayStateRepository, console_channel_id

load_all()
import gateway.render.text_system  # noqa: E402,F401 - its renderers

OWNER, MIRA, BROM = 1, 2, 3
_ids = itertools.count(70_000)
SECRETS = {
    "discord_token": "DISCORD-SECRET-token-1",
    "gemini_api_key": "GEMINI-SECRET-key-2",
    "xai_api_key": "XAI-SECRET-key-3",
    "database_url": "postgresql://lorekeeper:PW-SECRET-5@db.example:5432/lore",
}


def _party() -> GameState:
    mira = create_character("Mira", "elf", "wizard", standard_array(
        {"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8}), ["arcana", "history"],
        subrace="high elf", player_id=MIRA)  # fmt: skip
    brom = create_character("Brom", "dwarf", "fighter", standard_array(
        {"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}), ["athletics", "perception"],
        player_id=BROM)  # fmt: skip
    mira.id, brom.id = "pc-2", "pc-3"
    return GameState(characters={"pc-2": mira, "pc-3": brom},
                     events={"the tide turns": WorldEvent(name="The tide turns")})


@pytest.fixture
async def table(clean_db: Any) -> Table:
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Test Keep")
    await repo.bind_channel(campaign.id, console_channel_id(campaign.id))
    await repo.save(campaign.id, expected_version=0, before=GameState().to_dict(), after=_party().to_dict())
    settings = load_settings(_env_file=None, vllm_port=1, owner_id=OWNER, **SECRETS)
    t = await open_table(settings, clean_db, seed=5, rules=None)
    t.channel = console_channel_id(campaign.id)  # type: ignore[attr-defined]
    t.repo = repo  # type: ignore[attr-defined]
    t.campaign_id = campaign.id  # type: ignore[attr-defined]
    return t


async def say(table: Table, author: int, text: str, message_id: int | None = None, channel: int | None = None) -> Any:
    message = PlayerMessage(channel if channel is not None else table.channel,  # type: ignore[attr-defined]
                            message_id or next(_ids), author, {1: "dm", 2: "mira", 3: "brom"}[author], text)
    [reply] = await table.handle(message)
    return reply


async def _stored(table: Table) -> tuple[int, GameState]:
    loaded = await table.repo.load(table.campaign_id)  # type: ignore[attr-defined]
    return loaded.version, GameState.from_dict(loaded.state)


def _example(name: str) -> str:
    spec = REGISTRY.require(name)
    return spec.examples[0] if spec.examples else f"!{name}"


OWNER_ONLY = sorted(spec.name for spec in REGISTRY if spec.owner_only)


@pytest.mark.parametrize("name", OWNER_ONLY)
async def test_anyone_but_the_owner_is_refused_and_nothing_changes(table: Table, name: str) -> None:
    version, before = await _stored(table)
    line = _example(name).replace("@Aria", "@Mira").replace("@Bram", "@Brom")
    reply = await say(table, MIRA, line)
    assert reply.kind == "error" and reply.result.error == "OwnerOnly"
    assert "Only the game's owner" in reply.result.reason and "nothing was changed" in reply.result.reason
    assert await _stored(table) == (version, before)
    assert await table.repo.campaign_for_channel(table.channel) is not None  # type: ignore[attr-defined]


async def test_the_owners_changes_are_saved_once_and_survive_a_new_table(table: Table) -> None:
    message_id = next(_ids)
    first = await say(table, OWNER, "!hp @Mira -3", message_id)
    again = await say(table, OWNER, "!hp @Mira -3", message_id)  # redelivered: replayed, not applied twice
    assert first.result.applied[0]["kind"] == "hp_change" and again.replayed
    assert (await say(table, OWNER, "!add_item @Brom potion of healing 2")).kind == "command_result"
    assert (await say(table, OWNER, "!set_condition @Brom poisoned")).kind == "command_result"
    xp = await say(table, OWNER, "!award_xp party 300")
    assert {u["name"] for u in xp.result.level_ups} == {"Mira", "Brom"}
    assert "Mira reaches level 2" in render_text(xp.result)
    event = await say(table, OWNER, "!trigger_event the tide turns")
    assert render_text(event.result) == "Event triggered: The tide turns."
    await say(table, OWNER, "!advance_plot Smugglers A boat without lights.")

    _, state = await _stored(table)
    mira, brom = state.characters["pc-2"], state.characters["pc-3"]
    assert mira.level == 2 and mira.xp == 300 and mira.spell_slots.maximum == {1: 3}
    assert mira.hp == mira.max_hp - 3  # damaged once, then the level-up's hit points added to both
    assert brom.inventory.quantity("Potion of Healing") == 2 and "poisoned" in brom.conditions
    assert state.events["the tide turns"].status == "triggered"
    assert state.plot_threads["smugglers"].progress == ("A boat without lights.",)


async def test_a_refused_owner_change_saves_nothing(table: Table) -> None:
    version, before = await _stored(table)
    reply = await say(table, OWNER, "!set_condition @Mira poisoned off")
    assert reply.kind == "error" and "Mira is not poisoned" in reply.result.reason
    bad = await say(table, OWNER, "!hp @Mira plenty")
    assert bad.kind == "error" and "Usage: !hp @player VALUE" in bad.result.reason
    assert await _stored(table) == (version, before)


async def test_load_campaign_rebinds_the_channel_and_an_unknown_name_lists_the_known_ones(table: Table) -> None:
    repo: PlayStateRepository = table.repo  # type: ignore[attr-defined]
    lantern = await repo.create_campaign("The Drowned Lantern")
    unknown = await say(table, OWNER, "!load_campaign Sunless Citadel")
    assert unknown.kind == "error" and "Known campaigns: Test Keep, The Drowned Lantern" in unknown.result.reason
    assert (await repo.campaign_for_channel(table.channel)).name == "Test Keep"  # type: ignore[attr-defined,union-attr]

    loaded = await say(table, OWNER, "!load_campaign the drowned lantern")
    assert loaded.result.name == "The Drowned Lantern" and loaded.result.previous == "Test Keep"
    assert render_text(loaded.result) == "This channel now plays The Drowned Lantern (instead of Test Keep)."
    assert (await repo.campaign_for_channel(table.channel)).id == lantern.id  # type: ignore[attr-defined,union-attr]
    threads = await say(table, OWNER, "!advance_plot")  # the table now plays the new campaign: no threads, no party
    assert render_text(threads.result) == "No open plot threads."
    assert (await say(table, OWNER, "!hp @Mira -1")).result.error == "NoCharacter"


async def test_load_campaign_works_in_a_channel_with_no_campaign_yet(table: Table) -> None:
    reply = await say(table, OWNER, "!load_campaign Test Keep", channel=424242)
    assert reply.kind == "command_result" and reply.result.channel_id == 424242
    refused = await say(table, MIRA, "!load_campaign Test Keep", channel=434343)
    assert refused.result.error == "OwnerOnly"


async def test_status_commands_on_the_wired_table_show_no_secret(table: Table) -> None:
    model = await say(table, MIRA, "!model_status")
    stats = await say(table, MIRA, "!system_stats")
    help_all = await say(table, MIRA, "!help")
    for reply in (model, stats, help_all):
        assert reply.kind == "command_result"
        for text in (render_text(reply.result), json.dumps(reply.result.dump())):
            assert "SECRET" not in text and "PW-SECRET-5" not in text
    assert "Gemini: key set" in render_text(model.result)
    assert "1 channels bound" in render_text(stats.result) and "Database: external" in render_text(stats.result)
    assert "!load_campaign NAME… [owner]" in render_text(help_all.result)


async def test_the_storyteller_commands_refuse_politely_on_the_table(table: Table) -> None:
    reply = await say(table, OWNER, "!summarize_act")
    assert reply.kind == "error" and reply.result.error == "Unavailable"
    assert reply.result.reason.startswith("The storyteller (the AI DM), which !summarize_act needs, is not available")


async def test_open_table_defaults_come_from_the_settings(clean_db: Any) -> None:
    from persistence.rules_book import RulesBook

    settings = load_settings(_env_file=None, owner_id=77)
    table = await open_table(settings, clean_db)
    assert isinstance(table.rules, RulesBook) and table.owner_id == 77 and table.seed is None
    assert table.services is not None and table.services.table is table  # type: ignore[attr-defined]
    assert (await open_table(settings, clean_db, owner_id=5, rules=None)).owner_id == 5
