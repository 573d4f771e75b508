"""Spellcasting: slots, upcasting, pact magic, cantrips, rituals, concentration, known/prepared lists."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.character import Character
from game.creation import create_character, level_up, standard_array
from game.damage import concentration_save_dc
from game.dice import dice_bounds, roll, seeded
from game.errors import IllegalEffect, NoSpellSlot, RulesError, UnknownSpell
from game.rests import long_rest, short_rest
from game.spells import (
    Spell,
    cantrip_dice_multiplier,
    cast_spell,
    concentration_check,
    learn_spell,
    max_prepared,
    prepare_spells,
    scale_cantrip,
    upcast_damage,
)

MAGIC_MISSILE = Spell(name="Magic Missile", level=1, classes=("sorcerer", "wizard"))
SHIELD = Spell(name="Shield", level=1, classes=("sorcerer", "wizard"))
DETECT_MAGIC = Spell(name="Detect Magic", level=1, ritual=True, concentration=True,
                     classes=("bard", "cleric", "druid", "paladin", "ranger", "sorcerer", "wizard"))
SLEEP = Spell(name="Sleep", level=1, classes=("bard", "sorcerer", "wizard"))
FIRE_BOLT = Spell(name="Fire Bolt", level=0, classes=("sorcerer", "wizard"))
HOLD_PERSON = Spell(name="Hold Person", level=2, concentration=True,
                    classes=("bard", "cleric", "druid", "sorcerer", "warlock", "wizard"))
FIREBALL = Spell(name="Fireball", level=3, classes=("sorcerer", "wizard"))
HEX = Spell(name="Hex", level=1, concentration=True, classes=("warlock",))
ARRAY = {"str": 8, "dex": 14, "con": 13, "int": 10, "wis": 12, "cha": 15}


def _level(character: Character, level: int) -> Character:
    while character.level < level:
        level_up(character, milestone=True)
    return character


def test_casting_spends_a_slot_of_the_spell_level(wizard: Character) -> None:
    cast = cast_spell(wizard, MAGIC_MISSILE)
    assert (cast.slot_level, cast.slot_kind, cast.upcast, cast.slots_left) == (1, "slot", False, 1)
    assert wizard.spell_slots.current == {1: 1}


def test_out_of_slots_is_refused_with_a_narratable_reason(wizard: Character) -> None:
    cast_spell(wizard, MAGIC_MISSILE)
    cast_spell(wizard, SHIELD)
    with pytest.raises(NoSpellSlot) as info:
        cast_spell(wizard, MAGIC_MISSILE)
    assert info.value.user_message == (
        "Mira cannot cast Magic Missile: Mira has no spell slots of 1st level or higher left (slots left: none)."
    )
    assert wizard.spell_slots.current == {1: 0}


def test_a_higher_slot_is_used_when_the_lower_ones_are_gone(wizard: Character) -> None:
    _level(wizard, 3)
    for _ in range(4):
        cast_spell(wizard, MAGIC_MISSILE)
    cast = cast_spell(wizard, MAGIC_MISSILE)
    assert cast.slot_level == 2 and cast.upcast
    assert wizard.spell_slots.current == {1: 0, 2: 1}


def test_explicit_upcast_and_its_limits(wizard: Character) -> None:
    _level(wizard, 3)
    cast = cast_spell(wizard, MAGIC_MISSILE, 2)
    assert cast.slot_level == 2 and cast.upcast and wizard.spell_slots.current == {1: 4, 2: 1}
    wizard.spells_prepared = [*wizard.spells_prepared, "Hold Person"]
    with pytest.raises(NoSpellSlot, match="cannot be cast with a 1st-level slot"):
        cast_spell(wizard, HOLD_PERSON, 1)
    with pytest.raises(NoSpellSlot, match="no 3rd-level spell slots"):
        cast_spell(wizard, MAGIC_MISSILE, 3)
    assert wizard.spell_slots.current == {1: 4, 2: 1}


def test_spell_above_the_casters_level_is_refused(wizard: Character) -> None:
    wizard.spells_prepared = [*wizard.spells_prepared, "Fireball"]
    with pytest.raises(NoSpellSlot, match="level-1 Wizard cannot yet cast 3rd-level spells"):
        cast_spell(wizard, FIREBALL)


def test_unknown_unprepared_and_off_list_spells(wizard: Character) -> None:
    with pytest.raises(UnknownSpell, match="does not have prepared Sleep"):
        cast_spell(wizard, SLEEP)  # in the spellbook, not prepared
    with pytest.raises(UnknownSpell, match="not a Wizard spell"):
        cast_spell(wizard, HEX)
    with pytest.raises(UnknownSpell, match="does not know the cantrip Ray of Frost"):
        cast_spell(wizard, {"name": "Ray of Frost", "level": 0})
    assert wizard.spell_slots.current == {1: 2}


def test_non_casters_and_the_fallen_cannot_cast(fighter: Character, wizard: Character) -> None:
    with pytest.raises(IllegalEffect, match="cannot cast spells"):
        cast_spell(fighter, MAGIC_MISSILE, check_known=False)
    wizard.take_damage(100)
    with pytest.raises(IllegalEffect, match="no state"):
        cast_spell(wizard, FIRE_BOLT)


def test_cantrips_spend_nothing(wizard: Character) -> None:
    for _ in range(10):
        cast = cast_spell(wizard, FIRE_BOLT)
    assert cast.slot_level is None and wizard.spell_slots.current == {1: 2}


@pytest.mark.parametrize(("level", "times"), [(1, 1), (4, 1), (5, 2), (10, 2), (11, 3), (16, 3), (17, 4), (20, 4)])
def test_cantrip_scaling(level: int, times: int) -> None:
    assert cantrip_dice_multiplier(level) == times
    assert scale_cantrip("1d10", level) == f"{times}d10"


def test_scale_cantrip_keeps_modifiers() -> None:
    assert scale_cantrip("1d8+3", 11) == "3d8+3"
    assert scale_cantrip("d12", 17) == "4d12"


def test_upcast_damage() -> None:
    assert upcast_damage("8d6", "1d6", 3, 5) == "10d6"  # fireball with a 5th-level slot
    assert upcast_damage("3d4+3", "1d4+1", 1, 1) == "3d4+3"
    assert upcast_damage("1d8", "1d6", 1, 3) == "1d8+2d6"
    with pytest.raises(RulesError, match="lower-level slot"):
        upcast_damage("8d6", "1d6", 3, 2)


@pytest.mark.parametrize(
    ("base", "per_level", "spell_level", "slot_level", "expected"),
    [
        ("3d4+3", "1d4+1", 1, 2, "4d4+4"),  # magic missile, one more dart (1d4 + 1) per slot level
        ("3d4+3", "1d4+1", 1, 5, "7d4+7"),
        ("d6", "d6", 1, 3, "3d6"),
        ("2d6-1", "1d6", 1, 2, "3d6-1"),
        ("1d10+4", "1d10", 1, 3, "3d10+4"),
        ("2d8+1d6", "1d8", 2, 4, "4d8+1d6"),
        ("1d8", "2d6+2", 1, 2, "1d8+2d6+2"),
        ("5", "1d4", 1, 2, "1d4+5"),
    ],
)
def test_upcast_damage_with_modifiers_and_mixed_dice(
    base: str, per_level: str, spell_level: int, slot_level: int, expected: str
) -> None:
    assert upcast_damage(base, per_level, spell_level, slot_level) == expected


@given(
    st.integers(1, 8), st.sampled_from((4, 6, 8, 10, 12)), st.integers(-3, 5),
    st.integers(1, 3), st.sampled_from((4, 6, 8)), st.integers(0, 2), st.integers(1, 4), st.integers(0, 4),
)  # fmt: skip
@settings(max_examples=100, deadline=None)
def test_property_upcast_adds_the_per_level_range_once_per_slot_level(
    count: int, sides: int, bonus: int, per_count: int, per_sides: int, per_bonus: int, level: int, extra: int
) -> None:
    base, per_level = f"{count}d{sides}{bonus:+d}", f"{per_count}d{per_sides}+{per_bonus}"
    low, high = dice_bounds(upcast_damage(base, per_level, level, level + extra))  # malformed dice would raise
    base_low, base_high = dice_bounds(base)
    per_low, per_high = dice_bounds(per_level)
    assert (low, high) == (base_low + extra * per_low, base_high + extra * per_high)


@pytest.mark.parametrize("per_level", ["fish", "1d4kh1", "2d6*2"])
def test_upcast_damage_refuses_what_is_not_a_sum_of_dice(per_level: str) -> None:
    with pytest.raises(RulesError, match="not a dice expression"):
        upcast_damage("3d4+3", per_level, 1, 2)


def test_wizard_ritual_from_the_spellbook_without_a_slot(wizard: Character) -> None:
    cast = cast_spell(wizard, DETECT_MAGIC, as_ritual=True)  # known, not prepared
    assert cast.ritual and cast.slot_level is None
    assert wizard.spell_slots.current == {1: 2}
    assert wizard.concentration == "Detect Magic"
    with pytest.raises(UnknownSpell):
        cast_spell(wizard, DETECT_MAGIC)  # not prepared: no normal casting
    with pytest.raises(IllegalEffect, match="cannot be cast as a ritual"):
        cast_spell(wizard, MAGIC_MISSILE, as_ritual=True)


def test_sorcerers_have_no_ritual_casting() -> None:
    sorcerer = create_character("Zan", "human", "sorcerer", standard_array(ARRAY), ["arcana", "deception"])
    learn_spell(sorcerer, DETECT_MAGIC)
    with pytest.raises(IllegalEffect, match="Sorcerers cannot cast spells as rituals"):
        cast_spell(sorcerer, DETECT_MAGIC, as_ritual=True)
    assert cast_spell(sorcerer, DETECT_MAGIC).slot_level == 1


def test_concentration_one_at_a_time(wizard: Character) -> None:
    _level(wizard, 3)
    wizard.spells_prepared = ["Detect Magic", "Hold Person"]
    cast_spell(wizard, DETECT_MAGIC)
    cast = cast_spell(wizard, HOLD_PERSON)
    assert cast.ended_concentration == "Detect Magic" and wizard.concentration == "Hold Person"


@pytest.mark.parametrize(("damage", "dc"), [(0, 10), (9, 10), (20, 10), (21, 10), (22, 11), (30, 15), (47, 23)])
def test_concentration_dc(damage: int, dc: int) -> None:
    assert concentration_save_dc(damage) == dc


def test_the_concentration_dc_is_written_once_and_refuses_negative_damage() -> None:
    import game.spells

    assert not hasattr(game.spells, "concentration_dc")  # game.damage.concentration_save_dc is the rule
    with pytest.raises(RulesError, match="negative"):
        concentration_save_dc(-1)


def test_concentration_check_keeps_or_breaks(wizard: Character) -> None:
    wizard.start_concentration("Detect Magic")
    assert concentration_check(wizard, 30, roll("1d1+14")) is not None  # 15 vs DC 15: kept
    assert wizard.concentration == "Detect Magic"
    check = concentration_check(wizard, 30, roll("1d1+13"))
    assert check is not None and (check.dc, check.kept) == (15, False)
    assert wizard.concentration is None
    assert concentration_check(wizard, 30) is None  # nothing to keep


def test_concentration_check_rolls_a_con_save(wizard: Character) -> None:
    wizard.start_concentration("Detect Magic")
    with seeded(1):
        check = concentration_check(wizard, 4)
    assert check is not None
    assert check.roll["expression"] == "1d20+2"  # Con 14, no proficiency
    assert check.kept == (check.roll["total"] >= 10)


def test_warlock_pact_magic_uses_its_slot_level_and_recovers_on_short_rest() -> None:
    warlock = _level(create_character("Vex", "tiefling", "warlock", standard_array(ARRAY), ["arcana", "deception"]), 5)
    warlock.spells_known = ["Hex", "Hold Person"]
    cast = cast_spell(warlock, HEX)
    assert (cast.slot_level, cast.slot_kind, cast.upcast) == (3, "pact", True)
    cast_spell(warlock, HOLD_PERSON)
    with pytest.raises(NoSpellSlot, match="no 3rd-level spell slots left"):
        cast_spell(warlock, HEX)
    rest = short_rest(warlock)
    assert rest.pact_slots_restored == 2 and warlock.spell_slots.pact_current == 2


def test_paladins_cast_from_level_2_with_half_caster_slots() -> None:
    paladin = create_character("Sera", "human", "paladin", standard_array({**ARRAY, "str": 15, "cha": 14, "dex": 8}),
                               ["athletics", "religion"])
    bless = Spell(name="Bless", level=1, concentration=True, classes=("cleric", "paladin"))
    paladin.spells_prepared = ["Bless"]
    with pytest.raises(NoSpellSlot, match="level-1 Paladin cannot yet cast 1st-level"):
        cast_spell(paladin, bless)
    _level(paladin, 2)
    assert cast_spell(paladin, bless).slot_level == 1
    assert max_prepared(paladin) == 1 + 2  # half level + Cha


def test_prepared_list_limits(wizard: Character) -> None:
    assert max_prepared(wizard) == 1 + 3
    prepare_spells(wizard, [MAGIC_MISSILE, SHIELD, SLEEP, DETECT_MAGIC])
    assert wizard.spells_prepared == ["Magic Missile", "Shield", "Sleep", "Detect Magic"]
    with pytest.raises(IllegalEffect, match="can prepare 4"):
        prepare_spells(wizard, [MAGIC_MISSILE, SHIELD, SLEEP, DETECT_MAGIC, Spell(name="Grease", level=1)])
    with pytest.raises(UnknownSpell, match="spellbook"):
        prepare_spells(wizard, [Spell(name="Grease", level=1)])
    with pytest.raises(IllegalEffect, match="cannot learn or prepare 3rd-level"):
        prepare_spells(wizard, [FIREBALL])
    assert wizard.spells_prepared == ["Magic Missile", "Shield", "Sleep", "Detect Magic"]


def test_known_spell_limits_for_a_sorcerer() -> None:
    sorcerer = create_character("Zan", "human", "sorcerer", standard_array(ARRAY), ["arcana", "deception"])
    learn_spell(sorcerer, MAGIC_MISSILE)
    learn_spell(sorcerer, SHIELD)
    with pytest.raises(IllegalEffect, match="at most 2 spells"):
        learn_spell(sorcerer, SLEEP)
    with pytest.raises(IllegalEffect, match="already knows"):
        learn_spell(sorcerer, SHIELD)
    for name in ("Fire Bolt", "Light", "Mage Hand", "Prestidigitation"):
        learn_spell(sorcerer, {"name": name, "level": 0})
    with pytest.raises(IllegalEffect, match="at most 4 cantrips"):
        learn_spell(sorcerer, {"name": "Shocking Grasp", "level": 0})
    with pytest.raises(IllegalEffect, match="do not prepare"):
        prepare_spells(sorcerer, [MAGIC_MISSILE])


@given(st.lists(st.sampled_from(["cast1", "cast2", "cast3", "long", "short"]), max_size=40))
@settings(max_examples=100, deadline=None)
def test_property_slot_accounting(actions: list[str]) -> None:
    caster = create_character("Ilya", "human", "wizard", standard_array({**ARRAY, "int": 15, "cha": 10}),
                              ["arcana", "history"])
    _level(caster, 5)
    caster.spells_prepared = ["Magic Missile", "Hold Person", "Fireball"]
    spells = {"cast1": MAGIC_MISSILE, "cast2": HOLD_PERSON, "cast3": FIREBALL}
    spent = 0
    for action in actions:
        if action == "long":
            long_rest(caster)
            spent = 0
        elif action == "short":
            short_rest(caster)
        else:
            try:
                cast = cast_spell(caster, spells[action])
            except NoSpellSlot:
                assert caster.spell_slots.lowest_available(spells[action].level) is None
            else:
                spent += 1
                assert cast.slot_level is not None and cast.slot_level >= spells[action].level
        slots = caster.spell_slots
        assert all(0 <= slots.current[lv] <= slots.maximum[lv] for lv in slots.maximum)
        assert slots.total_current == slots.total_maximum - spent


@pytest.mark.parametrize("condition", ["stunned", "paralyzed", "incapacitated", "unconscious", "petrified"])
def test_an_incapacitated_caster_cannot_cast(wizard: Character, condition: str) -> None:
    # SRD p. 358: an incapacitated creature "can't take actions or reactions" — no spell, no slot spent.
    wizard.add_condition(condition)
    with pytest.raises(IllegalEffect):
        cast_spell(wizard, MAGIC_MISSILE)
    with pytest.raises(IllegalEffect):
        cast_spell(wizard, FIRE_BOLT)
    assert wizard.spell_slots.current == {1: 2}


def test_a_warlock_cannot_ask_for_a_slot_above_its_pact_level() -> None:
    # SRD p. 47 (Pact Magic): at 5th level all warlock slots are 3rd level; a 5th-level slot is refused,
    # not silently cast at 3rd.
    warlock = _level(create_character("Vex", "tiefling", "warlock", standard_array(ARRAY), ["arcana", "deception"]), 5)
    warlock.spells_known = ["Hex"]
    with pytest.raises(NoSpellSlot):
        cast_spell(warlock, HEX, 5)
    assert warlock.spell_slots.pact_current == 2
    cast = cast_spell(warlock, HEX, 1)  # a lower slot is cast at the pact level, as the rules say
    assert (cast.slot_level, cast.slot_kind, cast.upcast) == (3, "pact", True)


def test_concentration_save_has_disadvantage_at_exhaustion_three(wizard: Character) -> None:
    # SRD p. 358: exhaustion 3 — disadvantage on saving throws, the Constitution save for concentration too.
    wizard.start_concentration("Detect Magic")
    wizard.set_exhaustion(3)
    with seeded(1):
        check = concentration_check(wizard, 4)
    assert check is not None
    assert len(check.roll["rolls"]) == 2
    kept_d20 = [r["value"] for r in check.roll["rolls"] if r["kept"]]
    assert kept_d20 == [min(r["value"] for r in check.roll["rolls"])]


def test_a_ritual_cannot_be_cast_at_a_higher_level_and_a_cantrip_takes_no_slot(wizard: Character) -> None:
    # SRD p. 101 (Rituals): the ritual version "doesn't expend a spell slot, which means the ritual version of
    # a spell can't be cast at a higher level". Asking for one is refused, not quietly ignored.
    with pytest.raises(IllegalEffect):
        cast_spell(wizard, DETECT_MAGIC, 2, as_ritual=True)
    with pytest.raises(IllegalEffect):
        cast_spell(wizard, FIRE_BOLT, 1)
    assert wizard.spell_slots.current == {1: 2}
    cast = cast_spell(wizard, DETECT_MAGIC, as_ritual=True)
    assert (cast.ritual, cast.slot_level) == (True, None) and wizard.spell_slots.current == {1: 2}


@pytest.mark.parametrize("data", [{"name": "X", "level": 12}, {"level": 1}, {"name": "X", "level": "high"},
                                  {"name": "", "level": 1}])  # fmt: skip
def test_spell_data_that_is_not_a_spell_is_a_rules_error(wizard: Character, data: dict[str, object]) -> None:
    from game.errors import RulesError

    with pytest.raises(RulesError):
        cast_spell(wizard, data)
    with pytest.raises(RulesError):
        learn_spell(wizard, data)
    with pytest.raises(RulesError):
        prepare_spells(wizard, [data])


def test_a_bards_magical_secrets_count_as_bard_spells() -> None:
    # SRD p. 13 (Magical Secrets, 10th level): "Choose two spells from any class ... The chosen spells count as
    # bard spells for you and are included in the number in the Spells Known column".
    bard = _level(create_character("Lark", "human", "bard", standard_array(ARRAY),
                                   ["persuasion", "history", "insight"]), 10)  # fmt: skip
    learned = learn_spell(bard, FIREBALL, magical_secrets=True)
    assert learned == ["Fireball"]
    cast = cast_spell(bard, FIREBALL)
    assert cast.slot_level == 3
    with pytest.raises(UnknownSpell):
        learn_spell(bard, HEX)  # without Magical Secrets, still only bard spells
    young = _level(create_character("Wren", "human", "bard", standard_array(ARRAY),
                                    ["persuasion", "history", "insight"]), 9)  # fmt: skip
    with pytest.raises(IllegalEffect):
        learn_spell(young, FIREBALL, magical_secrets=True)
    with pytest.raises(UnknownSpell):
        cast_spell(young, FIREBALL, check_known=False)


def test_a_racial_cantrip_is_castable_by_a_class_without_spellcasting() -> None:
    # SRD p. 4 (High Elf, Cantrip): "You know one cantrip of your choice from the wizard spell list."
    rogue = create_character("Ith", "elf", "rogue", standard_array(ARRAY),
                             ["stealth", "acrobatics", "deception", "insight"], subrace="high elf")  # fmt: skip
    with pytest.raises(IllegalEffect):
        cast_spell(rogue, FIRE_BOLT)  # not known: a rogue casts nothing
    rogue.cantrips_known = ["Fire Bolt"]
    cast = cast_spell(rogue, FIRE_BOLT)
    assert (cast.spell_level, cast.slot_level) == (0, None)
    with pytest.raises(IllegalEffect):
        cast_spell(rogue, MAGIC_MISSILE)  # a rogue casts no levelled spells


def test_no_spells_in_armor_without_proficiency(wizard: Character) -> None:
    # SRD p. 62: "If you wear armor that you lack proficiency with, you have disadvantage on any ability check,
    # saving throw, or attack roll that involves Strength or Dexterity, and you can't cast spells."
    from game.inventory import make_item

    wizard.add_item(make_item("Chain mail"))
    wizard.inventory.equip("Chain mail")
    assert wizard.wears_armor_without_proficiency
    with pytest.raises(IllegalEffect, match="armor"):
        cast_spell(wizard, MAGIC_MISSILE)
    with pytest.raises(IllegalEffect, match="armor"):
        cast_spell(wizard, FIRE_BOLT)
    wizard.inventory.unequip("Chain mail")
    assert not wizard.wears_armor_without_proficiency
    assert cast_spell(wizard, MAGIC_MISSILE).slot_level == 1


def test_adding_dice_is_written_once() -> None:
    import game.spell_effects
    from game.spells import add_dice

    assert game.spell_effects.add_dice is add_dice  # upcasting and spell effects merge dice with one function
    assert add_dice("2d6-1", "1d6", "1d8") == "1d8+3d6-1"
