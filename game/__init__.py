"""The 5e rules engine: pure Python (stdlib, d20, pydantic), no I/O.

The AI narrates; `game` decides what is legal and what the numbers are. A short list of the
names most callers need is re-exported here; everything else lives in its module
(`game.dice`, `game.character`, `game.creation`, `game.spells`, `game.rests`, ...).

Multiclassing (SRD 5.1 p. 56) is `game.multiclass`: `Character.classes` lists each class and its level
(`level` is the total, `class_name` the first class). The SRD subclass of each class is `game.subclasses`
(features as data, their numbers in `game.subclass_rules`, spell lists in `game.subclass_spells`).
Feats other than ability score improvements are not modelled; the DM narrates them.
"""

from game.abilities import AbilityScores, ability_modifier, proficiency_bonus
from game.character import Character
from game.combat import Combat, TurnAdvanced
from game.creation import create_character, level_up
from game.dice import Advantage, DiceRoll, roll, seeded
from game.errors import DiceError, GameError, RulesError
from game.effects import EffectOutcome, GameState
from game.errors import NotYourTurn
from game.inventory import Currency, Item
from game.rests import long_rest, short_rest
from game.spells import Spell, cast_spell
from game.validation import apply_effects, validate_effects

__all__ = [
    "AbilityScores",
    "Advantage",
    "Character",
    "Combat",
    "Currency",
    "DiceError",
    "DiceRoll",
    "EffectOutcome",
    "GameError",
    "GameState",
    "Item",
    "NotYourTurn",
    "RulesError",
    "Spell",
    "TurnAdvanced",
    "ability_modifier",
    "apply_effects",
    "cast_spell",
    "create_character",
    "level_up",
    "long_rest",
    "proficiency_bonus",
    "roll",
    "seeded",
    "short_rest",
    "validate_effects",
]
