"""Subclass features that change a `!cast` (the numbers are `game.subclass_rules`).

- Sculpt Spells (Evocation wizard 2): `!cast fireball on goblin 1, goblin 2 sculpt Mira, Bram` (or `sparing`):
  up to 1 + the spell's level chosen creatures automatically succeed on the save and take no damage.
- Potent Cantrip (Evocation 6): a creature that saves against the wizard's cantrip takes half its damage.
- Empowered Evocation (Evocation 10): + Int modifier to one damage roll of a wizard evocation spell.
- Blessed Healer (Life cleric 6): a 1st-level+ spell that heals another creature heals the cleric 2 + spell level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dm.commands.context import CommandContext
from game.character import Character
from game.effects import HpChange
from game.errors import RulesError
from game.spell_effects import SpellEffect
from game.subclass_rules import blessed_healer, empowered_evocation_bonus, sculpt_spells_count

__all__ = ["blessed_healer_heal", "check_sculpt", "empowered_bonus", "evocation_level", "split_sculpt"]

_SCULPT = re.compile(r"\s+(?:sculpt(?:ing)?|sparing)\s+(?P<names>.+)$", re.IGNORECASE)


def split_sculpt(text: str) -> tuple[str, list[str]]:
    """`"fireball on goblin 1 sculpt Mira, Bram"` → ("fireball on goblin 1", ["Mira", "Bram"])."""
    found = _SCULPT.search(" ".join(text.split()))
    if found is None:
        return text, []
    names = [n.strip() for n in re.split(r",|\s+and\s+", found.group("names")) if n.strip()]
    return " ".join(text.split())[: found.start()], names


def evocation_level(me: Character) -> int:
    """The wizard level of a School of Evocation wizard (0 for anyone else)."""
    return me.class_level("wizard") if "evocation" in (me.subclass_of("wizard") or "").lower() else 0


def _school(record: Mapping[str, Any]) -> str:
    return str(record.get("school") or "").strip().lower()


def _wizard_spell(record: Mapping[str, Any]) -> bool:
    classes = record.get("classes")
    return not classes or "wizard" in [str(c).lower() for c in classes]


def check_sculpt(me: Character, effect: SpellEffect, record: Mapping[str, Any], sculpted: list[str],
                 slot_level: int | None) -> None:  # fmt: skip
    """Refuse a Sculpt Spells the rules don't allow (not an Evocation wizard 2+, not an evocation spell with a
    saving throw, more creatures than 1 + the spell's level)."""
    if not sculpted:
        return
    if evocation_level(me) < 2:
        raise RulesError(f"{me.name} can't sculpt spells (a School of Evocation wizard's feature from level 2); "
                         "nothing was changed.")  # fmt: skip
    if _school(record) != "evocation" or effect.kind != "save":
        raise RulesError(f"Sculpt Spells shapes evocation spells that call for a saving throw, not {effect.name}; "
                         "nothing was changed.")  # fmt: skip
    limit = sculpt_spells_count(slot_level or effect.level)
    if len(set(sculpted)) > limit:
        raise RulesError(f"Sculpt Spells protects at most {limit} creatures from {effect.name} at this level, "
                         f"not {len(set(sculpted))}; nothing was changed.")  # fmt: skip


def empowered_bonus(me: Character, record: Mapping[str, Any]) -> int:
    """Empowered Evocation's bonus to one damage roll of this spell (0 when it doesn't apply)."""
    if not _wizard_spell(record):
        return 0
    return max(0, empowered_evocation_bonus(me.modifier("intelligence"), evocation_level(me), _school(record)))


def blessed_healer_heal(
    ctx: CommandContext, cid: str, me: Character, ids: list[str], slot_level: int | None
) -> int | None:
    """Heal the Life cleric 2 + spell level when a 1st-level+ spell healed another creature (through the engine).

    Returns the hit points regained, or None when Blessed Healer does not apply.
    """
    amount = blessed_healer(slot_level or 0, any(t != cid for t in ids), me.class_level("cleric"))
    if not amount or "life" not in (me.subclass_of("cleric") or "").lower():
        return None
    outcome = ctx.apply([HpChange(target=cid, amount=amount, source="Blessed Healer")])[0]
    return int(outcome.changes.get("regained", 0)) if outcome.accepted else 0
