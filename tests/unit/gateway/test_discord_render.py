"""Table replies → Discord parts (gateway/discord/render.py): real discord.Embed objects (checked through
`to_dict()`, the payload discord.py sends) built from results of the real command handlers on a hand-built
context, as the table would produce them; and Discord's embed limits kept for oversized results."""

from __future__ import annotations

import json
import random
from typing import Any

import discord

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.dice import RollDone
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.results import Info, Refusal
from dm.commands.rules import RulesEntry
from dm.commands.whisper import Whispered
from dm.table import TableReply
from game.character import Character
from game.creation import create_character, standard_array
from game.dice import seeded
from game.effects import Creature, GameState
from gateway.discord.embed_limits import (
    MAX_DESCRIPTION, MAX_FIELD_VALUE, MAX_FIELDS, MAX_TITLE, MAX_TOTAL, Card, pack, to_embeds,
)  # fmt: skip
from gateway.discord.render import Parts, message_parts
from gateway.settings import load_settings
from gateway.wiring import Services

load_all()

MIRA = Caller(2, "mira")
SECRETS = {"discord_token": "DISCORD-SECRET-token-1", "gemini_api_key": "GEMINI-SECRET-key-2",
           "database_url": "postgresql://lorekeeper:PW-SECRET-5@db.example:5432/lore"}  # fmt: skip
FIREBALL = {  # as `lorekeeper rules export spells` gives it (SRD 5.1)
    "name": "Fireball", "level": 3, "school": "evocation", "casting_time": "1 action", "range": "150 feet",
    "components": ["V", "S", "M"], "material": "a tiny ball of bat guano and sulfur", "duration": "Instantaneous",
    "concentration": False, "ritual": False,
    "description": "A bright streak flashes from your pointing finger to a point you choose within range and then "
    "blossoms with a low roar into an explosion of flame. Each creature in a 20-foot-radius sphere centered on that "
    "point must make a Dexterity saving throw. A target takes 8d6 fire damage on a failed save, or half as much "
    "damage on a successful one. " * 3,
    "higher_levels": "When you cast this spell using a spell slot of 4th level or higher, the damage increases by "
    "1d6 for each slot level above 3rd.",
    "classes": ["sorcerer", "wizard"], "page": 241,
}  # fmt: skip


def _wizard() -> Character:
    scores = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    who = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf", player_id=2)
    who.id = "pc-2"
    return who


def _ctx(services: Any = None) -> CommandContext:
    state = GameState(characters={"pc-2": _wizard()})
    return CommandContext(caller=MIRA, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                          services=services, rng=random.Random(1))  # fmt: skip


async def run(line: str, services: Any = None) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx = _ctx(services)
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


def _reply(result: Any) -> TableReply:
    return TableReply(result.reply_kind, result)


def _embeds(result: Any) -> list[dict[str, Any]]:
    parts = message_parts(_reply(result))
    assert parts and all(isinstance(p, Parts) for p in parts)
    out = [e.to_dict() for p in parts for e in p.embeds]
    assert out, "expected embeds"
    for part in parts:
        _within_limits(list(part.embeds))
    return out


def _within_limits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= 10 and sum(len(e) for e in embeds) <= MAX_TOTAL
    for e in embeds:
        d = e.to_dict()
        assert len(d.get("title", "")) <= MAX_TITLE and len(d.get("description", "")) <= MAX_DESCRIPTION
        assert len(d.get("fields", [])) <= MAX_FIELDS
        for f in d.get("fields", []):
            assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= MAX_FIELD_VALUE
        assert len(d.get("footer", {}).get("text", "")) <= 2048


def _fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


# --- rolls ---------------------------------------------------------------------------------------------


async def test_a_roll_with_advantage_shows_both_dice_which_counted_the_total_and_the_dc() -> None:
    with seeded(7):
        result = await run("!roll 1d20+5 adv dc 12")
    assert isinstance(result, RollDone)
    (embed,) = _embeds(result)
    fields = _fields(embed)
    dice = result.roll["rolls"]
    kept = [d["value"] for d in dice if d["kept"]]
    dropped = [d["value"] for d in dice if not d["kept"]]
    assert len(dice) == 2 and len(kept) == 1 and len(dropped) == 1
    assert fields["Rolled"].startswith("d20: ") and f"~~{dropped[0]}~~" in fields["Rolled"]
    assert fields["Counted"] == str(kept[0]) and fields["Dropped"] == str(dropped[0])
    assert fields["Total"] == f"**{result.roll['total']}**" and result.roll["total"] == kept[0] + 5
    assert fields["DC 12"] == ("Success" if result.success else "Failure")
    assert "higher d20 kept" in fields["Rolled with"]
    assert embed["title"].startswith("mira rolls 1d20+5")


async def test_keep_highest_drops_dice_and_a_natural_20_is_called_a_critical() -> None:
    with seeded(3):
        result = await run("!roll 4d6kh3")
    fields = _fields(_embeds(result)[0])
    assert fields["Rolled"].startswith("d6: ") and fields["Rolled"].count("~~") == 2
    assert len(fields["Counted"].split(", ")) == 3
    for seed in range(200):
        with seeded(seed):
            crit = await run("!roll 1d20")
        if crit.roll["crit"]:
            break
    (embed,) = _embeds(crit)
    assert _fields(embed)["Natural 20"] == "A critical!" and embed["color"] == 0xF1C40F


async def test_a_check_with_the_characters_modifier_and_a_comment() -> None:
    with seeded(5):
        result = await run("!roll perception # the door")
    (embed,) = _embeds(result)
    assert embed["title"] == f"Mira rolls Perception check ({result.modifier:+d})"
    assert embed["footer"]["text"] == "the door"
    assert "Counted" not in _fields(embed)  # one die, nothing dropped


# --- sheet, inventory, turn order ----------------------------------------------------------------------


async def test_the_sheet_has_its_abilities_inline_and_every_line_of_the_text_sheet() -> None:
    (embed,) = _embeds(await run("!my_sheet"))
    assert embed["title"].startswith("Mira, level 1 High Elf Wizard")
    fields = _fields(embed)
    assert [f["name"] for f in embed["fields"][:6]] == ["STR", "DEX", "CON", "INT", "WIS", "CHA"]
    assert all(f["inline"] for f in embed["fields"][:6])
    assert fields["INT"].startswith("16 (+3)\nsave +5 (P)")  # 15 + 1 (high elf)
    assert "Arcana +5 (P)" in fields["Skills"] and fields["Spellcasting (INT)"].startswith("save DC 13")
    assert "HP " in embed["description"] and "AC " in embed["description"]


async def test_inventory_lists_items_coins_and_weight() -> None:
    (embed,) = _embeds(await run("!inventory"))
    fields = _fields(embed)
    assert embed["title"] == "Mira's inventory"
    assert "lb" in fields["Items"] and "Coins" in fields and fields["Weight carried"].endswith("lb")


async def test_turn_order_shows_each_combatant_and_whose_turn_it_is() -> None:
    ctx = _ctx()
    invocation = parse_invocation("!initiative")
    assert invocation is not None
    with seeded(2):
        started = await invocation.spec.handler(ctx, **invocation.args)
    (embed,) = _embeds(started)
    assert embed["title"].startswith("Roll for initiative") and "Mira" in embed["description"]
    assert _fields(embed)["Round 1"] == "It is Mira's turn."
    order = await REGISTRY.require("turn_order").handler(ctx)
    (shown,) = _embeds(order)
    assert shown["title"] == "Initiative order" and "> " in shown["description"]
    assert message_parts(_reply(await REGISTRY.require("turn_order").handler(_ctx())))[0].content.startswith(
        "No fight is going on")


# --- rules, help, status -------------------------------------------------------------------------------


def test_a_spell_entry_has_short_fields_inline_the_description_and_the_page() -> None:
    (embed,) = _embeds(RulesEntry(kind="spells", name="Fireball", query="firebal", record=FIREBALL, exact=False))
    fields = _fields(embed)
    assert embed["title"] == "Fireball" and fields["Casting time"] == "1 action" and fields["Level"] == "3"
    assert embed["description"].startswith("(closest match for 'firebal')")
    assert "8d6 fire damage" in embed["description"] and embed["footer"]["text"] == "SRD 5.1, page 241"


async def test_help_lists_every_command_in_embeds_within_the_limits() -> None:
    embeds = _embeds(await run("!help"))
    text = json.dumps(embeds)
    for spec in REGISTRY:
        assert f"`!{spec.name}" in text
    assert "[owner]" in text


async def test_model_status_and_system_stats_are_embeds_without_secrets() -> None:
    services = Services(settings=load_settings(_env_file=None, vllm_port=1, **SECRETS))
    status = _embeds(await run("!model_status", services))
    stats = _embeds(await run("!system_stats", services))
    assert status[0]["title"] == "Model status" and "In use" in _fields(status[0])
    assert stats[0]["title"] == "System stats" and "CPU" in _fields(stats[0])
    dumped = json.dumps(status + stats)
    assert "SECRET" not in dumped and "PW-" not in dumped


# --- text, narration, whispers -------------------------------------------------------------------------


def test_other_results_are_the_console_text_and_refusals_say_nothing_changed_in_plain_words() -> None:
    (part,) = message_parts(_reply(Info(title="Loaded", lines=("The Keep is ready.",))))
    assert part.content == "Loaded\nThe Keep is ready." and not part.embeds and not part.ephemeral
    refusal = Refusal(command="save", reason="DC must be a whole number, not 'x'. Usage: !save ABILITY [DC]")
    (said,) = message_parts(TableReply("error", refusal))
    assert said.content.startswith("DC must be a whole number") and not said.embeds


def test_narration_cites_its_sources_in_an_embed_footer() -> None:
    sources = ({"kind": "srd", "title": "SRD 5.1", "name": "Fireball", "page": 241},)
    (part,) = message_parts(TableReply("narrative", text="The goblins burn.", sources=sources))
    assert part.content == "The goblins burn." and part.embeds[0].to_dict()["footer"]["text"] == (
        "Sources: SRD 5.1 p. 241 (Fireball)")
    (plain,) = message_parts(TableReply("narrative", text="Quiet."))
    assert plain.content == "Quiet." and not plain.embeds


def test_a_whisper_is_private_to_the_whisperer() -> None:
    whisper = Whispered(player_id=2, player="mira", said="psst", answer="The key is under the mat.",
                        visible_to=(2,))  # fmt: skip
    (part,) = message_parts(TableReply("whisper", whisper))
    assert part.ephemeral and part.visible_to == (2,) and "under the mat" in part.content
    (refused,) = message_parts(TableReply("error", Refusal(command="whisper", reason="No storyteller yet.")))
    assert refused.ephemeral
    (public,) = message_parts(TableReply("error", Refusal(command="roll", reason="No.")))
    assert not public.ephemeral


# --- limits --------------------------------------------------------------------------------------------


def test_an_oversized_card_is_split_into_embeds_and_messages_within_every_limit() -> None:
    card = Card(title="T" * 300, description=("word " * 200 + "\n") * 10, footer="f" * 3000)
    for i in range(60):
        card.add(f"Field {i}", ("x" * 90 + "\n") * 15)
    embeds = to_embeds(card)
    assert len(embeds) > 2
    for e in embeds:
        _within_limits([e])
    assert len(embeds[0].title or "") == MAX_TITLE and embeds[0].title.endswith("…")
    assert embeds[-1].footer.text and len(embeds[-1].footer.text) <= 2048
    values = [f.value for e in embeds for f in e.fields]
    assert sum(len(v or "") for v in values) >= 60 * 15 * 90  # nothing lost but the line breaks
    messages = pack(embeds)
    assert len(messages) > 1
    for message in messages:
        _within_limits(message)


async def test_a_roll_of_a_thousand_dice_stays_within_the_limits() -> None:
    with seeded(1):
        result = await run("!roll 100d6")
    (embed, *more) = _embeds(result)
    rolled = "".join(v for e in (embed, *more) for n, v in _fields(e).items() if n.startswith("Rolled"))
    assert rolled.count(",") == 99


# --- attacks, a new character --------------------------------------------------------------------------


def _brom() -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=3)
    who.id = "pc-3"
    return who


async def _attack(predicate: Any) -> Any:
    goblin = Creature(id="goblin-1", name="Goblin 1", hp=7, max_hp=7, armor_class=15, dexterity=14)
    for seed in range(300):
        ctx = CommandContext(caller=Caller(3, "brom"), channel_id=-1, campaign=CampaignInfo(1, "Keep", -1),
                             state=GameState(characters={"pc-3": _brom()}, creatures={"goblin-1": goblin}),
                             rng=random.Random(seed))  # fmt: skip
        invocation = parse_invocation("!attack goblin 1")
        assert invocation is not None
        with seeded(seed):
            result = await invocation.spec.handler(ctx, **invocation.args)
        if predicate(result):
            return result
    raise AssertionError("no such attack in 300 seeds")


async def test_an_attack_shows_the_attack_die_the_verdict_and_the_damage_dice() -> None:
    hit = await _attack(lambda r: r.hit and not r.critical)
    (embed,) = _embeds(hit)
    fields = _fields(embed)
    assert embed["title"] == "Brom attacks Goblin 1 with Longsword (+4)"
    assert fields["vs AC 15"] == "Hit" and fields["Rolled"] == f"d20: {hit.attack_roll['rolls'][0]['value']}"
    assert fields["Damage"].endswith(f"**{hit.damage}** slashing") and fields["Damage rolled"].startswith("d8: ")
    assert embed["description"] == hit.summary
    miss = await _attack(lambda r: not r.hit)
    (shown,) = _embeds(miss)
    assert _fields(shown)["vs AC 15"].startswith("Miss") and "Damage" not in _fields(shown)


async def test_a_new_character_is_an_embed_with_its_scores_and_gear() -> None:
    invocation = parse_invocation('!create_character Aria "high elf" wizard')
    assert invocation is not None
    ctx = CommandContext(caller=Caller(5, "aria"), channel_id=-1, campaign=CampaignInfo(1, "Keep", -1),
                         state=GameState(), rng=random.Random(2))  # fmt: skip
    with seeded(2):
        created = await invocation.spec.handler(ctx, **invocation.args)
    (embed,) = _embeds(created)
    assert embed["title"].startswith("Aria is ready: a level 1 High Elf Wizard")
    assert {"Saving throws", "Skills", "Equipment"} <= set(_fields(embed)) and "HP " in embed["description"]
