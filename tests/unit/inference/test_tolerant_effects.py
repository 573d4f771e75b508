"""Per-effect tolerance all the way down: backends check the reply's envelope, `parse_reply` each effect.

One malformed effect among good ones must reach `dm.reply.parse_reply` (good kept, bad rejected
with a reason) without a `BadReply`, a fallback or a breaker failure; a broken envelope (not JSON,
no narrative, a bad roll) still is a `BadReply` the router falls back from.
"""

from __future__ import annotations

import json

import pytest

import dm.reply
import game.validation
from dm.reply import parse_reply, reply_json_schema
from game.effects import HpChange, ItemAdd
from inference.base import envelope_schema, parse_json_reply, wire_schema
from inference.errors import BadReply
from inference.interfaces import TOLERANT_ITEMS
from inference.router import Router, RouterConfig
from inference.scripted import ScriptedBackend

MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I search the crates."}]
FAST = dict(retry_jitter_s=0.0, attempt_timeout_s=1.0)
GOOD = [{"kind": "hp_change", "target": "Mira", "amount": -3, "damage_type": "piercing"},
        {"kind": "item_add", "target": "Bram", "item": "Torch", "quantity": 2}]
BAD = {"kind": "hp_change", "target": "Mira", "amount": "a lot"}


def _reply(**parts: object) -> dict:
    return {"narrative": "A rat bites Mira; Bram finds torches.", "rolls": [], "rule_lookups": [], "effects": [],
            **parts}


def _router(first: list[dict], second: list[dict] | None = None) -> tuple[Router, ScriptedBackend, ScriptedBackend]:
    local = ScriptedBackend(first, name="vllm")
    api = ScriptedBackend(second or [{"reply": _reply(narrative="from the API")}], name="gemini")
    return Router({"vllm": local, "gemini": api}, RouterConfig(**FAST)), local, api


# -- the schema transforms ----------------------------------------------------------------------


def test_envelope_checks_only_that_a_tolerant_field_is_an_array() -> None:
    schema = {"type": "object", "properties": {
        "n": {"type": "string"},
        "effects": {"type": "array", "maxItems": 2, "items": {"type": "integer"}, TOLERANT_ITEMS: True}}}
    envelope = envelope_schema(schema)
    assert envelope["properties"]["effects"] == {"type": "array"}
    assert envelope["properties"]["n"] is schema["properties"]["n"]  # untouched parts are shared, not copied
    assert schema["properties"]["effects"]["maxItems"] == 2  # the caller's schema is never mutated
    assert parse_json_reply('{"n": "x", "effects": ["a", 1, 2, 3]}', schema, "t")["effects"] == ["a", 1, 2, 3]
    with pytest.raises(BadReply, match="schema"):
        parse_json_reply('{"n": "x", "effects": {"a": 1}}', schema, "t")
    plain = {"type": "object", "properties": {"n": {"type": "string"}}}
    assert envelope_schema(plain) is plain and wire_schema(plain) is plain


def test_wire_schema_keeps_the_items_for_the_grammar_and_drops_the_annotation() -> None:
    schema = reply_json_schema()
    wire = wire_schema(schema)
    assert TOLERANT_ITEMS not in json.dumps(wire)
    assert wire["properties"]["effects"]["items"] == schema["properties"]["effects"]["items"]
    assert wire["properties"]["effects"]["maxItems"] == game.validation.MAX_EFFECTS
    assert schema["properties"]["effects"][TOLERANT_ITEMS] is True  # the cached schema is not mutated


def test_the_effect_cap_is_one_number() -> None:
    assert dm.reply.MAX_EFFECTS is game.validation.MAX_EFFECTS == 8
    assert reply_json_schema()["properties"]["effects"]["maxItems"] == game.validation.MAX_EFFECTS


# -- a backend keeps the reply; parse_reply judges each effect -------------------------------------


async def test_one_bad_effect_reaches_parse_reply_with_the_good_ones_kept() -> None:
    backend = ScriptedBackend([{"reply": _reply(effects=[GOOD[0], BAD, GOOD[1], {"kind": "summon_dragon"}])}])
    generation = await backend.generate(MESSAGES, reply_json_schema())
    assert len(generation.data["effects"]) == 4
    parsed = parse_reply(generation.text)
    assert parsed.effects == (HpChange(target="Mira", amount=-3, damage_type="piercing"),
                              ItemAdd(target="Bram", item="Torch", quantity=2))
    assert [effect for effect, _ in parsed.rejected_effects] == [BAD, {"kind": "summon_dragon"}]
    assert parsed.rejected_effects[0][1].startswith("amount:")
    assert parsed.rejected_effects[1][1] == "unknown effect kind 'summon_dragon'"


async def test_more_effects_than_the_cap_are_kept_by_the_backend_and_capped_by_the_parser() -> None:
    backend = ScriptedBackend([{"reply": _reply(effects=[GOOD[0]] * (game.validation.MAX_EFFECTS + 2))}])
    parsed = parse_reply((await backend.generate(MESSAGES, reply_json_schema())).text)
    assert len(parsed.effects) == game.validation.MAX_EFFECTS
    assert [reason for _, reason in parsed.rejected_effects] == ["too many effects in one reply"] * 2


async def test_the_router_records_no_fallback_and_no_breaker_failure_for_a_bad_effect() -> None:
    router, local, api = _router([{"reply": _reply(effects=[BAD, GOOD[0]])}])
    generation = await router.generate(MESSAGES, reply_json_schema())
    assert generation.backend == "vllm" and generation.fallbacks == ()
    assert router.breakers["vllm"].failures == 0 and api.requests == []
    parsed = parse_reply(generation.text)
    assert len(parsed.effects) == 1 and len(parsed.rejected_effects) == 1


# -- a broken envelope is still a bad reply ---------------------------------------------------------


@pytest.mark.parametrize("entry", [
    {"text": "The rat bites."},  # not JSON
    {"text": "[1, 2]"},  # JSON, not an object
    {"reply": {k: v for k, v in _reply().items() if k != "narrative"}},  # no narrative
    {"reply": _reply(narrative=7)},  # narrative not a string
    {"reply": _reply(narrative="")},  # empty narrative
    {"reply": _reply(narrative="x" * (dm.reply.MAX_NARRATIVE + 1))},  # over the bound
    {"reply": _reply(rolls=[{"who": "Mira", "kind": "juggling"}])},  # a bad roll
    {"reply": _reply(rule_lookups=[{"kind": "spell"}])},  # a bad lookup
    {"reply": _reply(effects={"kind": "hp_change"})},  # effects not an array
], ids=["not-json", "not-object", "no-narrative", "narrative-number", "narrative-empty", "narrative-long",
        "bad-roll", "bad-lookup", "effects-not-array"])
async def test_a_broken_envelope_raises_bad_reply_and_the_router_falls_back(entry: dict) -> None:
    with pytest.raises(BadReply):
        await ScriptedBackend([entry]).generate(MESSAGES, reply_json_schema())
    router, _, api = _router([entry])
    generation = await router.generate(MESSAGES, reply_json_schema())
    assert generation.backend == "gemini" and generation.fallbacks == (("vllm", "bad_reply"),)
    assert router.breakers["vllm"].failures == 1 and len(api.requests) == 1
