"""Every registry command through the bot, as a slash command (INTERACTION_CREATE through the Discord stand-in)
and as a typed `!` command: the success path, a bad-argument path per area, the owner-only refusal; the synced
application-command payloads; autocomplete; private answers for whispers.

A slash command must reach the table exactly as the typed line would: the message log holds the canonical
`!name args` line under the interaction's id, and its stored result is what the assertions read."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from discord_bot_fixture import CHANNEL, ELSEWHERE, TAVERN, BotRig, bot_rig, narration
from discord_standin import APP_ID, GUILD_ID
from dm.commands import load_all
from dm.commands.registry import REGISTRY, ArgKind, CommandSpec, PlayerRef, parse_invocation
from gateway.discord.commands import canonical_line

load_all()

SPECS = REGISTRY.all()
PARTY = (("mira", '!create_character Mira "high elf" wizard'), ("bram", '!create_character Bram "hill dwarf" fighter'))
NAME = re.compile(r"^[-_\w]{1,32}$")
SRD_PDF = Path(__file__).resolve().parents[2] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
async def rig(db: Any) -> Any:
    """One bot for the module, with the SRD (imported once if the database has none) and a party of two in the
    bot channel and in the tavern."""
    from ingest.srd.service import import_srd
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    repo = SrdRepository(db)
    if (await repo.counts()).get("spells", 0) == 0:
        await import_srd(db, SRD_PDF)
    async with bot_rig(db, rules=RulesBook(repo), script=[narration()] * 20) as started:
        for channel in (CHANNEL, TAVERN):
            for who, line in PARTY:
                await started.answer(channel, who, line)
        yield started


@dataclass
class Answer:
    iid: int
    callbacks: list[dict[str, Any]]
    followups: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        parts = [c.get("data", {}) or {} for c in self.callbacks] + self.followups
        return json.dumps(parts, ensure_ascii=False)

    @property
    def result(self) -> dict[str, Any]:
        assert self.row is not None and self.row["result"] is not None, "the table stored no result"
        return dict(self.row["result"])

    @property
    def private(self) -> bool:
        flags = [(c.get("data") or {}).get("flags", 0) for c in self.callbacks] + [f.get("flags", 0) for f in
                                                                                    self.followups]  # fmt: skip
        return bool(flags) and all(f & 64 for f in flags)


def _option(spec: CommandSpec, name: str, value: Any) -> dict[str, Any]:
    arg = next(a for a in spec.args if a.name == name)
    return {"name": name, "type": 4 if arg.kind is ArgKind.INT else 3, "value": value}


async def _invokers_done(rig: BotRig, iid: int) -> bool:
    if not rig.standin.callbacks.get(iid):
        return False
    return not any(t.get_name() == "CommandTree-invoker" and not t.done() for t in asyncio.all_tasks())


async def slash(rig: BotRig, channel: int, who: str, command: str, values: dict[str, Any] | None = None, *,
                autocomplete: bool = False) -> Answer:  # fmt: skip
    """Push `/command` with `values` as options; wait until the bot has answered it; the followups and the row."""
    spec = REGISTRY.require(command)
    values = values or {}
    options = [_option(spec, k, v) for k, v in values.items() if v is not None]
    if autocomplete:
        options[-1]["focused"] = True
    data = {"id": str(next(_ids)), "name": spec.name, "type": 1, "options": options, "guild_id": str(GUILD_ID)}
    iid = await rig.standin.interaction(channel, rig.user(who), data, kind=4 if autocomplete else 2)
    for _ in range(1000):
        if await _invokers_done(rig, iid):
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError(f"/{command} was never answered")
    return await slash_answer(rig, iid)


async def slash_answer(rig: BotRig, iid: int) -> Answer:
    """What the bot answered interaction `iid` so far, and its row in the message log."""
    prefix = f"/webhooks/{APP_ID}/itoken-{iid}"
    followups = [r.json for r in rig.standin.requests if r.method == "POST" and r.path == prefix]
    row = await rig.db.fetch_one("SELECT content, result FROM message_history WHERE discord_message_id = %s", (iid,))
    return Answer(iid, rig.standin.callbacks[iid], followups, row)


async def typed(rig: BotRig, channel: int, who: str, text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A typed line; the bot's new messages in the channel and the stored result."""
    before = len(rig.standin.sent(channel))
    mid = await rig.say(channel, who, text)
    posted = await rig.standin.wait_sent(channel, before + 1)
    row = await rig.db.fetch_one("SELECT result FROM message_history WHERE discord_message_id = %s", (mid,))
    assert row is not None and row["result"] is not None
    return posted[before:], dict(row["result"])


async def _version(rig: BotRig, channel: int) -> int:
    row = await rig.db.fetch_one("SELECT state_version FROM campaigns WHERE channel_id = %s", (channel,))
    assert row is not None
    return int(row["state_version"])


def _values(example: str) -> dict[str, Any]:
    invocation = parse_invocation(example.replace("@Aria", "Mira"))
    assert invocation is not None
    return {k: (v.raw if isinstance(v, PlayerRef) else v) for k, v in invocation.args.items() if v is not None}


# --- sync ----------------------------------------------------------------------------------------------


async def test_the_synced_commands_are_valid_application_commands(rig: BotRig) -> None:
    puts = [r for r in rig.standin.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert puts and puts[0].path == f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
    commands = puts[-1].json
    assert {c["name"] for c in commands} == {s.name for s in SPECS} and len(commands) <= 100
    for command in commands:
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= 100 and len(command.get("options", [])) <= 25
        for option in command.get("options", []):
            assert NAME.match(option["name"]) and 1 <= len(option["description"]) <= 100
            assert len(option.get("choices", [])) <= 25


# --- every command, as a slash command -----------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
async def test_each_command_through_slash_reaches_the_table_as_its_typed_line(rig: BotRig, spec: CommandSpec) -> None:
    example = spec.examples[0] if spec.examples else f"!{spec.name}"
    values = _values(example)
    answer = await slash(rig, TAVERN, "owner", spec.name, values)
    assert answer.callbacks[0]["type"] == 5, "deferred first"
    removed = any(r.method == "DELETE" and r.path.endswith(f"itoken-{answer.iid}/messages/@original")
                  for r in rig.standin.requests)  # fmt: skip
    assert answer.followups or removed, "answered by followups (or by a hook, the thinking note removed)"
    assert answer.row is not None and answer.row["content"] == canonical_line(spec, values)
    assert "error id" not in answer.text and answer.result.get("error") != "UnknownCommand"
    for followup in answer.followups:
        assert len(followup.get("content") or "") <= 2000 and len(followup.get("embeds") or []) <= 10


@pytest.mark.parametrize("spec", [s for s in SPECS if s.owner_only], ids=lambda s: s.name)
async def test_owner_only_slash_commands_refuse_a_player_and_change_nothing(rig: BotRig, spec: CommandSpec) -> None:
    version = await _version(rig, CHANNEL)
    values = _values(spec.examples[0] if spec.examples else f"!{spec.name}")
    answer = await slash(rig, CHANNEL, "mira", spec.name, values)
    assert answer.result["type"] == "refusal" and answer.result["error"] == "OwnerOnly", answer.text
    assert "owner" in answer.text.lower() and await _version(rig, CHANNEL) == version


# --- per area: success and bad arguments, typed and slash -----------------------------------------------

AREA_CASES = [  # (area, who, good line, bad line, the bad line's error)
    ("dice", "mira", "!save dex 15", "!save charm", "BadArguments"),
    ("character", "bram", "!rest short", "!rest sideways", "BadArguments"),
    ("combat", "mira", "!turn_order", "!initiative dance", "BadArguments"),
    ("rules", "mira", "!spell fireball", "!rules fireball", "BadArguments"),
    ("campaign", "mira", "!recap", "!load_campaign", "BadArguments"),
    ("admin", "owner", "!hp Mira -1", "!hp Mira lots", "BadArguments"),
    ("system", "mira", "!help roll", "!help rol", "UnknownCommand"),
]


@pytest.mark.parametrize(("area", "who", "good", "bad", "error"), AREA_CASES, ids=[c[0] for c in AREA_CASES])
async def test_typed_commands_succeed_and_bad_arguments_are_explained(rig: BotRig, area: str, who: str, good: str,
                                                                      bad: str, error: str) -> None:  # fmt: skip
    posted, result = await typed(rig, CHANNEL, who, good)
    assert result["type"] != "refusal", posted
    assert REGISTRY.require(good.split()[0][1:]).area == area
    version = await _version(rig, CHANNEL)
    posted, result = await typed(rig, CHANNEL, who, bad)
    assert result["type"] == "refusal" and result["error"] == error, posted
    assert posted[0]["content"] and await _version(rig, CHANNEL) == version
    if error == "BadArguments":
        assert "Usage: !" in posted[0]["content"]


@pytest.mark.parametrize(("area", "who", "good", "bad", "error"), AREA_CASES, ids=[c[0] for c in AREA_CASES])
async def test_slash_commands_succeed_and_bad_arguments_are_explained(rig: BotRig, area: str, who: str, good: str,
                                                                      bad: str, error: str) -> None:  # fmt: skip
    spec = REGISTRY.require(good.split()[0][1:])
    answer = await slash(rig, CHANNEL, who, spec.name, _values(good))
    assert answer.result["type"] != "refusal", answer.text
    bad_spec = REGISTRY.require(bad.split()[0][1:])
    raw = bad.split(None, 1)[1] if " " in bad else ""
    values = dict(zip([a.name for a in bad_spec.args], raw.split(None, len(bad_spec.args) - 1), strict=False))
    answer = await slash(rig, CHANNEL, who, bad_spec.name, values)
    if answer.row is None:  # refused before the table: a required option left out
        assert answer.private and "missing" in answer.text and "Usage: !" in answer.text
    else:
        assert answer.result["type"] == "refusal" and answer.result["error"] == error, answer.text


# --- what only slash commands can get wrong -------------------------------------------------------------


async def test_an_option_given_after_one_left_out_is_refused_privately_in_plain_words(rig: BotRig) -> None:
    answer = await slash(rig, CHANNEL, "owner", "advance_plot", {"note": "the bridge burns"})
    assert answer.row is None and answer.private
    assert "Give THREAD too when you give NOTE" in answer.text and "Nothing was changed" in answer.text


async def test_a_slash_command_in_an_unwatched_channel_is_refused_privately(rig: BotRig) -> None:
    answer = await slash(rig, ELSEWHERE, "mira", "roll", {"what": "1d20"})
    assert answer.row is None and answer.private and "don't play in this channel" in answer.text
    binding = await slash(rig, ELSEWHERE, "mira", "load_campaign", {"name": "Tavern Tales"})
    assert binding.result["error"] == "OwnerOnly"  # taken (the table refuses a player), not ignored


async def test_a_whisper_is_deferred_and_answered_privately(rig: BotRig) -> None:
    answer = await slash(rig, CHANNEL, "mira", "whisper", {"text": "Is the innkeeper lying?"})
    assert answer.callbacks[0] == {"type": 5, "data": {"flags": 64}}
    assert answer.followups and answer.private
    assert answer.row is not None and answer.row["content"] == "!whisper Is the innkeeper lying?"


async def test_the_roll_embed_shows_every_die_and_the_total(rig: BotRig) -> None:
    answer = await slash(rig, CHANNEL, "mira", "roll", {"what": "1d20+5 adv dc 10"})
    (embed,) = answer.followups[0]["embeds"]
    dice = answer.result["roll"]["rolls"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert len(dice) == 2 and fields["Total"] == f"**{answer.result['roll']['total']}**"
    dropped = next(d for d in dice if not d["kept"])
    assert f"~~{dropped['value']}~~" in fields["Rolled"] and fields["Dropped"] == str(dropped["value"])


async def test_autocomplete_offers_srd_names_and_the_channels_characters(rig: BotRig) -> None:
    spells = await slash(rig, CHANNEL, "mira", "spell", {"name": "firebal"}, autocomplete=True)
    (callback,) = spells.callbacks
    choices = [c["name"] for c in callback["data"]["choices"]]
    assert callback["type"] == 8 and choices[0] == "Fireball" and len(choices) <= 25
    conditions = await slash(rig, CHANNEL, "owner", "set_condition", {"player": "Mira", "condition": "pois"},
                             autocomplete=True)
    assert [c["value"] for c in conditions.callbacks[0]["data"]["choices"]][0] == "Poisoned"
    party = await slash(rig, CHANNEL, "owner", "award_xp", {"who": ""}, autocomplete=True)
    assert {c["value"] for c in party.callbacks[0]["data"]["choices"]} == {"Mira", "Bram", "party"}


async def test_help_lists_the_commands_in_embeds(rig: BotRig) -> None:
    answer = await slash(rig, CHANNEL, "mira", "help")
    text = answer.text
    assert all(f"`!{s.name}" in text for s in SPECS)



async def test_rules_entries_are_embeds_with_the_srd_text(rig: BotRig) -> None:
    goblin = (await slash(rig, CHANNEL, "mira", "monster", {"name": "goblin"})).followups[0]["embeds"][0]
    prone = (await slash(rig, CHANNEL, "mira", "condition", {"name": "prone"})).followups[0]["embeds"][0]
    fields = {f["name"]: f["value"] for f in goblin["fields"]}
    assert goblin["title"] == "Goblin" and fields["Armor class"].startswith("15") and fields["XP"] == "50"
    assert "Scimitar. Melee Weapon Attack: +4 to hit" in fields["Actions"] and "DEX 14 (+2)" in goblin["description"]
    assert goblin["footer"]["text"] == "SRD 5.1, page 315"
    assert prone["title"] == "Prone" and "crawl" in prone["description"] and not prone.get("fields")


async def test_the_combat_gate_holds_for_slash_commands(rig: BotRig) -> None:
    started = await slash(rig, CHANNEL, "mira", "initiative")
    assert started.result["type"] == "combat_status" and started.result["event"] == "started", started.text
    current = started.result["current_name"]
    waiting = "bram" if current == "Mira" else "mira"
    denied = await slash(rig, CHANNEL, waiting, "next")
    assert denied.result["type"] == "refusal" and denied.result["denial"] is True, denied.text
    assert f"{current}'s turn" in denied.text
    passed = await slash(rig, CHANNEL, current.lower(), "next")
    assert passed.result["type"] == "turn_passed" and passed.result["ended"] == current
    ended = await slash(rig, CHANNEL, "owner", "end_combat")
    assert ended.result["type"] == "combat_ended"


async def test_a_redelivered_interaction_is_answered_once(rig: BotRig) -> None:
    pushed: list[dict[str, Any]] = []
    dispatch = rig.standin._dispatch  # noqa: SLF001 - to push the very same INTERACTION_CREATE again

    async def recording(event: str, data: dict[str, Any], ws: Any = None) -> None:
        if event == "INTERACTION_CREATE":
            pushed.append(data)
        await dispatch(event, data, ws)

    rig.standin._dispatch = recording  # type: ignore[method-assign]  # noqa: SLF001
    try:
        first = await slash(rig, CHANNEL, "mira", "roll", {"what": "1d20"})
    finally:
        rig.standin._dispatch = dispatch  # type: ignore[method-assign]  # noqa: SLF001
    await dispatch("INTERACTION_CREATE", pushed[0])
    await rig.standin.wait_until(lambda: len(rig.standin.callbacks[first.iid]) == 2, what="the second delivery")
    for _ in range(100):
        if await _invokers_done(rig, first.iid):
            break
        await asyncio.sleep(0.01)
    again = await slash_answer(rig, first.iid)
    assert len(again.followups) == len(first.followups) == 1, "the roll is not rolled or said twice"
    assert again.row == first.row


async def test_a_guided_creation_started_by_slash_gets_its_menu_in_the_channel(rig: BotRig) -> None:
    before = len(rig.standin.sent(CHANNEL))
    answer = await slash(rig, CHANNEL, "zed", "create_character")
    assert answer.result["type"] == "creation_step"
    menus = [m for m in rig.standin.sent(CHANNEL)[before:] if m.get("components")]
    assert menus and "Step 1" in json.dumps(menus[0]), "the menu is posted in the channel"
    assert not answer.followups and any(
        r.method == "DELETE" and r.path.endswith(f"itoken-{answer.iid}/messages/@original") for r in rig.standin.requests)
    cancelled = await slash(rig, CHANNEL, "zed", "create_character", {"details": "cancel"})
    assert cancelled.result["type"] == "info"


async def test_a_spell_cast_is_an_embed_with_a_field_per_target(rig: BotRig) -> None:
    await slash(rig, CHANNEL, "owner", "hp", {"player": "Bram", "value": "14"})  # up and able to roll his save
    burning = (await slash(rig, CHANNEL, "mira", "cast", {"what": "burning hands on Bram"})).followups[0]["embeds"][0]
    fields = {f["name"]: f["value"] for f in burning["fields"]}
    assert burning["description"].startswith("Dexterity save DC") and fields["Damage rolled"].startswith("d6: ")
    assert "save 1d20" in fields["Bram"]
    missile = (await slash(rig, CHANNEL, "mira", "cast", {"what": "magic missile on Bram"})).followups[0]["embeds"][0]
    assert missile["title"].startswith("Mira casts Magic Missile (1st-level slot spent")
    assert "darts" in {f["name"]: f["value"] for f in missile["fields"]}["Bram"]
    healed = await slash(rig, CHANNEL, "owner", "hp", {"player": "Bram", "value": "14"})  # Bram back on his feet
    assert healed.result["type"] == "change"


async def test_use_item_autocomplete_offers_the_callers_own_consumables_first(rig: BotRig) -> None:
    given = await slash(rig, CHANNEL, "owner", "add_item", {"player": "Mira", "item": "potion of healing"})
    assert given.result["type"] == "change", given.text
    offered = await slash(rig, CHANNEL, "mira", "use_item", {"item": "pot"}, autocomplete=True)
    names = [c["value"] for c in offered.callbacks[0]["data"]["choices"]]
    assert names[0] == "potion of healing" and "Potion of Healing" not in names and len(names) <= 25
    assert any(n.startswith("Potion of") for n in names[1:])  # then the SRD's


async def test_cast_autocomplete_keeps_the_level_and_targets_typed_after_the_spell(rig: BotRig) -> None:
    offered = await slash(rig, CHANNEL, "mira", "cast", {"what": "magic missle on goblin 1"}, autocomplete=True)
    values = [c["value"] for c in offered.callbacks[0]["data"]["choices"]]
    assert values[0] == "Magic Missile on goblin 1" and all(v.endswith(" on goblin 1") for v in values)
