"""What a spell does in numbers, read from its SRD 5.1 entry (pure: plain record dicts in, dice out).

`spell_effect(record)` reads the description and "At Higher Levels" text with a few regexes —
"make a ranged spell attack", "must make a Dexterity saving throw", "takes 8d6 fire damage",
"half as much damage on a successful one", "regains a number of hit points equal to 1d8 + your
spellcasting ability modifier", "the damage increases by 1d6 for each slot level above 3rd" — with a
small override table where the text is irregular (Magic Missile's darts). A spell it cannot read
gives an effect of kind `"none"`: it is still cast, and the DM narrates what it does.

`damage_dice` / `healing_dice` give the expression to roll at a slot level (cantrips grow at 5th,
11th and 17th character level; upcasting adds the per-level dice, merged with like dice: Fireball
at 4th is `9d6`), `dart_count` and `split_darts` the missiles of a Magic Missile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from game.abilities import ABILITIES
from game.errors import RulesError
from game.spells import add_dice, scale_cantrip

__all__ = [
    "SpellEffect",
    "add_dice",
    "damage_dice",
    "dart_count",
    "healing_dice",
    "spell_effect",
    "split_darts",
]

_TYPES: Final = (
    "acid|bludgeoning|cold|fire|force|lightning|necrotic|piercing|poison|psychic|radiant|slashing|thunder"
)
_ATTACK = re.compile(r"make an? (ranged|melee) spell attack", re.IGNORECASE)
_SAVE = re.compile(
    r"(?:must|to) (?:make|succeed on) an? (" + "|".join(ABILITIES) + r") saving throw", re.IGNORECASE
)
_DAMAGE = re.compile(r"(\d+d\d+(?:\s*\+\s*\d+)?)\s+(" + _TYPES + r")\s+damage", re.IGNORECASE)
_HALF = re.compile(r"half as much damage|takes half (?:the|that) damage", re.IGNORECASE)
_HEAL = re.compile(
    r"regains?\s+(?:a number of\s+)?hit points equal to\s+(\d+d\d+)(\s*\+\s*your spellcasting ability modifier)?",
    re.IGNORECASE,
)
_PER_LEVEL = re.compile(
    r"(?:damage|healing)(?: \([^)]*\))? increases by (\d+d\d+) for each (?:slot )?level above", re.IGNORECASE
)
_CANTRIP_GROWTH = re.compile(r"increases by \d+d\d+ when you reach 5th level", re.IGNORECASE)
_MANY = re.compile(
    r"\beach creature\b|\beach target\b|\bany number of\b|\bup to (?:two|three|four|five|six|\d+) creatures\b"
    r"|\bcreatures of your choice\b|\beach dart\b",
    re.IGNORECASE,
)

Kind = Literal["attack", "save", "auto", "heal", "none"]


class SpellEffect(BaseModel):
    """The resolvable part of a spell.

    kind: `attack` (a spell attack roll per target), `save` (each target saves; one damage roll for all),
        `auto` (damage that always hits: Magic Missile's darts), `heal`, or `none` (the DM narrates it).
    damage / heal: the base dice ("8d6", "1d4+1"); `add_modifier`: + the caster's spellcasting modifier.
    per_level: dice added for each slot level above the spell's (`"1d6"`); darts: missiles at the spell's
        level and `darts_per_level` more per slot level above it.
    many: the spell can affect more than one creature (an area, "up to six creatures").
    """

    model_config = ConfigDict(frozen=True)

    name: str
    level: int
    kind: Kind = "none"
    attack: Literal["ranged", "melee"] | None = None
    save_ability: str | None = None
    half_on_save: bool = False
    damage: str | None = None
    damage_type: str | None = None
    heal: str | None = None
    add_modifier: bool = False
    per_level: str | None = None
    cantrip_scaling: bool = False
    darts: int = 0
    darts_per_level: int = 0
    many: bool = False

    @property
    def resolved(self) -> bool:
        return self.kind != "none"


# Spells whose text the regexes read wrongly or not at all (by lower-case name). `darts` on an attack
# spell is its number of rays, each an attack roll of its own.
_OVERRIDES: Final[dict[str, dict[str, Any]]] = {
    "magic missile": {"kind": "auto", "damage": "1d4+1", "damage_type": "force", "darts": 3, "darts_per_level": 1,
                      "many": True, "per_level": None},
    "scorching ray": {"darts": 3, "darts_per_level": 1, "many": True},
    "chain lightning": {"many": True},
}  # fmt: skip
# Damage that comes later, on a condition, or from a lasting area or summoned thing: the DM narrates it.
_NARRATED: Final = frozenset({
    "arcane hand", "bestow curse", "black tentacles", "blade barrier", "cloudkill", "control water", "dream",
    "earthquake", "feeblemind", "flame blade", "flaming sphere", "geas", "heat metal", "incendiary cloud",
    "insect plague", "moonbeam", "phantasmal killer", "prismatic spray", "prismatic wall", "spirit guardians",
    "storm of vengeance", "symbol", "wall of fire", "wall of ice", "wall of thorns", "web", "weird", "wind wall",
})  # fmt: skip


def _text(record: Mapping[str, Any], key: str) -> str:
    return " ".join(str(record.get(key) or "").split())


def spell_effect(record: Mapping[str, Any]) -> SpellEffect:
    """The effect of a spell from its SRD record (`name`, `level`, `description`, `higher_levels`).

    Raises:
        RulesError: the record has no name or no level.
    """
    name = str(record.get("name") or "").strip()
    level = record.get("level")
    if not name or not isinstance(level, int):
        raise RulesError("That is not a spell record (it needs a name and a level).")
    text, higher = _text(record, "description"), _text(record, "higher_levels")
    fields: dict[str, Any] = {"name": name, "level": level, "many": bool(_MANY.search(text))}
    per = _PER_LEVEL.search(higher)
    fields["per_level"] = per.group(1).replace(" ", "") if per else None
    fields["cantrip_scaling"] = level == 0 and bool(_CANTRIP_GROWTH.search(text))
    heal = _HEAL.search(text)
    damage = _DAMAGE.search(text)
    attack = _ATTACK.search(text)
    save = _SAVE.search(text)
    if heal and not damage:
        fields.update(kind="heal", heal=heal.group(1), add_modifier=bool(heal.group(2)))
    elif damage and attack and (not save or attack.start() < save.start()):
        fields.update(kind="attack", attack=attack.group(1).lower())
    elif damage and save:
        fields.update(kind="save", save_ability=save.group(1).lower(), half_on_save=bool(_HALF.search(text)))
    if damage and fields.get("kind") in ("attack", "save"):
        fields.update(damage=re.sub(r"\s+", "", damage.group(1)), damage_type=damage.group(2).lower())
    fields.update(_OVERRIDES.get(name.lower(), {}))
    if name.lower() in _NARRATED:
        fields.update(kind="none", damage=None, damage_type=None, save_ability=None, attack=None)
    return SpellEffect(**fields)


def _extra_levels(effect: SpellEffect, slot_level: int | None) -> int:
    if effect.level == 0 or slot_level is None:
        return 0
    if slot_level < effect.level:
        raise RulesError(f"A level-{effect.level} spell cannot be cast with a level-{slot_level} slot.")
    return slot_level - effect.level


def _scaled(base: str, effect: SpellEffect, slot_level: int | None, character_level: int) -> str:
    if effect.cantrip_scaling:
        base = scale_cantrip(base, character_level)
    extra = _extra_levels(effect, slot_level)
    if extra and effect.per_level:
        return add_dice(base, *([effect.per_level] * extra))
    return add_dice(base)


def damage_dice(effect: SpellEffect, slot_level: int | None, character_level: int) -> str | None:
    """The damage to roll (per dart for Magic Missile), or None when the spell deals none."""
    if effect.damage is None:
        return None
    return _scaled(effect.damage, effect, slot_level, character_level)


def healing_dice(effect: SpellEffect, slot_level: int | None, modifier: int) -> str | None:
    """The healing to roll, the spellcasting modifier included (`"2d8+3"`), or None for a spell that doesn't heal."""
    if effect.heal is None:
        return None
    dice = _scaled(effect.heal, effect, slot_level, 1)
    if effect.add_modifier and modifier:
        dice += f"{modifier:+d}"
    return dice


def dart_count(effect: SpellEffect, slot_level: int | None) -> int:
    """Magic Missile: 3 darts at 1st level, one more per slot level above."""
    return effect.darts + effect.darts_per_level * _extra_levels(effect, slot_level)


def split_darts(darts: int, targets: Sequence[str]) -> dict[str, int]:
    """Share `darts` over the targets in the order named, round robin; a target named twice gets two shares
    (`["goblin-1", "goblin-1", "goblin-2"]` with 3 darts → goblin-1: 2, goblin-2: 1).

    Raises:
        RulesError: no targets, or more targets named than there are darts.
    """
    if not targets:
        raise RulesError("The darts need at least one target.")
    if len(targets) > darts:
        raise RulesError(f"There are only {darts} darts for {len(targets)} targets.")
    shares: dict[str, int] = {}
    for i in range(darts):
        target = targets[i % len(targets)]
        shares[target] = shares.get(target, 0) + 1
    return shares
