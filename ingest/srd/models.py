"""The SRD records, as frozen pydantic models whose JSON field names are the export format.

Every record dumps with ``model_dump(mode="json")`` into the dict that
``persistence.srd_repository`` stores and ``lorekeeper rules export`` prints.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Spell",
    "NamedText",
    "Monster",
    "MagicItem",
    "Equipment",
    "Condition",
    "RulesSection",
    "SrdRecords",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Spell(_Record):
    name: str
    level: int  # 0 for cantrips
    school: str  # lower case: "evocation"
    casting_time: str
    range: str
    components: list[str]  # ["V", "S", "M"]
    material: str | None
    duration: str
    concentration: bool
    ritual: bool
    description: str  # paragraphs separated by "\n"
    higher_levels: str | None
    classes: list[str]  # lower case, from the Spell Lists chapter: ["bard", "wizard"]
    page: int


class NamedText(_Record):
    """A trait, action, reaction or legendary action: ``Multiattack.`` and its text."""

    name: str
    description: str


class Monster(_Record):
    name: str
    size: str
    type: str
    subtype: str | None
    alignment: str
    armor_class: int
    armor_class_source: str | None  # "natural armor", "chain mail, shield"; None when bare
    armor_class_text: str  # the whole value as printed: "11 in humanoid form, 12 (natural armor) in ..."
    hit_points: int
    hit_dice: str  # "18d10 + 36"
    speed: dict[str, int]  # {"walk": 10, "swim": 40}
    speed_text: str
    str: int
    dex: int
    con: int
    int: int
    wis: int
    cha: int
    saving_throws: dict[str, int]  # {"con": 6}: the printed names in lower case
    # {"perception": 10, "sleight of hand": 4}; Shadow's "(+6 in dim light or darkness)" is not kept
    skills: dict[str, int]
    damage_vulnerabilities: str | None
    damage_resistances: str | None
    damage_immunities: str | None
    condition_immunities: str | None
    senses: str
    passive_perception: int
    languages: str
    challenge_rating: str  # as printed: "1/4", "10"
    xp: int
    traits: list[NamedText]
    actions: list[NamedText]
    reactions: list[NamedText]
    legendary_actions: list[NamedText]
    legendary_description: str | None
    description: str | None  # the lore text printed after the stat block (Cambria), if any
    section: str  # "Monsters", "Appendix MM-A: Miscellaneous Creatures", "Appendix MM-B: Nonplayer Characters"
    group: str | None  # the family heading a stat block sits under: "Angels", "Dragons, Chromatic"
    page: int


class MagicItem(_Record):
    name: str
    type: str  # "Armor", "Weapon", "Wondrous item", "Potion", ...
    subtype: str | None  # the parenthesised detail: "medium or heavy, but not hide"
    rarity: str  # "uncommon", "rarity varies", or the variants joined as printed
    rarities: dict[str, str] | None  # per-variant rarity: {"+1": "uncommon", "+2": "rare", ...}
    attunement: bool
    attunement_requirement: str | None  # "by a cleric or paladin"
    type_line: str  # the whole italic line as printed
    description: str
    page: int


class Equipment(_Record):
    name: str
    # "armor", "weapon", "adventuring gear", "tool", "mount", "tack, harness, and drawn vehicle",
    # "waterborne vehicle" (after the SRD's table titles) or "equipment pack"
    category: str
    subcategory: str | None  # "Simple Melee Weapons", "Light Armor", "Ammunition", "Artisan's tools"
    cost: str | None  # as printed: "15 gp"
    cost_cp: int | None  # the cost in copper pieces
    weight: str | None  # as printed: "3 lb."
    weight_lb: float | None
    damage: str | None  # weapons: "1d8"
    damage_type: str | None
    properties: list[str]  # weapons: ["Versatile (1d10)"]
    armor_class: str | None  # armor: "11 + Dex modifier"
    strength: int | None  # armor: the Str requirement
    stealth_disadvantage: bool | None
    speed: str | None  # mounts and vehicles
    carrying_capacity: str | None
    description: str | None
    page: int


class Condition(_Record):
    name: str
    description: str  # one bullet a line
    page: int


class RulesSection(_Record):
    name: str
    path: list[str]  # bookmark path: ["Using Ability Scores", "Saving Throws"]
    level: int
    text: str
    page: int


class SrdRecords(_Record):
    spells: list[Spell]
    monsters: list[Monster]
    magic_items: list[MagicItem]
    equipment: list[Equipment]
    conditions: list[Condition]
    rules_sections: list[RulesSection]
