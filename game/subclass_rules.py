"""The numbers the SRD 5.1 subclass features change, as pure functions the engine (and the DM) call.

`game.subclasses` holds the features as data and re-exports these. Each function takes plain numbers
(class level, modifiers, hit points) and returns the SRD's number, or refuses with a `RulesError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Final

from game.errors import RulesError

__all__ = [
    "bonus_known",
    "survivor_regain",
    "remarkable_athlete_bonus",
    "aura_of_devotion_range",
    "blessed_healer",
    "character_spell_healing",
    "check_natural_recovery",
    "colossus_slayer_dice",
    "cutting_words",
    "dark_ones_blessing",
    "DARK_ONES_OWN_LUCK_DIE",
    "disciple_of_life_bonus",
    "divine_strike_dice",
    "draconic_armor_class",
    "draconic_resilience_hp",
    "DRAGON_ANCESTRY",
    "dragon_wings_fly_speed",
    "elemental_affinity_bonus",
    "empowered_evocation_bonus",
    "frenzy_exhaustion",
    "HOLY_NIMBUS_DAMAGE",
    "HURL_THROUGH_HELL_DAMAGE",
    "intimidating_presence_dc",
    "MULTIATTACK_DEFENSE_BONUS",
    "natural_recovery_budget",
    "overchannel_damage",
    "potent_cantrip_damage",
    "preserve_life",
    "preserve_life_pool",
    "QUIVERING_PALM_DAMAGE",
    "sacred_weapon_bonus",
    "sculpt_spells_count",
    "sculpted_damage",
    "second_story_jump_bonus",
    "spell_healing",
    "supreme_healing",
    "supreme_sneak_advantage",
    "tranquility_dc",
    "wholeness_of_body",
]

DRAGON_ANCESTRY: Final[dict[str, str]] = {
    "black": "acid", "blue": "lightning", "brass": "fire", "bronze": "lightning", "copper": "acid",
    "gold": "fire", "green": "poison", "red": "fire", "silver": "cold", "white": "cold",
}


# --- Berserker ------------------------------------------------------------------------------------


def frenzy_exhaustion(exhaustion: int, frenzied: bool) -> int:
    """Exhaustion after a rage ends: one level more if it was a frenzy (at most 6)."""
    return min(6, exhaustion + 1) if frenzied else exhaustion


# --- Life Domain ----------------------------------------------------------------------------------


def disciple_of_life_bonus(spell_level: int) -> int:
    """Extra hit points a Life cleric's healing spell restores: 2 + spell level (0 for cantrips)."""
    return 2 + spell_level if spell_level >= 1 else 0


def blessed_healer(spell_level: int, healed_someone_else: bool, cleric_level: int) -> int:
    """Hit points a 6th-level+ Life cleric regains when a 1st+ spell heals another creature."""
    return 2 + spell_level if cleric_level >= 6 and spell_level >= 1 and healed_someone_else else 0


def preserve_life_pool(cleric_level: int) -> int:
    """Preserve Life restores 5 x cleric level hit points, divided among the creatures."""
    if cleric_level < 2:
        raise RulesError("Preserve Life comes with Channel Divinity at cleric level 2.")
    return 5 * cleric_level


def preserve_life(cleric_level: int, targets: dict[str, tuple[int, int]], split: dict[str, int]) -> dict[str, int]:
    """Check a Preserve Life split and return the hit points each creature regains.

    Args:
        targets: id → (current hp, max hp) of the creatures within 30 feet.
        split: id → hit points the cleric gives it.

    Raises:
        RulesError: more than the pool, a creature not in range, or above half its maximum.
    """
    pool = preserve_life_pool(cleric_level)
    if sum(split.values()) > pool:
        raise RulesError(f"Preserve Life has {pool} hit points to share, not {sum(split.values())}.")
    out: dict[str, int] = {}
    for cid, amount in split.items():
        if cid not in targets:
            raise RulesError(f"{cid} is not within 30 feet.")
        hp, max_hp = targets[cid]
        room = max(0, max_hp // 2 - hp)
        if amount < 0 or amount > room:
            raise RulesError(f"Preserve Life can bring {cid} only to half its maximum: at most {room} more.")
        out[cid] = amount
    return out


def divine_strike_dice(cleric_level: int) -> str | None:
    """Life Domain's Divine Strike: 1d8 radiant from 8th level, 2d8 from 14th."""
    return "2d8" if cleric_level >= 14 else "1d8" if cleric_level >= 8 else None


_DICE = re.compile(r"(\d*)d(\d+)")


def supreme_healing(expression: str) -> str:
    """A healing expression with each die at its maximum ("2d6+3" → "15"): Supreme Healing, cleric 17."""
    total = _DICE.sub(lambda m: str(int(m.group(1) or 1) * int(m.group(2))), expression.replace(" ", ""))
    if not re.fullmatch(r"[\d+\-]+", total):
        raise RulesError(f"{expression!r} is not a healing roll.")
    return str(sum(int(t) for t in re.findall(r"[+-]?\d+", total)))


def spell_healing(expression: str, spell_level: int, subclass: str | None, cleric_level: int) -> str:
    """A healing spell's expression after the caster's subclass: Life Domain adds 2 + spell level
    (Disciple of Life) and, at cleric 17, uses each die's maximum (Supreme Healing)."""
    if (subclass or "").lower() != "life domain":
        return expression
    if cleric_level >= 17:
        expression = supreme_healing(expression)
    bonus = disciple_of_life_bonus(spell_level)
    return f"{expression}+{bonus}" if bonus else expression


def character_spell_healing(character: Any, expression: str, spell_level: int) -> str:
    """`spell_healing` for a caster (a `Character`): its Life Domain cleric levels decide. Call it wherever a
    character's healing spell heals."""
    return spell_healing(expression, spell_level, character.subclass_of("cleric"), character.class_level("cleric"))


# --- Circle of the Land ---------------------------------------------------------------------------


def natural_recovery_budget(druid_level: int) -> int:
    """Combined slot levels Natural Recovery can restore: half the druid level, rounded up."""
    return math.ceil(druid_level / 2)


def check_natural_recovery(druid_level: int, slot_levels: Sequence[int]) -> None:
    """Refuse a Natural Recovery choice over the budget or with a slot of 6th level or higher."""
    if any(level >= 6 for level in slot_levels):
        raise RulesError("Natural Recovery can't restore slots of 6th level or higher.")
    budget = natural_recovery_budget(druid_level)
    if sum(slot_levels) > budget:
        raise RulesError(f"Natural Recovery restores slots totalling at most {budget} levels.")


# --- Open Hand, Devotion, Hunter, Thief -----------------------------------------------------------


def wholeness_of_body(monk_level: int) -> int:
    """Hit points Wholeness of Body restores: 3 x monk level (from 6th)."""
    if monk_level < 6:
        raise RulesError("Wholeness of Body comes at monk level 6.")
    return 3 * monk_level


def sacred_weapon_bonus(charisma_modifier: int) -> int:
    """Sacred Weapon's attack bonus: the Charisma modifier, at least +1."""
    return max(1, charisma_modifier)


def colossus_slayer_dice(target_hp: int, target_max_hp: int, used_this_turn: bool) -> str | None:
    """Colossus Slayer: an extra 1d8 on a weapon hit against a creature below its maximum, once a turn."""
    return "1d8" if target_hp < target_max_hp and not used_this_turn else None


def supreme_sneak_advantage(moved: int, speed: int, rogue_level: int) -> bool:
    """Supreme Sneak (rogue 9): advantage on Stealth when moving no more than half your speed this turn."""
    return rogue_level >= 9 and moved * 2 <= speed


# --- Draconic Bloodline, Fiend --------------------------------------------------------------------


def draconic_resilience_hp(sorcerer_level: int) -> int:
    """Extra maximum hit points from Draconic Resilience: 1 per sorcerer level."""
    return sorcerer_level


def draconic_armor_class(dexterity_modifier: int, shield: bool = False) -> int:
    """Unarmored AC with Draconic Resilience: 13 + Dex (a shield still adds 2)."""
    return 13 + dexterity_modifier + (2 if shield else 0)


def elemental_affinity_bonus(ancestor: str, damage_type: str, charisma_modifier: int, sorcerer_level: int) -> int:
    """Elemental Affinity (6th): + Cha mod to one damage roll of the ancestry's damage type."""
    kind = DRAGON_ANCESTRY.get(ancestor.strip().lower())
    if kind is None:
        raise RulesError(f"{ancestor!r} is not a dragon. The dragons are: {', '.join(DRAGON_ANCESTRY)}.")
    return charisma_modifier if sorcerer_level >= 6 and damage_type.strip().lower() == kind else 0


def dark_ones_blessing(charisma_modifier: int, warlock_level: int) -> int:
    """Temporary hit points on reducing a hostile creature to 0: Cha mod + warlock level, at least 1."""
    return max(1, charisma_modifier + warlock_level)


# --- Evocation ------------------------------------------------------------------------------------


def sculpt_spells_count(spell_level: int) -> int:
    """How many creatures Sculpt Spells protects: 1 + the spell's level."""
    return 1 + spell_level


def sculpted_damage(damage: int, saved: bool, sculpted: bool, half_on_save: bool = True) -> tuple[int, bool]:
    """(damage taken, saved) for a creature caught in an evocation save spell. A sculpted creature succeeds
    automatically and takes no damage even where a success would halve it; others take full damage on a
    failure and half (or none) on a success."""
    if sculpted:
        return 0, True
    if not saved:
        return damage, False
    return (damage // 2 if half_on_save else 0), True


def potent_cantrip_damage(damage: int, saved: bool, wizard_level: int) -> int:
    """Damage a save-cantrip deals: full on a failure; on a success 0, or half with Potent Cantrip (6th)."""
    if not saved:
        return damage
    return damage // 2 if wizard_level >= 6 else 0


def empowered_evocation_bonus(intelligence_modifier: int, wizard_level: int, school: str) -> int:
    """Empowered Evocation (10th): + Int mod to one damage roll of a wizard evocation spell."""
    return intelligence_modifier if wizard_level >= 10 and school.strip().lower() == "evocation" else 0


def overchannel_damage(spell_level: int, earlier_uses: int) -> str | None:
    """Necrotic damage for Overchannel: none the first time, then 2d12 per spell level, +1d12 per level each
    further use before a long rest."""
    if not 1 <= spell_level <= 5:
        raise RulesError("Overchannel works on wizard spells of 1st through 5th level.")
    if earlier_uses <= 0:
        return None
    return f"{(1 + earlier_uses) * spell_level}d12"


# --- smaller numbers of the other features ---------------------------------------------------------


def intimidating_presence_dc(proficiency_bonus: int, charisma_modifier: int) -> int:
    """Berserker's Intimidating Presence (10th): Wisdom save DC 8 + proficiency bonus + Charisma modifier."""
    return 8 + proficiency_bonus + charisma_modifier


def cutting_words(total: int, inspiration_roll: int) -> int:
    """College of Lore's Cutting Words: the creature's attack, check or damage roll minus the Bardic
    Inspiration die (Peerless Skill adds the die to the bard's own check instead)."""
    return total - inspiration_roll


def tranquility_dc(wisdom_modifier: int, proficiency_bonus: int) -> int:
    """Open Hand's Tranquility (11th): the sanctuary's save DC, 8 + Wisdom modifier + proficiency bonus."""
    return 8 + wisdom_modifier + proficiency_bonus


QUIVERING_PALM_DAMAGE: Final = "10d10"  # necrotic on a successful Con save; a failure drops it to 0 HP
HURL_THROUGH_HELL_DAMAGE: Final = "10d10"  # psychic, unless the target is a fiend
HOLY_NIMBUS_DAMAGE: Final = 10  # radiant, to an enemy starting its turn in the bright light
DARK_ONES_OWN_LUCK_DIE: Final = "1d10"
MULTIATTACK_DEFENSE_BONUS: Final = 4  # AC against that creature for the rest of the turn


def aura_of_devotion_range(paladin_level: int) -> int:
    """Aura of Devotion: 10 feet from 7th level, 30 feet from 18th (0 before 7th)."""
    return 30 if paladin_level >= 18 else 10 if paladin_level >= 7 else 0


def second_story_jump_bonus(dexterity_modifier: int) -> int:
    """Thief's Second-Story Work: a running jump covers extra feet equal to the Dexterity modifier."""
    return max(0, dexterity_modifier)


def dragon_wings_fly_speed(speed: int, sorcerer_level: int) -> int:
    """Dragon Wings (14th): a flying speed equal to the current speed (0 before 14th)."""
    return speed if sorcerer_level >= 14 else 0


def remarkable_athlete_bonus(proficiency_bonus: int, fighter_level: int) -> int:
    """Champion's Remarkable Athlete (7th): half the proficiency bonus, rounded up, on Str/Dex/Con checks
    that don't already use it."""
    return math.ceil(proficiency_bonus / 2) if fighter_level >= 7 else 0


def survivor_regain(hp: int, max_hp: int, constitution_modifier: int, fighter_level: int) -> int:
    """Champion's Survivor (18th): at the start of each turn, 5 + Con mod hit points while at no more than
    half (and above 0)."""
    return 5 + constitution_modifier if fighter_level >= 18 and 0 < hp and hp * 2 <= max_hp else 0


def bonus_known(subclass: str | None, class_level: int) -> tuple[int, int]:
    """(extra cantrips, extra spells known) a subclass adds to the class table: Circle of the Land's Bonus
    Cantrip (druid 2) and College of Lore's Additional Magical Secrets (bard 6: two spells of any class
    that don't count against spells known)."""
    key = (subclass or "").strip().lower()
    cantrips = 1 if key == "circle of the land" and class_level >= 2 else 0
    spells = 2 if key == "college of lore" and class_level >= 6 else 0
    return cantrips, spells
