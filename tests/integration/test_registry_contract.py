"""Every command in the registry (the list the console, !help and the Discord bot are built from) keeps
the table's contract through the real table: missing arguments are a friendly usage line, owner-only
commands refuse everyone else and change nothing, and no documented example ends in an unexpected error."""

from __future__ import annotations

import pytest

from dm.commands import load_all
from dm.commands.registry import REGISTRY, ArgKind, CommandSpec
from dm.commands.results import Refusal
from gateway.console import ConsoleGame

load_all()
SPECS = REGISTRY.all()
PARTY = ('mira: !create_character Mira "high elf" wizard', 'bram: !create_character Bram "hill dwarf" fighter')


async def _party(console: ConsoleGame) -> None:
    for line in PARTY:
        player, _, text = line.partition(": ")
        await console.say(player, text)



def test_the_registry_holds_every_command_of_the_issue() -> None:
    wanted = {"create_character", "my_sheet", "inventory", "use_item", "cast", "rest", "roll", "initiative", "attack",
              "save", "turn_order", "end_combat", "add_item", "set_condition", "hp", "resync_character",
              "advance_plot", "trigger_event", "switch_model", "fallback_api", "model_status", "system_stats",
              "help", "load_campaign", "new_campaign", "summarize_act", "introduce_npc"}  # fmt: skip
    assert wanted <= {s.name for s in SPECS}
    assert all(s.help and s.help.endswith((".", "!", ")", "…")) for s in SPECS), "every command explains itself"


@pytest.mark.parametrize("spec", [s for s in SPECS if any(a.required for a in s.args)], ids=lambda s: s.name)
async def test_missing_arguments_are_a_usage_line(console: ConsoleGame, spec: CommandSpec) -> None:
    await _party(console)
    before = console.table.state_of(console.channel_id)
    [reply] = await console.say("dm", f"!{spec.name}")
    result = console.last_replies[0].result
    assert isinstance(result, Refusal) and result.error == "BadArguments", reply
    assert "Usage: !" in reply and console.table.state_of(console.channel_id) == before


@pytest.mark.parametrize("spec", [s for s in SPECS if s.owner_only], ids=lambda s: s.name)
async def test_owner_only_commands_refuse_everyone_else(console: ConsoleGame, spec: CommandSpec) -> None:
    await _party(console)
    campaign = await console.table.store.campaign_for_channel(console.channel_id)  # type: ignore[attr-defined]
    version = await console.table.store.version(campaign.id)  # type: ignore[attr-defined]
    example = spec.examples[0] if spec.examples else f"!{spec.name} " + " ".join(
        "@Bram" if a.kind is ArgKind.PLAYER else "1" if a.kind in (ArgKind.INT, ArgKind.SIGNED)
        else (a.choices[0] if a.choices else "x") for a in spec.args if a.required)  # fmt: skip
    [reply] = await console.say("mira", example)
    result = console.last_replies[0].result
    assert isinstance(result, Refusal) and result.error == "OwnerOnly", (example, reply)
    assert await console.table.store.version(campaign.id) == version  # type: ignore[attr-defined]


@pytest.mark.parametrize("example", [e for s in SPECS for e in s.examples], ids=str)
async def test_no_documented_example_crashes(console: ConsoleGame, example: str) -> None:
    await _party(console)
    replies = await console.say("dm", example)
    assert replies and all("error id" not in r for r in replies), replies
