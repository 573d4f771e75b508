"""Subclass spell lists of the SRD 5.1: always-prepared domain, circle and oath spells, and the Fiend's
expanded warlock list.

Domain (Life), circle (Land) and oath (Devotion) spells are keyed by the *class level* that grants
them; the Fiend's expanded list by *spell level* (the spells are added to the warlock list, not
granted).
"""

from __future__ import annotations

from typing import Final

from game.errors import RulesError

__all__ = [
    "CIRCLE_SPELLS",
    "DEVOTION_SPELLS",
    "FIEND_EXPANDED_SPELLS",
    "LAND_TERRAINS",
    "LIFE_DOMAIN_SPELLS",
    "always_prepared",
    "circle_spells",
    "fiend_expanded_spells",
]

LIFE_DOMAIN_SPELLS: Final[dict[int, tuple[str, ...]]] = {
    1: ("bless", "cure wounds"),
    3: ("lesser restoration", "spiritual weapon"),
    5: ("beacon of hope", "revivify"),
    7: ("death ward", "guardian of faith"),
    9: ("mass cure wounds", "raise dead"),
}

CIRCLE_SPELLS: Final[dict[str, dict[int, tuple[str, ...]]]] = {
    "arctic": {
        3: ("hold person", "spike growth"), 5: ("sleet storm", "slow"),
        7: ("freedom of movement", "ice storm"), 9: ("commune with nature", "cone of cold"),
    },
    "coast": {
        3: ("mirror image", "misty step"), 5: ("water breathing", "water walk"),
        7: ("control water", "freedom of movement"), 9: ("conjure elemental", "scrying"),
    },
    "desert": {
        3: ("blur", "silence"), 5: ("create food and water", "protection from energy"),
        7: ("blight", "hallucinatory terrain"), 9: ("insect plague", "wall of stone"),
    },
    "forest": {
        3: ("barkskin", "spider climb"), 5: ("call lightning", "plant growth"),
        7: ("divination", "freedom of movement"), 9: ("commune with nature", "tree stride"),
    },
    "grassland": {
        3: ("invisibility", "pass without trace"), 5: ("daylight", "haste"),
        7: ("divination", "freedom of movement"), 9: ("dream", "insect plague"),
    },
    "mountain": {
        3: ("spider climb", "spike growth"), 5: ("lightning bolt", "meld into stone"),
        7: ("stone shape", "stoneskin"), 9: ("passwall", "wall of stone"),
    },
    "swamp": {
        3: ("acid arrow", "darkness"), 5: ("water walk", "stinking cloud"),
        7: ("freedom of movement", "locate creature"), 9: ("insect plague", "scrying"),
    },
}
LAND_TERRAINS: Final[tuple[str, ...]] = tuple(CIRCLE_SPELLS)

DEVOTION_SPELLS: Final[dict[int, tuple[str, ...]]] = {
    3: ("protection from evil and good", "sanctuary"),
    5: ("lesser restoration", "zone of truth"),
    9: ("beacon of hope", "dispel magic"),
    13: ("freedom of movement", "guardian of faith"),
    17: ("commune", "flame strike"),
}

FIEND_EXPANDED_SPELLS: Final[dict[int, tuple[str, ...]]] = {
    1: ("burning hands", "command"),
    2: ("blindness/deafness", "scorching ray"),
    3: ("fireball", "stinking cloud"),
    4: ("fire shield", "wall of fire"),
    5: ("flame strike", "hallow"),
}


def _upto(table: dict[int, tuple[str, ...]], level: int) -> tuple[str, ...]:
    return tuple(spell for at, spells in sorted(table.items()) if at <= level for spell in spells)


def circle_spells(terrain: str, druid_level: int) -> tuple[str, ...]:
    """The Circle of the Land's always-prepared spells for that land at a druid level (none before 3rd).

    Raises:
        RulesError: not one of the SRD's seven lands.
    """
    table = CIRCLE_SPELLS.get(terrain.strip().lower())
    if table is None:
        raise RulesError(f"{terrain!r} is not a circle land. The lands are: {', '.join(LAND_TERRAINS)}.")
    return _upto(table, druid_level)


def fiend_expanded_spells(max_spell_level: int) -> tuple[str, ...]:
    """The Fiend's additions to the warlock spell list, up to a spell level the warlock can cast."""
    return _upto(FIEND_EXPANDED_SPELLS, max_spell_level)


def always_prepared(subclass: str, class_level: int, terrain: str | None = None) -> tuple[str, ...]:
    """The spells a subclass always has prepared at a class level (Life Domain, Land, Devotion); () for others."""
    key = subclass.strip().lower()
    if key == "life domain":
        return _upto(LIFE_DOMAIN_SPELLS, class_level)
    if key == "oath of devotion":
        return _upto(DEVOTION_SPELLS, class_level)
    if key == "circle of the land" and terrain:
        return circle_spells(terrain, class_level)
    return ()
