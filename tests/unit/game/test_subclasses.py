"""The SRD subclass of each class: features at their levels and the numbers they change (SRD 5.1)."""

from __future__ import annotations

import pytest

from game.abilities import AbilityScores
from game.character import Character
from game.creation import character_armor_class, create_character, level_up
from game.errors import RulesError
from game.subclass_spells import (
    always_prepared,
    circle_spells,
    fiend_expanded_spells,
)
from game.subclasses import (
    SUBCLASSES,
    blessed_healer,
    check_choices,
    check_natural_recovery,
    colossus_slayer_dice,
    dark_ones_blessing,
    disciple_of_life_bonus,
    divine_strike_dice,
    draconic_armor_class,
    elemental_affinity_bonus,
    empowered_evocation_bonus,
    frenzy_exhaustion,
    get_subclass,
    natural_recovery_budget,
    overchannel_damage,
    potent_cantrip_damage,
    preserve_life,
    preserve_life_pool,
    sacred_weapon_bonus,
    sculpt_spells_count,
    sculpted_damage,
    spell_healing,
    subclass_features,
    supreme_healing,
    supreme_sneak_advantage,
    wholeness_of_body,
)

SCORES = AbilityScores(strength=10, dexterity=14, constitution=13, intelligence=12, wisdom=15, charisma=16)


def _up_to(character: Character, level: int) -> Character:
    while character.level < level:
        level_up(character, milestone=True)
    return character


# --- the data: every SRD subclass, features at their levels ----------------------------------------


@pytest.mark.parametrize(
    ("class_name", "level", "expected"),
    [
        ("barbarian", 14, ("Frenzy", "Mindless Rage", "Intimidating Presence", "Retaliation")),
        ("bard", 14, ("Bonus Proficiencies", "Cutting Words", "Additional Magical Secrets", "Peerless Skill")),
        ("cleric", 17, ("Bonus Proficiency", "Disciple of Life", "Channel Divinity: Preserve Life", "Blessed Healer",
                        "Divine Strike", "Supreme Healing")),
        ("druid", 14, ("Bonus Cantrip", "Natural Recovery", "Circle Spells", "Land's Stride", "Nature's Ward",
                       "Nature's Sanctuary")),
        ("fighter", 18, ("Improved Critical", "Remarkable Athlete", "Additional Fighting Style", "Superior Critical",
                         "Survivor")),
        ("monk", 17, ("Open Hand Technique", "Wholeness of Body", "Tranquility", "Quivering Palm")),
        ("paladin", 20, ("Oath Spells", "Channel Divinity: Sacred Weapon", "Channel Divinity: Turn the Unholy",
                         "Aura of Devotion", "Purity of Spirit", "Holy Nimbus")),
        ("ranger", 15, ("Hunter's Prey", "Defensive Tactics", "Multiattack", "Superior Hunter's Defense")),
        ("rogue", 17, ("Fast Hands", "Second-Story Work", "Supreme Sneak", "Use Magic Device", "Thief's Reflexes")),
        ("sorcerer", 18, ("Dragon Ancestor", "Draconic Resilience", "Elemental Affinity", "Dragon Wings",
                          "Draconic Presence")),
        ("warlock", 14, ("Expanded Spell List", "Dark One's Blessing", "Dark One's Own Luck", "Fiendish Resilience",
                         "Hurl Through Hell")),
        ("wizard", 14, ("Evocation Savant", "Sculpt Spells", "Potent Cantrip", "Empowered Evocation", "Overchannel")),
    ],
)
def test_every_feature_by_its_level(class_name: str, level: int, expected: tuple[str, ...]) -> None:
    sub = SUBCLASSES[class_name]
    assert sub.features_at(level) == expected
    assert sub.features_at(sub.level - 1) == () if sub.level > 1 else True
    last = max(f.level for f in sub.features)
    assert expected[-1] not in sub.features_at(last - 1)  # the last feature arrives exactly at its level


def test_feature_levels_match_the_srd() -> None:
    levels = {f.name: f.level for s in SUBCLASSES.values() for f in s.features}
    assert (levels["Mindless Rage"], levels["Intimidating Presence"], levels["Retaliation"]) == (6, 10, 14)
    assert (levels["Additional Magical Secrets"], levels["Peerless Skill"]) == (6, 14)
    assert (levels["Blessed Healer"], levels["Divine Strike"], levels["Supreme Healing"]) == (6, 8, 17)
    assert (levels["Land's Stride"], levels["Nature's Ward"], levels["Nature's Sanctuary"]) == (6, 10, 14)
    assert (levels["Wholeness of Body"], levels["Tranquility"], levels["Quivering Palm"]) == (6, 11, 17)
    assert (levels["Aura of Devotion"], levels["Purity of Spirit"], levels["Holy Nimbus"]) == (7, 15, 20)
    assert (levels["Defensive Tactics"], levels["Multiattack"], levels["Superior Hunter's Defense"]) == (7, 11, 15)
    assert (levels["Supreme Sneak"], levels["Use Magic Device"], levels["Thief's Reflexes"]) == (9, 13, 17)
    assert (levels["Elemental Affinity"], levels["Dragon Wings"], levels["Draconic Presence"]) == (6, 14, 18)
    assert (levels["Dark One's Own Luck"], levels["Fiendish Resilience"], levels["Hurl Through Hell"]) == (6, 10, 14)
    assert (levels["Potent Cantrip"], levels["Empowered Evocation"], levels["Overchannel"]) == (6, 10, 14)


def test_lookup_by_short_name_and_refusal() -> None:
    assert get_subclass("barbarian", "Berserker").name == "Path of the Berserker"
    assert get_subclass("wizard", "evocation").name == "School of Evocation"
    with pytest.raises(RulesError, match="the SRD offers The Fiend"):
        get_subclass("warlock", "Archfey")
    assert subclass_features("cleric", None, 5) == ()


# --- Berserker, Life Domain -------------------------------------------------------------------------


def test_frenzy_costs_one_level_of_exhaustion_when_the_rage_ends() -> None:
    assert frenzy_exhaustion(0, frenzied=True) == 1
    assert frenzy_exhaustion(2, frenzied=False) == 2
    assert frenzy_exhaustion(6, frenzied=True) == 6


def test_disciple_of_life_supreme_healing_and_blessed_healer() -> None:
    assert disciple_of_life_bonus(1) == 3 and disciple_of_life_bonus(3) == 5 and disciple_of_life_bonus(0) == 0
    # Cure wounds with a 1st-level slot, Wis +3: 1d8+3, +3 from Disciple of Life.
    assert spell_healing("1d8+3", 1, "Life Domain", 1) == "1d8+3+3"
    assert spell_healing("1d8+3", 1, None, 1) == "1d8+3"
    # SRD example: instead of restoring 2d6, Supreme Healing restores 12; cure wounds 2nd level at 17th: 16+5+4.
    assert supreme_healing("2d6") == "12"
    assert spell_healing("2d8+5", 2, "Life Domain", 17) == "21+4"
    assert blessed_healer(2, healed_someone_else=True, cleric_level=6) == 4
    assert blessed_healer(2, healed_someone_else=False, cleric_level=6) == 0
    assert blessed_healer(2, healed_someone_else=True, cleric_level=5) == 0


def test_preserve_life_splits_five_times_the_cleric_level_up_to_half_maximum() -> None:
    assert preserve_life_pool(2) == 10 and preserve_life_pool(10) == 50
    targets = {"bram": (3, 44), "aria": (20, 27)}
    assert preserve_life(4, targets, {"bram": 19, "aria": 0}) == {"bram": 19, "aria": 0}
    with pytest.raises(RulesError, match="at most 19 more"):
        preserve_life(6, targets, {"bram": 20})
    with pytest.raises(RulesError, match="20 hit points to share"):
        preserve_life(4, {"a": (0, 100), "b": (0, 100)}, {"a": 15, "b": 10})
    with pytest.raises(RulesError, match="level 2"):
        preserve_life_pool(1)


def test_divine_strike_dice() -> None:
    assert [divine_strike_dice(level) for level in (7, 8, 13, 14, 20)] == [None, "1d8", "1d8", "2d8", "2d8"]


def test_life_cleric_gets_heavy_armor_and_domain_spells() -> None:
    cleric = create_character("Ila", "Human", "Cleric", SCORES, ["history", "medicine"])
    assert cleric.subclass == "Life Domain" and "heavy" in cleric.proficiencies.armor
    assert {"bless", "cure wounds"} <= set(cleric.spells_prepared)
    _up_to(cleric, 3)
    assert {"lesser restoration", "spiritual weapon"} <= set(cleric.spells_prepared)


# --- Land, Open Hand, Devotion, Hunter, Thief ------------------------------------------------------


def test_natural_recovery_budget_and_refusals() -> None:
    assert natural_recovery_budget(2) == 1 and natural_recovery_budget(5) == 3  # rounded up
    check_natural_recovery(6, [2, 1])  # a 6th-level druid recovers slots worth 3 levels: a 2nd and a 1st
    with pytest.raises(RulesError, match="at most 3 levels"):
        check_natural_recovery(6, [2, 2])
    with pytest.raises(RulesError, match="6th level"):
        check_natural_recovery(20, [6])


def test_circle_spells_by_land() -> None:
    assert circle_spells("forest", 3) == ("barkskin", "spider climb")
    assert circle_spells("Swamp", 5) == ("acid arrow", "darkness", "water walk", "stinking cloud")
    assert len(circle_spells("arctic", 9)) == 8 and circle_spells("coast", 2) == ()
    with pytest.raises(RulesError, match="grassland"):
        circle_spells("underdark", 3)
    druid = create_character("Oak", "Human", "Druid", SCORES, ["arcana", "nature"], choices={"land": "mountain"})
    _up_to(druid, 3)
    assert druid.subclass == "Circle of the Land" and {"spider climb", "spike growth"} <= set(druid.spells_prepared)


def test_devotion_and_fiend_spell_lists() -> None:
    assert always_prepared("Oath of Devotion", 5) == (
        "protection from evil and good", "sanctuary", "lesser restoration", "zone of truth")
    assert len(always_prepared("Oath of Devotion", 20)) == 10
    assert fiend_expanded_spells(2) == ("burning hands", "command", "blindness/deafness", "scorching ray")
    assert fiend_expanded_spells(5)[-2:] == ("flame strike", "hallow")
    assert always_prepared("The Fiend", 5) == ()  # expanded, not always prepared


def test_open_hand_devotion_hunter_thief_numbers() -> None:
    assert wholeness_of_body(6) == 18 and wholeness_of_body(20) == 60
    with pytest.raises(RulesError):
        wholeness_of_body(5)
    assert sacred_weapon_bonus(3) == 3 and sacred_weapon_bonus(-1) == 1
    assert colossus_slayer_dice(10, 11, used_this_turn=False) == "1d8"
    assert colossus_slayer_dice(11, 11, used_this_turn=False) is None  # unwounded
    assert colossus_slayer_dice(5, 11, used_this_turn=True) is None  # once per turn
    assert supreme_sneak_advantage(15, 30, 9) and not supreme_sneak_advantage(20, 30, 9)
    assert not supreme_sneak_advantage(0, 30, 8)


def test_hunter_and_dragon_choices_are_checked() -> None:
    assert check_choices({"Hunter's Prey": "Colossus Slayer"}) == {"hunter's prey": "colossus slayer"}
    with pytest.raises(RulesError, match="giant killer"):
        check_choices({"hunter's prey": "favored foe"})
    with pytest.raises(RulesError, match="not a subclass choice"):
        check_choices({"pet": "wolf"})


# --- Draconic Bloodline, Fiend, Evocation ----------------------------------------------------------


def test_draconic_resilience_hit_points_and_armor_class() -> None:
    # Sorcerer 1, Con 13 (+1): 6 + 1, + 1 from Draconic Resilience = 8. Unarmored AC 13 + Dex 2 = 15.
    sorcerer = create_character("Vex", "Human", "Sorcerer", SCORES, ["arcana", "insight"],
                                choices={"dragon ancestor": "red"})  # fmt: skip
    con = sorcerer.modifier("constitution")
    assert sorcerer.max_hp == 6 + con + 1
    assert sorcerer.armor_class == 13 + sorcerer.modifier("dexterity") == character_armor_class(sorcerer)
    _up_to(sorcerer, 4)  # each level: 4 (d6 average) + Con + 1
    assert sorcerer.max_hp == 6 + con + 1 + 3 * (4 + con + 1)
    assert draconic_armor_class(2, shield=True) == 17
    assert sorcerer.choices["dragon ancestor"] == "red"
    assert "Draconic" in sorcerer.proficiencies.languages


def test_elemental_affinity_adds_charisma_to_the_ancestrys_type() -> None:
    assert elemental_affinity_bonus("red", "fire", 4, 6) == 4
    assert elemental_affinity_bonus("red", "cold", 4, 6) == 0
    assert elemental_affinity_bonus("red", "fire", 4, 5) == 0
    with pytest.raises(RulesError, match="not a dragon"):
        elemental_affinity_bonus("purple", "fire", 4, 6)


def test_dark_ones_blessing_temp_hp() -> None:
    assert dark_ones_blessing(3, 5) == 8
    assert dark_ones_blessing(-2, 1) == 1  # minimum 1


def test_evocation_sculpt_potent_empowered_overchannel() -> None:
    assert sculpt_spells_count(3) == 4  # fireball: 1 + 3 creatures
    assert sculpted_damage(28, saved=False, sculpted=True) == (0, True)
    assert sculpted_damage(28, saved=True, sculpted=False) == (14, True)
    assert sculpted_damage(28, saved=False, sculpted=False) == (28, False)
    assert potent_cantrip_damage(9, saved=True, wizard_level=6) == 4
    assert potent_cantrip_damage(9, saved=True, wizard_level=5) == 0
    assert potent_cantrip_damage(9, saved=False, wizard_level=6) == 9
    assert empowered_evocation_bonus(4, 10, "Evocation") == 4
    assert empowered_evocation_bonus(4, 9, "evocation") == 0 and empowered_evocation_bonus(4, 10, "illusion") == 0
    assert overchannel_damage(3, 0) is None
    assert overchannel_damage(3, 1) == "6d12" and overchannel_damage(3, 2) == "9d12"
    with pytest.raises(RulesError):
        overchannel_damage(6, 1)


def test_college_of_lore_bonus_proficiencies_are_three_skills() -> None:
    bard = _up_to(create_character("Lia", "Human", "Bard", SCORES, ["history", "arcana", "stealth"]), 2)
    with pytest.raises(RulesError, match="three different skills"):
        level_up(bard, skills=["insight"], milestone=True)
    assert bard.level == 2
    done = level_up(bard, skills=["insight", "medicine", "nature"], milestone=True)
    assert done.subclass == "College of Lore" and {"Bonus Proficiencies", "Cutting Words"} <= set(done.new_features)
    assert {"insight", "medicine", "nature"} <= set(bard.proficiencies.skills)
    with pytest.raises(RulesError, match="no skill to choose"):
        level_up(bard, skills=["religion"], milestone=True)


def test_the_srd_subclass_is_offered_at_its_level() -> None:
    from game.subclasses import subclass_options

    assert subclass_options("wizard", 2) == ("School of Evocation",)
    assert subclass_options("wizard", 1) == () and subclass_options("cleric", 1) == ("Life Domain",)


def test_the_smaller_numbers_of_the_other_features() -> None:
    from game.subclasses import (
        HURL_THROUGH_HELL_DAMAGE,
        MULTIATTACK_DEFENSE_BONUS,
        QUIVERING_PALM_DAMAGE,
        aura_of_devotion_range,
        cutting_words,
        dragon_wings_fly_speed,
        intimidating_presence_dc,
        second_story_jump_bonus,
        tranquility_dc,
    )

    assert intimidating_presence_dc(4, 1) == 13  # 8 + prof 4 + Cha 1
    assert cutting_words(17, 5) == 12
    assert tranquility_dc(4, 4) == 16
    assert (QUIVERING_PALM_DAMAGE, HURL_THROUGH_HELL_DAMAGE, MULTIATTACK_DEFENSE_BONUS) == ("10d10", "10d10", 4)
    assert [aura_of_devotion_range(lvl) for lvl in (6, 7, 17, 18)] == [0, 10, 10, 30]
    assert second_story_jump_bonus(3) == 3 and second_story_jump_bonus(-1) == 0
    assert dragon_wings_fly_speed(30, 14) == 30 and dragon_wings_fly_speed(30, 13) == 0


def test_champion_remarkable_athlete_and_survivor() -> None:
    from game.subclasses import remarkable_athlete_bonus, survivor_regain

    assert remarkable_athlete_bonus(3, 7) == 2 and remarkable_athlete_bonus(3, 6) == 0  # half of +3, rounded up
    assert survivor_regain(30, 60, 2, 18) == 7  # exactly half: 5 + Con 2
    assert survivor_regain(31, 60, 2, 18) == 0 and survivor_regain(0, 60, 2, 18) == 0
    assert survivor_regain(10, 60, 2, 17) == 0


def test_bonus_cantrip_and_additional_magical_secrets() -> None:
    from game.subclasses import bonus_known

    assert bonus_known("Circle of the Land", 2) == (1, 0) and bonus_known("Circle of the Land", 1) == (0, 0)
    assert bonus_known("College of Lore", 6) == (0, 2) and bonus_known("College of Lore", 5) == (0, 0)
    assert bonus_known(None, 20) == (0, 0)
