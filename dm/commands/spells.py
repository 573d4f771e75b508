"""Spellcasting: `!cast SPELL [at LEVEL] [on TARGET, TARGET…]`.

The spell comes from the SRD (fuzzy name). The rules check the caster's class can cast it and has a slot
(`game.spells.cast_spell`, tried on a copy; prepared/known lists are not required yet); the slot is spent
through the engine's `SlotSpend`; a concentration spell starts concentration (ending the old one). What the
spell does is read from its SRD text (`game.spell_effects`): spell attacks, saving throws (each target rolls
with its own modifiers and conditions; one damage roll for all), Magic Missile's darts, healing. A spell it
cannot read is still cast, and its effect is left to the DM to narrate. Damage and healing land through
`HpChange`, so resistances, dropping to 0 and death are the engine's.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from dm.commands.combat_support import apply_one, find_target, lookup_rules
from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.spell_features import blessed_healer_heal, check_sculpt, empowered_bonus, evocation_level, split_sculpt
from dm.commands.subclass_play import grant_dark_ones_blessing
from dm.commands.results import CommandResult
from dm.errors import BadArguments
from game import dice
from game.abilities import ability_modifier
from game.character import Character
from game.combat import dodge_save_advantage, is_dodging
from game.conditions import attack_roll_mode, hit_is_critical, save_roll_modifier
from game.effects import Creature, HpChange, SlotSpend
from game.errors import RulesError
from game.resources import is_lucky
from game.spell_effects import SpellEffect, add_dice, damage_dice, dart_count, healing_dice, spell_effect, split_darts
from game.spells import SpellCast as GameSpellCast
from game.spells import cast_spell
from game.subclass_rules import potent_cantrip_damage, sculpted_damage
from game.subclasses import character_spell_healing

__all__ = ["SpellCast", "SpellTarget", "parse_cast"]

CAST_USAGE = "!cast SPELL [at LEVEL] [on TARGET, TARGET…] [sculpt ALLY, ALLY…]"
_CAST = re.compile(
    r"^(?P<spell>.+?)(?:\s+at\s+(?:level\s+)?(?P<level>\d{1,2})(?:st|nd|rd|th)?(?:[\s-]+level)?)?"
    r"(?:\s+on\s+(?P<targets>.+))?$",
    re.IGNORECASE,
)
_SELF = ("me", "myself", "self")


class SpellTarget(BaseModel):
    """What the spell did to one target."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    attack_rolls: tuple[dict[str, Any], ...] = ()  # one per ray/attack
    hits: int = 0
    critical: bool = False
    save_roll: dict[str, Any] | None = None
    save_modifier: int | None = None
    saved: bool | None = None
    auto_fail: bool = False
    sculpted: bool = False  # Sculpt Spells: saved automatically, no damage
    darts: int = 0
    damage_roll: dict[str, Any] | None = None  # when rolled for this target alone
    damage: int = 0  # before the target's resistances
    damage_dealt: int = 0  # as the engine applied it
    healed: int = 0
    hp_before: int
    hp_after: int
    max_hp: int
    dropped: bool = False
    dead: bool = False
    concentration_dc: int | None = None  # the target must save to keep concentrating
    summaries: tuple[str, ...] = ()


class SpellCast(CommandResult):
    type: str = "spell_cast"
    caster: str
    caster_id: str
    spell: str
    spell_level: int
    slot_level: int | None = None  # None for a cantrip
    slot_kind: str | None = None  # "slot" or "pact"
    slots_left: int | None = None  # of the level spent
    upcast: bool = False
    kind: str = "none"  # attack, save, auto, heal, none (the DM narrates)
    resolved: bool = False
    concentration: bool = False
    ended_concentration: str | None = None
    attack_bonus: int | None = None
    save_ability: str | None = None
    save_dc: int | None = None
    half_on_save: bool = False
    dice: str | None = None  # what was rolled for damage/healing (per dart for Magic Missile)
    damage_type: str | None = None
    damage_roll: dict[str, Any] | None = None  # the one roll shared by every target (save spells, healing)
    targets: tuple[SpellTarget, ...] = ()
    target_names: tuple[str, ...] = ()  # named for a spell the DM narrates
    empowered: int | None = None  # Empowered Evocation: + Int modifier added to one damage roll
    potent_cantrip: bool = False  # Potent Cantrip: a successful save still takes half
    blessed_healer: int | None = None  # hit points the Life cleric regained (Blessed Healer)
    temp_hp_gained: int | None = None  # Dark One's Blessing when the spell dropped a hostile creature


def parse_cast(text: str) -> tuple[str, int | None, list[str]]:
    """`"fireball at 4th level on goblin 1, goblin 2"` → ("fireball", 4, ["goblin 1", "goblin 2"])."""
    match = _CAST.match(" ".join(text.split()))
    if not match:
        raise BadArguments("Which spell?", CAST_USAGE)
    level = int(match.group("level")) if match.group("level") else None
    raw = match.group("targets") or ""
    targets = [t.strip() for t in re.split(r",|\s+and\s+", raw) if t.strip()]
    if raw and not targets:
        raise BadArguments("On whom?", CAST_USAGE)
    return match.group("spell").strip(), level, targets


def _resolve_targets(ctx: CommandContext, caster_id: str, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        if name.lower() in _SELF:
            ids.append(caster_id)
            continue
        found = find_target(ctx.state, name)
        if found is None:
            raise BadArguments(f"I see nobody called {name!r} here.", CAST_USAGE)
        if found[1].dead:
            raise RulesError(f"{found[1].name} is dead; nothing was changed.")
        ids.append(found[0])
    return ids


def _check_target_count(effect: SpellEffect, ids: list[str], spell: str, slot_level: int | None) -> None:
    needs = effect.kind in ("attack", "save", "auto")
    if needs and not ids:
        raise BadArguments(f"{spell} needs a target: !cast {spell.lower()} on TARGET.", CAST_USAGE)
    if effect.darts:
        darts = dart_count(effect, slot_level)
        if len(ids) > darts:
            raise BadArguments(f"{spell} has {darts} darts at this level, not enough for {len(ids)} targets.",
                               CAST_USAGE)  # fmt: skip
        return
    if len(set(ids)) > 1 and not effect.many:
        raise BadArguments(f"{spell} affects one creature, not {len(set(ids))}.", CAST_USAGE)
    if len(ids) != len(set(ids)):
        raise BadArguments("A target is named twice.", CAST_USAGE)


def _who(ctx: CommandContext, tid: str) -> Character | Creature:
    return ctx.state.characters.get(tid) or ctx.state.creatures[tid]


def _hp(ctx: CommandContext, tid: str, amount: int, damage_type: str | None, source: str,
        critical: bool = False) -> tuple[dict[str, Any], str]:  # fmt: skip
    """Apply damage (negative) or healing; a target already dead takes nothing more."""
    if amount == 0 or _who(ctx, tid).dead:
        return {}, ""
    outcome = apply_one(ctx, HpChange(target=tid, amount=amount, damage_type=damage_type, critical=critical,
                                      source=source))  # fmt: skip
    return outcome.changes, outcome.summary


def _target_result(ctx: CommandContext, tid: str, before: int, results: list[tuple[dict[str, Any], str]],
                   **fields: Any) -> SpellTarget:  # fmt: skip
    who = _who(ctx, tid)
    changes = [c for c, _ in results if c]
    return SpellTarget(
        id=tid, name=who.name, hp_before=before, hp_after=who.hp, max_hp=who.max_hp,
        damage_dealt=sum(c.get("damage_taken", 0) for c in changes), healed=sum(c.get("regained", 0) for c in changes),
        dropped=any(c.get("dropped_to_zero") for c in changes), dead=who.dead,
        concentration_dc=max((c["concentration_save_dc"] for c in changes if c.get("concentration_save_dc")),
                             default=None),
        summaries=tuple(s for _, s in results if s), **fields,
    )  # fmt: skip


def _attacks(ctx: CommandContext, me: Character, effect: SpellEffect, ids: list[str], expr: str,
             rays: int, empowered: int = 0) -> list[SpellTarget]:  # fmt: skip
    bonus = me.spell_attack_bonus or 0
    melee = effect.attack == "melee"
    shares = split_darts(rays, ids) if rays > 1 else {ids[0]: 1}
    out = []
    for tid, count in shares.items():
        target, before = _who(ctx, tid), _who(ctx, tid).hp
        rolls, applied, total, hits, crit = [], [], 0, 0, False
        for _ in range(count):
            mode = attack_roll_mode(me.conditions, target.conditions, attacker_exhaustion=me.exhaustion,
                                    within_5_feet=melee)  # fmt: skip
            roll = dice.roll_d20(bonus, dc=target.armor_class, advantage=mode, lucky=is_lucky(me))  # Lucky: reroll a 1
            natural = roll.natural or 0
            hit = natural == 20 or (natural != 1 and roll.total >= target.armor_class)
            critical = hit and (natural == 20 or hit_is_critical(target.conditions, within_5_feet=melee))
            rolls.append({**roll.to_dict(), "success": hit, "advantage": mode.name.lower()})
            if hit:
                damage = dice.roll(expr, critical=critical).total + empowered  # Empowered Evocation: one roll
                empowered = 0
                hits, crit, total = hits + 1, crit or critical, total + damage
                applied.append(_hp(ctx, tid, -damage, effect.damage_type, effect.name, critical))
        out.append(_target_result(ctx, tid, before, applied, attack_rolls=tuple(rolls), hits=hits, critical=crit,
                                  damage=total))  # fmt: skip
    return out


def _save_of(who: Character | Creature, ability: str, dc: int,
             dodging: bool = False) -> tuple[dict[str, Any] | None, int, bool, bool]:  # fmt: skip
    """(roll, modifier, saved, auto_fail): characters use their save modifier, creatures their Dexterity only;
    `dodging` (took the Dodge action): a Dexterity save has advantage."""
    if isinstance(who, Character):
        modifier = who.saving_throw_bonus(ability)
    else:
        modifier = ability_modifier(who.dexterity) if ability == "dexterity" else 0
    rule = save_roll_modifier(who.conditions, ability, who.exhaustion,
                              circumstances=dodge_save_advantage(dodging, ability, who.conditions, who.exhaustion))
    if rule.auto_fail:
        return None, modifier, False, True
    roll = dice.roll_d20(modifier, dc=dc, advantage=rule.mode, lucky=is_lucky(who))  # Lucky: a halfling rerolls a 1
    return {**roll.to_dict(), "advantage": rule.mode.name.lower()}, modifier, bool(roll.success), False


def _saves(ctx: CommandContext, effect: SpellEffect, ids: list[str], dc: int, total: int,
           sculpted: frozenset[str] = frozenset(), potent_level: int = 0) -> list[SpellTarget]:  # fmt: skip
    """Each target saves against one damage total; sculpted creatures succeed and take nothing (Sculpt Spells);
    a cantrip's successful save halves it with Potent Cantrip (`potent_level`: the Evocation wizard's level)."""
    out = []
    ability = effect.save_ability or "dexterity"
    for tid in dict.fromkeys(ids):
        who = _who(ctx, tid)
        if tid in sculpted:
            amount, saved = sculpted_damage(total, True, True)
            out.append(_target_result(ctx, tid, who.hp, [], saved=saved, sculpted=True, damage=amount))
            continue
        roll, modifier, saved, auto_fail = _save_of(who, ability, dc, is_dodging(ctx.state.combat, tid))
        if effect.level == 0 and potent_level:
            amount = potent_cantrip_damage(total, saved, potent_level)
        else:
            amount = sculpted_damage(total, saved, False, effect.half_on_save)[0]
        applied = [_hp(ctx, tid, -amount, effect.damage_type, effect.name)]
        out.append(_target_result(ctx, tid, who.hp, applied, save_roll=roll, save_modifier=modifier, saved=saved,
                                  auto_fail=auto_fail, damage=amount))  # fmt: skip
    return out


def _darts(ctx: CommandContext, effect: SpellEffect, ids: list[str], per_dart: str, darts: int,
           empowered: int = 0) -> list[SpellTarget]:  # fmt: skip
    out = []
    for tid, count in split_darts(darts, ids).items():
        before = _who(ctx, tid).hp
        roll = dice.roll(add_dice(*([per_dart] * count)))
        total, empowered = roll.total + empowered, 0  # Empowered Evocation: the first target's roll
        applied = [_hp(ctx, tid, -total, effect.damage_type, effect.name)]
        out.append(_target_result(ctx, tid, before, applied, darts=count, damage_roll=roll.to_dict(),
                                  damage=total))  # fmt: skip
    return out


def _heals(ctx: CommandContext, effect: SpellEffect, ids: list[str], amount: int) -> list[SpellTarget]:
    out = []
    for tid in dict.fromkeys(ids):
        before = _who(ctx, tid).hp
        out.append(_target_result(ctx, tid, before, [_hp(ctx, tid, amount, None, effect.name)]))
    return out


def _spend(ctx: CommandContext, cid: str, trial: GameSpellCast) -> dict[str, Any]:
    """Spend the slot the trial cast chose (through the engine) and start concentration for real."""
    out: dict[str, Any] = {"slot_level": trial.slot_level, "slot_kind": trial.slot_kind, "upcast": trial.upcast,
                           "concentration": trial.concentration}  # fmt: skip
    if trial.slot_level is not None:
        outcome = apply_one(ctx, SlotSpend(target=cid, level=trial.slot_level, spell=trial.spell))
        out["slots_left"] = outcome.changes.get("remaining")
    if trial.concentration:
        caster = ctx.state.characters[cid].model_copy(deep=True)
        out["ended_concentration"] = caster.start_concentration(trial.spell)
        ctx.put(cid, caster)
    return out


@command(
    "cast",
    area="combat",
    out_of_turn=False,
    args=(Arg("what", ArgKind.TEXT, help="SPELL [at LEVEL] [on TARGET, TARGET…]"),),
    help="Cast a spell: the slot is spent, the dice rolled and the damage or healing applied.",
    details="Targets are separated by commas; Magic Missile's darts are shared out in the order named "
    "(name a target twice for two shares).",
    examples=("!cast fire bolt on goblin 1", "!cast fireball at 4 on goblin 1, goblin 2",
              "!cast magic missile on goblin 1, goblin 1, goblin 2", "!cast cure wounds on Brom"),
)  # fmt: skip
async def cast(ctx: CommandContext, what: str) -> SpellCast:
    what, sculpt_names = split_sculpt(what)
    name, level, names = parse_cast(what)
    cid, me = ctx.my_character()
    record = await lookup_rules(ctx, "spell", name)
    effect = spell_effect(record)
    spell = effect.name
    ids = _resolve_targets(ctx, cid, names)
    sculpted = _resolve_targets(ctx, cid, sculpt_names)
    if effect.kind == "heal" and not ids:
        ids = [cid]
    trial = cast_spell(me.model_copy(deep=True), record, level, check_known=False)  # checks only: a copy
    check_sculpt(me, effect, record, sculpted, trial.slot_level)
    ids = [*ids, *(t for t in dict.fromkeys(sculpted) if t not in ids)]  # the spared allies are in the area too
    _check_target_count(effect, ids, spell, trial.slot_level)
    spent = _spend(ctx, cid, trial)
    me = ctx.state.characters[cid]
    fields = _resolve(ctx, cid, me, effect, record, ids, frozenset(sculpted), spent["slot_level"])
    targets: list[SpellTarget] = fields.pop("targets", [])
    hostile_down = any((t.dropped or t.dead) and t.id in ctx.state.creatures for t in targets)
    fields["temp_hp_gained"] = grant_dark_ones_blessing(ctx, cid, me, hostile_down)
    caster = ctx.state.characters[cid]
    return SpellCast(
        caster=caster.name, caster_id=cid, spell=spell, spell_level=effect.level, kind=effect.kind,
        resolved=effect.resolved, damage_type=effect.damage_type, targets=tuple(targets),
        target_names=tuple(_who(ctx, t).name for t in dict.fromkeys(ids)), **spent, **fields,
    )  # fmt: skip


def _resolve(ctx: CommandContext, cid: str, me: Character, effect: SpellEffect, record: dict[str, Any],
             ids: list[str], sculpted: frozenset[str], slot: int | None) -> dict[str, Any]:  # fmt: skip
    """Roll and apply what the spell does; the result fields (with `targets`)."""
    modifier = me.modifier(me.spellcasting_ability) if me.spellcasting_ability else 0
    bonus = empowered_bonus(me, record) if effect.kind in ("attack", "save", "auto") else 0
    fields: dict[str, Any] = {"empowered": bonus or None}
    if effect.kind == "attack":
        expr = damage_dice(effect, slot, me.level) or "0"
        rays = max(1, dart_count(effect, slot))
        fields.update(targets=_attacks(ctx, me, effect, ids, expr, rays, bonus), dice=expr,
                      attack_bonus=me.spell_attack_bonus)  # fmt: skip
    elif effect.kind == "save":
        expr = damage_dice(effect, slot, me.level) or "0"
        roll = dice.roll(expr)
        dc = me.spell_save_dc or 10
        potent = evocation_level(me) if evocation_level(me) >= 6 and effect.level == 0 else 0
        fields.update(targets=_saves(ctx, effect, ids, dc, roll.total + bonus, sculpted, potent), dice=expr,
                      damage_roll=roll.to_dict(), save_ability=effect.save_ability, save_dc=dc,
                      half_on_save=effect.half_on_save or bool(potent), potent_cantrip=bool(potent))  # fmt: skip
    elif effect.kind == "auto":
        expr = damage_dice(effect, slot, me.level) or "0"
        fields.update(targets=_darts(ctx, effect, ids, expr, dart_count(effect, slot), bonus), dice=expr)
    elif effect.kind == "heal":
        expr = healing_dice(effect, slot, modifier) or "0"
        expr = character_spell_healing(me, expr, slot or effect.level)  # Disciple of Life, Supreme Healing
        roll = dice.roll(expr)
        fields.update(targets=_heals(ctx, effect, ids, max(0, roll.total)), dice=expr, damage_roll=roll.to_dict())
        fields["blessed_healer"] = blessed_healer_heal(ctx, cid, me, ids, slot or effect.level)
    return fields
