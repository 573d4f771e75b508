"""Slash commands generated from the registry (gateway/discord/commands.py): the payloads discord.py would sync
are valid Discord application commands, and a slash command's options written back as the canonical `!` line
parse to the same arguments through the registry's own parser."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord.ext import commands

from dm.commands import load_all
from dm.commands.registry import REGISTRY, ArgKind, CommandSpec, PlayerRef, parse_invocation
from dm.errors import BadArguments
from gateway.discord.autocomplete import MAX_CHOICES, match_names
from gateway.discord.commands import canonical_line, setup_commands

load_all()

NAME = re.compile(r"^[-_\w]{1,32}$")
SPELLS = ["Acid Arrow", "Acid Splash", "Fire Bolt", "Fire Shield", "Fireball", "Delayed Blast Fireball", "Light",
          "Lightning Bolt", "Magic Missile", "Shield", "Wall of Fire"] + [f"Spell {i}" for i in range(40)]  # fmt: skip


@pytest.fixture(scope="module")
def payloads() -> dict[str, dict[str, Any]]:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    setup_commands(bot)
    return {c.name: c.to_dict(bot.tree) for c in bot.tree.get_commands()}


def test_every_registry_command_is_a_slash_command(payloads: dict[str, dict[str, Any]]) -> None:
    assert set(payloads) == {spec.name for spec in REGISTRY}


@pytest.mark.parametrize("spec", REGISTRY.all(), ids=lambda s: s.name)
def test_the_payload_is_a_valid_application_command(spec: CommandSpec, payloads: dict[str, dict[str, Any]]) -> None:
    payload = payloads[spec.name]
    assert NAME.match(payload["name"]) and payload["name"] == payload["name"].lower()
    assert 1 <= len(payload["description"]) <= 100 and payload["type"] == 1
    options = payload.get("options", [])
    assert len(options) <= 25 and [o["name"] for o in options] == [a.name for a in spec.args]
    required = [o["required"] for o in options]
    assert required == sorted(required, reverse=True), "Discord wants required options first"
    for option, arg in zip(options, spec.args, strict=True):
        assert NAME.match(option["name"]) and option["name"] == option["name"].lower()
        assert 1 <= len(option["description"]) <= 100 and option["required"] is arg.required
        assert option["type"] == (4 if arg.kind is ArgKind.INT else 3)
        assert len(option.get("choices", [])) <= 25
        if arg.kind is ArgKind.CHOICE:
            assert [c["value"] for c in option["choices"]] == list(arg.choices)
        if arg.kind is ArgKind.PLAYER:
            assert option["autocomplete"] is True
    assert payload["contexts"] == [0]  # guild channels only


def test_help_descriptions_longer_than_discord_allows_are_cut_cleanly(payloads: dict[str, dict[str, Any]]) -> None:
    long = [s for s in REGISTRY if len(s.help) > 100]
    assert long, "the registry has a help line over 100 characters to check"
    for spec in long:
        text = payloads[spec.name]["description"]
        assert len(text) == 100 and text.endswith("…") and spec.help.startswith(text[:-1])


def test_spell_item_and_condition_options_autocomplete(payloads: dict[str, dict[str, Any]]) -> None:
    def auto(command: str, option: str) -> bool:
        return any(o["name"] == option and o.get("autocomplete") for o in payloads[command]["options"])

    assert auto("spell", "name") and auto("cast", "what") and auto("use_item", "item") and auto("add_item", "item")
    assert auto("condition", "name") and auto("set_condition", "condition") and auto("award_xp", "who")
    assert not auto("roll", "what")


# --- the canonical line --------------------------------------------------------------------------------

_SAMPLES: dict[ArgKind, list[Any]] = {
    ArgKind.WORD: ["dex", 'say "hi"', "back\\slash", "two words", "thieves' tools"],
    ArgKind.INT: [0, 15, 999_999_999],
    ArgKind.SIGNED: ["+5", "-3", "12"],
    ArgKind.PLAYER: ["Mira", "Mira the Bold", "<@1234567890>", "party"],
    ArgKind.TEXT: ['fire bolt at "the goblin"', "1d20+5 adv dc 12 # to hit", "Bag of Holding"],
}


def _values(spec: CommandSpec, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arg in spec.args:
        samples = list(arg.choices) if arg.kind is ArgKind.CHOICE else _SAMPLES[arg.kind]
        out[arg.name] = samples[i % len(samples)]
    return out


def _expected(spec: CommandSpec, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for arg in spec.args:
        value = values[arg.name]
        if arg.kind is ArgKind.PLAYER:
            mention = re.fullmatch(r"<@(\d+)>", value)
            value = PlayerRef(value, int(mention.group(1)) if mention else None)
        out[arg.name] = value
    return out


@pytest.mark.parametrize("spec", [s for s in REGISTRY.all() if s.args], ids=lambda s: s.name)
def test_options_written_back_parse_to_the_same_arguments(spec: CommandSpec) -> None:
    for i in range(5):
        values = _values(spec, i)
        line = canonical_line(spec, values)
        invocation = parse_invocation(line)
        assert invocation is not None and invocation.spec is spec
        assert invocation.args == _expected(spec, values), line


def test_left_out_options_and_a_user_object() -> None:
    save = REGISTRY.require("save")
    assert canonical_line(save, {"ability": "dex"}) == "!save dex"
    with pytest.raises(BadArguments, match="ABILITY is missing"):
        canonical_line(save, {"dc": 12})
    plot = REGISTRY.require("advance_plot")
    with pytest.raises(BadArguments, match="Give THREAD too when you give NOTE") as caught:
        canonical_line(plot, {"note": "the bridge burns"})
    assert caught.value.usage == plot.usage
    member = discord.Object(id=4242)
    assert canonical_line(REGISTRY.require("my_sheet"), {"player": member}) == "!my_sheet <@4242>"
    assert canonical_line(REGISTRY.require("inventory"), {}) == "!inventory"


# --- autocomplete --------------------------------------------------------------------------------------


def test_names_starting_with_the_text_come_first_then_containing_it_then_close_spellings() -> None:
    assert match_names(SPELLS, "fire")[:3] == ["Fire Bolt", "Fire Shield", "Fireball"]
    found = match_names(SPELLS, "fire")
    assert "Delayed Blast Fireball" in found and "Wall of Fire" in found
    assert match_names(SPELLS, "firebal")[0] == "Fireball"
    assert "Magic Missile" in match_names(SPELLS, "magik misile")
    assert len(match_names(SPELLS, "")) == MAX_CHOICES and len(match_names(SPELLS, "spell")) == MAX_CHOICES
    assert match_names(SPELLS, "zzzz") == []
