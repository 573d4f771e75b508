"""Weapon attacks: ability choice, proficiency, versatile, range, crits and fumbles."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.abilities import AbilityScores
from game.character import Character
from game.attacks import (
    AttackProfile,
    is_proficient,
    make_attack,
    parse_damage_dice,
    resolve_attack,
    roll_damage,
    weapon_attack_profile,
)
from game.conditions import Advantage
from game.dice import seeded
from game.equipment import find_weapon
from game.errors import RulesError

FIGHTER = AbilityScores(strength=16, dexterity=14)  # +3 / +2
ROGUE = AbilityScores(strength=8, dexterity=18)  # -1 / +4


def test_melee_uses_strength_ranged_dexterity() -> None:
    axe = weapon_attack_profile("Battleaxe", FIGHTER, 2)
    assert (axe.ability, axe.attack_bonus, axe.damage_bonus, axe.damage_dice) == ("strength", 5, 3, "1d8")
    bow = weapon_attack_profile("Longbow", FIGHTER, 2)
    assert (bow.ability, bow.attack_bonus, bow.ranged, bow.normal_range, bow.long_range) == (
        "dexterity", 4, True, 150, 600)  # fmt: skip


def test_finesse_uses_the_better_of_strength_and_dexterity() -> None:
    assert weapon_attack_profile("Rapier", ROGUE, 3).ability == "dexterity"
    assert weapon_attack_profile("Rapier", ROGUE, 3).attack_bonus == 7
    assert weapon_attack_profile("Dagger", FIGHTER, 2).ability == "strength"


def test_versatile_two_handed_uses_the_larger_die() -> None:
    assert weapon_attack_profile("Longsword", FIGHTER, 2).damage_dice == "1d8"
    assert weapon_attack_profile("Longsword", FIGHTER, 2, two_handed=True).damage_dice == "1d10"
    assert weapon_attack_profile("Quarterstaff", FIGHTER, 2, two_handed=True).damage_dice == "1d8"


def test_not_proficient_drops_the_bonus_and_magic_adds_to_both() -> None:
    plain = weapon_attack_profile("Longsword", FIGHTER, 3, proficient=False)
    assert plain.attack_bonus == 3
    magic = weapon_attack_profile("Longsword", FIGHTER, 3, magic_bonus=1)
    assert (magic.attack_bonus, magic.damage_bonus) == (7, 4)


def test_thrown_melee_weapon_keeps_its_ability_and_gains_range() -> None:
    handaxe = weapon_attack_profile("Handaxe", FIGHTER, 2, thrown=True)
    assert (handaxe.ability, handaxe.ranged, handaxe.normal_range) == ("strength", True, 20)
    with pytest.raises(RulesError):
        weapon_attack_profile("Longsword", FIGHTER, 2, thrown=True)


def test_proficiency_by_category_or_name() -> None:
    rapier = find_weapon("rapier")
    assert rapier is not None
    assert is_proficient(rapier, ["simple", "martial"])
    assert is_proficient(rapier, ["simple", "rapiers"])
    assert not is_proficient(rapier, ["simple"])


def test_damage_dice_notation() -> None:
    assert str(parse_damage_dice("2d6")) == "2d6"
    assert parse_damage_dice("1").flat == 1
    with pytest.raises(RulesError):
        parse_damage_dice("1d7")
    with pytest.raises(RulesError):
        parse_damage_dice("fireball")


PROFILE = AttackProfile(weapon="Longsword", ability="strength", attack_bonus=5, damage_dice="1d8",
                        damage_bonus=3, damage_type="slashing", ranged=False)  # fmt: skip


def test_natural_twenty_always_hits_and_crits_natural_one_always_misses() -> None:
    assert resolve_attack(PROFILE, 30, (20,)) == (20, True, True, False)
    assert resolve_attack(PROFILE, 2, (1,)) == (1, False, False, True)
    assert resolve_attack(PROFILE, 15, (10,)) == (10, True, False, False)  # 10 + 5 = 15 meets AC 15
    assert resolve_attack(PROFILE, 16, (10,)) == (10, False, False, False)


def test_advantage_keeps_higher_disadvantage_lower() -> None:
    assert resolve_attack(PROFILE, 15, (3, 17), Advantage.ADVANTAGE)[0] == 17
    assert resolve_attack(PROFILE, 15, (3, 17), Advantage.DISADVANTAGE)[0] == 3


def test_forced_critical_on_paralyzed_target() -> None:
    assert resolve_attack(PROFILE, 15, (12,), forced_critical=True) == (12, True, True, False)
    assert resolve_attack(PROFILE, 18, (12,), forced_critical=True)[1:3] == (False, False)


def test_critical_doubles_dice_not_modifier() -> None:
    with seeded(1):
        rolls, total = roll_damage("2d6", 3, critical=True)
    assert len(rolls) == 4 and all(1 <= r <= 6 for r in rolls)
    assert total == sum(rolls) + 3
    rolls, total = roll_damage("1d4", -5, critical=False)
    assert total == 0  # never negative
    assert roll_damage("1", 2, critical=True) == ((), 3)  # a flat blowgun hit: nothing to double


def test_make_attack_reads_conditions_and_range() -> None:
    bow = weapon_attack_profile("Longbow", FIGHTER, 2)
    long_shot = make_attack(bow, 12, distance=200)
    assert long_shot.mode is Advantage.DISADVANTAGE and len(long_shot.rolls) == 2
    with pytest.raises(RulesError):
        make_attack(bow, 12, distance=601)
    sword = weapon_attack_profile("Longsword", FIGHTER, 2)
    with pytest.raises(RulesError):
        make_attack(sword, 12, distance=10)
    assert make_attack(weapon_attack_profile("Glaive", FIGHTER, 2), 12, distance=10)
    # blinded attacker vs. restrained target: one of each, a normal roll
    even = make_attack(
        sword, 12, attacker_conditions=["blinded"], target_conditions=["restrained"]
    )
    assert even.mode is Advantage.NONE and len(even.rolls) == 1
    with pytest.raises(RulesError):
        make_attack(sword, 12, attacker_conditions=["stunned"])


def test_seeded_attack_is_reproducible_and_described() -> None:
    sword = weapon_attack_profile("Longsword", FIGHTER, 2)
    with seeded(99):
        a = make_attack(sword, 13)
    with seeded(99):
        b = make_attack(sword, 13)
    assert a == b
    assert a.describe().startswith("Longsword: d20 (")


@given(st.integers(0, 2**32), st.sampled_from(["Dagger", "Greatsword", "Longbow", "Rapier", "Maul"]),
       st.sampled_from(list(Advantage)), st.integers(5, 25))  # fmt: skip
def test_attack_results_obey_the_rules(seed: int, weapon: str, mode: Advantage, ac: int) -> None:
    profile = weapon_attack_profile(weapon, FIGHTER, 2)
    circumstances = [mode] if mode is not Advantage.NONE else []
    with seeded(seed):
        result = make_attack(profile, ac, circumstances=circumstances)
    dice = parse_damage_dice(profile.damage_dice)
    if result.fumble:
        assert not result.hit and result.natural == 1
    if result.natural == 20:
        assert result.hit and result.critical
    if result.hit:
        n = dice.count * (2 if result.critical else 1)
        assert len(result.damage_rolls) == n
        assert result.damage == max(0, sum(result.damage_rolls) + profile.damage_bonus)
        assert n + profile.damage_bonus <= result.damage <= n * dice.sides + profile.damage_bonus
    else:
        assert result.damage == 0


def test_character_attack_profile_uses_class_proficiencies() -> None:
    from game.abilities import AbilityScores as Scores
    from game.attacks import character_attack_profile
    from game.creation import create_character

    rogue = create_character("Cel", "Halfling", "Rogue", Scores(strength=8, dexterity=15, constitution=14,
                             intelligence=12, wisdom=10, charisma=13), ["stealth", "acrobatics", "perception",
                             "deception"], subrace="Lightfoot")  # fmt: skip
    # Dex 15 + 2 (halfling) = 17 → +3; proficiency +2; rogues are proficient with rapiers and hand crossbows
    assert character_attack_profile(rogue, "Rapier").attack_bonus == 5
    assert character_attack_profile(rogue, "Crossbow, hand").attack_bonus == 5
    assert character_attack_profile(rogue, "Longbow").attack_bonus == 3  # martial, not proficient


def test_ranged_attack_within_five_feet_of_the_target_has_disadvantage() -> None:
    # SRD p. 95, "Ranged Attacks in Close Combat": disadvantage within 5 feet of a hostile creature
    # who can see you and who isn't incapacitated.
    bow = weapon_attack_profile("Shortbow", ROGUE, 2)
    assert make_attack(bow, 12, distance=5).mode is Advantage.DISADVANTAGE
    assert make_attack(bow, 12, distance=10).mode is Advantage.NONE
    # a thrown dagger is a ranged attack too
    thrown = weapon_attack_profile("Dagger", ROGUE, 2, thrown=True)
    assert make_attack(thrown, 12, distance=5).mode is Advantage.DISADVANTAGE
    # an incapacitated (stunned) target imposes nothing; stunned also grants advantage → advantage
    assert make_attack(bow, 12, distance=5, target_conditions=["stunned"]).mode is Advantage.ADVANTAGE
    # a blinded target can't see the archer: its blindness gives advantage, no close-combat penalty
    assert make_attack(bow, 12, distance=5, target_conditions=["blinded"]).mode is Advantage.ADVANTAGE
    # an invisible archer is unseen: advantage from invisibility, no penalty
    assert make_attack(bow, 12, distance=5, attacker_conditions=["invisible"]).mode is Advantage.ADVANTAGE
    # a friendly target (shooting an ally free of a net, say) is no hostile creature
    assert make_attack(bow, 12, distance=5, target_hostile=False).mode is Advantage.NONE
    # melee attacks are unaffected
    assert make_attack(weapon_attack_profile("Rapier", ROGUE, 2), 12, distance=5).mode is Advantage.NONE


def test_off_hand_attack_adds_no_positive_ability_modifier_to_damage() -> None:
    # SRD p. 95 (Two-Weapon Fighting): a light melee weapon in the other hand; "You don't add your ability
    # modifier to the damage of the bonus attack, unless that modifier is negative."
    main = weapon_attack_profile("Shortsword", ROGUE, 2)
    off = weapon_attack_profile("Shortsword", ROGUE, 2, off_hand=True)
    assert (main.attack_bonus, main.damage_bonus) == (6, 4)
    assert (off.attack_bonus, off.damage_bonus) == (6, 0)  # the attack roll keeps the modifier
    weak = AbilityScores(strength=8, dexterity=8)
    assert weapon_attack_profile("Handaxe", weak, 2, off_hand=True).damage_bonus == -1
    assert weapon_attack_profile("Dagger", ROGUE, 2, off_hand=True, magic_bonus=1).damage_bonus == 1
    assert weapon_attack_profile("Handaxe", FIGHTER, 2, off_hand=True, thrown=True).ranged  # may be thrown
    with pytest.raises(RulesError):
        weapon_attack_profile("Longsword", FIGHTER, 2, off_hand=True)  # not light


def test_champion_scores_critical_hits_on_19_then_18() -> None:
    # SRD p. 25 (Champion): Improved Critical at 3rd level — "a critical hit on a roll of 19 or 20";
    # Superior Critical at 15th — "on a roll of 18–20". A critical hit hits.
    from game.character import Character

    keen = weapon_attack_profile("Longsword", FIGHTER, 2, critical_on=19)
    assert resolve_attack(keen, 30, (19,)) == (19, True, True, False)
    assert resolve_attack(keen, 10, (18,)) == (18, True, False, False)
    assert resolve_attack(PROFILE, 10, (19,)) == (19, True, False, False)  # everyone else: only 20

    def champion(level: int) -> Character:
        return Character(name="Vara", race="Human", class_name="Fighter", subclass="Champion", level=level,
                         hp=40, max_hp=40, ability_scores=FIGHTER)  # fmt: skip

    from game.attacks import character_attack_profile

    assert character_attack_profile(champion(2), "Longsword").critical_on == 20
    assert character_attack_profile(champion(3), "Longsword").critical_on == 19
    assert character_attack_profile(champion(15), "Longsword").critical_on == 18
    assert character_attack_profile(champion(15).model_copy(update={"subclass": None}), "Longsword").critical_on == 20


def test_savage_attacks_and_brutal_critical_add_weapon_dice_to_melee_crits() -> None:
    # SRD p. 7 (Half-Orc, Savage Attacks): one more weapon damage die on a melee weapon crit.
    # SRD p. 9 (Barbarian, Brutal Critical): +1 die at 9th level, 2 at 13th, 3 at 17th.
    from game.attacks import character_attack_profile
    from game.character import Character

    def who(race: str, cls: str, level: int) -> Character:
        return Character(name="Grusk", race=race, class_name=cls, level=level, hp=50, max_hp=50,
                         ability_scores=FIGHTER)  # fmt: skip

    assert character_attack_profile(who("Half-Orc", "Fighter", 1), "Greataxe").extra_critical_dice == 1
    assert character_attack_profile(who("Half-Orc", "Fighter", 1), "Longbow").extra_critical_dice == 0
    thrown = character_attack_profile(who("Half-Orc", "Fighter", 1), "Handaxe", thrown=True)
    assert thrown.extra_critical_dice == 0  # a thrown weapon makes a ranged attack
    assert character_attack_profile(who("Human", "Barbarian", 8), "Greataxe").extra_critical_dice == 0
    assert character_attack_profile(who("Human", "Barbarian", 9), "Greataxe").extra_critical_dice == 1
    assert character_attack_profile(who("Half-Orc", "Barbarian", 17), "Greataxe").extra_critical_dice == 4
    # a critical greataxe hit: 2d12 doubled → 2 dice, plus 4 extra d12s, modifier once
    with seeded(5):
        rolls, total = roll_damage("1d12", 3, critical=True, extra_dice=4)
    assert len(rolls) == 6 and all(1 <= r <= 12 for r in rolls) and total == sum(rolls) + 3
    with seeded(5):
        rolls, total = roll_damage("1d12", 3, critical=False, extra_dice=4)
    assert len(rolls) == 1  # extra dice only on a critical hit


def test_small_creatures_attack_with_heavy_weapons_at_disadvantage() -> None:
    # SRD p. 65 (Heavy): "Small creatures have disadvantage on attack rolls with heavy weapons."
    from game.attacks import character_attack_profile
    from game.character import Character

    def who(race: str) -> Character:
        return Character(name="Pip", race=race, class_name="Fighter", level=1, hp=12, max_hp=12,
                         ability_scores=FIGHTER)  # fmt: skip

    halfling_greatsword = character_attack_profile(who("Halfling"), "Greatsword")
    assert halfling_greatsword.disadvantage is True
    assert make_attack(halfling_greatsword, 12).mode is Advantage.DISADVANTAGE
    assert character_attack_profile(who("Gnome"), "Longbow").disadvantage is True
    assert character_attack_profile(who("Halfling"), "Shortsword").disadvantage is False
    assert character_attack_profile(who("Human"), "Greatsword").disadvantage is False


def test_unarmed_strike_is_one_plus_strength_and_always_proficient() -> None:
    # SRD p. 95: "an unarmed strike deals bludgeoning damage equal to 1 + your Strength modifier. You are
    # proficient with your unarmed strikes."
    from game.attacks import character_attack_profile
    from game.character import Character

    punch = weapon_attack_profile("Unarmed strike", FIGHTER, 2)
    assert (punch.attack_bonus, punch.damage_dice, punch.damage_bonus, punch.damage_type) == (5, "1", 3, "bludgeoning")
    wizard = Character(name="Mira", race="Elf", class_name="Wizard", hp=6, max_hp=6, ability_scores=ROGUE)
    assert character_attack_profile(wizard, "unarmed strike").attack_bonus == -1 + 2  # Str 8, proficient
    with seeded(3):
        rolls, total = roll_damage(punch.damage_dice, punch.damage_bonus, critical=True)
    assert (rolls, total) == ((), 4)  # no dice to double


def test_attacks_in_armor_without_proficiency_have_disadvantage(fighter: Character) -> None:
    # SRD p. 62: disadvantage on attack rolls that involve Strength or Dexterity (every weapon attack).
    from game.attacks import character_attack_profile
    from game.creation import create_character, standard_array
    from game.inventory import make_item

    assert character_attack_profile(fighter, "Longsword").disadvantage is False  # chain mail, proficient
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    rogue = create_character("Cel", "human", "rogue", scores, ["stealth", "acrobatics", "perception", "deception"])
    rogue.add_item(make_item("Half plate"))
    rogue.inventory.equip("Half plate")  # medium armor: rogues know only light
    assert character_attack_profile(rogue, "Rapier").disadvantage is True
    rogue.add_item(make_item("Shield"))
    rogue.inventory.equip("Shield")
    rogue.inventory.unequip("Half plate")
    assert character_attack_profile(rogue, "Rapier").disadvantage is True  # no shield proficiency either
