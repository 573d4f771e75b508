"""The Character model: serialisation, hit points, temporary HP, conditions, items, derived numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import characters

from game.character import SCHEMA_VERSION, Character, DeathSaves
from game.dice import seeded
from game.errors import IllegalEffect, ItemNotFound, RulesError
from game.inventory import make_item


def _blank(**overrides: object) -> Character:
    fields: dict[str, object] = {"name": "Tess", "race": "Human", "class_name": "Rogue", "hp": 9, "max_hp": 9}
    fields.update(overrides)
    return Character.model_validate(fields)


# --- serialisation -----------------------------------------------------------------------------


def test_to_dict_has_schema_version_and_stable_field_names(wizard: Character) -> None:
    data = wizard.to_dict()
    assert data["schema_version"] == SCHEMA_VERSION == 3  # 2: class resources; 3: classes, choices
    for key in ("name", "player_id", "race", "class_name", "level", "xp", "ability_scores", "hp", "max_hp",
                "temp_hp", "armor_class", "proficiencies", "inventory", "currency", "spell_slots", "conditions",
                "exhaustion", "death_saves", "concentration", "hit_dice", "resources", "active_features", "classes",
                "choices"):
        assert key in data
    assert data["spell_slots"]["maximum"] == {"1": 2}  # JSON keys
    assert data["ability_scores"]["intelligence"] == 16


def test_round_trip_through_json(wizard: Character) -> None:
    import json

    wizard.spell_slots.spend(1)
    wizard.start_concentration("Detect Magic")
    wizard.add_condition("Poisoned")
    again = Character.from_dict(json.loads(json.dumps(wizard.to_dict())))
    assert again == wizard
    assert again.spell_slots.current == {1: 1}


@given(characters())
@settings(max_examples=40, deadline=None)
def test_property_from_dict_to_dict_is_identity(character: Character) -> None:
    assert Character.from_dict(character.to_dict()) == character
    assert Character.from_dict(character.to_dict()).to_dict() == character.to_dict()


def test_newer_schema_is_refused() -> None:
    data = _blank().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(RulesError, match="newer"):
        Character.from_dict(data)


def test_old_rows_without_schema_version_load() -> None:
    data = _blank().to_dict()
    del data["schema_version"]
    assert Character.from_dict(data).schema_version == SCHEMA_VERSION


def test_invalid_state_is_refused_on_load() -> None:
    with pytest.raises(ValueError):
        _blank(hp=12, max_hp=9)
    with pytest.raises(ValueError):
        _blank(hit_dice=3, level=2)


# --- hit points ------------------------------------------------------------------------------


def test_heal_is_capped_at_max() -> None:
    tess = _blank(hp=3)
    healed = tess.heal(48_769)
    assert (healed.healed, healed.hp, tess.hp) == (6, 9, 9)


def test_heal_from_zero_clears_death_saves() -> None:
    tess = _blank(hp=0, death_saves={"successes": 2, "failures": 1})
    result = tess.heal(4)
    assert result.revived and tess.hp == 4
    assert tess.death_saves == DeathSaves()


def test_negative_heal_and_healing_the_dead_are_refused() -> None:
    tess = _blank(hp=2)
    with pytest.raises(IllegalEffect):
        tess.heal(-5)
    tess.die()
    with pytest.raises(IllegalEffect, match="dead"):
        tess.heal(5)


def test_temp_hp_absorb_damage_first_and_do_not_stack() -> None:
    tess = _blank()
    assert tess.grant_temp_hp(5) == 5
    assert tess.grant_temp_hp(3) == 5  # keep the higher
    taken = tess.take_damage(7)
    assert (taken.temp_before - taken.temp_after, taken.before - taken.after, tess.temp_hp, tess.hp) == (5, 2, 0, 7)


def test_damage_stops_at_zero_then_costs_death_saves() -> None:
    tess = _blank()
    taken = tess.take_damage(15)
    assert (tess.hp, taken.before - taken.after, taken.dropped_to_zero, tess.dead) == (0, 9, True, False)
    again = tess.take_damage(2)
    assert again.dropped_to_zero is False and again.death_save_failures == 1 and tess.death_saves.failures == 1
    tess.take_damage(2, critical=True)
    assert tess.dead and tess.concentration is None


def test_hp_cannot_be_assigned_above_max() -> None:
    tess = _blank()
    with pytest.raises(IllegalEffect):
        tess.hp = 10
    assert tess.hp == 9
    with pytest.raises(IllegalEffect):
        tess.max_hp = 5  # lower hp first
    tess.hp = 5
    tess.max_hp = 5
    assert (tess.hp, tess.max_hp) == (5, 5)


@given(st.lists(st.tuples(st.sampled_from(["heal", "damage", "temp"]), st.integers(0, 60)), max_size=40))
@settings(max_examples=150, deadline=None)
def test_property_hp_always_between_zero_and_max(operations: list[tuple[str, int]]) -> None:
    tess = _blank(hp=20, max_hp=30)
    for op, amount in operations:
        if tess.dead:
            break
        if op == "heal":
            tess.heal(amount)
        elif op == "damage":
            tess.take_damage(amount)
        else:
            tess.grant_temp_hp(amount)
        assert 0 <= tess.hp <= tess.max_hp
        assert tess.temp_hp >= 0


# --- conditions, exhaustion, concentration ----------------------------------------------------


def test_conditions_are_a_set_of_lower_case_names() -> None:
    tess = _blank()
    assert tess.add_condition("Prone") is True
    assert tess.add_condition("prone") is False
    assert tess.has_condition("PRONE")
    assert tess.conditions == ["prone"]
    assert tess.remove_condition("prone") is True and tess.remove_condition("prone") is False


def test_exhaustion_six_is_death() -> None:
    tess = _blank()
    tess.set_exhaustion(5)
    assert not tess.dead
    tess.set_exhaustion(6)
    assert tess.dead and tess.hp == 0
    with pytest.raises(IllegalEffect):
        _blank().set_exhaustion(7)


def test_one_concentration_at_a_time() -> None:
    tess = _blank()
    assert tess.start_concentration("Bless") is None
    assert tess.start_concentration("Hold Person") == "Bless"
    assert tess.concentration == "Hold Person"
    assert tess.end_concentration() == "Hold Person" and tess.concentration is None


# --- derived numbers -------------------------------------------------------------------------


def test_derived_numbers_for_a_wizard(wizard: Character) -> None:
    assert wizard.proficiency_bonus == 2
    assert wizard.spell_save_dc == 8 + 2 + 3
    assert wizard.spell_attack_bonus == 5
    assert wizard.saving_throw_bonus("int") == 5
    assert wizard.saving_throw_bonus("str") == -1
    assert wizard.skill_modifier("arcana") == 5
    assert wizard.passive_perception == 10 + 1 + 2  # High Elf: Keen Senses
    assert wizard.initiative_modifier == 3
    assert wizard.hit_die == 6


def test_non_casters_have_no_spell_dc(fighter: Character) -> None:
    assert fighter.spell_save_dc is None and fighter.spellcasting_ability is None


def test_expertise_and_jack_of_all_trades() -> None:
    rogue = _blank(proficiencies={"skills": ["stealth"], "expertise": ["stealth"]},
                   ability_scores={"dexterity": 16}, level=5)
    assert rogue.skill_modifier("stealth") == 3 + 6
    bard = _blank(class_name="Bard", proficiencies={"jack_of_all_trades": True}, level=5)
    assert bard.skill_modifier("history") == 0 + 1  # half of +3, rounded down


# --- items and money --------------------------------------------------------------------------


def test_use_potion_of_healing_rolls_2d4_plus_2_and_consumes_one() -> None:
    tess = _blank(hp=1, max_hp=20)
    tess.add_item(make_item("Potion of Healing", 2))
    with seeded(5):
        used = tess.use_item("potion of healing")
    assert used.roll is not None and used.roll["expression"] == "2d4+2"
    assert 4 <= used.roll["total"] <= 10
    assert used.healed is not None and tess.hp == 1 + used.roll["total"]
    assert used.remaining == 1 and tess.inventory.quantity("Potion of Healing") == 1


def test_using_what_you_do_not_have_or_cannot_use() -> None:
    tess = _blank()
    with pytest.raises(ItemNotFound, match="Tess does not have"):
        tess.use_item("Potion of Healing")
    tess.add_item(make_item("Longsword"))
    with pytest.raises(IllegalEffect, match="not something"):
        tess.use_item("longsword")
    assert tess.has_item("Longsword")


def test_remove_more_than_carried_is_refused_and_nothing_changes() -> None:
    tess = _blank()
    tess.add_item(make_item("Arrows", 20))
    with pytest.raises(ItemNotFound, match="only 20"):
        tess.remove_item("arrows", 21)
    assert tess.inventory.quantity("Arrows") == 20
    tess.remove_item("arrows", 20)
    assert tess.inventory.find("Arrows") is None


def test_xp_award_and_refusal() -> None:
    tess = _blank()
    assert tess.award_xp(250) == 250
    with pytest.raises(IllegalEffect):
        tess.award_xp(-10)


def test_healing_at_exhaustion_four_stops_at_half_the_maximum() -> None:
    # SRD p. 358: exhaustion level 4 — "Hit point maximum halved" (a potion, a rest or a spell alike).
    tess = _blank(hp=2, max_hp=9, exhaustion=4)
    assert tess.hit_point_maximum == 4
    healed = tess.heal(10)
    assert tess.hp == 4 and healed.healed == 2
    assert _blank(hp=2, max_hp=9, exhaustion=3).hit_point_maximum == 9


def test_regaining_hit_points_from_zero_ends_unconsciousness() -> None:
    # SRD p. 98: "This unconsciousness ends if you regain any hit points."
    tess = _blank(hp=0, conditions=["unconscious"])
    assert tess.heal(3).revived
    assert not tess.has_condition("unconscious")


def test_jack_of_all_trades_adds_half_proficiency_to_initiative() -> None:
    # SRD p. 12 (Bard, Jack of All Trades): half the proficiency bonus, rounded down, on any ability check
    # without proficiency; initiative is a Dexterity check (SRD p. 90). Level 5: +3 → +1.
    from game.abilities import AbilityScores
    from game.character import Proficiencies

    lark = _blank(class_name="Bard", level=5, ability_scores=AbilityScores(dexterity=14),
                  proficiencies=Proficiencies(jack_of_all_trades=True))  # fmt: skip
    assert lark.initiative_modifier == 2 + 1
    assert _blank(class_name="Bard", level=5, ability_scores=AbilityScores(dexterity=14)).initiative_modifier == 2


def test_exhaustion_four_lowers_current_hit_points_to_the_halved_maximum() -> None:
    # SRD p. 358/p. 96: the maximum is halved and hit points can't exceed the maximum.
    tess = _blank(hp=9, max_hp=9)
    tess.set_exhaustion(4)
    assert tess.hp == 4 and tess.hit_point_maximum == 4
    tess.set_exhaustion(3)
    assert tess.hp == 4  # lost hit points don't come back when the level drops
