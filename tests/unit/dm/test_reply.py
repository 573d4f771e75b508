"""The DM reply schema and its tolerant parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dm.errors import MalformedReply
from dm.reply import MAX_EFFECTS, MAX_NARRATIVE, parse_reply, reply_json_schema, tidy_narrative
from game.effects import HpChange, ItemAdd


def _reply(**parts: object) -> str:
    return json.dumps({"narrative": "The lantern gutters.", "rolls": [], "rule_lookups": [], "effects": [], **parts})


def test_a_well_formed_reply_parses_every_part() -> None:
    parsed = parse_reply(_reply(
        rolls=[{"who": "Mira", "kind": "saving_throw", "ability_or_skill": "dexterity", "dc": 14,
                "advantage": "disadvantage", "reason": "the floor gives way"}],
        rule_lookups=[{"kind": "condition", "name": "Prone"}],
        effects=[{"kind": "hp_change", "target": "Mira", "amount": -7, "damage_type": "bludgeoning"},
                 {"kind": "item_add", "target": "Bram", "item": "Rope, hempen (50 feet)"}],
    ))
    assert parsed.narrative == "The lantern gutters."
    assert parsed.rolls[0].dc == 14 and parsed.rolls[0].advantage == "disadvantage"
    assert parsed.rule_lookups[0].name == "Prone"
    assert parsed.effects == (HpChange(target="Mira", amount=-7, damage_type="bludgeoning"),
                              ItemAdd(target="Bram", item="Rope, hempen (50 feet)"))
    assert parsed.rejected_effects == () and not parsed.repaired


def test_code_fences_and_chatter_around_the_json_are_repaired() -> None:
    parsed = parse_reply("Sure! Here is my reply:\n```json\n" + _reply() + "\n```\nHope that helps")
    assert parsed.narrative == "The lantern gutters." and parsed.repaired


def test_a_bad_effect_is_rejected_alone_and_the_story_survives() -> None:
    parsed = parse_reply(_reply(effects=[
        {"kind": "hp_change", "target": "Mira", "amount": 5},
        {"kind": "summon_dragon", "target": "Mira"},
        {"kind": "item_remove", "target": "Mira"},
        "heal everyone",
    ]))
    assert parsed.effects == (HpChange(target="Mira", amount=5),)
    reasons = [reason for _, reason in parsed.rejected_effects]
    assert reasons[0] == "unknown effect kind 'summon_dragon'"
    assert reasons[1] == "item: Field required"
    assert reasons[2] == "unknown effect kind None"


def test_more_effects_than_allowed_are_rejected_not_applied() -> None:
    effects = [{"kind": "xp_award", "targets": ["Mira"], "amount": 10}] * (MAX_EFFECTS + 3)
    parsed = parse_reply(_reply(effects=effects))
    assert len(parsed.effects) == MAX_EFFECTS
    assert [r for _, r in parsed.rejected_effects] == ["too many effects in one reply"] * 3


def test_malformed_rolls_keep_the_narrative() -> None:
    parsed = parse_reply(_reply(rolls=[{"who": "Mira", "kind": "juggling"}]))
    assert parsed.narrative == "The lantern gutters." and parsed.rolls == () and parsed.repaired


@pytest.mark.parametrize("raw", ["", "not json at all", "[1, 2, 3]", '{"rolls": []}', '{"narrative": "   "}',
                                 '{"narrative": 42}'])
def test_no_usable_narrative_is_a_malformed_reply(raw: str) -> None:
    with pytest.raises(MalformedReply) as info:
        parse_reply(raw)
    assert "your message is kept" in info.value.user_message


def test_overlong_narrative_is_refused_by_the_schema_not_cut_silently() -> None:
    parsed = parse_reply(_reply(narrative="x" * (MAX_NARRATIVE + 50)))
    assert len(parsed.narrative) == MAX_NARRATIVE and parsed.repaired


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The door opens. What do you do next?", "The door opens."),
        ("Rain falls. So, what will you do?", "Rain falls."),
        ("Mira asks: what do you do for a living?", "Mira asks: what do you do for a living?"),
        ("What do you do?", "What do you do?"),  # nothing left: keep it rather than send nothing
        # "any question like it" (the standing rule): the review saw these kept
        ("The tide turns. What will you do, adventurers?", "The tide turns."),
        ("Gulls cry. What would you like to do?", "Gulls cry."),
        ("The door is open. How do you proceed?", "The door is open."),
        ("The hall is quiet. What is your next move?", "The hall is quiet."),
        ("Mira frowns. Do you follow her or stay?", "Mira frowns."),
        ('The keeper leans in. "Do you want the key?"', 'The keeper leans in. "Do you want the key?"'),  # speech
        ("The stair ends at a door. Who opens it?", "The stair ends at a door. Who opens it?"),  # no 'you'
    ],
)
def test_the_dm_never_ends_on_what_do_you_do(text: str, expected: str) -> None:
    assert tidy_narrative(text) == expected


def test_schema_bounds_every_list_and_free_string() -> None:
    schema = reply_json_schema()
    props = schema["properties"]
    assert props["narrative"]["maxLength"] == MAX_NARRATIVE
    assert props["effects"]["maxItems"] == MAX_EFFECTS
    assert set(schema["required"]) == {"narrative", "rolls", "rule_lookups", "effects"}
    kinds = {v["properties"]["kind"].get("const") for v in schema["$defs"].values() if "kind" in v.get("properties", {})}
    assert {"hp_change", "combat_start", "turn_advance"} <= kinds
    assert "discriminator" not in json.dumps(schema)
    assert '"pattern"' not in json.dumps(schema)  # grammar compilers anchor patterns


def test_schema_compiles_for_constrained_decoding() -> None:
    xgr = pytest.importorskip("xgrammar")
    grammar = xgr.Grammar.from_json_schema(json.dumps(reply_json_schema()), any_whitespace=False)
    assert "narrative" in str(grammar)


@given(st.text(max_size=300))
def test_any_text_parses_or_is_a_malformed_reply(raw: str) -> None:
    try:
        parsed = parse_reply(raw)
    except MalformedReply:
        return
    assert parsed.narrative


def test_schema_refuses_an_effect_without_its_kind() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = reply_json_schema()
    good = json.loads(_reply(effects=[{"kind": "hp_change", "target": "Mira", "amount": -3}]))
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(_reply(effects=[{}])), schema)
