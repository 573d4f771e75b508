"""Text for combat and spellcasting results (plain text, no Markdown)."""

from __future__ import annotations

from typing import Any

from dm.commands.combat import AttackDone, CombatEnded, CombatStatus, TurnOrder, TurnPassed
from dm.commands.spells import SpellCast, SpellTarget
from gateway.render.text import renders, signed
from gateway.render.text_dice import dice_line

__all__ = ["order_lines"]

_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}


def _ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"{n}th")


def order_lines(order: tuple[dict[str, Any], ...], current: str | None) -> list[str]:
    """One line per combatant: `> 17  Goblin 1  7/7 HP, AC 15` (the arrow marks whose turn it is)."""
    lines = []
    for row in order:
        mark = ">" if row["id"] == current else " "
        hp = f"{row['hp']}/{row['max_hp']} HP" if row.get("hp") is not None else "? HP"
        ac = f", AC {row['ac']}" if row.get("ac") is not None else ""
        tail = " (dead)" if row.get("dead") else (" (down)" if row.get("hp") == 0 else "")
        lines.append(f"{mark} {row['initiative']:>3}  {row['name']}  {hp}{ac}{tail}")
    return lines


def _whose_turn(r: CombatStatus) -> str:
    return f"Round {r.round}: it is {r.current_name}'s turn."


@renders(CombatStatus)
def _status(r: CombatStatus) -> str:
    if not r.order:
        return "No fight is going on. Start one with !initiative."
    head = {
        "started": "Roll for initiative! The fight begins.",
        "joined": f"{', '.join(r.joined)} roll{'s' if len(r.joined) == 1 else ''} initiative and join the fight.",
        "added": f"{', '.join(r.joined)} join{'s' if len(r.joined) == 1 else ''} the fight.",
        "already_in": f"{', '.join(r.joined)} is already in the fight.",
    }.get(r.event, "The fight so far:")
    return "\n".join([head, *order_lines(r.order, r.current), _whose_turn(r)])


@renders(TurnOrder)
def _order(r: TurnOrder) -> str:
    if not r.order:
        return "No fight is going on. Start one with !initiative."
    return "\n".join(["Initiative order:", *order_lines(r.order, r.current), _whose_turn(r)])


@renders(AttackDone)
def _attack(r: AttackDone) -> str:
    adv = f" with {r.advantage}" if r.advantage != "none" else ""
    head = (f"{r.attacker} attacks {r.target} with {r.weapon} ({signed(r.attack_bonus)}){adv}: "
            f"{dice_line(r.attack_roll)} vs AC {r.target_ac}")  # fmt: skip
    if not r.hit:
        return head + (" — a natural 1, a miss." if r.fumble else " — a miss.")
    hit = " — a critical hit!" if r.critical else " — a hit!"
    kind = f" {r.damage_type}" if r.damage_type else ""
    damage = f" Damage: {dice_line(r.damage_roll or {})} {kind.strip()}".rstrip() + "."
    lines = [head + hit + damage]
    for extra in r.extras:
        extra_kind = f" {extra['damage_type']}" if extra.get("damage_type") else ""
        lines.append(f"{extra['feature']}: {dice_line(extra['roll'])}{extra_kind}.")
    lines.append(r.summary or f"{r.target} takes no damage ({r.hp_after}/{r.max_hp} HP).")
    if r.concentration_dc:
        lines.append(f"{r.target} must make a DC {r.concentration_dc} Constitution save to keep concentrating.")
    if r.temp_hp_gained:
        lines.append(f"Dark One's Blessing: {r.attacker} gains {r.temp_hp_gained} temporary hit points.")
    return "\n".join(lines)


@renders(TurnPassed)
def _turn(r: TurnPassed) -> str:
    lines = [f"The owner ends {r.ended}'s turn." if r.by_owner else f"{r.ended} ends their turn."]
    if r.skipped:
        lines.append(f"Passed over (dead): {', '.join(r.skipped)}.")
    if r.new_round:
        lines.append(f"Round {r.round} begins.")
    lines.append(f"It is {r.current_name}'s turn.")
    if r.death_save_due:
        lines.append(f"{r.current_name} is dying: roll a death saving throw.")
    return "\n".join(lines)


@renders(CombatEnded)
def _ended(r: CombatEnded) -> str:
    rounds = f"{r.rounds} round{'s' if r.rounds != 1 else ''}"
    if r.standing:
        return f"The owner ends the fight after {rounds}; {', '.join(r.standing)} still stand."
    return f"The fight is over after {rounds}."


def _target_line(t: SpellTarget, r: SpellCast) -> str:
    kind = f" {r.damage_type}" if r.damage_type else ""
    if r.kind == "heal":
        return f"  {t.name}: regains {t.healed} HP ({t.hp_before} → {t.hp_after}/{t.max_hp})."
    parts: list[str] = []
    if r.kind == "attack":
        shown = "; ".join(dice_line(a) + (" hit" if a.get("success") else " miss") for a in t.attack_rolls)
        parts.append(f"attack {shown}" + (" (critical!)" if t.critical else ""))
    elif r.kind == "save":
        if t.sculpted:
            parts.append("spared by Sculpt Spells (succeeds automatically)")
        elif t.auto_fail:
            parts.append("fails the save automatically")
        else:
            parts.append(f"save {dice_line(t.save_roll or {})}: {'success' if t.saved else 'failure'}")
    elif r.kind == "auto":
        parts.append(f"{t.darts} dart{'s' if t.darts != 1 else ''}: {dice_line(t.damage_roll or {})}")
    if t.damage_dealt or t.damage:
        parts.append(f"takes {t.damage_dealt}{kind} damage ({t.hp_before} → {t.hp_after}/{t.max_hp} HP)")
    else:
        parts.append("takes no damage")
    tail = " and dies" if t.dead else (" and drops" if t.dropped else "")
    line = f"  {t.name}: " + ", ".join(parts) + tail + "."
    if t.concentration_dc:
        line += f" {t.name} must make a DC {t.concentration_dc} Constitution save to keep concentrating."
    return line


@renders(SpellCast)
def _cast(r: SpellCast) -> str:
    if r.slot_level is None:
        head = f"{r.caster} casts {r.spell} (a cantrip)."
    else:
        upcast = f" at {_ordinal(r.slot_level)} level" if r.upcast else ""
        slot = "pact slot" if r.slot_kind == "pact" else "slot"
        left = f", {r.slots_left} left" if r.slots_left is not None else ""
        head = f"{r.caster} casts {r.spell}{upcast} ({_ordinal(r.slot_level)}-level {slot} spent{left})."
    lines = [head]
    if r.ended_concentration:
        lines.append(f"{r.caster} stops concentrating on {r.ended_concentration}.")
    if r.concentration:
        lines.append(f"{r.caster} is concentrating on {r.spell}.")
    kind = f" {r.damage_type}" if r.damage_type else ""
    if r.kind == "attack":
        lines.append(f"Spell attack {signed(r.attack_bonus or 0)}, damage {r.dice}{kind}.")
    elif r.kind == "save":
        half = "half on a success" if r.half_on_save else "none on a success"
        lines.append(f"{(r.save_ability or '').capitalize()} save DC {r.save_dc}; damage "
                     f"{dice_line(r.damage_roll or {})}{kind} ({half}).")  # fmt: skip
    elif r.kind == "auto":
        lines.append(f"Each dart deals {r.dice}{kind}.")
    elif r.kind == "heal":
        lines.append(f"Healing: {dice_line(r.damage_roll or {})}.")
    if r.empowered:
        lines.append(f"Empowered Evocation: {signed(r.empowered)} to one damage roll.")
    if r.potent_cantrip:
        lines.append("Potent Cantrip: a successful save still takes half.")
    lines += [_target_line(t, r) for t in r.targets]
    if r.blessed_healer is not None:
        lines.append(f"Blessed Healer: {r.caster} regains {r.blessed_healer} hit points.")
    if r.temp_hp_gained:
        lines.append(f"Dark One's Blessing: {r.caster} gains {r.temp_hp_gained} temporary hit points.")
    if not r.resolved:
        on = f" on {', '.join(r.target_names)}" if r.target_names else ""
        lines.append(f"What {r.spell} does{on} is for the DM to narrate.")
    return "\n".join(lines)
