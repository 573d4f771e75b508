"""Fixtures for the rules-engine tests.

| fixture | scope | gives |
|---|---|---|
| `_seed_random` | test, autouse | the module-level `random` (which d20 rolls with) seeded to a fixed value, restored after |
| `wizard` | test | a level-1 High Elf Wizard, Mira (INT 16, CON 14), with Magic Missile prepared |
| `fighter` | test | a level-1 Hill Dwarf Fighter, Brom (STR 15, CON 15 after race), in chain mail with a shield |
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from game.character import Character
from game.creation import create_character, point_buy, standard_array

SEED = 20_261_129


@pytest.fixture(autouse=True)
def _seed_random() -> Iterator[None]:
    state = random.getstate()
    random.seed(SEED)
    yield
    random.setstate(state)


@pytest.fixture
def wizard() -> Character:
    scores = point_buy({"str": 8, "dex": 14, "con": 14, "int": 15, "wis": 12, "cha": 8})
    character = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf")
    character.cantrips_known = ["Fire Bolt", "Light", "Mage Hand"]
    character.spells_known = ["Magic Missile", "Shield", "Detect Magic", "Sleep"]
    character.spells_prepared = ["Magic Missile", "Shield"]
    return character


@pytest.fixture
def fighter() -> Character:
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    return create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"])
