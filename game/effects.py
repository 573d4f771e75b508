"""Typed proposed effects, their outcomes, and the pure game state they apply to.

The AI DM proposes changes as JSON; each is one member of the `Effect` discriminated union
(selected by `kind`). `validation.validate_effects` decides, effect by effect, whether the rules
allow it and returns an `EffectOutcome`: accepted with the exact new values, or refused with a
sentence the DM can narrate ("Your spell fizzles: Aria has no level-3 spell slots left.").

Field types are deliberately loose (plain `int`, `str`): a nonsense value (a 48,769-point heal,
a condition that does not exist) must parse so that it can be *refused* with a reason, rather
than make the whole reply fail to parse. Plausibility bounds live in `validation`.

`GameState` is a frozen snapshot: characters by id, other creatures (monsters, NPCs in a fight)
by id, the fight, the party's location and what is known of the world. Applying effects returns
a new `GameState`; the one passed in is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from game.character import Character
from game.conditions import hit_point_maximum
from game.hit_points import DeathSaves, HitPoints
from game.combat import CombatState
from game.errors import IllegalEffect, UnknownCharacter

__all__ = [
    "CombatEnd",
    "CombatEntrant",
    "CombatJoin",
    "CombatLeave",
    "CombatStart",
    "ConditionClear",
    "ConditionSet",
    "Creature",
    "CurrencyChange",
    "EFFECT_ADAPTER",
    "EFFECT_KINDS",
    "Effect",
    "EffectOutcome",
    "FeatureEnd",
    "GameState",
    "HpChange",
    "ItemAdd",
    "ItemRemove",
    "LocationChange",
    "NpcIntroduce",
    "NpcRecord",
    "PlotAdvance",
    "PlotThread",
    "ResourceSpend",
    "SlotSpend",
    "StoryHook",
    "TempHp",
    "TurnAdvance",
    "Dodge",
    "WorldEvent",
    "XpAward",
    "clean_text",
    "require_alive",
]

MAX_NAME: Final = 100
MAX_TEXT: Final = 1_000


def clean_text(value: str, what: str, limit: int = MAX_NAME, *, allow_empty: bool = False) -> str:
    """Collapse whitespace and enforce a length.

    Raises:
        IllegalEffect: empty (unless allowed) or longer than `limit`.
    """
    text = " ".join(str(value).split())
    if not text and not allow_empty:
        raise IllegalEffect(f"The {what} is missing.")
    if len(text) > limit:
        raise IllegalEffect(f"The {what} is too long ({len(text)} characters; at most {limit}).")
    return text


def require_alive(name: str, dead: bool) -> None:
    """Raises IllegalEffect when `dead`: the dead take no effects."""
    if dead:
        raise IllegalEffect(f"{name} is dead.")


class _Effect(BaseModel):
    # Unknown extra keys (a model's "note", "reason") are ignored rather than sinking the effect.
    model_config = ConfigDict(frozen=True, extra="ignore")


class HpChange(_Effect):
    """Damage (negative `amount`) or healing (positive) to one creature."""

    kind: Literal["hp_change"] = "hp_change"
    target: str
    amount: int
    damage_type: str | None = None
    critical: bool = False  # the damage came from a critical hit
    knock_out: bool = False  # a melee attacker chose to knock the target out at 0 HP (SRD p. 98)
    source: str | None = None


class TempHp(_Effect):
    """Grant temporary hit points (they don't stack: the higher of old and new is kept)."""

    kind: Literal["temp_hp"] = "temp_hp"
    target: str
    amount: int


class ItemAdd(_Effect):
    kind: Literal["item_add"] = "item_add"
    target: str
    item: str
    quantity: int = 1
    description: str = ""


class ItemRemove(_Effect):
    kind: Literal["item_remove"] = "item_remove"
    target: str
    item: str
    quantity: int = 1


class ConditionSet(_Effect):
    """Impose a condition. For exhaustion, `level` is the new level (default: one more than now)."""

    kind: Literal["condition_set"] = "condition_set"
    target: str
    condition: str
    level: int | None = None


class ConditionClear(_Effect):
    """End a condition. For exhaustion, `level` is how many levels to remove (default 1)."""

    kind: Literal["condition_clear"] = "condition_clear"
    target: str
    condition: str
    level: int | None = None


class SlotSpend(_Effect):
    kind: Literal["slot_spend"] = "slot_spend"
    target: str
    level: int
    spell: str | None = None


class ResourceSpend(_Effect):
    """Spend a class resource (`game.resources` keys or names: "rage", "ki", "lay on hands", ...).

    `amount` is uses or points. Arcane Recovery names the spent slots to regain in `slot_levels`; Font of
    Magic (`resource="font_of_magic"`) turns sorcery points into one slot of `slot_levels[0]`, or with
    `to_points` that slot into sorcery points. Spending Rage starts raging; Relentless Endurance (at 0 HP)
    leaves the half-orc at 1 hit point.
    """

    kind: Literal["resource_spend"] = "resource_spend"
    target: str
    resource: str
    amount: int = 1
    slot_levels: list[int] = Field(default_factory=list)
    to_points: bool = False


class FeatureEnd(_Effect):
    """A feature in effect ends (a rage)."""

    kind: Literal["feature_end"] = "feature_end"
    target: str
    feature: str = "rage"


class LocationChange(_Effect):
    """Move the party. A destination not yet known needs `discovered=True` (it is then added)."""

    kind: Literal["location_change"] = "location_change"
    destination: str
    discovered: bool = False


class XpAward(_Effect):
    """Award `amount` XP to each of `targets`."""

    kind: Literal["xp_award"] = "xp_award"
    targets: list[str]
    amount: int

    @field_validator("targets", mode="before")
    @classmethod
    def _one_target(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class CombatEntrant(BaseModel):
    """Someone entering a fight: a character (by id) or a creature; new creatures need their hit points."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str | None = None
    dexterity: int | None = None
    initiative: int | None = None  # rolled by the engine when absent
    hit_points: int | None = None
    armor_class: int | None = None


class CombatStart(_Effect):
    kind: Literal["combat_start"] = "combat_start"
    combatants: list[CombatEntrant]


class CombatEnd(_Effect):
    kind: Literal["combat_end"] = "combat_end"
    reason: str | None = None


class CombatJoin(_Effect):
    """Newcomers enter a fight under way (reinforcements, a character who arrives late)."""

    kind: Literal["combat_join"] = "combat_join"
    combatants: list[CombatEntrant]


class CombatLeave(_Effect):
    """Someone leaves the fight (flees, is carried off); the turn passes on if it was theirs."""

    kind: Literal["combat_leave"] = "combat_leave"
    target: str
    reason: str | None = None


class TurnAdvance(_Effect):
    """`actor` ends their turn; only the combatant whose turn it is may do so."""

    kind: Literal["turn_advance"] = "turn_advance"
    actor: str


class Dodge(_Effect):
    """`actor` takes the Dodge action on their turn: attacks against them have disadvantage and their Dexterity
    saves advantage until their next turn starts (SRD p. 92)."""

    kind: Literal["dodge"] = "dodge"
    actor: str


class NpcIntroduce(_Effect):
    kind: Literal["npc_introduce"] = "npc_introduce"
    name: str
    description: str = ""


class PlotAdvance(_Effect):
    kind: Literal["plot_advance"] = "plot_advance"
    thread: str
    progress: str = ""
    resolved: bool = False


class CurrencyChange(_Effect):
    """Coins gained (positive) or spent (negative), per coin type; spending makes change from larger coins."""

    kind: Literal["currency_change"] = "currency_change"
    target: str
    cp: int = 0
    sp: int = 0
    ep: int = 0
    gp: int = 0
    pp: int = 0


Effect = Annotated[
    HpChange
    | TempHp
    | ItemAdd
    | ItemRemove
    | ConditionSet
    | ConditionClear
    | SlotSpend
    | LocationChange
    | XpAward
    | CombatStart
    | CombatEnd
    | CombatJoin
    | CombatLeave
    | TurnAdvance
    | Dodge
    | NpcIntroduce
    | PlotAdvance
    | CurrencyChange
    | ResourceSpend
    | FeatureEnd,
    Field(discriminator="kind"),
]
EFFECT_ADAPTER: TypeAdapter[Effect] = TypeAdapter(Effect)
EFFECT_KINDS: tuple[str, ...] = (
    "hp_change", "temp_hp", "item_add", "item_remove", "condition_set", "condition_clear", "slot_spend",
    "location_change", "xp_award", "combat_start", "combat_end", "combat_join", "combat_leave", "turn_advance",
    "dodge", "npc_introduce", "plot_advance", "currency_change", "resource_spend", "feature_end",
)  # fmt: skip


class EffectOutcome(BaseModel):
    """The verdict on one proposed effect.

    `changes` holds the exact new values when accepted (e.g. `{"target": "aria", "hp": 5, "temp_hp": 0}`);
    `reason` is a sentence the DM can narrate when refused, and `error` names the `RulesError` subclass.
    `summary` describes what happened either way.
    """

    model_config = ConfigDict(frozen=True)

    index: int
    kind: str
    accepted: bool
    summary: str
    changes: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    error: str | None = None


class Creature(BaseModel):
    """A monster or NPC tracked in play (characters are `Character`s). Most monsters die at 0 hit points
    (`dies_at_zero`); an NPC who should make death saves like a character sets it False."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    hp: int = Field(ge=0)
    max_hp: int = Field(ge=1)
    temp_hp: int = Field(0, ge=0)
    armor_class: int = 10
    dexterity: int = Field(10, ge=1, le=30)
    conditions: tuple[str, ...] = ()
    exhaustion: int = Field(0, ge=0, le=6)
    resistances: tuple[str, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    immunities: tuple[str, ...] = ()
    condition_immunities: tuple[str, ...] = ()
    dead: bool = False
    death_saves: DeathSaves = Field(default_factory=DeathSaves)
    dies_at_zero: bool = True
    concentration: str | None = None  # the spell a monster or NPC caster is concentrating on
    constitution_save: int = 0  # its Constitution saving throw bonus (the concentration save after damage)

    is_player: ClassVar[bool] = False

    @property
    def hit_points(self) -> HitPoints:
        return HitPoints(current=self.hp, maximum=self.max_hp, temporary=self.temp_hp, death_saves=self.death_saves,
                         dead=self.dead, dies_at_zero=self.dies_at_zero)  # fmt: skip

    def with_hit_points(self, hp: HitPoints) -> Creature:
        return self.model_copy(update={"hp": hp.current, "max_hp": hp.maximum, "temp_hp": hp.temporary,
                                       "death_saves": hp.death_saves, "dead": hp.dead,
                                       "concentration": None if hp.dead else self.concentration})  # fmt: skip

    def with_conditions(self, conditions: Iterable[str]) -> Creature:
        return self.model_copy(update={"conditions": tuple(dict.fromkeys(conditions))})

    def with_exhaustion(self, level: int) -> Creature:
        if not 0 <= level <= 6:
            raise IllegalEffect(f"Exhaustion goes from 0 to 6, not {level}.")
        who = self.model_copy(update={"exhaustion": level})
        hp = who.hit_points.killed() if level == 6 else who.hit_points.with_maximum(self.max_hp)
        ceiling = hit_point_maximum(self.max_hp, level)
        if not hp.dead and hp.current > ceiling:
            hp = hp.model_copy(update={"current": ceiling})
        return who.with_hit_points(hp)

    def without_concentration(self) -> Creature:
        return self.model_copy(update={"concentration": None})

    def after_incapacitated(self) -> Creature:
        return self.without_concentration()

    def damage_defenses(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        return self.resistances, self.vulnerabilities, self.immunities

    def immune_to_condition(self, condition: str) -> bool:
        return condition.lower() in {c.lower() for c in self.condition_immunities}

    @property
    def concentration_save_bonus(self) -> int | None:
        """The engine rolls a monster's concentration save (d20 + this) after damage."""
        return self.constitution_save

    @property
    def initiative_dexterity(self) -> int:
        return self.dexterity

    @property
    def initiative_bonus(self) -> int:
        return 0


class NpcRecord(BaseModel):
    """An NPC the party has met (`GameState.npcs` holds only those)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    alive: bool = True


class PlotThread(BaseModel):
    """A plot thread; `progress` is its notes in order (the database's progress count is their number)."""

    model_config = ConfigDict(frozen=True)

    name: str
    progress: tuple[str, ...] = ()
    resolved: bool = False


class WorldEvent(BaseModel):
    """A scripted event of the campaign (an ambush at dusk, the tide turning), by name."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    status: Literal["pending", "triggered", "resolved"] = "pending"


class StoryHook(BaseModel):
    """A hook the DM can dangle to steer without railroading; `used` once it has been."""

    model_config = ConfigDict(frozen=True)

    text: str
    used: bool = False
    thread: str | None = None


class GameState(BaseModel):
    """What validation reads and writes. Keys of `characters`/`creatures` are ids; `npcs` and
    `plot_threads` are keyed by lower-case name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    characters: dict[str, Character] = Field(default_factory=dict)
    creatures: dict[str, Creature] = Field(default_factory=dict)
    combat: CombatState | None = None
    location: str | None = None
    known_locations: tuple[str, ...] = ()
    game_minutes: int = Field(480, ge=0)  # in-game minutes since day 1, 00:00
    weather: str = "clear"
    npcs: dict[str, NpcRecord] = Field(default_factory=dict)
    plot_threads: dict[str, PlotThread] = Field(default_factory=dict)
    events: dict[str, WorldEvent] = Field(default_factory=dict)  # by lower-case name
    hooks: tuple[StoryHook, ...] = ()

    def find(self, ref: str) -> tuple[str, Character | Creature]:
        """Resolve an id, or a case-insensitive name, to a character or creature.

        Raises:
            UnknownCharacter: nobody by that id or name.
            IllegalEffect: the name fits more than one.
        """
        if not isinstance(ref, str) or not ref.strip():
            raise UnknownCharacter(str(ref))
        if ref in self.characters:
            return ref, self.characters[ref]
        if ref in self.creatures:
            return ref, self.creatures[ref]
        key = " ".join(ref.lower().split())
        matches: list[tuple[str, Character | Creature]] = [
            (cid, c) for cid, c in self.characters.items() if c.name.lower() == key
        ]
        matches += [(cid, c) for cid, c in self.creatures.items() if c.name.lower() == key or cid.lower() == key]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise IllegalEffect(f"More than one creature is called {ref!r}; say which one.")
        raise UnknownCharacter(ref)

    def character_of(self, player_id: int) -> tuple[str, Character] | None:
        """The character a player plays here (the living one first), or None."""
        mine = [(cid, c) for cid, c in self.characters.items() if c.player_id == player_id]
        mine.sort(key=lambda pair: pair[1].dead)
        return mine[0] if mine else None

    def find_character(self, ref: str, verb: str) -> tuple[str, Character]:
        """Like `find`, for player characters only; returns a deep copy that is safe to change.

        Raises:
            UnknownCharacter / IllegalEffect: as `find`, or `ref` is a creature ("cannot {verb}").
        """
        cid, who = self.find(ref)
        if cid not in self.characters:
            raise IllegalEffect(f"{who.name} is not a player character and cannot {verb}.")
        return cid, self.characters[cid].model_copy(deep=True)

    def replace(self, cid: str, who: Character | Creature) -> GameState:
        """A new state with `who` stored under `cid` (this one is unchanged)."""
        if who.is_player:
            return self.model_copy(update={"characters": {**self.characters, cid: who}})  # type: ignore[dict-item]
        return self.model_copy(update={"creatures": {**self.creatures, cid: who}})  # type: ignore[dict-item]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GameState:
        return cls.model_validate(data)
