"""SQL injection in every text argument of every registered command, and owner-only commands refused
to everyone else however they dress up as the owner. Through the real Table on the real PostgreSQL: the
owner types every line (so owner-only commands run), a canary table and the party must survive, and
a payload that is stored is stored verbatim. (Plain non-owner refusal per command is
tests/integration/test_registry_contract.py; this extends it to impersonation.)"""

from __future__ import annotations

from typing import Any

import pytest
PLAY_TABLES = ("message_history", "dm_turns", "events", "characters", "campaigns", "world_state")
from faults.fault_helpers import record_output

from dm.commands import load_all
from dm.commands.registry import REGISTRY, ArgKind, CommandSpec
from dm.commands.results import Refusal
from dm.table import PlayerMessage

load_all()
TEXT_KINDS = (ArgKind.TEXT, ArgKind.WORD, ArgKind.PLAYER)
INJECTABLE = [s for s in REGISTRY.all() if any(a.kind in TEXT_KINDS for a in s.args)]
TEXT_PAYLOADS = ("x'); DROP TABLE fault_canary; --", "' OR '1'='1' --", "$$; DELETE FROM characters; $$",
                 "1; UPDATE characters SET hp = 0; --", "\\'; TRUNCATE campaigns CASCADE; --",
                 "Robert'); DELETE FROM fault_canary WHERE ('a'='a")  # fmt: skip
WORD_PAYLOADS = ("';DROP/**/TABLE/**/fault_canary;--", "'OR'1'='1", "1;DELETE/**/FROM/**/fault_canary")
PARTY = ('!create_character Mira "high elf" wizard', '!create_character Bram "hill dwarf" fighter')


def _filler(spec: CommandSpec, arg: Any) -> str:
    if arg.kind is ArgKind.PLAYER:
        return "@Bram"
    if arg.kind in (ArgKind.INT, ArgKind.SIGNED):
        return "1"
    return arg.choices[0] if arg.choices else "x"


def _lines(spec: CommandSpec) -> list[str]:
    """One line per payload per text argument; the other required arguments filled in plainly."""
    lines = []
    for index, target in enumerate(spec.args):
        if target.kind not in TEXT_KINDS:
            continue
        payloads = TEXT_PAYLOADS if target.kind is ArgKind.TEXT else WORD_PAYLOADS
        for payload in payloads:
            parts = []
            for other_index, arg in enumerate(spec.args[: index + 1] if target.kind is ArgKind.TEXT else spec.args):
                if other_index == index:
                    parts.append(payload)
                elif arg.required or other_index < index:
                    parts.append(_filler(spec, arg))
            lines.append(f"!{spec.name} " + " ".join(parts))
    return lines


@pytest.fixture
async def canary(clean_db: Any) -> Any:
    await clean_db.execute("CREATE TABLE IF NOT EXISTS fault_canary (id int PRIMARY KEY)")
    await clean_db.execute("INSERT INTO fault_canary VALUES (1) ON CONFLICT DO NOTHING")
    yield clean_db
    await clean_db.execute("DROP TABLE IF EXISTS fault_canary")


async def _snapshot(db: Any) -> dict[str, Any]:
    missing = [t for t in PLAY_TABLES if not await db.fetch_value("SELECT to_regclass(%s) IS NOT NULL", (t,))]
    return {"missing": missing, "canary": await db.fetch_value("SELECT count(*) FROM fault_canary"),
            "characters": await db.fetch_all("SELECT campaign_id, key FROM characters ORDER BY 1, 2"),
            "spells": await db.fetch_value("SELECT count(*) FROM spells")}


@pytest.mark.parametrize("spec", INJECTABLE, ids=lambda s: s.name)
async def test_sql_injection_in_every_text_argument_changes_nothing_it_asks_for(console: Any, canary: Any,
                                                                                 spec: CommandSpec) -> None:
    for line in PARTY:
        await console.say("dm" if "Mira" in line else "bram", line)
    before = await _snapshot(canary)
    assert before["canary"] == 1 and not before["missing"] and len(before["characters"]) == 2
    for line in _lines(spec):
        replies = await console.say("dm", line)
        record_output(f"sql:{spec.name}", "\n".join(replies))
        assert all("error id" not in r for r in replies), (line, replies)
        after = await _snapshot(canary)
        assert after["canary"] == 1 and not after["missing"], line
        assert after["spells"] == before["spells"], line
        # the party survives (a command may legitimately change a character, e.g. !hp; never all of them)
        assert {(c["campaign_id"], c["key"]) for c in before["characters"]} <= \
               {(c["campaign_id"], c["key"]) for c in after["characters"]}, line


async def test_an_injected_event_is_stored_verbatim(console: Any, canary: Any) -> None:
    payload = TEXT_PAYLOADS[0]
    await console.say("dm", f"!trigger_event {payload}")
    campaign = await console.table.store.campaign_for_channel(console.channel_id)
    stored = (await console.table.store.load(campaign.id)).state  # read back from PostgreSQL
    assert [e["name"] for e in stored["events"].values()] == [payload]
    assert await canary.fetch_value("SELECT count(*) FROM fault_canary") == 1


OWNER_ID = 1
IMPOSTORS = (
    (31, "dm"),  # the owner's display name, another user id
    (31, "<@1>"),  # a mention of the owner as the name
    (0, "owner"),  # user id 0
    (-1, "dm"),  # a negative id (the console's ids are negative; Discord's never are)
)


def _owner_line(spec: CommandSpec) -> str:
    if spec.examples:
        return spec.examples[0]
    return f"!{spec.name} " + " ".join(_filler(spec, a) for a in spec.args if a.required)


@pytest.mark.parametrize("spec", [s for s in REGISTRY.all() if s.owner_only], ids=lambda s: s.name)
async def test_owner_commands_refuse_impostors_and_change_nothing(keep: Any, spec: CommandSpec) -> None:
    table = keep.table(seed=3, owner_id=OWNER_ID)
    await keep.say(table, '!create_character Aria "high elf" wizard', author=31, name="aria")
    version, state = await keep.stored()
    for author, name in IMPOSTORS:
        for text in (_owner_line(spec), f"<@{OWNER_ID}> {_owner_line(spec)}", f"{_owner_line(spec)} <@{OWNER_ID}>"):
            replies = await table.handle(PlayerMessage(keep.channel, next(keep._ids), author, name, text))
            record_output(f"owner:{spec.name}", "\n".join(r.text or "" for r in replies))
            results = [r.result for r in replies if r.result is not None]
            if text.startswith("!"):
                assert len(results) == 1, (author, name, text, replies)
            # a line that starts with a mention is talk, not a command: it runs nothing either
            assert all(isinstance(r, Refusal) for r in results), (author, name, text)
            if text == _owner_line(spec):  # (a trailing mention may be refused as a bad argument first)
                assert results[0].error == "OwnerOnly", (author, name, text)
    assert await keep.stored() == (version, state)
