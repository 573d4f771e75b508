"""Spellcasting (SRD 5.1 "Spellcasting" and the class Spellcasting features).

Casting a spell of 1st level or higher spends a slot of that level or higher (upcasting);
cantrips spend nothing and grow at character levels 5, 11 and 17; a ritual takes no slot
but only for classes with ritual casting; concentrating on a new spell ends the old one, and
damage calls for a Constitution save against DC max(10, half the damage). Spell data (level,
ritual, concentration, classes) is passed in as plain data — `game/` never queries it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from game.character import Character
from game.classes import ClassInfo, get_class
from game.conditions import can_act, save_roll_modifier
from game.damage import concentration_save_dc
from game.dice import DiceRoll, roll_d20
from game.errors import IllegalEffect, NoSpellSlot, RulesError, UnknownSpell
from game.resources import is_lucky

__all__ = [
    "ConcentrationCheck",
    "Spell",
    "SpellCast",
    "add_dice",
    "cantrip_dice_multiplier",
    "cast_spell",
    "concentration_check",
    "learn_spell",
    "max_prepared",
    "prepare_spells",
    "scale_cantrip",
    "upcast_damage",
]

log = logging.getLogger(__name__)

_ORDINALS: Final = {1: "1st", 2: "2nd", 3: "3rd"}
_DICE_RE: Final = re.compile(r"(\d*)d(\d+)")
_TERM_RE: Final = re.compile(r"([+-]?)(?:(\d*)d(\d+)|(\d+))")
_SUM_RE: Final = re.compile(r"[+-]?(?:\d*d\d+|\d+)(?:[+-](?:\d*d\d+|\d+))*")


def _ordinal(level: int) -> str:
    return _ORDINALS.get(level, f"{level}th")


def _key(name: str) -> str:
    return " ".join(name.lower().split())


class Spell(BaseModel):
    """The facts about a spell the rules need. Build it from the SRD table row with `Spell.model_validate`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    level: int = Field(ge=0, le=9)
    ritual: bool = False
    concentration: bool = False
    classes: tuple[str, ...] = ()  # lower-case class names; empty = don't check

    @property
    def key(self) -> str:
        return _key(self.name)


class SpellCast(BaseModel):
    """What casting did: which slot was spent (None for cantrips and rituals) and what concentration ended."""

    model_config = ConfigDict(frozen=True)

    caster: str
    spell: str
    spell_level: int
    slot_level: int | None
    slot_kind: str | None  # "slot" or "pact"
    upcast: bool
    ritual: bool
    concentration: bool
    ended_concentration: str | None
    slots_left: int  # slots left of the level spent (0 for cantrips/rituals)


class ConcentrationCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    caster: str
    spell: str
    damage: int
    dc: int
    roll: dict[str, Any]
    kept: bool


def _as_spell(spell: Spell | Mapping[str, Any]) -> Spell:
    """A `Spell`, from itself or from plain data.

    Raises:
        IllegalEffect: the data does not describe a spell (no name, a level outside 0–9, ...).
    """
    if isinstance(spell, Spell):
        return spell
    try:
        return Spell.model_validate(spell)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "spell"
        raise IllegalEffect(f"That is not a spell the rules know ({where}: {first.get('msg', 'invalid')}).") from None


def _casting_class(character: Character, spell: Spell) -> tuple[ClassInfo, int]:
    """The class (and its level) that casts this spell: for a multiclass character the first of its classes
    whose list has the spell, else the first that casts at all (SRD p. 58); for one class, that class."""
    classes = [(get_class(c.name), c.level) for c in character.class_list()]
    keys = {c.lower() for c in spell.classes}
    casters = [(info, level) for info, level in classes if info.spellcasting_ability]
    return next(((i, lvl) for i, lvl in casters if i.key in keys), casters[0] if casters else classes[0])


def _known_list(character: Character, spell: Spell) -> list[str]:
    if spell.level == 0:
        return character.cantrips_known
    info, _ = _casting_class(character, spell)
    return character.spells_prepared if info.prepares_spells else character.spells_known


def _slots_summary(character: Character) -> str:
    slots = character.spell_slots
    parts = [f"{_ordinal(lvl)} ×{n}" for lvl, n in sorted(slots.current.items()) if n > 0]
    if slots.pact_current:
        parts.append(f"pact {_ordinal(slots.pact_level)} ×{slots.pact_current}")
    return ", ".join(parts) if parts else "none"


def cast_spell(
    character: Character,
    spell: Spell | Mapping[str, Any],
    slot_level: int | None = None,
    *,
    as_ritual: bool = False,
    check_known: bool = True,
) -> SpellCast:
    """Cast a spell: checks it is known/prepared, spends the right slot, handles concentration.

    Args:
        slot_level: the slot to spend; None picks the lowest available slot at or above the spell's level
            (a Warlock always uses its pact slot level; asking for a higher one is refused).
        as_ritual: cast as a ritual (10 minutes longer, no slot) — needs a ritual spell and a class with
            ritual casting.
        check_known: refuse spells not in the character's cantrips / known / prepared lists.

    Raises:
        UnknownSpell: not known or not prepared, or not a spell of the caster's class.
        NoSpellSlot: no slot of a suitable level left, or the slot level is beyond the caster.
        IllegalEffect: the caster cannot cast at all (no spellcasting, dead, at 0 HP, incapacitated by a
            condition), or a bad ritual.
    """
    spell = _as_spell(spell)
    _check_may_cast(character, spell, as_ritual=as_ritual, check_known=check_known)
    if spell.level == 0 or as_ritual:
        return _cast_without_slot(character, spell, slot_level, as_ritual=as_ritual)
    slot_level = _choose_slot(character, spell, slot_level)
    slots = character.spell_slots
    kind = slots.spend(slot_level)
    ended = character.start_concentration(spell.name) if spell.concentration else None
    log.debug("%s cast %s with a level-%d %s", character.name, spell.name, slot_level, kind)
    return SpellCast(
        caster=character.name, spell=spell.name, spell_level=spell.level, slot_level=slot_level, slot_kind=kind,
        upcast=slot_level > spell.level, ritual=False, concentration=spell.concentration,
        ended_concentration=ended, slots_left=slots.available(slot_level),
    )


def _check_may_cast(character: Character, spell: Spell, *, as_ritual: bool, check_known: bool) -> None:
    """Refuse a caster who cannot act or cast at all, a spell not of their class, one they do not know."""
    info, _ = _casting_class(character, spell)
    who = character.name
    if character.dead or character.hp == 0 or not can_act(character.conditions, character.exhaustion):
        # incapacitated (stunned, paralyzed, ...): no actions or reactions, so no spells (SRD p. 358)
        raise IllegalEffect(f"{who} is in no state to cast {spell.name}.")
    if character.wears_armor_without_proficiency:  # SRD p. 62: "and you can't cast spells"
        raise IllegalEffect(f"{who} can't cast spells while wearing armor they aren't proficient with.")
    known = {_key(s) for s in _known_list(character, spell)} if check_known else set()
    # Wizards cast rituals from their spellbook (spells_known) without preparing them.
    if check_known and as_ritual and info.key == "wizard":
        known |= {_key(s) for s in character.spells_known}
    # A racial cantrip (High Elf, Tiefling) needs no spellcasting class (SRD p. 4, p. 7).
    racial_cantrip = check_known and spell.level == 0 and spell.key in known
    if info.spellcasting_ability is None and not racial_cantrip:
        raise IllegalEffect(f"{who} is a {info.name} and cannot cast spells.")
    # A spell on the character's own list counts as a class spell (a Bard's Magical Secrets, SRD p. 13).
    if spell.classes and info.key not in {c.lower() for c in spell.classes} and spell.key not in known:
        raise UnknownSpell(spell.name, who, reason=f"{spell.name} is not a {info.name} spell.")
    if check_known and spell.key not in known:
        verb = "know the cantrip" if spell.level == 0 else ("have prepared" if info.prepares_spells else "know")
        raise UnknownSpell(spell.name, who, reason=f"{who} does not {verb} {spell.name}.")


def _cast_without_slot(character: Character, spell: Spell, slot_level: int | None, *, as_ritual: bool) -> SpellCast:
    """A cantrip, or a ritual (10 minutes longer): no slot is spent, and neither can be upcast."""
    if slot_level is not None and slot_level != spell.level:  # SRD p. 101: rituals can't be upcast
        raise IllegalEffect(
            f"A cantrip takes no spell slot; {spell.name} cannot be cast with a {_ordinal(slot_level)}-level slot."
            if spell.level == 0
            else f"A ritual spends no slot, so {spell.name} cannot be cast at {_ordinal(slot_level)} level."
        )
    if as_ritual:
        info = get_class(character.class_name)
        if not spell.ritual:
            raise IllegalEffect(f"{spell.name} cannot be cast as a ritual.")
        if not info.ritual_casting:
            raise IllegalEffect(f"{info.name}s cannot cast spells as rituals.")
    ended = character.start_concentration(spell.name) if spell.concentration else None
    return SpellCast(
        caster=character.name, spell=spell.name, spell_level=spell.level, slot_level=None, slot_kind=None,
        upcast=False, ritual=as_ritual, concentration=spell.concentration, ended_concentration=ended, slots_left=0,
    )


def _choose_slot(character: Character, spell: Spell, slot_level: int | None) -> int:
    """The slot level to spend: the one asked for, a Warlock's pact level, else the lowest one left.

    Raises:
        NoSpellSlot: the spell's level is beyond the caster, or no suitable slot is left.
    """
    info, class_level = _casting_class(character, spell)  # a multiclass caster: that class's own level
    who = character.name
    slots = character.spell_slots
    if spell.level > info.max_spell_level(class_level):
        raise NoSpellSlot(
            who, spell.name, spell.level,
            reason=f"a level-{class_level} {info.name} cannot yet cast {_ordinal(spell.level)}-level spells",
        )
    if info.caster == "pact":
        # Every Warlock slot is of the pact level (SRD p. 47): a lower slot asked for is cast at that
        # level; a higher one does not exist and is refused rather than quietly cast lower.
        if slot_level is not None and slot_level > slots.pact_level:
            raise NoSpellSlot(
                who, spell.name, slot_level,
                reason=f"{who}'s pact magic slots are all {_ordinal(slots.pact_level)} level, "
                f"not {_ordinal(slot_level)}",
            )
        slot_level = slots.pact_level
    if slot_level is None:
        slot_level = slots.lowest_available(spell.level)
        if slot_level is None:
            raise NoSpellSlot(
                who, spell.name, spell.level,
                reason=f"{who} has no spell slots of {_ordinal(spell.level)} level or higher left "
                f"(slots left: {_slots_summary(character)})",
            )
    if not spell.level <= slot_level <= 9:
        raise NoSpellSlot(
            who, spell.name, spell.level,
            reason=f"a {_ordinal(spell.level)}-level spell cannot be cast with a {_ordinal(slot_level)}-level slot",
        )
    if slots.available(slot_level) == 0:
        raise NoSpellSlot(
            who, spell.name, slot_level,
            reason=f"{who} has no {_ordinal(slot_level)}-level spell slots left (slots left: {_slots_summary(character)})",
        )
    return slot_level


def concentration_check(character: Character, damage: int, result: DiceRoll | None = None) -> ConcentrationCheck | None:
    """Roll (or take) the Constitution save after damage; a failure ends concentration.

    Returns None when the character is not concentrating. `result` may be a roll made elsewhere
    (e.g. with advantage); otherwise 1d20 + the Con save modifier is rolled here.
    """
    spell = character.concentration
    if spell is None:
        return None
    dc = concentration_save_dc(damage)
    if result is None:
        modifier = character.saving_throw_bonus("constitution")
        mode = save_roll_modifier(character.conditions, "constitution", character.exhaustion).mode
        result = roll_d20(modifier, dc=dc, advantage=mode, lucky=is_lucky(character))  # exhaustion 3+: disadvantage
    kept = result.total >= dc
    if not kept or character.hp == 0:
        character.end_concentration()
        kept = False
    return ConcentrationCheck(caster=character.name, spell=spell, damage=damage, dc=dc, roll=result.to_dict(), kept=kept)


def cantrip_dice_multiplier(character_level: int) -> int:
    """How many times a cantrip's damage dice are rolled: 1, 2 at 5th level, 3 at 11th, 4 at 17th."""
    if not 1 <= character_level <= 20:
        raise RulesError(f"Levels go from 1 to 20, not {character_level}.")
    return 1 + (character_level >= 5) + (character_level >= 11) + (character_level >= 17)


def scale_cantrip(damage: str, character_level: int) -> str:
    """A cantrip's damage at a character level: `"1d10"` → `"2d10"` at 5th (fire bolt)."""
    times = cantrip_dice_multiplier(character_level)
    return _DICE_RE.sub(lambda m: f"{int(m.group(1) or 1) * times}d{m.group(2)}", damage)


def upcast_damage(base: str, per_level: str, spell_level: int, slot_level: int) -> str:
    """Damage of a spell cast with a higher slot: the per-level dice and bonus are added once per level above
    the spell's, like dice merging with like (fireball `("8d6", "1d6", 3, 5)` → `"10d6"`; magic missile's extra
    dart `("3d4+3", "1d4+1", 1, 2)` → `"4d4+4"`).

    Raises:
        RulesError: the slot is below the spell's level, or either expression is not a plain sum of dice and numbers.
    """
    if slot_level < spell_level:
        raise RulesError("A spell cannot be cast with a lower-level slot.")
    extra = slot_level - spell_level
    if extra == 0:
        return base
    return add_dice(base, *([per_level] * extra))


def add_dice(*expressions: str) -> str:
    """Add dice expressions, merging like dice, larger dice first and the flat bonus last: `("8d6", "1d6")` →
    `"9d6"`, `("1d4+1", "1d4+1")` → `"2d4+2"`, `("1d8", "1d6", "1d6")` → `"1d8+2d6"`; an empty one adds nothing.

    Raises:
        RulesError: an expression is not a plain sum of dice and whole numbers.
    """
    counts: dict[int, int] = {}
    flat = 0
    for expression in expressions:
        if not expression.strip():
            continue
        dice, bonus = _dice_sum(expression)
        for sides, count in dice.items():
            counts[sides] = counts.get(sides, 0) + count
        flat += bonus
    terms = [f"{counts[sides]}d{sides}" for sides in sorted(counts, reverse=True) if counts[sides]]
    if flat or not terms:
        terms.append(str(flat))
    return "+".join(terms).replace("+-", "-")


def _dice_sum(expression: str) -> tuple[dict[int, int], int]:
    """`"2d8+1d6-1"` → ({8: 2, 6: 1}, -1): dice counts by sides and the flat bonus."""
    text = expression.replace(" ", "")
    if not _SUM_RE.fullmatch(text):
        raise RulesError(f"`{expression}` is not a dice expression like 8d6 or 1d4+1.")
    dice: dict[int, int] = {}
    bonus = 0
    for sign, count, sides, number in _TERM_RE.findall(text):
        factor = -1 if sign == "-" else 1
        if sides:
            dice[int(sides)] = dice.get(int(sides), 0) + factor * int(count or 1)
        else:
            bonus += factor * int(number)
    return dice, bonus


def max_prepared(character: Character) -> int | None:
    """How many spells a preparing caster may prepare: level + ability modifier (Paladin: half level), at least 1."""
    info = get_class(character.class_name)
    if not info.prepares_spells or info.spellcasting_ability is None:
        return None
    levels = character.level // 2 if info.caster == "half" else character.level
    return max(1, levels + character.modifier(info.spellcasting_ability))


def _check_castable(character: Character, spell: Spell, *, any_class: bool = False) -> None:
    info = get_class(character.class_name)
    if info.spellcasting_ability is None:
        raise IllegalEffect(f"{character.name} is a {info.name} and has no spells.")
    if not any_class and spell.classes and info.key not in {c.lower() for c in spell.classes}:
        raise UnknownSpell(spell.name, character.name, reason=f"{spell.name} is not a {info.name} spell.")
    if spell.level > info.max_spell_level(character.level):
        raise IllegalEffect(
            f"A level-{character.level} {info.name} cannot learn or prepare {_ordinal(spell.level)}-level spells."
        )


def prepare_spells(character: Character, spells: Iterable[Spell | Mapping[str, Any]]) -> list[str]:
    """Replace the prepared list (after a long rest), within the class's limit.

    Raises:
        IllegalEffect: the class does not prepare spells, too many spells, or a spell too high in level.
        UnknownSpell: a spell not on the class's list.
    """
    chosen = [_as_spell(s) for s in spells]
    limit = max_prepared(character)
    if limit is None:
        raise IllegalEffect(f"{get_class(character.class_name).name}s do not prepare spells.")
    leveled = [s for s in chosen if s.level > 0]
    if len(leveled) > limit:
        raise IllegalEffect(f"{character.name} can prepare {limit} spells, not {len(leveled)}.")
    for spell in leveled:
        _check_castable(character, spell)
    if get_class(character.class_name).key == "wizard":
        book = {_key(s) for s in character.spells_known}
        missing = [s.name for s in leveled if s.key not in book]
        if missing:
            raise UnknownSpell(missing[0], character.name, reason=f"{missing[0]} is not in {character.name}'s spellbook.")
    character.spells_prepared = [s.name for s in leveled]
    return list(character.spells_prepared)


def learn_spell(
    character: Character, spell: Spell | Mapping[str, Any], *, magical_secrets: bool = False
) -> list[str]:
    """Add a cantrip or a known spell (a Wizard's spellbook), within the class's "known" limits.

    Args:
        magical_secrets: a Bard of 10th level or higher learns a spell from any class (SRD p. 13); it then
            counts as a bard spell and against the Spells Known column.

    Raises:
        IllegalEffect: already known, over the limit, too high a level, or Magical Secrets without the feature.
        UnknownSpell: not a spell of the class.
    """
    spell = _as_spell(spell)
    info = get_class(character.class_name)
    if magical_secrets and not (info.key == "bard" and character.level >= 10):
        raise IllegalEffect(f"Only a Bard of 10th level or higher has Magical Secrets, not {character.name}.")
    _check_castable(character, spell, any_class=magical_secrets)
    target = character.cantrips_known if spell.level == 0 else character.spells_known
    if spell.key in {_key(s) for s in target}:
        raise IllegalEffect(f"{character.name} already knows {spell.name}.")
    limit = info.cantrips_at(character.level) if spell.level == 0 else info.spells_known_at(character.level)
    if limit is not None and len(target) >= limit:
        kind = "cantrips" if spell.level == 0 else "spells"
        raise IllegalEffect(f"A level-{character.level} {info.name} knows at most {limit} {kind}.")
    if spell.level == 0:
        character.cantrips_known = [*character.cantrips_known, spell.name]
        return list(character.cantrips_known)
    character.spells_known = [*character.spells_known, spell.name]
    return list(character.spells_known)
