"""Errors raised by the rules engine.

Every error carries `.user_message`, a sentence safe to show a player or hand to the
DM to narrate; details live in attributes. A `RulesError` raised while validating an
AI-proposed effect is not a failure: `dm/` turns it into a line of story.

```
GameError
 ├── RulesError                 a rule forbids what was asked
 │    ├── NotYourTurn
 │    ├── NoSpellSlot
 │    ├── IllegalEffect
 │    ├── UnknownCharacter
 │    ├── UnknownSpell
 │    ├── ItemNotFound
 │    ├── InvalidCreation       bad ability-score method / point-buy / race / class
 │    ├── ConcentrationError
 │    ├── RestError
 │    ├── NoCombatants
 │    └── UnknownCondition
 └── DiceError                  a dice expression could not be rolled (wraps d20.RollError)
```
"""

from __future__ import annotations

__all__ = [
    "ConcentrationError",
    "DiceError",
    "GameError",
    "IllegalEffect",
    "InvalidCreation",
    "ItemNotFound",
    "NoCombatants",
    "NoSpellSlot",
    "NotYourTurn",
    "RestError",
    "RulesError",
    "UnknownCharacter",
    "UnknownCondition",
    "UnknownSpell",
]


class GameError(Exception):
    """Root of every error raised by `game/`.

    Attributes:
        user_message: a sentence safe to show a player.
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class RulesError(GameError):
    """A 5e rule forbids the requested action or change."""


class NotYourTurn(RulesError):
    """Someone acted in combat out of initiative order."""

    def __init__(self, actor: str, current: str | None = None) -> None:
        self.actor = actor
        self.current = current
        if current:
            message = f"It is not {actor}'s turn — it is {current}'s turn."
        else:
            message = f"It is not {actor}'s turn."
        super().__init__(message)


class NoSpellSlot(RulesError):
    """A spell was cast without a slot of a suitable level left."""

    def __init__(self, caster: str, spell: str, level: int, reason: str | None = None) -> None:
        self.caster = caster
        self.spell = spell
        self.level = level
        self.reason = reason or f"{caster} has no spell slots of level {level} or higher left"
        super().__init__(f"{caster} cannot cast {spell}: {self.reason}.")


class IllegalEffect(RulesError):
    """A proposed change to the game state breaks the rules or makes no sense."""

    def __init__(self, reason: str, effect: object | None = None) -> None:
        self.reason = reason
        self.effect = effect
        super().__init__(reason)


class UnknownCharacter(RulesError):
    """A name that matches no character or combatant in the game."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"There is no character called {name!r} here.")


class UnknownSpell(RulesError):
    """A spell the caster does not know, has not prepared, or that does not exist."""

    def __init__(self, spell: str, caster: str | None = None, reason: str | None = None) -> None:
        self.spell = spell
        self.caster = caster
        if reason:
            message = reason
        elif caster:
            message = f"{caster} does not know the spell {spell!r}."
        else:
            message = f"There is no spell called {spell!r}."
        super().__init__(message)


class ItemNotFound(RulesError):
    """An item that is not in the character's inventory (or not enough of it)."""

    def __init__(self, item: str, owner: str | None = None, reason: str | None = None) -> None:
        self.item = item
        self.owner = owner
        if reason:
            message = reason
        elif owner:
            message = f"{owner} does not have {item!r}."
        else:
            message = f"There is no item called {item!r}."
        super().__init__(message)


class InvalidCreation(RulesError):
    """Character creation or level-up input that the rules do not allow."""


class ConcentrationError(RulesError):
    """A concentration rule was broken (e.g. no concentration to drop)."""


class RestError(RulesError):
    """A rest that cannot be taken as asked (e.g. no hit dice left to spend)."""


class DiceError(GameError):
    """A dice expression that cannot be rolled; wraps `d20.RollError` where there is one.

    Attributes:
        expression: the text that was asked for.
        detail: what was wrong, in words.
    """

    def __init__(self, expression: str, detail: str) -> None:
        self.expression = expression
        self.detail = detail
        super().__init__(f"I can't roll `{expression}`: {detail}")


class NoCombatants(RulesError):
    """A combat verb needs combatants (or a fight) and there are none."""

    def __init__(self, reason: str = "There is no one in the initiative order.") -> None:
        super().__init__(reason)


class UnknownCondition(RulesError):
    """A condition name that is not one of the SRD conditions."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"{name!r} is not a condition in the rules.")
