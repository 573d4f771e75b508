"""validate_effects: every proposed effect is applied with exact values or refused with a reason."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import game_states, proposed_effects

import game.errors as errors
from game.character import Character
from game.effects import Creature, GameState, HpChange, SlotSpend
from game.inventory import Currency, make_item
from game.slots import slots_for
from game.validation import MAX_EFFECTS, apply_effects, validate_effects


def aria() -> Character:
    c = Character(name="Aria", race="Elf", class_name="Wizard", level=5, hp=20, max_hp=27,
                  spell_slots=slots_for("full", 5), currency=Currency(gp=12, sp=3))  # fmt: skip
    c.add_item(make_item("Potion of healing", 2))
    c.add_item(make_item("Dagger"))
    return c


def bram() -> Character:
    return Character(name="Bram", race="Dwarf", class_name="Fighter", level=5, hp=44, max_hp=44)


@pytest.fixture
def state() -> GameState:
    return GameState(
        characters={"aria": aria(), "bram": bram()},
        creatures={"gob": Creature(id="gob", name="Goblin", hp=7, max_hp=7, armor_class=15, dexterity=14)},
        location="Saltmere",
        known_locations=("Saltmere", "The Drowned Lantern"),
    )


def one(state: GameState, effect: dict[str, Any]) -> tuple[GameState, Any]:
    new, outcomes = apply_effects(state, [effect], rng=random.Random(1))
    assert len(outcomes) == 1
    return new, outcomes[0]


def refused(state: GameState, effect: dict[str, Any], error: type[errors.RulesError]) -> str:
    new, outcome = one(state, effect)
    assert outcome.accepted is False
    assert outcome.error == error.__name__
    assert outcome.reason and outcome.reason.endswith((".", "!"))
    assert new == state  # a refused effect changes nothing
    return outcome.reason


# --- hit points -----------------------------------------------------------------------------------


def test_absurd_heal_is_refused_not_clamped(state: GameState) -> None:
    reason = refused(state, {"kind": "hp_change", "target": "aria", "amount": 48769}, errors.IllegalEffect)
    assert "48769" in reason


def test_heal_beyond_missing_hp_is_accepted_and_reports_the_waste(state: GameState) -> None:
    new, out = one(state, {"kind": "hp_change", "target": "aria", "amount": 10})
    assert out.accepted
    assert out.changes == {"target": "aria", "hp": 27, "regained": 7, "wasted": 3, "revived": False}
    assert new.characters["aria"].hp == 27
    assert state.characters["aria"].hp == 20  # the input state is untouched


def test_damage_with_dwarven_poison_resistance(state: GameState) -> None:
    new, out = one(state, {"kind": "hp_change", "target": "Bram", "amount": -9, "damage_type": "poison"})
    assert out.accepted and out.changes["damage_taken"] == 4 and out.changes["hp"] == 40
    assert new.characters["bram"].hp == 40


def test_dropping_to_zero_knocks_out_and_ends_concentration(state: GameState) -> None:
    start = state.characters["aria"].model_copy(deep=True)
    start.start_concentration("Hold Person")
    state = state.model_copy(update={"characters": {**state.characters, "aria": start}})
    new, out = one(state, {"kind": "hp_change", "target": "aria", "amount": -25})
    assert out.changes["hp"] == 0 and out.changes["dropped_to_zero"] and not out.changes["dead"]
    assert new.characters["aria"].conditions == ["unconscious"]
    assert new.characters["aria"].concentration is None


def test_concentration_save_is_reported(state: GameState) -> None:
    start = state.characters["aria"].model_copy(deep=True)
    start.start_concentration("Hold Person")
    state = state.model_copy(update={"characters": {**state.characters, "aria": start}})
    _, out = one(state, {"kind": "hp_change", "target": "aria", "amount": -4})
    assert out.changes["concentration_save_dc"] == 10


def test_massive_damage_kills_outright(state: GameState) -> None:
    # 20 HP, max 27: 47 damage leaves 27 remaining = the maximum → instant death
    new, out = one(state, {"kind": "hp_change", "target": "aria", "amount": -47})
    assert out.changes["instant_death"] is True and out.changes["dead"] is True
    assert new.characters["aria"].dead is True
    refused(new, {"kind": "hp_change", "target": "aria", "amount": 5}, errors.IllegalEffect)


def test_damage_at_zero_adds_death_save_failures_then_healing_revives(state: GameState) -> None:
    effects = [
        {"kind": "hp_change", "target": "aria", "amount": -20},
        {"kind": "hp_change", "target": "aria", "amount": -1, "critical": True},
    ]
    new, outs = apply_effects(state, effects)
    assert [o.accepted for o in outs] == [True, True]
    assert new.characters["aria"].death_saves.failures == 2
    healed, out = one(new, {"kind": "hp_change", "target": "aria", "amount": 3})
    assert out.changes["revived"] is True
    assert healed.characters["aria"].hp == 3
    assert healed.characters["aria"].death_saves.failures == 0
    assert "unconscious" not in healed.characters["aria"].conditions
    dead, outs = apply_effects(new, [{"kind": "hp_change", "target": "aria", "amount": -1}])
    assert outs[0].changes["dead"] is True


def test_monsters_die_at_zero(state: GameState) -> None:
    new, out = one(state, {"kind": "hp_change", "target": "Goblin", "amount": -9, "damage_type": "slashing"})
    assert out.changes["hp"] == 0 and out.changes["dead"] is True
    assert new.creatures["gob"].dead


def test_temporary_hit_points_do_not_stack(state: GameState) -> None:
    new, out = one(state, {"kind": "temp_hp", "target": "aria", "amount": 12})
    assert out.accepted and new.characters["aria"].temp_hp == 12
    refused(new, {"kind": "temp_hp", "target": "aria", "amount": 10}, errors.IllegalEffect)
    refused(new, {"kind": "temp_hp", "target": "aria", "amount": 5000}, errors.IllegalEffect)


def test_unknown_character_and_damage_type(state: GameState) -> None:
    refused(state, {"kind": "hp_change", "target": "Zed", "amount": -3}, errors.UnknownCharacter)
    refused(state, {"kind": "hp_change", "target": "aria", "amount": -3, "damage_type": "sonic"}, errors.RulesError)
    refused(state, {"kind": "hp_change", "target": "aria", "amount": 0}, errors.IllegalEffect)
    refused(state, {"kind": "hp_change", "target": "aria", "amount": -100000}, errors.IllegalEffect)


# --- items, coins, conditions, slots --------------------------------------------------------------


def test_items(state: GameState) -> None:
    new, out = one(state, {"kind": "item_remove", "target": "aria", "item": "potion of healing"})
    assert out.changes == {"target": "aria", "item": "Potion of healing", "removed": 1, "quantity": 1}
    refused(state, {"kind": "item_remove", "target": "aria", "item": "Vorpal Sword"}, errors.ItemNotFound)
    refused(state, {"kind": "item_remove", "target": "aria", "item": "Dagger", "quantity": 3}, errors.ItemNotFound)
    new, out = one(state, {"kind": "item_add", "target": "aria", "item": "Rope, hempen (50 feet)"})
    assert out.accepted and new.characters["aria"].has_item("rope, hempen (50 feet)")
    refused(state, {"kind": "item_add", "target": "aria", "item": "Gold bar", "quantity": 10**9}, errors.IllegalEffect)
    refused(state, {"kind": "item_add", "target": "gob", "item": "Dagger"}, errors.IllegalEffect)


def test_coins_spend_named_coins_then_make_change(state: GameState) -> None:
    new, out = one(state, {"kind": "currency_change", "target": "aria", "gp": -2, "sp": 5})
    assert out.changes["currency"] == {"cp": 0, "sp": 8, "ep": 0, "gp": 10, "pp": 0}
    new, out = one(state, {"kind": "currency_change", "target": "aria", "sp": -5})  # 3 sp + change from a gold
    assert out.accepted and new.characters["aria"].currency.total_cp == 1230 - 50
    refused(state, {"kind": "currency_change", "target": "aria", "pp": -5}, errors.IllegalEffect)
    refused(state, {"kind": "currency_change", "target": "aria"}, errors.IllegalEffect)


def test_conditions(state: GameState) -> None:
    refused(state, {"kind": "condition_set", "target": "aria", "condition": "sleepy"}, errors.UnknownCondition)
    new, out = one(state, {"kind": "condition_set", "target": "aria", "condition": "Prone"})
    assert out.changes == {"target": "aria", "conditions": ["prone"]}
    refused(new, {"kind": "condition_set", "target": "aria", "condition": "prone"}, errors.IllegalEffect)
    cleared, out = one(new, {"kind": "condition_clear", "target": "aria", "condition": "prone"})
    assert cleared.characters["aria"].conditions == []
    refused(state, {"kind": "condition_clear", "target": "aria", "condition": "poisoned"}, errors.IllegalEffect)


def test_exhaustion_levels(state: GameState) -> None:
    new, out = one(state, {"kind": "condition_set", "target": "bram", "condition": "exhaustion"})
    assert out.changes["exhaustion"] == 1
    new, out = one(new, {"kind": "condition_set", "target": "bram", "condition": "exhaustion", "level": 3})
    assert new.characters["bram"].exhaustion == 3
    refused(new, {"kind": "condition_clear", "target": "bram", "condition": "exhaustion", "level": 4},
            errors.IllegalEffect)  # fmt: skip
    new, out = one(new, {"kind": "condition_clear", "target": "bram", "condition": "exhaustion", "level": 2})
    assert new.characters["bram"].exhaustion == 1
    dead, out = one(new, {"kind": "condition_set", "target": "bram", "condition": "exhaustion", "level": 6})
    assert out.changes["dead"] is True and dead.characters["bram"].dead


def test_slot_spend_until_none_left(state: GameState) -> None:
    spend = SlotSpend(target="aria", level=3, spell="Fireball")
    new, outs = apply_effects(state, [spend, spend, spend])
    assert [o.accepted for o in outs] == [True, True, False]
    assert outs[1].changes["remaining"] == 0
    assert outs[2].error == "NoSpellSlot"
    assert outs[2].reason == "Aria cannot cast Fireball: no level-3 spell slots are left."
    assert new.characters["aria"].spell_slots.available(3) == 0
    assert state.characters["aria"].spell_slots.available(3) == 2
    refused(state, {"kind": "slot_spend", "target": "bram", "level": 1}, errors.NoSpellSlot)
    refused(state, {"kind": "slot_spend", "target": "aria", "level": 10}, errors.NoSpellSlot)


def test_an_unconscious_caster_casts_nothing(state: GameState) -> None:
    down, _ = one(state, {"kind": "hp_change", "target": "aria", "amount": -20})
    refused(down, {"kind": "slot_spend", "target": "aria", "level": 1}, errors.IllegalEffect)


# --- world and combat -----------------------------------------------------------------------------


def test_location_change(state: GameState) -> None:
    new, out = one(state, {"kind": "location_change", "destination": "the drowned lantern"})
    assert out.changes == {"location": "The Drowned Lantern", "new_location": False}
    refused(state, {"kind": "location_change", "destination": "Mordor"}, errors.IllegalEffect)
    refused(state, {"kind": "location_change", "destination": "Saltmere"}, errors.IllegalEffect)
    new, out = one(state, {"kind": "location_change", "destination": "Gull Rock", "discovered": True})
    assert new.known_locations[-1] == "Gull Rock" and out.changes["new_location"] is True


def test_xp_award(state: GameState) -> None:
    new, out = one(state, {"kind": "xp_award", "targets": ["aria", "Bram"], "amount": 450})
    assert out.changes == {"amount": 450, "xp": {"aria": 450, "bram": 450}}
    refused(state, {"kind": "xp_award", "targets": ["aria", "zed"], "amount": 50}, errors.UnknownCharacter)
    refused(state, {"kind": "xp_award", "targets": ["aria"], "amount": -50}, errors.IllegalEffect)
    assert new.characters["aria"].xp == 450


def test_npcs_and_plot_threads(state: GameState) -> None:
    new, out = one(state, {"kind": "npc_introduce", "name": "Old Marta", "description": "a lamp-keeper"})
    assert out.accepted and "old marta" in new.npcs
    refused(new, {"kind": "npc_introduce", "name": "old marta"}, errors.IllegalEffect)
    refused(state, {"kind": "npc_introduce", "name": "Aria"}, errors.IllegalEffect)
    new, out = one(state, {"kind": "plot_advance", "thread": "The missing keeper", "progress": "a clue"})
    assert out.changes == {"thread": "The missing keeper", "new": True, "resolved": False}
    new, out = one(new, {"kind": "plot_advance", "thread": "the missing keeper", "resolved": True})
    assert new.plot_threads["the missing keeper"].resolved
    refused(new, {"kind": "plot_advance", "thread": "The missing keeper", "progress": "more"}, errors.IllegalEffect)


def test_combat_start_turns_and_end(state: GameState) -> None:
    start = {"kind": "combat_start", "combatants": [
        {"id": "aria", "initiative": 15}, {"id": "bram", "initiative": 9}, {"id": "gob", "initiative": 12},
        {"id": "gob2", "name": "Goblin Boss", "hit_points": 21, "dexterity": 14, "initiative": 3}]}  # fmt: skip
    new, out = one(state, start)
    assert [c["id"] for c in out.changes["order"]] == ["aria", "gob", "bram", "gob2"]
    assert out.changes["current"] == "aria"
    assert new.creatures["gob2"].max_hp == 21
    refused(new, start, errors.IllegalEffect)  # already fighting
    refused(new, {"kind": "turn_advance", "actor": "bram"}, errors.NotYourTurn)
    refused(new, {"kind": "location_change", "destination": "The Drowned Lantern"}, errors.IllegalEffect)
    new, out = one(new, {"kind": "turn_advance", "actor": "Aria"})
    assert out.changes["current"] == "gob" and out.changes["round"] == 1
    # the goblin dies; when Bram ends his turn the boss is up, and after the boss the dead goblin is skipped
    new, _ = one(new, {"kind": "hp_change", "target": "gob", "amount": -7})
    new, out = one(new, {"kind": "turn_advance", "actor": "gob"})
    new, out = one(new, {"kind": "turn_advance", "actor": "bram"})
    assert out.changes["current"] == "gob2"
    new, out = one(new, {"kind": "turn_advance", "actor": "gob2"})
    assert (out.changes["current"], out.changes["round"], out.changes["new_round"]) == ("aria", 2, True)
    new, out = one(new, {"kind": "turn_advance", "actor": "aria"})
    assert out.changes["current"] == "bram" and out.changes["skipped"] == ["gob"]
    ended, out = one(new, {"kind": "combat_end"})
    assert ended.combat is None and out.changes["rounds"] == 2
    refused(ended, {"kind": "combat_end"}, errors.NoCombatants)
    refused(ended, {"kind": "turn_advance", "actor": "aria"}, errors.NoCombatants)


def test_combat_start_needs_hit_points_for_new_creatures(state: GameState) -> None:
    reason = refused(state, {"kind": "combat_start", "combatants": [{"id": "troll"}]}, errors.IllegalEffect)
    assert "hit points" in reason


def test_dying_character_gets_a_death_save_prompt(state: GameState) -> None:
    start = {"kind": "combat_start", "combatants": [{"id": "bram", "initiative": 15}, {"id": "aria", "initiative": 3}]}
    new, outs = apply_effects(state, [start, {"kind": "hp_change", "target": "aria", "amount": -20},
                                      {"kind": "turn_advance", "actor": "bram"}])  # fmt: skip
    assert outs[2].changes["death_save_due"] is True


# --- the contract ---------------------------------------------------------------------------------


def test_garbage_and_unknown_kinds_are_refused(state: GameState) -> None:
    outs = validate_effects(state, ["garbage", None, {"kind": "teleport", "target": "aria"}, {"kind": "hp_change"}])
    assert [o.accepted for o in outs] == [False] * 4
    assert {o.error for o in outs} == {"IllegalEffect"}
    assert outs[2].reason == "'teleport' is not a kind of change the rules know."


def test_too_many_effects_are_refused_individually(state: GameState) -> None:
    effects = [HpChange(target="bram", amount=-1)] * (MAX_EFFECTS + 2)
    outs = validate_effects(state, effects)
    assert sum(o.accepted for o in outs) == MAX_EFFECTS
    assert outs[-1].accepted is False


def test_later_effects_see_earlier_ones(state: GameState) -> None:
    new, outs = apply_effects(state, [
        {"kind": "item_add", "target": "bram", "item": "Lantern key"},
        {"kind": "item_remove", "target": "bram", "item": "lantern key"},
    ])  # fmt: skip
    assert [o.accepted for o in outs] == [True, True]
    assert not new.characters["bram"].has_item("Lantern key")


def test_state_round_trips_through_dict(state: GameState) -> None:
    new, _ = apply_effects(state, [{"kind": "combat_start", "combatants": [{"id": "aria"}, {"id": "gob"}]}],
                           rng=random.Random(5))  # fmt: skip
    assert GameState.from_dict(new.to_dict()) == new


RULES_ERRORS = {name for name in errors.__all__ if isinstance(getattr(errors, name), type)
                and issubclass(getattr(errors, name), errors.RulesError)}  # fmt: skip


def check_outcomes(state: GameState, effects: list[Any], seed: int) -> None:
    """The contract: input untouched, one outcome each, refusals are RulesErrors, invariants hold."""
    before = state.model_dump()
    new, outcomes = apply_effects(state, effects, rng=random.Random(seed))
    assert state.model_dump() == before  # never mutates its input
    assert [o.index for o in outcomes] == list(range(len(effects)))
    for outcome in outcomes:
        if not outcome.accepted:
            assert outcome.error in RULES_ERRORS
            assert outcome.reason
    for who in [*new.characters.values(), *new.creatures.values()]:
        assert 0 <= who.hp <= who.max_hp
        assert who.temp_hp >= 0
    for character in new.characters.values():
        assert all(v >= 0 for v in character.spell_slots.current.values())
        assert character.xp >= 0
    if new.combat is not None:
        assert sorted(c.id for c in new.combat.combatants) == sorted({c.id for c in new.combat.combatants})


FIXTURE_TARGETS = ["aria", "Aria", "bram", "gob", "Goblin", "gob2"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(effects=st.lists(proposed_effects(FIXTURE_TARGETS), max_size=12), seed=st.integers(0, 2**16))
def test_every_effect_is_applied_or_refused_with_a_rules_error(state: GameState, effects: list[Any],
                                                              seed: int) -> None:  # fmt: skip
    check_outcomes(state, effects, seed)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_any_party_any_effects(data: st.DataObject, seed: int) -> None:
    state = data.draw(game_states())
    targets = [*state.characters, *state.creatures, *(c.name for c in state.characters.values())]
    effects = data.draw(st.lists(proposed_effects(targets), max_size=10))
    check_outcomes(state, effects, seed)


def test_exhaustion_four_halves_the_hit_point_maximum_for_healing(state: GameState) -> None:
    # Bram: 44/44. Exhaustion 4 → maximum 22, so his hit points drop to 22 and healing stops there.
    new, out = one(state, {"kind": "condition_set", "target": "bram", "condition": "exhaustion", "level": 4})
    assert out.changes["hp"] == 22
    hurt, _ = one(new, {"kind": "hp_change", "target": "bram", "amount": -10})
    healed, out = one(hurt, {"kind": "hp_change", "target": "bram", "amount": 15})
    assert out.changes == {"target": "bram", "hp": 22, "regained": 10, "wasted": 5, "revived": False}


def test_lenient_shapes_from_a_model(state: GameState) -> None:
    # a single target string for an XP award, an extra key the schema doesn't know, a numeric string
    outs = validate_effects(
        state,
        [
            {"kind": "xp_award", "targets": "bram", "amount": "100", "note": "for the goblins"},
            {"kind": "hp_change", "target": "bram", "amount": -2.5},
        ],
    )
    assert outs[0].accepted and outs[0].changes["xp"] == {"bram": 100}
    assert outs[1].accepted is False and outs[1].error == "IllegalEffect"


def test_petrified_creatures_take_no_poison_damage_and_cannot_be_poisoned(state: GameState) -> None:
    # SRD p. 359 (Petrified): resistance to all damage, immune to poison.
    stone, _ = one(state, {"kind": "condition_set", "target": "bram", "condition": "petrified"})
    new, out = one(stone, {"kind": "hp_change", "target": "bram", "amount": -12, "damage_type": "poison"})
    assert out.accepted and out.changes["damage_taken"] == 0 and new.characters["bram"].hp == 44
    new, out = one(stone, {"kind": "hp_change", "target": "bram", "amount": -12, "damage_type": "fire"})
    assert out.changes["damage_taken"] == 6  # resistance to everything else
    refused(stone, {"kind": "condition_set", "target": "bram", "condition": "poisoned"}, errors.IllegalEffect)


def test_combat_start_rolls_initiative_with_the_characters_initiative_modifier() -> None:
    # A Bard with Jack of All Trades adds half proficiency (+1 at level 5) to the Dexterity check.
    from game.abilities import AbilityScores
    from game.character import Proficiencies

    def bard(joat: bool) -> Character:
        return Character(name="Lark", race="Human", class_name="Bard", level=5, hp=30, max_hp=30,
                         ability_scores=AbilityScores(dexterity=14),
                         proficiencies=Proficiencies(jack_of_all_trades=joat))  # fmt: skip

    rolls = {}
    for joat in (False, True):
        s = GameState(characters={"lark": bard(joat)})
        _, out = one(s, {"kind": "combat_start", "combatants": [{"id": "lark"}]})
        rolls[joat] = out.changes["order"][0]["initiative"]
    assert rolls[True] == rolls[False] + 1  # same seed, same d20


def test_combatants_join_and_leave_a_fight_and_the_current_turn_holds(state: GameState) -> None:
    # SRD p. 90: the order holds from round to round; newcomers slot in by initiative, and whoever is up
    # keeps the turn. Leaving on your own turn passes it on.
    start = {"kind": "combat_start", "combatants": [
        {"id": "aria", "initiative": 15}, {"id": "bram", "initiative": 9}, {"id": "gob", "initiative": 12}]}  # fmt: skip
    fight, _ = one(state, start)
    fight, _ = one(fight, {"kind": "turn_advance", "actor": "aria"})  # the goblin's turn
    joined, out = one(fight, {"kind": "combat_join", "combatants": [
        {"id": "wolf", "name": "Wolf", "hit_points": 11, "dexterity": 15, "initiative": 14},
        {"id": "gob2", "name": "Goblin Boss", "hit_points": 21, "initiative": 2}]})  # fmt: skip
    assert out.accepted
    assert [c["id"] for c in out.changes["order"]] == ["aria", "wolf", "gob", "bram", "gob2"]
    assert out.changes["current"] == "gob" and out.changes["round"] == 1
    assert joined.creatures["wolf"].max_hp == 11
    refused(joined, {"kind": "combat_join", "combatants": [{"id": "bram"}]}, errors.IllegalEffect)  # already in
    refused(joined, {"kind": "combat_join", "combatants": [{"id": "troll"}]}, errors.IllegalEffect)  # no HP
    # the goblin flees on its own turn: Bram is up, same round
    left, out = one(joined, {"kind": "combat_leave", "target": "gob"})
    assert out.changes["current"] == "bram" and out.changes["round"] == 1
    assert "gob" not in [c.id for c in left.combat.combatants]
    # someone earlier in the order leaves: the turn stays with Bram
    left, out = one(left, {"kind": "combat_leave", "target": "Aria"})
    assert out.changes["current"] == "bram"
    refused(left, {"kind": "combat_leave", "target": "aria"}, errors.UnknownCharacter)  # not in the fight
    refused(state, {"kind": "combat_leave", "target": "aria"}, errors.NoCombatants)
    refused(state, {"kind": "combat_join", "combatants": [{"id": "aria"}]}, errors.NoCombatants)


def test_knocking_a_creature_out_leaves_it_unconscious_and_stable(state: GameState) -> None:
    # SRD p. 98, "Knocking a Creature Out": reduced to 0 by a melee attack, the attacker can knock it out —
    # "The creature falls unconscious and is stable." A monster then does not die.
    new, out = one(state, {"kind": "hp_change", "target": "gob", "amount": -9, "knock_out": True})
    gob = new.creatures["gob"]
    assert out.accepted and (gob.hp, gob.dead) == (0, False) and "unconscious" in gob.conditions
    assert out.changes["dead"] is False and out.changes["knocked_out"] is True
    healed, out = one(new, {"kind": "hp_change", "target": "gob", "amount": 3})
    assert healed.creatures["gob"].hp == 3 and "unconscious" not in healed.creatures["gob"].conditions
    new, out = one(state, {"kind": "hp_change", "target": "bram", "amount": -50, "knock_out": True})
    bram = new.characters["bram"]
    assert (bram.hp, bram.dead, bram.death_saves.stable) == (0, False, True) and "unconscious" in bram.conditions
    # without knock_out the goblin dies as usual
    new, out = one(state, {"kind": "hp_change", "target": "gob", "amount": -9})
    assert new.creatures["gob"].dead


def test_exhausted_or_poisoned_combatants_roll_initiative_with_disadvantage(state: GameState) -> None:
    # SRD p. 90: initiative is a Dexterity check; p. 358: exhaustion 1 and poisoned give disadvantage on checks.
    def initiative(condition: dict[str, Any] | None) -> int:
        s = state if condition is None else one(state, condition)[0]
        _, outs = apply_effects(s, [{"kind": "combat_start", "combatants": [{"id": "bram"}]}], rng=random.Random(6))
        return outs[0].changes["order"][0]["initiative"]

    rng = random.Random(6)  # the first d20, then the second: 19 and 3
    first, second = rng.randint(1, 20), rng.randint(1, 20)
    assert first > second
    assert initiative(None) == first  # Bram: Dex 10
    assert initiative({"kind": "condition_set", "target": "bram", "condition": "poisoned"}) == min(first, second)
    assert initiative({"kind": "condition_set", "target": "bram", "condition": "exhaustion"}) == min(first, second)


def test_a_dragonborn_resists_the_damage_of_its_ancestry() -> None:
    from game.creation import create_character, standard_array

    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    kael = create_character("Kael", "dragonborn", "fighter", scores, ["athletics", "history"], subrace="red")
    assert kael.subrace == "Red"
    s = GameState(characters={"kael": kael})
    _, out = one(s, {"kind": "hp_change", "target": "kael", "amount": -9, "damage_type": "fire"})
    assert out.changes["damage_taken"] == 4
    _, out = one(s, {"kind": "hp_change", "target": "kael", "amount": -9, "damage_type": "cold"})
    assert out.changes["damage_taken"] == 9
    # without a chosen ancestry (older characters) there is no resistance to apply
    plain = create_character("Kael", "dragonborn", "fighter", scores, ["athletics", "history"])
    _, out = one(GameState(characters={"kael": plain}), {"kind": "hp_change", "target": "kael", "amount": -9,
                                                          "damage_type": "fire"})  # fmt: skip
    assert out.changes["damage_taken"] == 9


def test_no_slot_is_spent_in_armor_without_proficiency(state: GameState) -> None:
    # SRD p. 62: a wizard in chain mail "can't cast spells".
    armored = state.characters["aria"].model_copy(deep=True)
    armored.add_item(make_item("Chain mail"))
    armored.inventory.equip("Chain mail")
    s = state.replace("aria", armored)
    reason = refused(s, {"kind": "slot_spend", "target": "aria", "level": 1, "spell": "Shield"}, errors.IllegalEffect)
    assert "armor" in reason
