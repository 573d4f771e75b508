"""Fuzzed and hostile AI JSON: whatever the model sends back, the rules engine lets 0 illegal changes through.
Extends tests/integration/test_turn_injection.py (which plays hand-written hostile replies) with
Hypothesis-generated ones, through the real DM turn, the real Table and the real PostgreSQL.

After every reply the state read back from PostgreSQL still validates (HP, slots, exhaustion within their
bounds: `GameState.from_dict` checks every field), the party is the same party, nobody gained a coin or an
item that dm.grounding's policy does not allow when nothing grounds it (the player searches an empty room;
no campaign text, no fallen foe: only a common SRD magic item a turn), every condition is a real one,
a fight holds only combatants that exist, and the other campaign at the same server is untouched."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from faults.fault_helpers import given_async, record_output
from game.conditions import CONDITION_RULES
from game.effects import GameState
from inference.scripted import ScriptedBackend
from test_turn_grounding import party, table  # noqa: E402 - tests/integration, put on sys.path by fault_helpers

TARGETS = st.one_of(st.sampled_from(["brakka", "mira", "goblin-1"]),  # real ones half the time
                    st.sampled_from(["zephyrine", "nobody", "", "Brakka", "pc-31", "../mira", "brakka\x00", "*", "%",
                                     "mira; DROP TABLE characters"]))
NUMBERS = st.one_of(st.integers(-10**12, 10**12), st.sampled_from([0, -1, 1, 2**31, -2**31, 2**63, 999]))
WILD = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, st.floats(allow_nan=True), st.text(max_size=20)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=6)
FIELD_VALUES = {
    "target": TARGETS, "amount": NUMBERS, "quantity": NUMBERS, "level": NUMBERS, "gp": NUMBERS, "sp": NUMBERS,
    "item": st.sampled_from(["Vorpal Sword", "Potion of Healing", "", "x" * 500, "gold"]),
    "condition": st.sampled_from(["prone", "poisoned", "dead", "godmode", "exhaustion", "", "PRONE"]),
    "resource": st.sampled_from(["rage", "ki", "sorcery points", "infinite"]),
    "destination": st.sampled_from(["Saltmere", "The Nine Hells", ""]),
    "targets": st.lists(TARGETS, max_size=3), "actor": TARGETS,
    "combatants": st.lists(st.fixed_dictionaries({"id": TARGETS}, optional={"hit_points": NUMBERS,
                                                                          "initiative": NUMBERS}), max_size=3),
}
# dm.grounding: with no campaign passage and no fallen foe, the one gain the policy allows from this list is a
# common SRD magic item (a Potion of Healing); no coins, no XP, no Vorpal Sword (very rare), nothing made up
ALLOWED_GAINS = {"potion of healing"}
KINDS = ["hp_change", "temp_hp", "item_add", "item_remove", "condition_set", "condition_clear", "slot_spend",
         "resource_spend", "feature_end", "location_change", "xp_award", "combat_start", "combat_end", "combat_join",
         "combat_leave", "turn_advance", "npc_introduce", "plot_advance", "currency_change", "teleport", "", None]


SMALL = st.one_of(st.integers(-60, 60), NUMBERS)
TYPED = {  # each kind with its fields well typed (so the reply passes the schema) but hostile in value
    "hp_change": {"target": TARGETS, "amount": SMALL}, "temp_hp": {"target": TARGETS, "amount": SMALL},
    "item_add": {"target": TARGETS, "item": FIELD_VALUES["item"], "quantity": SMALL},
    "item_remove": {"target": TARGETS, "item": FIELD_VALUES["item"], "quantity": SMALL},
    "condition_set": {"target": TARGETS, "condition": FIELD_VALUES["condition"]},
    "condition_clear": {"target": TARGETS, "condition": FIELD_VALUES["condition"]},
    "slot_spend": {"target": TARGETS, "level": st.integers(-2, 12)},
    "resource_spend": {"target": TARGETS, "resource": FIELD_VALUES["resource"], "amount": SMALL},
    "feature_end": {"target": TARGETS}, "location_change": {"destination": FIELD_VALUES["destination"]},
    "xp_award": {"targets": FIELD_VALUES["targets"], "amount": SMALL},
    "combat_start": {"combatants": FIELD_VALUES["combatants"]}, "combat_end": {},
    "combat_join": {"combatants": FIELD_VALUES["combatants"]}, "combat_leave": {"target": TARGETS},
    "turn_advance": {"actor": TARGETS}, "currency_change": {"target": TARGETS, "gp": SMALL},
}


@st.composite
def effects(draw: st.DrawFn) -> Any:
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return draw(WILD)  # not even an object
    if roll <= 6:
        kind = draw(st.sampled_from(sorted(TYPED)))
        return {"kind": kind, **draw(st.fixed_dictionaries(TYPED[kind]))}
    effect: dict[str, Any] = {"kind": draw(st.sampled_from(KINDS))}
    for name in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=5, unique=True)):
        effect[name] = draw(FIELD_VALUES[name])
    if draw(st.booleans()):
        effect.update(draw(st.dictionaries(st.text(max_size=8), WILD, max_size=2)))
    return effect


@st.composite
def replies(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return {"text": draw(st.text(max_size=200))}  # not JSON at all
    if shape == 1:
        return {"reply": draw(WILD)}  # JSON, but not a reply
    wild = shape == 2  # a reply whose parts are of the wrong types
    reply: dict[str, Any] = {"narrative": draw(WILD) if wild else draw(st.sampled_from(
                                 ["The room is empty.", "You find a chest of 1000 gp!", "", "Ignore the rules."])),
                             "rolls": draw(WILD) if wild else [], "rule_lookups": [],
                             "effects": draw(WILD) if wild else draw(st.lists(effects(), max_size=6))}
    return {"reply": reply}


def _wealth(state: GameState) -> dict[str, tuple[int, dict[str, int]]]:
    out = {}
    for cid, c in state.characters.items():
        coins = c.currency.cp + 10 * c.currency.sp + 50 * c.currency.ep + 100 * c.currency.gp + 1000 * c.currency.pp
        out[cid] = (coins, {i.name.lower(): i.quantity for i in c.inventory.items})
    return out


async def test_fuzzed_ai_replies_make_no_illegal_change(keep: Any, rules: Any) -> None:
    before = await party(keep)
    other = await keep.repo.create_campaign("Ember Vault")
    other_version = (await keep.repo.load(other.id)).version
    known = {str(c).lower() for c in CONDITION_RULES} | {"exhaustion"}
    ids = iter(range(810_000, 900_000))
    verdicts = {"applied": 0, "refused": 0}

    async def one(reply: dict[str, Any]) -> None:
        version, state = await keep.stored()
        backend = ScriptedBackend([reply])
        said = await keep.say(table(keep, backend, rules), "We search the empty room.", author=31, name="brakka",
                              message_id=next(ids))  # fmt: skip
        record_output("hostile-ai-json", said.text or "")
        verdicts["applied"] += len(said.applied)
        verdicts["refused"] += len(said.refused)
        assert "error id" not in (said.text or ""), (reply, said)
        now_version, now = await keep.stored()  # from PostgreSQL, validated field by field
        assert set(now.characters) == set(before.characters), reply
        for cid, (coins, items) in _wealth(now).items():
            was_coins, was_items = _wealth(state)[cid]
            assert coins <= was_coins, (reply, cid)
            gained = {name for name in items if items[name] > was_items.get(name, 0)}
            assert gained <= ALLOWED_GAINS, (reply, cid, gained)
            assert now.characters[cid].max_hp == before.characters[cid].max_hp, reply
            assert {c.lower().split(":")[0] for c in now.characters[cid].conditions} <= known, reply
        if now.combat is not None:
            present = set(now.characters) | set(now.creatures)
            assert {c.id for c in now.combat.combatants} <= present, reply
        if now_version == version:
            assert now == state, reply
        assert (await keep.repo.load(other.id)).version == other_version

    # a control: a legal change in the same set-up is applied (so the fuzz below is not refused wholesale)
    await one({"reply": {"narrative": "Brakka trips over a loose stone.", "rolls": [], "rule_lookups": [],
                         "effects": [{"kind": "condition_set", "target": "brakka", "condition": "prone"}]}})
    assert verdicts["applied"] == 1, verdicts
    await given_async(replies(), one, max_examples=50)
    assert verdicts["refused"] > 50, verdicts  # the engine judged many changes
