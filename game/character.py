"""The player character: a mutable pydantic model that changes only through its verbs.

Field names are a contract (other modules, the database JSONB and the AI context read them);
`schema_version` lets `from_dict` upgrade older shapes. The verbs here are the low-level
bookkeeping (hit points, temporary hit points, items, concentration, XP); the rules that
decide *how much* (resistances, death saves, conditions, rests, spellcasting) live in their
own modules and call these verbs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from game.abilities import (
    AbilityScores,
    Proficiency,
    ability_name,
    proficiency_bonus,
    skill_ability,
    skill_name,
)
from game.conditions import hit_point_maximum
from game.errors import IllegalEffect, RulesError
from game.hit_points import DeathSaves, HitPointChange, HitPoints
from game.inventory import Currency, Inventory, Item
from game.multiclass import ClassLevel
from game.resources import ResourceState
from game.slots import SpellSlots

__all__ = [
    "SCHEMA_VERSION",
    "Character",
    "DeathSaves",
    "Healed",
    "ItemUsed",
    "Proficiencies",
]

SCHEMA_VERSION: Final = 3  # 2: class resources (`resources`, `active_features`); 3: `classes`, `choices`
MAX_EXHAUSTION: Final = 6
MAX_HIT_POINTS: Final = 1000  # far above any level-20 character; guards absurd input


class Proficiencies(BaseModel):
    """What a character is proficient in. Names are lower case; skills use `SKILLS` keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    saving_throws: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()  # skills (or "thieves' tools") with doubled proficiency
    armor: tuple[str, ...] = ()  # "light", "medium", "heavy", "shields"
    weapons: tuple[str, ...] = ()  # "simple", "martial" or weapon names
    tools: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    jack_of_all_trades: bool = False


class Healed(BaseModel):
    """What a heal did: `healed` is what was actually regained (capped at max HP)."""

    model_config = ConfigDict(frozen=True)

    requested: int
    healed: int
    hp: int
    revived: bool  # was at 0 HP and now is not


class ItemUsed(BaseModel):
    model_config = ConfigDict(frozen=True)

    item: str
    remaining: int
    healed: Healed | None = None
    roll: dict[str, Any] | None = None  # the dice roll's to_dict(), when the item rolled


class Character(BaseModel):
    """A 5e player character. Mutable; change it through the verbs, which keep HP within 0..max."""

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION
    id: str | None = Field(None, min_length=1, max_length=100)  # the key in GameState.characters ("pc-<player>")
    name: str = Field(min_length=1, max_length=64)
    player_id: int | None = Field(None, ge=0)  # the Discord user id (the console: a synthetic one)
    race: str
    subrace: str | None = None
    class_name: str
    subclass: str | None = None
    level: int = Field(1, ge=1, le=20)
    xp: int = Field(0, ge=0)
    ability_scores: AbilityScores = Field(default_factory=AbilityScores)
    hp: int = Field(ge=0, le=MAX_HIT_POINTS)
    max_hp: int = Field(ge=1, le=MAX_HIT_POINTS)
    temp_hp: int = Field(0, ge=0, le=MAX_HIT_POINTS)
    armor_class: int = Field(10, ge=1, le=40)
    speed: int = Field(30, ge=0)
    hit_dice: int = Field(1, ge=0, le=20)  # hit dice left to spend; the maximum is `level`
    proficiencies: Proficiencies = Field(default_factory=Proficiencies)
    inventory: Inventory = Field(default_factory=Inventory)
    currency: Currency = Field(default_factory=Currency)
    spell_slots: SpellSlots = Field(default_factory=SpellSlots)
    cantrips_known: list[str] = Field(default_factory=list)
    spells_known: list[str] = Field(default_factory=list)
    spells_prepared: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    exhaustion: int = Field(0, ge=0, le=MAX_EXHAUSTION)
    death_saves: DeathSaves = Field(default_factory=DeathSaves)
    dead: bool = False
    concentration: str | None = None
    resources: dict[str, ResourceState] = Field(default_factory=dict)  # class pools by key (game.resources)
    active_features: list[str] = Field(default_factory=list)  # features in effect now ("rage")
    # Every class in the order taken (multiclassing); the first is `class_name`, the levels add up to `level`.
    classes: list[ClassLevel] = Field(default_factory=list)
    choices: dict[str, str] = Field(default_factory=dict)  # subclass choices: "dragon ancestor": "red", "land": …

    def __setattr__(self, name: str, value: Any) -> None:
        # Checked before assignment: pydantic's after-validators run once the value is already set.
        if name == "hp" and isinstance(value, int) and value > self.max_hp:
            raise IllegalEffect(f"{self.name} cannot have {value} hit points; the maximum is {self.max_hp}.")
        if name == "max_hp" and isinstance(value, int) and value < self.hp:
            raise IllegalEffect(f"Lower {self.name}'s hit points before the maximum ({self.hp} > {value}).")
        if name == "hit_dice" and isinstance(value, int) and value > self.level:
            raise IllegalEffect(f"{self.name} cannot have more hit dice ({value}) than levels ({self.level}).")
        super().__setattr__(name, value)

    @model_validator(mode="after")
    def _sync_classes(self) -> Character:
        # One class: `class_name`/`subclass`/`level` are the truth and `classes` mirrors them (an old row
        # without `classes` gets it here). Several: `classes` is the truth; the primary and total follow.
        classes = self.__dict__.get("classes") or []
        if len(classes) <= 1:
            mirror = ClassLevel(name=self.class_name, subclass=self.subclass, level=self.level)
            if classes != [mirror]:
                self.__dict__["classes"] = [mirror]
        else:
            self.__dict__["class_name"] = classes[0].name
            self.__dict__["subclass"] = classes[0].subclass
            self.__dict__["level"] = sum(c.level for c in classes)
        return self

    @model_validator(mode="after")
    def _hp_within_max(self) -> Character:
        if self.hp > self.max_hp:
            raise ValueError(f"hp {self.hp} is above max_hp {self.max_hp}")
        if self.hit_dice > self.level:
            raise ValueError(f"hit_dice {self.hit_dice} is above level {self.level}")
        return self

    @model_validator(mode="after")
    def _fill_resources(self) -> Character:
        # A sheet without pools (a new character, a schema-1 row) gets them computed from class and level.
        if not self.resources:
            from game.resources import compute_resources

            pools = compute_resources(self)
            if pools:
                self.__dict__["resources"] = pools
        return self

    # --- serialisation -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the database stores)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Character:
        """Load a dict from `to_dict` (any schema version up to the current one)."""
        data = dict(data)
        version = int(data.get("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise RulesError(f"Character data is from a newer version ({version}) of Lorekeeper.")
        data["schema_version"] = SCHEMA_VERSION
        return cls.model_validate(data)

    # --- derived numbers -------------------------------------------------------------------

    def class_level(self, class_name: str) -> int:
        """Levels in one class (0 if none): a fighter 2 / wizard 3 has `class_level("wizard") == 3`."""
        key = class_name.strip().lower()
        return sum(c.level for c in self.class_list() if c.name.lower() == key)

    def subclass_of(self, class_name: str) -> str | None:
        """The subclass chosen in one of the character's classes (None if none yet or no such class)."""
        key = class_name.strip().lower()
        return next((c.subclass for c in self.class_list() if c.name.lower() == key), None)

    def class_list(self) -> list[ClassLevel]:
        """Every class with its level and subclass; for one class read from the primary fields (a
        `model_copy(update=...)` skips the validator that mirrors them into `classes`)."""
        if len(self.classes) <= 1:
            return [ClassLevel(name=self.class_name, subclass=self.subclass, level=self.level)]
        return self.classes

    @property
    def proficiency_bonus(self) -> int:
        return proficiency_bonus(self.level)

    @property
    def hit_die(self) -> int:
        """Size of the class hit die (d6 … d12)."""
        from game.classes import get_class

        return get_class(self.class_name).hit_die

    @property
    def hit_point_maximum(self) -> int:
        """The maximum that healing can reach now: `max_hp`, halved (rounded down) at exhaustion 4+ (SRD p. 358)."""
        return hit_point_maximum(self.max_hp, self.exhaustion)

    @property
    def wears_armor_without_proficiency(self) -> bool:
        """Equipped armor or shield the character isn't proficient with (SRD p. 62): disadvantage on
        Strength and Dexterity checks, saves and attacks, and no spellcasting."""
        from game.equipment import find_armor

        known = set(self.proficiencies.armor)
        for item in self.inventory.equipped:
            if item.kind not in ("armor", "shield"):
                continue
            armor = find_armor(item.name)
            category = "shields" if item.kind == "shield" else (armor.category if armor else None)
            if category is not None and category not in known:
                return True
        return False

    def modifier(self, ability: str) -> int:
        return self.ability_scores.modifier(ability)

    def skill_proficiency(self, skill: str) -> Proficiency:
        key = skill_name(skill)
        if key in self.proficiencies.expertise:
            return Proficiency.EXPERTISE
        if key in self.proficiencies.skills:
            return Proficiency.PROFICIENT
        if self.proficiencies.jack_of_all_trades:
            return Proficiency.HALF
        return Proficiency.NONE

    def skill_modifier(self, skill: str) -> int:
        """Ability modifier plus proficiency (half with Jack of All Trades, double with expertise)."""
        return self.modifier(skill_ability(skill)) + self.skill_proficiency(skill).bonus(self.proficiency_bonus)

    def saving_throw_bonus(self, ability: str) -> int:
        """The number added to a saving throw of `ability`: its modifier, plus proficiency if proficient."""
        key = ability_name(ability)
        bonus = self.proficiency_bonus if key in self.proficiencies.saving_throws else 0
        return self.modifier(key) + bonus

    @property
    def initiative_modifier(self) -> int:
        """Initiative is a Dexterity check (SRD p. 90), so Jack of All Trades adds half proficiency."""
        joat = self.proficiency_bonus // 2 if self.proficiencies.jack_of_all_trades else 0
        return self.modifier("dexterity") + joat

    @property
    def passive_perception(self) -> int:
        return 10 + self.skill_modifier("perception")

    @property
    def spellcasting_ability(self) -> str | None:
        """The primary class's spellcasting ability; a multiclass character whose first class casts nothing
        (a fighter 2 / wizard 3) uses the first class that does."""
        from game.classes import get_class

        abilities = (get_class(c.name).spellcasting_ability for c in self.class_list())
        return next((a for a in abilities if a), None)

    @property
    def spell_save_dc(self) -> int | None:
        """8 + proficiency bonus + spellcasting ability modifier; None for non-casters."""
        ability = self.spellcasting_ability
        return None if ability is None else 8 + self.proficiency_bonus + self.modifier(ability)

    @property
    def spell_attack_bonus(self) -> int | None:
        ability = self.spellcasting_ability
        return None if ability is None else self.proficiency_bonus + self.modifier(ability)

    # --- hit points ----------------------------------------------------------------------

    @property
    def hit_points(self) -> HitPoints:
        """The character's hit points as the one hit-point value every creature shares (`game.hit_points`)."""
        return HitPoints(current=self.hp, maximum=self.max_hp, temporary=self.temp_hp,
                         death_saves=self.death_saves, dead=self.dead, dies_at_zero=False)  # fmt: skip

    def with_hit_points(self, hp: HitPoints) -> Character:
        """A copy holding `hp` (this character is unchanged)."""
        update = self._hit_point_fields(hp)
        if hp.dead:
            update["concentration"] = None
        return self.model_copy(deep=True, update=update)

    def _store_hit_points(self, hp: HitPoints) -> None:
        for name, value in self._hit_point_fields(hp).items():
            object.__setattr__(self, name, value)  # the HitPoints value already holds 0 ≤ hp ≤ max
        if hp.dead:
            self.concentration = None

    @staticmethod
    def _hit_point_fields(hp: HitPoints) -> dict[str, Any]:
        return {"hp": hp.current, "max_hp": hp.maximum, "temp_hp": hp.temporary,
                "death_saves": hp.death_saves, "dead": hp.dead}  # fmt: skip

    def heal(self, amount: int) -> Healed:
        """Regain hit points, never above `hit_point_maximum` (half of `max_hp` at exhaustion 4+).

        Healing from 0 HP ends dying: death saves reset and the unconsciousness ends (SRD p. 98).

        Raises:
            IllegalEffect: negative amount, or the character is dead.
        """
        if self.dead:
            raise IllegalEffect(f"{self.name} is dead; healing cannot help.")
        hp, change = self.hit_points.heal(amount, ceiling=self.hit_point_maximum)
        self._store_hit_points(hp)
        if change.revived:
            self.remove_condition("unconscious")
        return Healed(requested=amount, healed=change.regained, hp=self.hp, revived=change.revived)

    def take_damage(self, amount: int, *, critical: bool = False) -> HitPointChange:
        """Lose hit points by the one hit-point model (temporary first; at 0, death saves; massive damage).
        Defenses are applied before (`game.damage.adjust_damage`); conditions are `validation`'s job.

        Raises:
            IllegalEffect: negative amount, or the character is dead.
        """
        hp, change = self.hit_points.take_damage(amount, critical=critical)
        self._store_hit_points(hp)
        return change

    def grant_temp_hp(self, amount: int) -> int:
        """Temporary hit points don't stack: keep the higher of old and new. Returns the new total."""
        self._store_hit_points(self.hit_points.grant_temporary(amount))
        return self.temp_hp

    def set_death_saves(self, successes: int, failures: int, stable: bool = False) -> DeathSaves:
        self.death_saves = DeathSaves(successes=successes, failures=failures, stable=stable)
        return self.death_saves

    def die(self) -> None:
        self._store_hit_points(self.hit_points.killed())

    # --- conditions (names are checked by game.conditions) --------------------------------

    def has_condition(self, name: str) -> bool:
        return name.strip().lower() in self.conditions

    def add_condition(self, name: str) -> bool:
        """Add a condition by name; False if it was already there."""
        key = name.strip().lower()
        if not key:
            raise IllegalEffect("A condition needs a name.")
        if key in self.conditions:
            return False
        self.conditions = [*self.conditions, key]
        return True

    def remove_condition(self, name: str) -> bool:
        """Remove a condition; False if it was not there."""
        key = name.strip().lower()
        if key not in self.conditions:
            return False
        self.conditions = [c for c in self.conditions if c != key]
        return True

    def set_exhaustion(self, level: int) -> int:
        """Set the exhaustion level (0–6); at 4+ hit points drop to the halved maximum; level 6 is death."""
        if not 0 <= level <= MAX_EXHAUSTION:
            raise IllegalEffect(f"Exhaustion goes from 0 to {MAX_EXHAUSTION}, not {level}.")
        self.exhaustion = level
        if self.hp > self.hit_point_maximum:
            self.hp = self.hit_point_maximum
        if level == MAX_EXHAUSTION:
            self.die()
        return level

    # --- concentration ---------------------------------------------------------------------

    def start_concentration(self, spell: str) -> str | None:
        """Concentrate on a spell; returns the spell that ended because of it (one at a time)."""
        previous = self.concentration
        self.concentration = spell
        return previous

    def end_concentration(self) -> str | None:
        previous = self.concentration
        self.concentration = None
        return previous

    # --- the creature interface (game.effects.Creature has the same; validation uses only these) ---

    is_player: ClassVar[bool] = True

    def with_conditions(self, conditions: Iterable[str]) -> Character:
        return self.model_copy(deep=True, update={"conditions": list(dict.fromkeys(conditions))})

    def with_exhaustion(self, level: int) -> Character:
        """A copy at exhaustion `level` (hit points capped at the halved maximum from 4; level 6 is death)."""
        who = self.model_copy(deep=True)
        who.set_exhaustion(level)
        return who

    def without_concentration(self) -> Character:
        return self.model_copy(deep=True, update={"concentration": None})

    def after_incapacitated(self) -> Character:
        """Unconscious or otherwise incapacitated: concentration and a rage end."""
        from game.resources import end_rage_if_incapacitated

        who = self.without_concentration()
        end_rage_if_incapacitated(who)
        return who

    def damage_defenses(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(resistances, vulnerabilities, immunities): a dwarf's poison, a tiefling's fire, a raging barbarian's
        bludgeoning, piercing and slashing."""
        from game.races import resolve_race
        from game.resources import rage_resistances

        try:
            race, sub = resolve_race(self.race, self.subrace)
            racial = (*race.resistances, *(sub.resistances if sub else ()))
        except RulesError:
            racial = ()
        return (*racial, *rage_resistances(self)), (), ()

    def immune_to_condition(self, condition: str) -> bool:
        return False  # no SRD race or class below 20th level is immune to a condition outright

    @property
    def concentration_save_bonus(self) -> int | None:
        """None: a player rolls their own concentration save (the engine reports the DC)."""
        return None

    @property
    def initiative_dexterity(self) -> int:
        return self.ability_scores.dexterity

    @property
    def initiative_bonus(self) -> int:
        """What rides on top of d20 + Dexterity modifier (Jack of All Trades)."""
        return self.initiative_modifier - self.modifier("dexterity")

    # --- items and money -----------------------------------------------------------------

    def add_item(self, item: Item) -> Item:
        return self.inventory.add(item)

    def remove_item(self, name: str, quantity: int = 1) -> Item:
        return self.inventory.remove(name, quantity, owner=self.name)

    def has_item(self, name: str, quantity: int = 1) -> bool:
        return self.inventory.quantity(name) >= quantity

    def use_item(self, name: str) -> ItemUsed:
        """Use one of a consumable: it is removed, and its effect applies (a healing potion heals).

        Raises:
            ItemNotFound: not carried.
            IllegalEffect: the item is not consumable, or the character is dead.
        """
        from game.dice import roll

        item = self.inventory.get(name, owner=self.name)
        if not item.consumable:
            raise IllegalEffect(f"{item.name} is not something {self.name} can use up.")
        if self.dead:
            raise IllegalEffect(f"{self.name} is dead.")
        healed = None
        roll_dict = None
        if "heal" in item.effect:
            result = roll(item.effect["heal"])
            roll_dict = result.to_dict()
            healed = self.heal(result.total)
        self.inventory.remove(item.name, 1, owner=self.name)
        return ItemUsed(item=item.name, remaining=self.inventory.quantity(item.name), healed=healed, roll=roll_dict)

    def pay(self, price_cp: int) -> Currency:
        """Pay a price in copper pieces, making change. Raises RulesError if the purse is short."""
        self.currency = self.currency.pay(price_cp)
        return self.currency

    def receive(self, coins: Currency) -> Currency:
        self.currency = self.currency.add(coins)
        return self.currency

    # --- experience ------------------------------------------------------------------------

    def award_xp(self, amount: int) -> int:
        """Add experience points; returns the new total. Levelling up is `game.creation.level_up`."""
        if amount < 0:
            raise IllegalEffect(f"Experience cannot be taken away ({amount}).")
        self.xp += amount
        return self.xp
