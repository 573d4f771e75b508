"""Character commands: `!my_sheet`, `!inventory`, `!use_item`, `!rest`.

Each reads or changes the caller's own character (a copy from `ctx.my_character()`, stored back with
`ctx.put`); the rules engine does the arithmetic (`Character.use_item` rolls a potion, `game.rests`
spends Hit Dice). Results carry numbers and names; `gateway/render/text_character.py` words them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, PlayerRef, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments
from game.abilities import ABILITIES, SKILLS
from game.character import Character
from game.conditions import can_act
from game.creation import XP_THRESHOLDS
from game.equipment import lookup_key
from game.errors import IllegalEffect, RestError
from game.inventory import Item
from game.resources import RESOURCE_NAMES
from game.rests import long_rest, short_rest

__all__ = [
    "AbilityLine",
    "InventoryList",
    "ItemConsumed",
    "ItemLine",
    "RestTaken",
    "Sheet",
    "SkillLine",
    "ability_lines",
    "find_item",
]

CARRY_PER_STRENGTH = 15  # SRD "Lifting and Carrying": carrying capacity is Strength × 15 pounds


class AbilityLine(BaseModel):
    """One ability: score, modifier, saving throw modifier and whether the save is proficient."""

    model_config = ConfigDict(frozen=True)

    ability: str
    score: int
    modifier: int
    save: int
    save_proficient: bool


class SkillLine(BaseModel):
    """One skill: its ability, total modifier and proficiency (none, half, proficient, expertise)."""

    model_config = ConfigDict(frozen=True)

    skill: str
    ability: str
    modifier: int
    proficiency: str


class ItemLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    quantity: int
    equipped: bool
    attuned: bool
    weight: float  # per item, pounds
    total_weight: float
    kind: str
    consumable: bool


def ability_lines(who: Character) -> tuple[AbilityLine, ...]:
    return tuple(
        AbilityLine(ability=a, score=who.ability_scores.score(a), modifier=who.modifier(a),
                    save=who.saving_throw_bonus(a), save_proficient=a in who.proficiencies.saving_throws)
        for a in ABILITIES
    )  # fmt: skip


def _skill_lines(who: Character) -> tuple[SkillLine, ...]:
    return tuple(
        SkillLine(skill=s, ability=a, modifier=who.skill_modifier(s), proficiency=who.skill_proficiency(s).name.lower())
        for s, a in sorted(SKILLS.items())
    )


class Sheet(CommandResult):
    """A character sheet. `own` is False when the caller looks at someone else's."""

    type: str = "sheet"
    id: str
    own: bool = True
    name: str
    player_id: int | None = None
    race: str
    subrace: str | None = None
    class_name: str
    subclass: str | None = None
    level: int
    classes: tuple[dict[str, Any], ...] = ()  # {"name", "subclass", "level"} per class (more than one: multiclass)
    xp: int
    xp_next: int | None = None  # XP needed for the next level; None at level 20
    hp: int
    max_hp: int
    hit_point_maximum: int  # max_hp, halved at exhaustion 4+
    temp_hp: int
    armor_class: int
    speed: int
    initiative: int
    passive_perception: int
    proficiency_bonus: int
    hit_dice: int
    hit_die: int
    abilities: tuple[AbilityLine, ...]
    skills: tuple[SkillLine, ...]
    spellcasting_ability: str | None = None
    spell_save_dc: int | None = None
    spell_attack_bonus: int | None = None
    spell_slots: tuple[dict[str, int], ...] = ()  # {"level", "current", "maximum"}
    pact_slots: dict[str, int] | None = None  # {"level", "current", "maximum"} for a Warlock
    cantrips: tuple[str, ...] = ()
    spells: tuple[str, ...] = ()  # prepared (preparing classes) or known
    conditions: tuple[str, ...] = ()
    exhaustion: int = 0
    concentration: str | None = None
    death_saves: dict[str, Any] = Field(default_factory=dict)
    dead: bool = False
    features: tuple[str, ...] = ()
    active_features: tuple[str, ...] = ()  # in effect now ("rage")
    resources: tuple[dict[str, Any], ...] = ()  # class pools: {"key", "name", "remaining", "max", "recovers"}
    languages: tuple[str, ...] = ()
    armor_proficiencies: tuple[str, ...] = ()
    weapon_proficiencies: tuple[str, ...] = ()
    tool_proficiencies: tuple[str, ...] = ()


class InventoryList(CommandResult):
    type: str = "inventory"
    who: str
    items: tuple[ItemLine, ...]
    currency: dict[str, int]  # cp, sp, ep, gp, pp
    currency_weight: float
    carried_weight: float  # items and coins, pounds
    capacity: float  # Strength × 15 pounds


class ItemConsumed(CommandResult):
    """A consumable used: what it rolled, hit points before and after, how many are left."""

    type: str = "item_consumed"
    who: str
    item: str
    remaining: int
    roll: dict[str, Any] | None = None
    hp_before: int
    hp: int
    max_hp: int
    healed: int = 0
    revived: bool = False


class RestTaken(CommandResult):
    """A short or long rest: hit points regained, Hit Dice spent (with their rolls) or regained, slots back."""

    type: str = "rest"
    who: str
    kind: str  # "short" or "long"
    hp_before: int
    hp: int
    max_hp: int
    healed: int
    hit_die: int
    hit_dice_spent: int = 0
    hit_dice_regained: int = 0
    hit_dice_left: int
    rolls: tuple[dict[str, Any], ...] = ()
    slots_restored: int = 0
    pact_slots_restored: int = 0
    exhaustion_before: int = 0
    exhaustion: int = 0
    resources_restored: dict[str, int] = Field(default_factory=dict)  # class pools refilled, by name


# --- !my_sheet ----------------------------------------------------------------------------------


def _sheet(cid: str, who: Character, own: bool) -> Sheet:
    slots = who.spell_slots
    prepared = who.spells_prepared or who.spells_known
    pools = tuple({"key": key, "name": RESOURCE_NAMES.get(key, key.replace("_", " ").title()),
                   "remaining": pool.remaining, "max": pool.max, "recovers": pool.recovers,
                   "unlimited": pool.unlimited} for key, pool in who.resources.items())  # fmt: skip
    return Sheet(
        id=cid, own=own, name=who.name, player_id=who.player_id, race=who.race, subrace=who.subrace,
        class_name=who.class_name, subclass=who.subclass, level=who.level,
        classes=tuple(c.model_dump() for c in who.classes), xp=who.xp,
        xp_next=XP_THRESHOLDS[who.level] if who.level < 20 else None,
        hp=who.hp, max_hp=who.max_hp, hit_point_maximum=who.hit_point_maximum, temp_hp=who.temp_hp,
        armor_class=who.armor_class, speed=who.speed, initiative=who.initiative_modifier,
        passive_perception=who.passive_perception, proficiency_bonus=who.proficiency_bonus,
        hit_dice=who.hit_dice, hit_die=who.hit_die, abilities=ability_lines(who), skills=_skill_lines(who),
        spellcasting_ability=who.spellcasting_ability, spell_save_dc=who.spell_save_dc,
        spell_attack_bonus=who.spell_attack_bonus,
        spell_slots=tuple({"level": lvl, "current": slots.current.get(lvl, 0), "maximum": n}
                          for lvl, n in sorted(slots.maximum.items()) if n),
        pact_slots={"level": slots.pact_level, "current": slots.pact_current, "maximum": slots.pact_maximum}
        if slots.pact_maximum else None,
        cantrips=tuple(who.cantrips_known), spells=tuple(prepared), conditions=tuple(who.conditions),
        exhaustion=who.exhaustion, concentration=who.concentration, death_saves=who.death_saves.model_dump(),
        dead=who.dead, features=tuple(who.features), active_features=tuple(who.active_features), resources=pools,
        languages=who.proficiencies.languages,
        armor_proficiencies=who.proficiencies.armor, weapon_proficiencies=who.proficiencies.weapons,
        tool_proficiencies=who.proficiencies.tools,
    )  # fmt: skip


@command(
    "my_sheet",
    aliases=("sheet",),
    area="character",
    args=(Arg("player", ArgKind.PLAYER, required=False, help="someone else's character (read-only)"),),
    help="Show your character sheet, or another player's.",
    needs_campaign=True,
    examples=("!my_sheet", "!sheet @Ayla"),
)
async def my_sheet(ctx: CommandContext, player: PlayerRef | None = None) -> Sheet:
    if player is None:
        cid, who = ctx.my_character()
        return _sheet(cid, who, own=True)
    cid, who = ctx.character_for(player)
    return _sheet(cid, who, own=who.player_id == ctx.caller.player_id)


# --- !inventory ---------------------------------------------------------------------------------


def _item_line(item: Item) -> ItemLine:
    return ItemLine(name=item.name, quantity=item.quantity, equipped=item.equipped, attuned=item.attuned,
                    weight=item.weight, total_weight=round(item.total_weight, 2), kind=item.kind,
                    consumable=item.consumable)  # fmt: skip


@command(
    "inventory",
    aliases=("inv",),
    area="character",
    help="List what your character carries, your coins and the weight.",
    needs_character=True,
)
async def inventory(ctx: CommandContext) -> InventoryList:
    _, who = ctx.my_character()
    coins = who.currency
    return InventoryList(
        who=who.name, items=tuple(_item_line(i) for i in who.inventory.items), currency=coins.model_dump(),
        currency_weight=round(coins.weight, 2), carried_weight=round(who.inventory.weight + coins.weight, 2),
        capacity=float(who.ability_scores.strength * CARRY_PER_STRENGTH),
    )  # fmt: skip


# --- !use_item ----------------------------------------------------------------------------------


def find_item(who: Character, query: str) -> str:
    """The name of the carried item `query` means: exact (any case), else the one whose name contains it
    (a consumable preferred: "potion" → the only potion). Unmatched queries come back as typed, so the
    engine refuses them with its own sentence.

    Raises:
        BadArguments: the query fits several items equally.
    """
    key = lookup_key(query)
    exact = who.inventory.find(query)
    if exact is not None:
        return exact.name
    hits = [i for i in who.inventory.items if key and key in i.key]
    usable = [i for i in hits if i.consumable]
    for group in (usable, hits):
        if len(group) == 1:
            return group[0].name
        if len(group) > 1:
            names = ", ".join(i.name for i in group)
            raise BadArguments(f"Which one do you mean: {names}? Nothing was used.", "!use_item ITEM")
    return query


@command(
    "use_item",
    area="character",
    args=(Arg("item", ArgKind.TEXT, help="the item's name (a unique part is enough)"),),
    help="Use a consumable you carry, such as a potion of healing.",
    out_of_turn=False,
    examples=("!use_item potion of healing", "!use_item potion"),
)
async def use_item(ctx: CommandContext, item: str) -> ItemConsumed:
    cid, who = ctx.my_character()
    name = find_item(who, item.strip())
    if not who.dead and (who.hp == 0 or not can_act(who.conditions, who.exhaustion)):
        raise IllegalEffect(f"{who.name} cannot act right now (at 0 hit points or incapacitated); "
                            "someone else has to give them the potion. Nothing was used.")  # fmt: skip
    before = who.hp
    used = who.use_item(name)  # the engine rolls, heals and removes one; refuses what can't be used up
    ctx.put(cid, who)
    healed = used.healed
    return ItemConsumed(who=who.name, item=used.item, remaining=used.remaining, roll=used.roll, hp_before=before,
                        hp=who.hp, max_hp=who.max_hp, healed=healed.healed if healed else 0,
                        revived=bool(healed and healed.revived))  # fmt: skip


# --- !rest --------------------------------------------------------------------------------------

REST_USAGE = "!rest short [HIT_DICE] | !rest long"


def _named(restored: dict[str, int]) -> dict[str, int]:
    return {RESOURCE_NAMES.get(key, key.replace("_", " ").title()): n for key, n in restored.items()}


@command(
    "rest",
    area="character",
    args=(Arg("kind", ArgKind.CHOICE, choices=("short", "long")),
          Arg("hit_dice", ArgKind.INT, required=False, help="Hit Dice to spend on a short rest")),
    help="Take a short rest (spending Hit Dice to heal) or a long rest (everything back).",
    needs_character=True,
    examples=("!rest short 2", "!rest long"),
    details="A short rest spends the Hit Dice you name (none by default); a long rest restores hit points, "
            "spell slots and half your Hit Dice. Not during a fight.",
)  # fmt: skip
async def rest(ctx: CommandContext, kind: str, hit_dice: int | None = None) -> RestTaken:
    if kind == "long" and hit_dice is not None:
        raise BadArguments("A long rest spends no Hit Dice.", REST_USAGE)
    cid, who = ctx.my_character()
    if ctx.state.combat is not None:
        raise RestError(f"{who.name} cannot rest in the middle of a fight; nothing was changed.")
    hp_before, exhaustion_before = who.hp, who.exhaustion
    common = {"who": who.name, "kind": kind, "hp_before": hp_before, "hit_die": who.hit_die,
              "exhaustion_before": exhaustion_before}  # fmt: skip
    if kind == "short":
        done = short_rest(who, hit_dice or 0)
        result = RestTaken(**common, hp=who.hp, max_hp=who.max_hp, healed=done.healed,
                           hit_dice_spent=done.hit_dice_spent, hit_dice_left=done.hit_dice_left, rolls=done.rolls,
                           pact_slots_restored=done.pact_slots_restored, exhaustion=who.exhaustion,
                           resources_restored=_named(done.resources_restored))  # fmt: skip
    else:
        slept = long_rest(who)
        result = RestTaken(**common, hp=who.hp, max_hp=who.max_hp, healed=slept.healed,
                           hit_dice_regained=slept.hit_dice_regained, hit_dice_left=slept.hit_dice,
                           slots_restored=slept.slots_restored, exhaustion=slept.exhaustion,
                           resources_restored=_named(slept.resources_restored))  # fmt: skip
    ctx.put(cid, who)
    return result
