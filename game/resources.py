"""Class (and racial) resources: the counters of the SRD 5.1 class tables and the uses a rest restores.

`class_counters(class, level)` reads the class-table columns (Rages and Rage Damage, Martial Arts,
Ki Points, Unarmored Movement, Sneak Attack, Sorcery Points, Invocations Known, Wild Shape limits,
Bardic Inspiration die, Channel Divinity, Action Surge, Indomitable, Mystic Arcanum).
`compute_resources(character)` turns them, with the ability scores and race, into the spendable
pools a `Character` keeps in `resources` (`ResourceState`: max, remaining, which rest restores it):

| key | max | back on |
|---|---|---|
| rage | Rages column (unlimited at 20th) | long rest |
| ki | Ki Points column (2nd+) | short rest |
| bardic_inspiration | Cha modifier (at least 1) | long rest; short from 5th (Font of Inspiration) |
| channel_divinity | cleric 1/2/3 at 2/6/18, paladin 1 at 3 | short rest |
| wild_shape | 2 from 2nd (unlimited at 20th, Archdruid) | short rest |
| second_wind / action_surge / indomitable | 1 / 1 (2 at 17) / 1, 2, 3 at 9, 13, 17 | short / short / long |
| sorcery_points | Sorcery Points column (2nd+) | long rest (4 on a short rest at 20th) |
| arcane_recovery | 1 (slots up to half the wizard level, rounded up, none 6th+) | long rest |
| lay_on_hands | 5 × paladin level hit points | long rest |
| divine_sense | 1 + Cha modifier | long rest |
| mystic_arcanum_6 … _9 | 1 each at 11/13/15/17 | long rest |
| relentless_endurance | 1 (half-orc) | long rest |

Lucky (halfling) is not a pool: `is_lucky` tells the dice to reroll a natural 1 (`game.dice.d20_faces`).
Rage is also a state: `"rage"` in `Character.active_features` adds the Rage Damage bonus to Strength
melee weapon damage (`game.attacks`) and resistance to bludgeoning, piercing and slashing damage
(`rage_resistances`, read by validation); it ends when the barbarian is incapacitated.
A multiclass character (`Character.classes`) has each class's pools at that class's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from game.errors import IllegalEffect, RulesError

if TYPE_CHECKING:
    from game.character import Character

__all__ = [
    "FONT_OF_MAGIC_COST",
    "RAGE_RESISTANCES",
    "RESOURCE_NAMES",
    "ClassCounters",
    "NoResourceLeft",
    "ResourceState",
    "arcane_recovery_limit",
    "class_counters",
    "class_level",
    "class_levels",
    "compute_resources",
    "end_rage",
    "end_rage_if_incapacitated",
    "is_frenzied",
    "is_lucky",
    "is_raging",
    "rage_resistances",
    "refresh_resources",
    "resource_key",
    "restore_resources",
    "spend_resource",
]

Rest = Literal["short", "long"]

RESOURCE_NAMES: Final[dict[str, str]] = {
    "rage": "Rage",
    "ki": "Ki",
    "bardic_inspiration": "Bardic Inspiration",
    "channel_divinity": "Channel Divinity",
    "wild_shape": "Wild Shape",
    "second_wind": "Second Wind",
    "action_surge": "Action Surge",
    "indomitable": "Indomitable",
    "sorcery_points": "Sorcery Points",
    "arcane_recovery": "Arcane Recovery",
    "lay_on_hands": "Lay on Hands",
    "divine_sense": "Divine Sense",
    "mystic_arcanum_6": "Mystic Arcanum (6th level)",
    "mystic_arcanum_7": "Mystic Arcanum (7th level)",
    "mystic_arcanum_8": "Mystic Arcanum (8th level)",
    "mystic_arcanum_9": "Mystic Arcanum (9th level)",
    "relentless_endurance": "Relentless Endurance",
}
RAGE_RESISTANCES: Final = ("bludgeoning", "piercing", "slashing")
FONT_OF_MAGIC_COST: Final[dict[int, int]] = {1: 2, 2: 3, 3: 5, 4: 6, 5: 7}  # SRD "Creating Spell Slots"
_UNTIL = {"short": "a short or long rest", "long": "a long rest"}


class NoResourceLeft(IllegalEffect):
    """A feature's uses (or pool) are spent; the sentence says which rest brings them back."""


class ResourceState(BaseModel):
    """One pool: `remaining` of `max` uses (or points), back on a `recovers` rest. `unlimited` has no max."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max: int = Field(ge=0)
    remaining: int = Field(ge=0)
    recovers: Rest
    unlimited: bool = False


@dataclass(frozen=True, slots=True)
class ClassCounters:
    """The class-table columns at one level (0 / None / "" where the class has no such column)."""

    rages: int | None = 0  # None: unlimited (Barbarian 20th)
    rage_damage: int = 0
    martial_arts_die: str = ""
    ki_points: int = 0
    unarmored_movement: int = 0  # extra feet of speed
    sneak_attack_dice: int = 0  # d6s
    sorcery_points: int = 0
    invocations_known: int = 0
    wild_shape_max_cr: str = ""
    wild_shape_limits: str = ""
    bardic_inspiration_die: str = ""
    channel_divinity: int = 0
    action_surge: int = 0
    indomitable: int = 0
    mystic_arcanum: tuple[int, ...] = ()  # spell levels with an arcanum


def _step(level: int, steps: tuple[tuple[int, Any], ...], default: Any = 0) -> Any:
    """The value of the last step whose start level is ≤ `level`."""
    value = default
    for start, step_value in steps:
        if level >= start:
            value = step_value
    return value


def _barbarian(level: int) -> dict[str, Any]:
    rages = _step(level, ((1, 2), (3, 3), (6, 4), (12, 5), (17, 6), (20, None)))
    return {"rages": rages, "rage_damage": _step(level, ((1, 2), (9, 3), (16, 4)))}


def _monk(level: int) -> dict[str, Any]:
    return {
        "martial_arts_die": _step(level, ((1, "1d4"), (5, "1d6"), (11, "1d8"), (17, "1d10"))),
        "ki_points": level if level >= 2 else 0,
        "unarmored_movement": _step(level, ((2, 10), (6, 15), (10, 20), (14, 25), (18, 30))),
    }


def _druid(level: int) -> dict[str, Any]:
    cr = _step(level, ((2, "1/4"), (4, "1/2"), (8, "1")), "")
    limits = _step(level, ((2, "no flying or swimming speed"), (4, "no flying speed"), (8, "")), "")
    return {"wild_shape_max_cr": cr, "wild_shape_limits": limits}


def _warlock(level: int) -> dict[str, Any]:
    invocations = _step(level, ((2, 2), (5, 3), (7, 4), (9, 5), (12, 6), (15, 7), (18, 8)))
    arcanum = tuple(spell for spell, at in ((6, 11), (7, 13), (8, 15), (9, 17)) if level >= at)
    return {"invocations_known": invocations, "mystic_arcanum": arcanum}


_COUNTERS: Final = {
    "barbarian": _barbarian,
    "monk": _monk,
    "druid": _druid,
    "warlock": _warlock,
    "rogue": lambda level: {"sneak_attack_dice": (level + 1) // 2},
    "sorcerer": lambda level: {"sorcery_points": level if level >= 2 else 0},
    "bard": lambda level: {"bardic_inspiration_die": _step(level, ((1, "d6"), (5, "d8"), (10, "d10"), (15, "d12")))},
    "cleric": lambda level: {"channel_divinity": _step(level, ((2, 1), (6, 2), (18, 3)))},
    "paladin": lambda level: {"channel_divinity": 1 if level >= 3 else 0},
    "fighter": lambda level: {
        "action_surge": _step(level, ((2, 1), (17, 2))),
        "indomitable": _step(level, ((9, 1), (13, 2), (17, 3))),
    },
}


def class_counters(class_name: str, level: int) -> ClassCounters:
    """The class-table counters of `class_name` at `level` (1–20).

    Raises:
        RulesError: not a class, or a level outside 1–20.
    """
    from game.classes import get_class

    key = get_class(class_name).key
    if not 1 <= level <= 20:
        raise RulesError(f"Class level must be between 1 and 20, not {level}.")
    fn = _COUNTERS.get(key)
    return ClassCounters(**fn(level)) if fn else ClassCounters()


def _race_traits(who: Character) -> tuple[str, ...]:
    from game.races import get_race

    try:
        return get_race(who.race).traits
    except RulesError:
        return ()


def is_lucky(who: Any) -> bool:
    """A halfling's Lucky trait: natural 1s on its attack rolls, ability checks and saves are rerolled."""
    return isinstance(getattr(who, "race", None), str) and "Lucky" in _race_traits(who)


def _pool(maximum: int, recovers: Rest) -> ResourceState:
    return ResourceState(max=max(0, maximum), remaining=max(0, maximum), recovers=recovers)


def class_levels(who: Any) -> list[tuple[str, int]]:
    """(class, level) for each of `who`'s classes: `classes` when multiclassed, else `class_name` at `level`."""
    levels = [(c.name, c.level) for c in (getattr(who, "classes", None) or ()) if getattr(c, "level", 0)]
    return levels or [(who.class_name, who.level)]


def class_level(who: Any, class_name: str) -> int:
    """`who`'s levels in one class (0 if none)."""
    key = class_name.strip().lower()
    return sum(level for name, level in class_levels(who) if name.strip().lower() == key)


def compute_resources(who: Character) -> dict[str, ResourceState]:
    """Every pool `who` has from its class levels, full (see the module table).

    A multiclass character gets each class's pools at that class's level; a pool two classes grant
    (Channel Divinity) keeps the larger number of uses, as the SRD's multiclassing rules say.
    """
    pools: dict[str, ResourceState] = {}
    for name, level in class_levels(who):
        for key, pool in _class_pools(who, name.strip().lower(), level).items():
            old = pools.get(key)
            if old is None or pool.unlimited or (not old.unlimited and pool.max > old.max):
                pools[key] = pool
    if "Relentless Endurance" in _race_traits(who):
        pools["relentless_endurance"] = _pool(1, "long")
    return pools


def _class_pools(who: Character, key: str, level: int) -> dict[str, ResourceState]:
    try:
        c = class_counters(key, level)
    except RulesError:
        return {}
    pools: dict[str, ResourceState] = {}
    if key == "barbarian":
        pools["rage"] = (
            ResourceState(max=0, remaining=0, recovers="long", unlimited=True)
            if c.rages is None
            else _pool(c.rages, "long")
        )
    if c.ki_points:
        pools["ki"] = _pool(c.ki_points, "short")
    if key == "bard":
        pools["bardic_inspiration"] = _pool(max(1, who.modifier("charisma")), "short" if level >= 5 else "long")
    if c.channel_divinity:
        pools["channel_divinity"] = _pool(c.channel_divinity, "short")
    if key == "druid" and level >= 2:
        pools["wild_shape"] = ResourceState(max=2, remaining=2, recovers="short", unlimited=level >= 20)
    if key == "fighter":
        pools["second_wind"] = _pool(1, "short")
        if c.action_surge:
            pools["action_surge"] = _pool(c.action_surge, "short")
        if c.indomitable:
            pools["indomitable"] = _pool(c.indomitable, "long")
    if c.sorcery_points:
        pools["sorcery_points"] = _pool(c.sorcery_points, "long")
    if key == "wizard":
        pools["arcane_recovery"] = _pool(1, "long")
    if key == "paladin":
        pools["lay_on_hands"] = _pool(5 * level, "long")
        pools["divine_sense"] = _pool(1 + who.modifier("charisma"), "long")
    for spell_level in c.mystic_arcanum:
        pools[f"mystic_arcanum_{spell_level}"] = _pool(1, "long")
    return pools


def refresh_resources(who: Character) -> dict[str, ResourceState]:
    """Recompute the pools after a level-up or new scores; what was spent stays spent. Sets and returns them."""
    fresh = compute_resources(who)
    for key, pool in fresh.items():
        old = who.resources.get(key)
        if old is not None and not pool.unlimited and not old.unlimited:
            spent = max(0, old.max - old.remaining)
            fresh[key] = pool.model_copy(update={"remaining": max(0, pool.max - spent)})
    who.resources = fresh
    return fresh


def restore_resources(who: Character, rest: Rest) -> dict[str, int]:
    """Refill the pools a `rest` restores (a long rest restores the short-rest ones too).

    Returns what came back, by key (only pools that regained something).
    """
    restored: dict[str, int] = {}
    pools = dict(who.resources)
    for key, pool in pools.items():
        if pool.unlimited or pool.remaining >= pool.max:
            continue
        gain = pool.max - pool.remaining if rest == "long" or pool.recovers == "short" else 0
        if key == "sorcery_points" and rest == "short" and _sorcerous_restoration(who):
            gain = min(4, pool.max - pool.remaining)  # SRD "Sorcerous Restoration": 4 points on a short rest
        if gain:
            restored[key] = gain
            pools[key] = pool.model_copy(update={"remaining": pool.remaining + gain})
    if restored:
        who.resources = pools
    return restored


def _sorcerous_restoration(who: Character) -> bool:
    return class_level(who, "sorcerer") >= 20


def resource_key(name: str) -> str:
    """`"Second Wind"`, `"second-wind"`, `"mystic arcanum 7"` → the pool key; unknown names unchanged."""
    key = "_".join(str(name).lower().replace("-", " ").replace("(", " ").replace(")", " ").split())
    key = key.replace("th_level", "").strip("_")
    if key in ("sorcery", "sorcery_point"):
        return "sorcery_points"
    if key in ("ki_point", "ki_points"):
        return "ki"
    if key.startswith("mystic_arcanum") and key[-1:].isdigit():
        return f"mystic_arcanum_{key[-1]}"
    return key


def spend_resource(who: Character, key: str, amount: int = 1) -> ResourceState:
    """Spend `amount` from the pool `key` of `who` (changed in place); returns the new state.

    Raises:
        IllegalEffect: `who` has no such feature, or a nonsensical amount.
        NoResourceLeft: not enough left ("... until you finish a long rest").
    """
    name = RESOURCE_NAMES.get(key, key.replace("_", " "))
    pool = who.resources.get(key)
    if pool is None:
        raise IllegalEffect(f"{who.name} does not have {name}.")
    if amount < 1:
        raise IllegalEffect(f"Spending {amount} {name} does nothing.")
    if pool.unlimited:
        return pool
    if pool.remaining < amount:
        raise NoResourceLeft(_empty_sentence(who.name, key, name, pool, amount))
    new = pool.model_copy(update={"remaining": pool.remaining - amount})
    who.resources = {**who.resources, key: new}
    return new


def _empty_sentence(who: str, key: str, name: str, pool: ResourceState, amount: int) -> str:
    until = _UNTIL[pool.recovers]
    if pool.remaining == 0:
        plural = {"rage": "rages", "ki": "ki points", "sorcery_points": "sorcery points",
                  "lay_on_hands": "healing in the Lay on Hands pool"}.get(key, f"uses of {name}")  # fmt: skip
        return f"{who} has no {plural} left until they finish {until}; nothing was changed."
    return (
        f"{who} has only {pool.remaining} {name} left, not {amount}, until they finish {until}; "
        "nothing was changed."
    )


def is_raging(who: Any) -> bool:
    return "rage" in (getattr(who, "active_features", None) or ())


def rage_resistances(who: Any) -> tuple[str, ...]:
    """Bludgeoning, piercing and slashing while raging (SRD "Rage"), else nothing."""
    return RAGE_RESISTANCES if is_raging(who) else ()


def is_frenzied(who: Any) -> bool:
    """A Berserker's rage that was started as a frenzy (`"frenzy"` beside `"rage"` in `active_features`)."""
    return "frenzy" in (getattr(who, "active_features", None) or ())


def end_rage(who: Character) -> bool:
    """End `who`'s rage (changed in place); a frenzied rage leaves one level of exhaustion (SRD "Frenzy").

    True if a rage ended. Every way a rage ends goes through here: `feature_end`, incapacitation, a rest.
    """
    from game.subclass_rules import frenzy_exhaustion

    if not is_raging(who):
        return False
    frenzied = is_frenzied(who)
    who.active_features = [f for f in who.active_features if f not in ("rage", "frenzy")]
    after = frenzy_exhaustion(who.exhaustion, frenzied)
    if after != who.exhaustion:
        who.set_exhaustion(after)
    return True


def end_rage_if_incapacitated(who: Character) -> bool:
    """Rage ends early when the barbarian is knocked unconscious (or otherwise incapacitated). True if it ended."""
    from game.conditions import can_act

    if not is_raging(who) or (can_act(who.conditions, who.exhaustion) and who.hp > 0):
        return False
    return end_rage(who)


def arcane_recovery_limit(wizard_level: int) -> int:
    """The combined level of slots Arcane Recovery brings back: half the wizard level, rounded up."""
    return (wizard_level + 1) // 2
