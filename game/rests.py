"""Short and long rests (SRD 5.1 "Resting").

Short rest (SRD 5.1 p. 87): spend Hit Dice, each healing one roll of the hit die + Con modifier;
Warlocks regain pact slots. Long rest: needs at least 1 hit point at its start; all hit points
back, temporary hit points end, every spell slot back, up to half the character's total Hit Dice
back (at least one), death saves cleared, and one level of exhaustion removed *only if the
character ate and drank* (SRD p. 358; `food_and_drink=False` keeps it). The exhaustion level is
lowered first, then hit points fill up to the maximum that level allows (halved at 4+), so a rest
at exhaustion 5 ends at half the maximum and one at exhaustion 4 at the full maximum.
Healing never goes above the halved maximum at exhaustion 4+ (`Character.heal`).

Not modelled: the once-per-24-hours limit on long rests and interrupted rests (the caller knows
the clock), class features that act on rests (Arcane Recovery, Song of Rest, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from game.character import Character, DeathSaves
from game.dice import roll
from game.errors import RestError
from game.multiclass import hit_dice_to_spend
from game.resources import end_rage, restore_resources

__all__ = ["LongRest", "ShortRest", "long_rest", "short_rest"]


class ShortRest(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    hit_dice_spent: int
    healed: int
    hp: int
    hit_dice_left: int
    rolls: tuple[dict[str, Any], ...]
    pact_slots_restored: int
    resources_restored: dict[str, int] = {}  # class pools refilled (game.resources), by key


class LongRest(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    healed: int
    hp: int
    slots_restored: int
    hit_dice_regained: int
    hit_dice: int
    exhaustion: int
    resources_restored: dict[str, int] = {}  # class pools refilled (game.resources), by key


def short_rest(character: Character, hit_dice: int = 0) -> ShortRest:
    """Take a short rest, spending `hit_dice` Hit Dice to heal.

    Each die heals its roll + the Con modifier (never less than 0). Spending stops being useful at
    full hit points but is still the player's choice.

    Raises:
        RestError: dead, negative count, or more Hit Dice than are left.
    """
    if character.dead:
        raise RestError(f"{character.name} is dead and cannot rest.")
    if hit_dice < 0:
        raise RestError("The number of Hit Dice to spend cannot be negative.")
    if hit_dice > character.hit_dice:
        raise RestError(
            f"{character.name} has {character.hit_dice} Hit {'Die' if character.hit_dice == 1 else 'Dice'} "
            f"left, not {hit_dice}."
        )
    end_rage(character)  # a rage lasts a minute; a frenzy's exhaustion comes first
    con = character.modifier("constitution")
    rolls = []
    total = 0
    # A multiclass pool mixes die sizes (a fighter 2 / wizard 3: two d10 and three d6), the largest first.
    for die in hit_dice_to_spend(character.class_list(), character.hit_dice, hit_dice):
        result = roll(f"1d{die}{con:+d}" if con else f"1d{die}")
        rolls.append(result.to_dict())
        total += max(0, result.total)
    character.hit_dice -= hit_dice
    healed = character.heal(total).healed if total else 0
    pact_before = character.spell_slots.pact_current
    character.spell_slots.restore_pact()
    restored = restore_resources(character, "short")
    return ShortRest(
        name=character.name,
        hit_dice_spent=hit_dice,
        healed=healed,
        hp=character.hp,
        hit_dice_left=character.hit_dice,
        rolls=tuple(rolls),
        pact_slots_restored=character.spell_slots.pact_current - pact_before,
        resources_restored=restored,
    )


def long_rest(character: Character, *, food_and_drink: bool = True) -> LongRest:
    """Take a long rest. Without `food_and_drink` the exhaustion level stays where it is.

    Raises:
        RestError: dead, or at 0 hit points at the start of the rest.
    """
    if character.dead:
        raise RestError(f"{character.name} is dead and cannot rest.")
    if character.hp < 1:
        raise RestError(f"{character.name} needs at least 1 hit point to benefit from a long rest.")
    end_rage(character)  # a rage (1 minute) is long over; a frenzy's exhaustion comes before the rest's relief
    if character.exhaustion > 0 and food_and_drink:
        character.set_exhaustion(character.exhaustion - 1)
    before = character.hp
    character.hp = max(before, character.hit_point_maximum)
    healed = character.hp - before
    character.temp_hp = 0
    slots_before = character.spell_slots.total_current
    character.spell_slots.restore_all()
    regained = min(max(1, character.level // 2), character.level - character.hit_dice)
    character.hit_dice += regained
    character.death_saves = DeathSaves()
    restored = restore_resources(character, "long")
    character.active_features = []  # a rage (1 minute) is long over
    return LongRest(
        name=character.name,
        healed=healed,
        hp=character.hp,
        slots_restored=character.spell_slots.total_current - slots_before,
        hit_dice_regained=regained,
        hit_dice=character.hit_dice,
        exhaustion=character.exhaustion,
        resources_restored=restored,
    )
