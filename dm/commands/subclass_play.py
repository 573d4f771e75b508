"""Subclass features that change what `!attack` and `!cast` resolve (the numbers are `game.subclass_rules`).

- `attack_extras`: Divine Strike (Life cleric 8: +1d8 radiant, 2d8 at 14) and Colossus Slayer (Hunter ranger 3
  with that Hunter's Prey: +1d8 when the target is below its maximum), each once per turn. In a fight the turn
  remembers the use (`CombatState.once_per_turn`, cleared when the turn passes); out of one, once per command.
- `dark_ones_blessing`: a Fiend warlock who drops a hostile creature to 0 gains Cha mod + warlock level (min 1)
  temporary hit points through the engine's `TempHp`.
"""

from __future__ import annotations

from typing import Any

from dm.commands.context import CommandContext
from game.character import Character
from game.dice import roll
from game.effects import TempHp
from game.subclass_rules import colossus_slayer_dice, dark_ones_blessing, divine_strike_dice

__all__ = ["attack_extras", "dark_ones_blessing_gain", "grant_dark_ones_blessing", "used_this_turn"]


def used_this_turn(ctx: CommandContext, cid: str, feature: str) -> bool:
    combat = ctx.state.combat
    return combat is not None and f"{cid}:{feature}" in combat.once_per_turn


def _mark(ctx: CommandContext, cid: str, feature: str) -> None:
    combat = ctx.state.combat
    if combat is None:
        return
    marked = combat.model_copy(update={"once_per_turn": (*combat.once_per_turn, f"{cid}:{feature}")})
    ctx.state = ctx.state.model_copy(update={"combat": marked})


def _is(me: Character, class_name: str, word: str) -> bool:
    return word in (me.subclass_of(class_name) or "").lower()


def attack_extras(ctx: CommandContext, cid: str, me: Character, target: Any, weapon_type: str | None,
                  critical: bool) -> list[dict[str, Any]]:  # fmt: skip
    """The extra damage a weapon hit carries, rolled (doubled dice on a critical) and marked used for the turn.

    Each is {"feature", "damage_type", "damage", "roll"}; the caller applies them through the engine.
    """
    extras: list[dict[str, Any]] = []
    if _is(me, "cleric", "life") and not used_this_turn(ctx, cid, "divine_strike"):
        dice = divine_strike_dice(me.class_level("cleric"))
        if dice:
            extras.append(_extra(ctx, cid, "Divine Strike", "divine_strike", dice, "radiant", critical))
    if _is(me, "ranger", "hunter") and me.choices.get("hunter's prey") == "colossus slayer":
        dice = colossus_slayer_dice(target.hp, target.max_hp, used_this_turn(ctx, cid, "colossus_slayer"))
        if dice:
            extras.append(_extra(ctx, cid, "Colossus Slayer", "colossus_slayer", dice, weapon_type, critical))
    return extras


def _extra(ctx: CommandContext, cid: str, name: str, key: str, dice: str, damage_type: str | None,
           critical: bool) -> dict[str, Any]:  # fmt: skip
    rolled = roll(dice, critical=critical)
    _mark(ctx, cid, key)
    return {"feature": name, "damage_type": damage_type, "damage": rolled.total, "roll": rolled.to_dict()}


def dark_ones_blessing_gain(me: Character) -> int:
    """Temporary hit points a Fiend warlock gains on dropping a hostile creature (0 for anyone else)."""
    if not _is(me, "warlock", "fiend") or me.class_level("warlock") < 1:
        return 0
    return dark_ones_blessing(me.modifier("charisma"), me.class_level("warlock"))


def grant_dark_ones_blessing(ctx: CommandContext, cid: str, me: Character, dropped_hostile: bool) -> int | None:
    """Apply Dark One's Blessing after a hostile creature dropped to 0; the temporary hit points gained (None when
    the feature does not apply; 0 when the warlock already had as many, since they don't stack)."""
    amount = dark_ones_blessing_gain(me) if dropped_hostile else 0
    if not amount:
        return None
    outcome = ctx.apply([TempHp(target=cid, amount=amount)])[0]
    return amount if outcome.accepted else 0
