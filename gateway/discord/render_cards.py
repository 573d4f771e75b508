"""Embed cards for the results players look at most: rolls, attacks and spell casts (every die, what counted),
character sheets, a new character, inventory, the turn order, rules entries, help, the model status and the
host's statistics.

Builders take the result's plain values and return `Card`s (`gateway/discord/embed_limits.py` turns them into
embeds within Discord's limits); the words come from the console's text renderers wherever they exist. Inside an
embed Discord's own Markdown is used sparingly: a dropped die is struck through (~~3~~), the total is bold.
"""

from __future__ import annotations

import re
from typing import Any

from dm.commands.character import InventoryList, Sheet
from dm.commands.combat import AttackDone, CombatStatus
from dm.commands.creation import CharacterCreated
from dm.commands.dice import RollDone
from dm.commands.results import CommandResult
from dm.commands.rules import RulesEntry, RulesSearchResult
from dm.commands.spells import SpellCast
from dm.commands.system import HelpCommand, HelpIndex, ModelStatus, SystemStats
from gateway.commands.rules import in_field_order, render
from gateway.discord.embed_basics import COLOURS, builder_for, embed_for, text_card
from gateway.discord.embed_limits import Card
from gateway.render.text import render_text, signed
from gateway.render.text_combat import order_lines

__all__ = ["dice_fields", "result_cards", "roll_card"]

_SHORT_FIELD = 150  # a rules field longer than this reads as a paragraph, not a field
_PARAGRAPHS = ("description", "desc", "higher levels", "legendary description")  # always the entry's text


# --- dice ----------------------------------------------------------------------------------------------


def _die(d: dict[str, Any]) -> str:
    return str(d["value"]) if d.get("kept", True) else f"~~{d['value']}~~"


def dice_fields(roll: dict[str, Any]) -> list[tuple[str, str]]:
    """("Rolled", every die by size, dropped ones struck through), and when some were dropped ("Counted", …)
    and ("Dropped", …), from a `DiceRoll.to_dict()`."""
    dice = roll.get("rolls") or []
    if not dice:
        return []
    sizes = set(re.findall(r"\d*d(\d+)", str(roll.get("expression", ""))))
    guess = int(next(iter(sizes))) if len(sizes) == 1 else None  # a damage roll's dice carry no size of their own
    by_sides: dict[int | None, list[dict[str, Any]]] = {}
    for d in dice:
        by_sides.setdefault(int(d["sides"]) if d.get("sides") else guess, []).append(d)
    rolled = "\n".join((f"d{sides}: " if sides else "") + ", ".join(_die(d) for d in group)
                        for sides, group in by_sides.items())  # fmt: skip
    fields = [("Rolled", rolled)]
    dropped = [d for d in dice if not d.get("kept", True)]
    if dropped:
        fields.append(("Counted", ", ".join(str(d["value"]) for d in dice if d.get("kept", True)) or "none"))
        fields.append(("Dropped", ", ".join(str(d["value"]) for d in dropped)))
    return fields


def _breakdown(roll: dict[str, Any]) -> str:
    text = str(roll.get("breakdown") or roll.get("total", ""))
    head, sep, total = text.rpartition(" = ")
    return f"{head} = **{total}**" if sep else text


def roll_card(r: RollDone) -> Card:
    mod = f" ({signed(r.modifier)})" if r.modifier is not None else ""
    card = Card(title=f"{r.who} rolls {r.label}{mod}", colour=COLOURS["dice"])
    if r.auto_fail:
        card.description = f"Fails automatically. {r.comment}".strip()
        card.colour = COLOURS["error"]
        return card.add(f"DC {r.dc}", "Failure", True) if r.dc is not None else card
    card.description = _breakdown(r.roll)
    for name, value in dice_fields(r.roll):
        card.add(name, value, True)
    card.add("Total", f"**{r.roll.get('total')}**", True)
    if r.advantage != "none":
        card.add("Rolled with", f"{r.advantage} ({'higher' if r.advantage == 'advantage' else 'lower'} d20 kept)", True)
    if r.roll.get("crit"):
        card.add("Natural 20", "A critical!", True)
        card.colour = COLOURS["critical"]
    elif r.roll.get("fumble"):
        card.add("Natural 1", "A fumble.", True)
    if r.dc is not None:
        card.add(f"DC {r.dc}", "Success" if r.success else "Failure", True)
        card.colour = COLOURS["success"] if r.success else COLOURS["error"]
    card.footer = r.comment
    return card


@embed_for(RollDone)
def _roll(r: RollDone) -> list[Card]:
    return [roll_card(r)]


@embed_for(AttackDone)
def _attack(r: AttackDone) -> list[Card]:
    adv = f", {r.advantage}" if r.advantage != "none" else ""
    card = Card(title=f"{r.attacker} attacks {r.target} with {r.weapon} ({signed(r.attack_bonus)}{adv})",
                colour=COLOURS["critical"] if r.critical else COLOURS["combat"])  # fmt: skip
    card.add("Attack roll", _breakdown(r.attack_roll), False)
    for name, value in dice_fields(r.attack_roll):
        card.add(name, value, True)
    verdict = "Critical hit!" if r.critical else "Hit" if r.hit else ("Miss (natural 1)" if r.fumble else "Miss")
    card.add(f"vs AC {r.target_ac}", verdict, True)
    if r.hit and r.damage_roll:
        kind = f" {r.damage_type}" if r.damage_type else ""
        card.add("Damage", _breakdown(r.damage_roll) + kind, False)
        for name, value in dice_fields(r.damage_roll):
            card.add(f"Damage {name.lower()}", value, True)
    for extra in r.extras:
        card.add(str(extra["feature"]), _breakdown(extra["roll"]) + f" {extra.get('damage_type') or ''}".rstrip())
    if r.hit:
        card.description = r.summary or f"{r.target} takes no damage ({r.hp_after}/{r.max_hp} HP)."
    notes = []
    if r.concentration_dc:
        notes.append(f"{r.target} must make a DC {r.concentration_dc} Constitution save to keep concentrating.")
    if r.temp_hp_gained:
        notes.append(f"Dark One's Blessing: {r.attacker} gains {r.temp_hp_gained} temporary hit points.")
    card.footer = " ".join(notes)
    return [card]


@embed_for(SpellCast)
def _cast(r: SpellCast) -> list[Card]:
    """The console's lines: the first is the title, each target's line a field, the rest the description."""
    lines = render_text(r).split("\n")
    card = Card(title=lines[0], colour=COLOURS["combat"])
    description = []
    for line in lines[1:]:
        name, sep, rest = line.strip().partition(": ")
        if line.startswith("  ") and sep:
            card.add(name, rest)
        else:
            description.append(line.strip())
    card.description = "\n".join(description)
    if r.damage_roll:
        for name, value in dice_fields(r.damage_roll):
            card.add(f"{'Healing' if r.kind == 'heal' else 'Damage'} {name.lower()}", value, True)
    return [card]


# --- character -----------------------------------------------------------------------------------------


@embed_for(Sheet)
def _sheet(r: Sheet) -> list[Card]:
    card = text_card(render_text(r), colour=COLOURS["character"])
    card.fields = [f for f in card.fields if f[0] != "Saves"]
    card.description = "\n".join(line for line in card.description.split("\n")
                                 if not line.startswith(("STR ", "(P proficient")))  # fmt: skip
    abilities = [(a.ability[:3].upper(), f"{a.score} ({signed(a.modifier)})\nsave {signed(a.save)}"
                  + (" (P)" if a.save_proficient else ""), True) for a in r.abilities]  # fmt: skip
    card.fields = abilities + card.fields
    card.footer = "(P) proficient, (E) expertise, (½) half proficiency"
    return [card]


@embed_for(CharacterCreated)
def _created(r: CharacterCreated) -> list[Card]:
    return [text_card(render_text(r), colour=COLOURS["character"])]


@embed_for(InventoryList)
def _inventory(r: InventoryList) -> list[Card]:
    card = text_card(render_text(r), colour=COLOURS["character"], title=f"{r.who}'s inventory")
    card.fields = [("Items" if i == 0 and name.endswith("carries") else name, value, inline)
                   for i, (name, value, inline) in enumerate(card.fields)]  # fmt: skip
    return [card]


# --- combat --------------------------------------------------------------------------------------------


@embed_for(CombatStatus)
def _combat(r: CombatStatus) -> list[Card]:
    if not r.order:
        return []  # "No fight is going on": plain text
    head = render_text(r).split("\n", 1)[0].rstrip(":")
    lines = order_lines(r.order, r.current)
    card = Card(title=head, colour=COLOURS["combat"], description="```\n" + "\n".join(lines) + "\n```")
    card.add(f"Round {r.round}", f"It is {r.current_name}'s turn.")
    if r.summary and r.event != "shown":
        card.footer = r.summary
    return [card]


# --- rules ---------------------------------------------------------------------------------------------


@embed_for(RulesEntry)
def _rules(r: RulesEntry) -> list[Card]:
    """The SRD entry: short fields inline, long ones as paragraphs, lists (a monster's actions) as fields."""
    lines = render(r.kind, in_field_order(r.kind, r.record)).split("\n")
    card = Card(title=lines[0], colour=COLOURS["rules"])
    paragraphs: list[str] = [] if r.exact else [f"(closest match for {r.query!r})"]
    fields: list[tuple[str, list[str], bool]] = []
    labels = {key.removesuffix("_text").replace("_", " ") for key in r.record}  # as `render` writes them
    for line in lines[2:]:
        label, sep, value = line.partition(": ")
        known = bool(sep) and label in labels
        if line.startswith("  ") and fields and not fields[-1][2]:
            fields[-1][1].append(line.strip())
        elif line.endswith(":") and line[:-1].lower() in labels:
            fields.append((line[:-1], [], False))
        elif line.startswith("(SRD 5.1"):
            card.footer = line.strip("()")
        elif known and label not in _PARAGRAPHS and len(value) <= _SHORT_FIELD:
            fields.append((label.upper() if label in ("xp", "cr") else label.capitalize(), [value], True))
        else:
            paragraphs.append(value if known and label in _PARAGRAPHS else line)
    for name, values, inline in fields:
        card.add(name, "\n".join(values) or "-", inline)
    card.description = "\n\n".join(p for p in paragraphs if p.strip())
    return [card]


@embed_for(RulesSearchResult)
def _rules_search(r: RulesSearchResult) -> list[Card]:
    if not r.hits:
        return []
    card = Card(title=f"SRD matches for {r.query!r}", colour=COLOURS["rules"])
    for hit in r.hits:
        card.add(f"{hit['name']} ({str(hit['kind']).replace('_', ' ')})", str(hit.get("snippet") or "-"))
    return [card]


# --- system --------------------------------------------------------------------------------------------


@embed_for(HelpIndex)
def _help_index(r: HelpIndex) -> list[Card]:
    card = Card(title="Commands", colour=COLOURS["system"],
                description="!help COMMAND explains one in full (also as /help). [owner]: the game's owner only.")
    for area in r.areas:
        lines = [f"`{c['usage']}`{' [owner]' if c['owner_only'] else ''} - {c['help']}" for c in area["commands"]]
        card.add(str(area["area"]).capitalize(), "\n".join(lines))
    return [card]


@embed_for(HelpCommand)
def _help_command(r: HelpCommand) -> list[Card]:
    return [text_card(render_text(r), colour=COLOURS["system"])]


@embed_for(ModelStatus)
def _model_status(r: ModelStatus) -> list[Card]:
    return [text_card(render_text(r), colour=COLOURS["system"], title="Model status")]


@embed_for(SystemStats)
def _system_stats(r: SystemStats) -> list[Card]:
    return [text_card(render_text(r), colour=COLOURS["system"], title="System stats")]


# --- lookup --------------------------------------------------------------------------------------------


def result_cards(result: CommandResult) -> list[Card] | None:
    """The embed cards for a result, or None when it reads best as plain text (every builder above is
    registered by the time this module can be called)."""
    builder = builder_for(type(result))
    return builder(result) if builder is not None else None
