"""Text for the character area: creation steps, the new character, sheets, inventory, items used, rests."""

from __future__ import annotations

from typing import Any

from dm.commands.character import AbilityLine, InventoryList, ItemConsumed, RestTaken, Sheet
from dm.commands.creation import CharacterCreated, CreationStep
from gateway.render.text import renders, signed
from gateway.render.text_dice import dice_line

__all__: list[str] = []

_MARK = {"expertise": " (E)", "proficient": " (P)", "half": " (½)", "none": ""}


def _abbr(ability: str) -> str:
    return ability[:3].upper()


def _abilities(lines: tuple[AbilityLine, ...]) -> str:
    return "  ".join(f"{_abbr(a.ability)} {a.score} ({signed(a.modifier)})" for a in lines)


def _title(name: str) -> str:
    return name.replace("_", " ").title().replace(" Of ", " of ")


def _rolls(rolls: tuple[dict[str, Any], ...]) -> str:
    return "; ".join(dice_line(r) for r in rolls)


@renders(CreationStep)
def _step(r: CreationStep) -> str:
    lines = []
    if r.problem:
        lines.append(f"{r.problem} Nothing was changed; here is the question again.")
    elif r.resumed:
        lines.append("Picking up your character where you left off.")
    if r.so_far:
        lines.append("So far: " + ", ".join(f"{k} {v}" for k, v in r.so_far.items()))
    lines.append(f"Step {r.number}: {r.question}")
    if r.rolls:
        lines.append(f"Your rolls (4d6, lowest dropped): {_rolls(r.rolls)}")
    if r.pool:
        lines.append("Scores to place: " + ", ".join(str(p) for p in r.pool))
    if r.budget is not None:
        lines.append(f"Point buy: {r.budget} points; 8 costs 0, 9-13 cost 1-5, 14 costs 7, 15 costs 9.")
    for number, choice in enumerate(r.choices, start=1):
        detail = f" ({choice.description})" if choice.description else ""
        lines.append(f"  {number}. {choice.label}{detail}")
    if r.free_text and r.example:
        lines.append(f"Type your answer, e.g. !choose {r.example}")
    elif r.free_text:
        lines.append("Type your answer with !choose.")
    elif r.pick > 1:
        lines.append(f"Pick {r.pick}: !choose with numbers or names separated by commas, e.g. !choose 1, 3")
    else:
        lines.append("Answer with !choose and a number or a name (or just type it). !create_character cancel stops.")
    return "\n".join(lines)


@renders(CharacterCreated)
def _created(r: CharacterCreated) -> str:
    race = r.subrace if r.subrace and r.race.lower() in r.subrace.lower() else (
        f"{r.race} ({r.subrace})" if r.subrace else r.race)  # fmt: skip
    gear = "; ".join(f"{e['name']} x{e['quantity']}" if e["quantity"] > 1 else e["name"] for e in r.equipment)
    lines = [
        f"{r.name} is ready: a level {r.level} {race} {r.class_name} ({r.id}).",
        f"HP {r.hp}/{r.max_hp} (d{r.hit_die} hit die)  AC {r.armor_class}  Speed {r.speed} ft.",
        _abilities(r.abilities),
        "Saving throws: " + ", ".join(_abbr(s) for s in r.saving_throws),
        "Skills: " + (", ".join(_title(s) for s in r.skills) or "none"),
        "Equipment: " + (gear or "none"),
    ]
    if r.rolls:
        lines.insert(2, f"Rolled scores: {_rolls(r.rolls)}")
    lines.append("See everything with !my_sheet.")
    return "\n".join(lines)


def _slots(r: Sheet) -> str:
    parts = [f"level {s['level']}: {s['current']}/{s['maximum']}" for s in r.spell_slots]
    if r.pact_slots:
        p = r.pact_slots
        parts.append(f"pact (level {p['level']}): {p['current']}/{p['maximum']}")
    return ", ".join(parts)


@renders(Sheet)
def _sheet(r: Sheet) -> str:
    race = r.subrace if r.subrace and r.race.lower() in r.subrace.lower() else (
        f"{r.race} ({r.subrace})" if r.subrace else r.race)  # fmt: skip
    cls = f"{r.class_name} ({r.subclass})" if r.subclass else r.class_name
    if len(r.classes) > 1:
        cls = " / ".join(f"{c['name']} {c['level']}" + (f" ({c['subclass']})" if c.get("subclass") else "")
                         for c in r.classes)  # fmt: skip
    hp = f"HP {r.hp}/{r.max_hp}" + (f" (max {r.hit_point_maximum} while exhausted)"
                                    if r.hit_point_maximum != r.max_hp else "")  # fmt: skip
    if r.temp_hp:
        hp += f" +{r.temp_hp} temp"
    xp = f"XP {r.xp}" + (f"/{r.xp_next}" if r.xp_next is not None else "")
    lines = [
        f"{r.name}, level {r.level} {race} {cls}" + ("" if r.own else " (read-only)") + (" - DEAD" if r.dead else ""),
        f"{hp}  AC {r.armor_class}  Speed {r.speed} ft.  Initiative {signed(r.initiative)}  {xp}",
        f"Proficiency {signed(r.proficiency_bonus)}  Hit Dice {r.hit_dice}d{r.hit_die} left  "
        + f"Passive Perception {r.passive_perception}",
        _abilities(r.abilities),
        "Saves: " + "  ".join(f"{_abbr(a.ability)} {signed(a.save)}{' (P)' if a.save_proficient else ''}"
                              for a in r.abilities),
        "Skills: " + ", ".join(f"{_title(s.skill)} {signed(s.modifier)}{_MARK[s.proficiency]}" for s in r.skills),
        "(P proficient, E expertise, ½ half proficiency)",
    ]  # fmt: skip
    if r.spell_save_dc is not None:
        lines.append(f"Spellcasting ({_abbr(r.spellcasting_ability or '')}): save DC {r.spell_save_dc}, "
                     f"attack {signed(r.spell_attack_bonus or 0)}" + (f"; slots {_slots(r)}" if _slots(r) else ""))  # fmt: skip
    if r.cantrips or r.spells:
        lines.append("Spells: " + ", ".join([*r.cantrips, *r.spells]))
    state = [*(c.capitalize() for c in r.conditions)]
    if r.exhaustion:
        state.append(f"exhaustion {r.exhaustion}")
    if r.concentration:
        state.append(f"concentrating on {r.concentration}")
    saves = r.death_saves
    if r.hp == 0 and not r.dead:
        state.append("stable" if saves.get("stable") else
                     f"death saves {saves.get('successes', 0)} successes, {saves.get('failures', 0)} failures")  # fmt: skip
    if state:
        lines.append("Condition: " + ", ".join(state))
    if r.features:
        lines.append("Features: " + ", ".join(r.features))
    if r.resources:
        lines.append("Uses: " + ", ".join(
            f"{p['name']} {'unlimited' if p['unlimited'] else str(p['remaining']) + '/' + str(p['max'])}"
            for p in r.resources))  # fmt: skip
    if r.active_features:
        lines.append("Active: " + ", ".join(f.capitalize() for f in r.active_features))
    if r.languages:
        lines.append("Languages: " + ", ".join(r.languages))
    return "\n".join(lines)


@renders(InventoryList)
def _inventory(r: InventoryList) -> str:
    lines = [f"{r.who} carries:"]
    for item in r.items:
        marks = [m for m, on in (("equipped", item.equipped), ("attuned", item.attuned)) if on]
        qty = f" x{item.quantity}" if item.quantity > 1 else ""
        extra = f" [{', '.join(marks)}]" if marks else ""
        lines.append(f"  {item.name}{qty}{extra} - {item.total_weight:g} lb")
    if not r.items:
        lines.append("  nothing at all")
    coins = ", ".join(f"{r.currency[c]} {c}" for c in ("pp", "gp", "ep", "sp", "cp") if r.currency.get(c)) or "0 cp"
    lines.append(f"Coins: {coins}")
    lines.append(f"Weight carried: {r.carried_weight:g} lb of {r.capacity:g} lb")
    return "\n".join(lines)


@renders(ItemConsumed)
def _consumed(r: ItemConsumed) -> str:
    text = f"{r.who} uses {r.item}"
    if r.roll:
        text += f": {dice_line(r.roll)}"
        text += f", healing {r.healed} (HP {r.hp_before} -> {r.hp}/{r.max_hp})"
        if r.revived:
            text += f"; {r.who} is back on their feet"
    text += f". {r.remaining} left."
    return text


@renders(RestTaken)
def _rest(r: RestTaken) -> str:
    if r.kind == "short":
        text = f"{r.who} takes a short rest"
        if r.hit_dice_spent:
            text += (f", spending {r.hit_dice_spent} Hit {'Die' if r.hit_dice_spent == 1 else 'Dice'} "
                     f"({_rolls(r.rolls)})")  # fmt: skip
        text += f": HP {r.hp_before} -> {r.hp}/{r.max_hp} (+{r.healed}). Hit Dice left: {r.hit_dice_left}d{r.hit_die}."
        if r.pact_slots_restored:
            text += f" {r.pact_slots_restored} pact slot(s) restored."
        return text + _restored(r)
    text = (f"{r.who} takes a long rest: HP {r.hp_before} -> {r.hp}/{r.max_hp} (+{r.healed}), "
            f"{r.slots_restored} spell slot(s) restored, {r.hit_dice_regained} Hit Dice regained "
            f"({r.hit_dice_left}d{r.hit_die} now).")  # fmt: skip
    if r.exhaustion != r.exhaustion_before:
        text += f" Exhaustion {r.exhaustion_before} -> {r.exhaustion}."
    return text + _restored(r)


def _restored(r: RestTaken) -> str:
    if not r.resources_restored:
        return ""
    return " Back: " + ", ".join(f"{name} +{n}" for name, n in r.resources_restored.items()) + "."
