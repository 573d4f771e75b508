"""What the combat and spell commands share: effects applied or refused as one, SRD lookups, finding a
target by name or id, the initiative order as rows, naming new monsters, reading a stat block's defenses,
and choosing the weapon an `!attack` names."""

from __future__ import annotations

import re
from typing import Any

from dm.commands.context import CommandContext
from dm.errors import BadArguments, CommandError, Unavailable
from game.attacks import UNARMED_STRIKE, AttackResult
from game.character import Character
from game.effects import Creature, EffectOutcome, GameState
from game.equipment import find_weapon, lookup_key
from game.errors import RulesError

__all__ = [
    "ATTACK_USAGE",
    "NotInRules",
    "apply_one",
    "attack_roll_dict",
    "carried_weapon",
    "combat_rows",
    "condition_names",
    "damage_roll_dict",
    "damage_types",
    "default_weapon",
    "find_target",
    "lookup_rules",
    "newcomer_names",
    "norm",
    "slug",
    "target_and_weapon",
]

ATTACK_USAGE = "!attack TARGET [WEAPON]"


class NotInRules(CommandError):
    """A rules lookup found nothing (the lookup's own sentence, with close names)."""


def apply_one(ctx: CommandContext, effect: Any) -> EffectOutcome:
    """Apply one effect through the rules engine; a refusal becomes an error (the table then saves nothing)."""
    outcome = ctx.apply([effect])[0]
    if not outcome.accepted:
        raise RulesError(outcome.reason or outcome.summary)
    return outcome


async def lookup_rules(ctx: CommandContext, kind: str, name: str) -> dict[str, Any]:
    """The SRD record of `kind` closest to `name` (fuzzy).

    Raises:
        Unavailable: no rules database at this table. NotInRules: nothing close (with suggestions).
    """
    if ctx.rules is None:
        raise Unavailable("The SRD rules database")
    try:
        match = await ctx.rules.lookup(kind, name)
    except Exception as exc:  # UnknownRulesEntry and kin carry a sentence for the player
        message = getattr(exc, "user_message", None)
        if message is None:
            raise
        raise NotInRules(f"{message} Nothing was changed.") from None
    return dict(match.record)


def norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


def find_target(state: GameState, text: str) -> tuple[str, Character | Creature] | None:
    """A character or creature by name or id, case-insensitive (`goblin 1`, `goblin-1`, `Goblin 1`); a
    unique start of a living one's name is enough. None when nobody fits.

    Raises:
        BadArguments: the words fit more than one.
    """
    key = norm(text)
    if not key:
        return None
    pool: list[tuple[str, Character | Creature]] = [*state.characters.items(), *state.creatures.items()]
    exact = [(cid, w) for cid, w in pool if key in (norm(cid), norm(w.name))]
    if len(exact) > 1:
        exact = [(cid, w) for cid, w in exact if not w.dead] or exact
    if len(exact) == 1:
        return exact[0]
    starts = exact or [(cid, w) for cid, w in pool if not w.dead and norm(w.name).startswith(key)]
    if len(starts) == 1:
        return starts[0]
    if starts:
        names = ", ".join(w.name for _, w in starts)
        raise BadArguments(f"{text!r} could be {names}; say which one.", ATTACK_USAGE)
    return None


def combat_rows(state: GameState) -> tuple[dict[str, Any], ...]:
    """The initiative order with each combatant's hit points and AC."""
    if state.combat is None:
        return ()
    rows = []
    for c in state.combat.combatants:
        who = state.characters.get(c.id) or state.creatures.get(c.id)
        rows.append({
            "id": c.id, "name": c.name, "initiative": c.initiative,
            "hp": who.hp if who else None, "max_hp": who.max_hp if who else None,
            "ac": who.armor_class if who else None, "is_player": c.is_player, "dead": bool(who and who.dead),
        })  # fmt: skip
    return tuple(rows)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "creature"


def newcomer_names(state: GameState, name: str, count: int) -> list[tuple[str, str]]:
    """(id, name) for `count` new creatures called `name`: plain when alone and new, else numbered after
    the ones already here ("Goblin 3" after "Goblin 1" and "Goblin 2")."""
    base = slug(name)
    ids = {norm(i) for i in (*state.characters, *state.creatures)}
    names = {norm(w.name) for w in (*state.characters.values(), *state.creatures.values())}
    numbered = re.compile(re.escape(norm(name)) + r" \d+$")
    clash = norm(name) in names or norm(base) in ids or any(numbered.match(n) for n in names)
    if count == 1 and not clash:
        return [(base, name)]
    out: list[tuple[str, str]] = []
    number = 1
    while len(out) < count:
        cid, label = f"{base}-{number}", f"{name} {number}"
        if norm(cid) not in ids and norm(label) not in names:
            out.append((cid, label))
        number += 1
    return out


def damage_types(text: Any) -> tuple[str, ...]:
    """Damage types from a stat block's list, leaving out the "from nonmagical attacks" kind (not tracked)."""
    kinds = []
    for part in str(text or "").split(";"):
        if "magical" in part or "silvered" in part or "adamantine" in part:
            continue
        kinds += re.findall(r"acid|bludgeoning|cold|fire|force|lightning|necrotic|piercing|poison|psychic|radiant"
                            r"|slashing|thunder", part.lower())  # fmt: skip
    return tuple(dict.fromkeys(kinds))


def condition_names(text: Any) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in re.split(r"[,;]", str(text or "")) if p.strip())


def _is_weapon_item(item: Any) -> bool:
    weapon = find_weapon(item.name)
    return weapon is not None and weapon.damage is not None


def _same_weapon(a: str, b: str) -> bool:
    def words(x: str) -> set[str]:
        return {w.removesuffix("s") for w in lookup_key(x).replace(",", " ").split()}

    return words(a) == words(b)


def carried_weapon(me: Character, text: str) -> str | None:
    """The weapon in `me`'s inventory that `text` names ("longsword", "light crossbow"), or the unarmed strike."""
    if lookup_key(text) in ("unarmed", "unarmed strike", "fists", "fist"):
        return UNARMED_STRIKE.name
    for item in me.inventory.items:
        if _is_weapon_item(item) and _same_weapon(item.name, text):
            return item.name
    return None


def default_weapon(me: Character) -> str:
    weapons = [i for i in me.inventory.items if _is_weapon_item(i)]
    equipped = [i for i in weapons if i.equipped]
    return (equipped or weapons)[0].name if weapons else UNARMED_STRIKE.name


def target_and_weapon(state: GameState, me: Character, text: str) -> tuple[str, Character | Creature, str]:
    found = find_target(state, text)
    if found is not None:
        return found[0], found[1], default_weapon(me)
    words = text.split()
    for k in range(min(3, len(words) - 1), 0, -1):
        tail = " ".join(words[-k:])
        weapon = carried_weapon(me, tail)
        if weapon is None and (find_weapon(tail) is not None or tail.lower().startswith("unarmed")):
            raise BadArguments(f"{me.name} carries no {tail}.", ATTACK_USAGE)
        if weapon is not None:
            found = find_target(state, " ".join(words[:-k]))
            if found is not None:
                return found[0], found[1], weapon
    known = ", ".join(w.name for w in (*state.creatures.values(), *state.characters.values()) if not w.dead)
    raise BadArguments(f"I see nobody called {text!r} here" + (f" (here: {known})." if known else "."), ATTACK_USAGE)


def attack_roll_dict(result: AttackResult, bonus: int) -> dict[str, Any]:
    """The attack roll in `DiceRoll.to_dict()` shape (for the renderer's dice line)."""
    dice = [{"sides": 20, "value": r, "kept": r == result.natural} for r in result.rolls]
    seen = False
    for die in dice:  # with two equal d20s only one counts
        die["kept"] = die["kept"] and not seen
        seen = seen or die["kept"]
    shown = ", ".join(str(r) if d["kept"] or len(dice) == 1 else f"{r} dropped" for r, d in zip(result.rolls, dice))
    breakdown = f"1d20 ({shown}) {bonus:+d} = {result.attack_total}"
    return {"expression": f"1d20{bonus:+d}", "total": result.attack_total, "rolls": dice, "crit": result.natural == 20,
            "fumble": result.fumble, "success": result.hit, "breakdown": breakdown}  # fmt: skip


def damage_roll_dict(result: AttackResult, dice: str, bonus: int) -> dict[str, Any]:
    """The damage roll in `DiceRoll.to_dict()` shape (dice doubled on a critical hit)."""
    parts = "+".join(map(str, result.damage_rolls)) or "0"
    expression = (dice if dice[0].isdigit() and "d" in dice else "0") + f"{bonus:+d}"
    return {"expression": expression, "total": result.damage, "rolls": [{"value": r} for r in result.damage_rolls],
            "critical": result.critical, "breakdown": f"{parts} {bonus:+d} = {result.damage}"}  # fmt: skip
