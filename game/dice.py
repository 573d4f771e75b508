"""Dice rolling on the `d20` library: standard notation, advantage words, DCs, crits, limits.

Accepts everything d20 parses (`2d6+3`, `4d6kh3`, `2d20kh1`, `1d20ro<2`, `8d6mi2`, `1d100`, ...)
plus the words `advantage`/`adv` and `disadvantage`/`dis` before or after the expression
(`1d20+5 advantage` rolls `2d20kh1+5`; both words cancel, as in 5e). A `dc` gives success
(total ≥ DC) or failure. `crit`/`fumble` flag a natural 20/1 on the kept d20 of the leftmost
term. `critical=True` doubles every die in the expression, never the modifiers.

d20 rolls with the module-level `random`, so `seeded(n)` makes rolls reproducible.
This is the only module in `game/` that catches `d20.RollError` (it becomes `DiceError`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from game.errors import DiceError

if TYPE_CHECKING:
    import d20
    from d20 import diceast

__all__ = [
    "MAX_DICE",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NUMBER",
    "MAX_ROLLS",
    "MAX_SIDES",
    "Advantage",
    "DiceRoll",
    "DieResult",
    "combine_advantage",
    "d20_faces",
    "dice_bounds",
    "parse_expression",
    "roll",
    "roll_d20",
    "seeded",
]

MAX_EXPRESSION_LENGTH: Final = 200
MAX_DICE: Final = 100  # dice in one expression, before rerolls
MAX_SIDES: Final = 1000
MAX_ROLLS: Final = 1000  # every die rolled, counting rerolls and explosions
MAX_NUMBER: Final = 1_000_000  # any number written in an expression

_ADVANTAGE_WORDS: Final = {"advantage": 1, "adv": 1, "disadvantage": -1, "dis": -1}


class Advantage(IntEnum):
    """Roll a d20 twice and keep the higher (ADVANTAGE) or lower (DISADVANTAGE)."""

    NONE = 0
    ADVANTAGE = 1
    DISADVANTAGE = -1


def combine_advantage(*sources: Advantage) -> Advantage:
    """Any advantage plus any disadvantage → a normal roll, however many sources of each (SRD p. 76: they cancel)."""
    has_adv = Advantage.ADVANTAGE in sources
    has_dis = Advantage.DISADVANTAGE in sources
    if has_adv and not has_dis:
        return Advantage.ADVANTAGE
    if has_dis and not has_adv:
        return Advantage.DISADVANTAGE
    return Advantage.NONE


@dataclass(frozen=True, slots=True)
class DieResult:
    """One die as rolled. `kept` is False for dice dropped by keep/drop or replaced by a reroll."""

    sides: int
    value: int
    kept: bool

    def to_dict(self) -> dict[str, Any]:
        return {"sides": self.sides, "value": self.value, "kept": self.kept}


@dataclass(frozen=True, slots=True)
class DiceRoll:
    """The result of one roll: a frozen value with a readable `breakdown`.

    Attributes:
        expression: what was asked for, as written.
        rolled: the d20 expression actually rolled (`2d20kh1 + 5` for `1d20+5 advantage`).
        total: the result.
        rolls: every die, in order, with whether it counts.
        crit / fumble: natural 20 / natural 1 on the kept d20 of the leftmost term.
        dc / success: the DC asked for and whether total ≥ DC (None without a DC).
        advantage: how the d20 was rolled.
        critical: whether the dice were doubled for a critical hit.
        breakdown: e.g. `2d20kh1 (14, ~~3~~) + 5 = 19`.
    """

    expression: str
    rolled: str
    total: int
    rolls: tuple[DieResult, ...]
    crit: bool
    fumble: bool
    dc: int | None
    success: bool | None
    advantage: Advantage
    critical: bool
    breakdown: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `lorekeeper roll --json`."""
        return {
            "expression": self.expression,
            "total": self.total,
            "rolls": [r.to_dict() for r in self.rolls],
            "crit": self.crit,
            "fumble": self.fumble,
            "success": self.success,
            "breakdown": self.breakdown,
        }

    @property
    def natural(self) -> int | None:
        """The kept d20 of the leftmost term (for attack rolls), else None."""
        for die in self.rolls:
            if die.sides == 20 and die.kept:
                return die.value
        return None

    def __str__(self) -> str:
        return self.breakdown


class _Lazy:
    """A module imported on its first use: d20 and its Lark grammar (~4 MB) stay out of a process that never
    rolls (an idle session actor)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self.__dict__.update(vars(module))  # later reads are plain attribute reads
        return getattr(module, attr)


if not TYPE_CHECKING:
    d20 = _Lazy("d20")
    diceast = _Lazy("d20.diceast")


@functools.cache
def _breakdown() -> Any:
    """The stringifier class (built on the first roll: its base class is d20's)."""

    class _Breakdown(d20.SimpleStringifier):  # type: ignore[misc]
        """SimpleStringifier, with dropped dice struck through as in Discord markdown (`~~3~~`)."""

        def __init__(self) -> None:
            super().__init__()
            self._in_dropped = False

        def stringify(self, the_roll: Any) -> str:
            self._in_dropped = False
            return super().stringify(the_roll)  # type: ignore[no-any-return]

        def _stringify(self, node: Any) -> str:
            if not node.kept and not self._in_dropped:
                self._in_dropped = True
                inside = super()._stringify(node)
                self._in_dropped = False
                return f"~~{inside}~~"
            return super()._stringify(node)  # type: ignore[no-any-return]

    return _Breakdown


@functools.cache
def _roller() -> d20.Roller:
    return d20.Roller(d20.RollContext(max_rolls=MAX_ROLLS))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Make every roll inside the block reproducible; the previous random state comes back after."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def _split_words(expression: str) -> tuple[str, Advantage]:
    """Strip advantage words from both ends (any number); returns the bare expression and the advantage.

    Several sources of one kind count once, and one of each cancels (SRD p. 76).
    """
    words = expression.split()
    votes: list[Advantage] = []
    while words and words[0].lower() in _ADVANTAGE_WORDS:
        votes.append(Advantage(_ADVANTAGE_WORDS[words.pop(0).lower()]))
    while words and words[-1].lower() in _ADVANTAGE_WORDS:
        votes.append(Advantage(_ADVANTAGE_WORDS[words.pop().lower()]))
    return " ".join(words), combine_advantage(*votes)


def _dice_nodes(node: Any) -> Iterator[diceast.Dice]:
    if isinstance(node, diceast.Dice):
        yield node
        return
    for child in node.children:
        yield from _dice_nodes(child)


def _friendly(expression: str, err: d20.RollError) -> DiceError:
    if isinstance(err, d20.RollSyntaxError):
        got = str(err.got).strip() or "the end"
        detail = f"I didn't expect `{got}` at character {err.col}. Write dice like `1d20+5`, `2d6+3` or `4d6kh3`."
    elif isinstance(err, d20.TooManyRolls):
        detail = f"that rolls too many dice (at most {MAX_ROLLS}, counting rerolls)."
    else:
        detail = str(err).rstrip(".") + "."
    error = DiceError(expression, detail)
    error.__cause__ = err
    return error


def parse_expression(expression: str, *, critical: bool = False) -> tuple[diceast.Expression, Advantage]:
    """Check and parse an expression without rolling it.

    Returns:
        the d20 AST (dice doubled when `critical`) and the advantage named by words in the text.
        The AST is shared (cached): treat it as read-only.

    Raises:
        DiceError: empty, too long, bad syntax, too many dice, too many sides.
    """
    if not isinstance(expression, str):
        raise DiceError(str(expression), "there is nothing to roll.")
    return _parse_cached(expression, critical)


@functools.lru_cache(maxsize=1024)
def _parse_cached(expression: str, critical: bool) -> tuple[diceast.Expression, Advantage]:
    if not expression.strip():
        raise DiceError(str(expression), "there is nothing to roll.")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise DiceError(expression[:40] + "…", f"that is longer than {MAX_EXPRESSION_LENGTH} characters.")
    text, advantage = _split_words(expression)
    if not text:
        raise DiceError(expression, "there is nothing to roll.")
    try:
        tree = _roller().parse(text)
    except d20.RollError as err:
        raise _friendly(expression, err) from err
    nodes = list(_dice_nodes(tree))
    if critical:
        tree = copy.deepcopy(tree)
        nodes = list(_dice_nodes(tree))
        for node in nodes:
            node.num *= 2
    count = sum(node.num for node in nodes)
    if any(node.num < 1 for node in nodes):
        raise DiceError(expression, "a roll needs at least one die (write `1d6`, not `0d6`).")
    if any(abs(number) > MAX_NUMBER for number in _literals(tree)):
        raise DiceError(expression, f"that number is too big (at most {MAX_NUMBER:,}).")
    if count > MAX_DICE:
        raise DiceError(expression, f"that is {count} dice; I roll at most {MAX_DICE} at once.")
    for node in nodes:
        if node.size != "%" and node.size > MAX_SIDES:
            raise DiceError(expression, f"a d{node.size} has too many sides (at most {MAX_SIDES}).")
    return tree, advantage


def _literals(node: Any) -> Iterator[float]:
    if isinstance(node, diceast.Literal):
        yield node.value
    for child in getattr(node, "children", ()):
        yield from _literals(child)


def _is_single_d20(tree: diceast.Expression) -> bool:
    left: Any = tree
    while left.children:
        left = left.children[0]
    return isinstance(left, diceast.Dice) and left.num == 1 and left.size == 20


def _collect(node: Any, kept: bool, out: list[DieResult]) -> None:
    kept = kept and node.kept
    if isinstance(node, d20.Dice):
        sides = 100 if node.size == "%" else int(node.size)
        for die in node.values:
            die_kept = kept and die.kept
            for literal in die.values:
                out.append(DieResult(sides, int(literal.number), die_kept and literal.kept))
        return
    for child in node.children:
        _collect(child, kept, out)


def roll(
    expression: str,
    *,
    dc: int | None = None,
    advantage: Advantage = Advantage.NONE,
    critical: bool = False,
) -> DiceRoll:
    """Roll a dice expression.

    Args:
        expression: standard notation, optionally with `adv`/`advantage`/`dis`/`disadvantage`.
        dc: a difficulty class; `success` is total ≥ dc.
        advantage: advantage from the rules (combines with words in the text; both cancel).
        critical: a critical hit's damage — every die is rolled twice, modifiers once.

    Raises:
        DiceError: the expression cannot be rolled, or advantage was asked for on something
            that does not start with a single d20.
    """
    tree, word_advantage = parse_expression(expression, critical=critical)
    effective = combine_advantage(Advantage(advantage), word_advantage)
    if (advantage or word_advantage) and not _is_single_d20(tree):
        raise DiceError(expression, "advantage and disadvantage apply only to a roll that starts with 1d20.")
    try:
        result = _roller().roll(tree, stringifier=_breakdown()(), advantage=d20.AdvType(int(effective)))
        total = result.total  # d20 evaluates lazily: a division by zero surfaces here
    except d20.RollError as err:
        raise _friendly(expression, err) from err
    dice: list[DieResult] = []
    _collect(result.expr, True, dice)
    return DiceRoll(
        expression=expression,
        rolled=str(result.ast),
        total=total,
        rolls=tuple(dice),
        crit=result.crit == d20.CritType.CRIT,
        fumble=result.crit == d20.CritType.FAIL,
        dc=dc,
        success=None if dc is None else total >= dc,
        advantage=effective,
        critical=critical,
        breakdown=result.result,
    )


def dice_bounds(expression: str) -> tuple[int, int]:
    """The lowest and highest total of a plain `NdS ± NdS ± k` expression (no keep/drop, rerolls).

    Used to refuse absurd numbers (a "2d4+2" potion cannot heal 48,769).

    Raises:
        DiceError: the expression is not plain sums of dice and numbers.
    """
    tree, _ = parse_expression(expression)
    return _bounds(tree.roll, expression)


def _bounds(node: Any, expression: str) -> tuple[int, int]:
    if isinstance(node, diceast.Literal):
        return int(node.value), int(node.value)
    if isinstance(node, diceast.Dice) and node.size != "%":
        return node.num, node.num * int(node.size)
    if isinstance(node, diceast.Parenthetical):
        return _bounds(node.value, expression)
    if isinstance(node, diceast.UnOp) and node.op in "+-":
        low, high = _bounds(node.value, expression)
        return (low, high) if node.op == "+" else (-high, -low)
    if isinstance(node, diceast.BinOp) and node.op in ("+", "-"):
        l_low, l_high = _bounds(node.left, expression)
        r_low, r_high = _bounds(node.right, expression)
        if node.op == "+":
            return l_low + r_low, l_high + r_high
        return l_low - r_high, l_high - r_low
    raise DiceError(expression, "I can only work out the range of plain sums like `2d4+2`.")


def d20_faces(
    advantage: Advantage = Advantage.NONE, *, lucky: bool = False, rng: random.Random | None = None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The d20s of one attack roll, ability check or saving throw: (as first rolled, as they stand).

    Two dice with advantage or disadvantage. `lucky` is the halfling's Lucky trait (SRD p. 4): a 1 on
    the d20 is rerolled once and the new roll must be used; with two dice only one 1 is rerolled. The
    dice come from `rng`, else the module `random` that `roll` uses too (so `seeded` covers both).
    This is the one place the engine rolls such a d20 for a creature.
    """
    source = rng or random
    first = tuple(source.randint(1, 20) for _ in range(1 if advantage is Advantage.NONE else 2))
    final = list(first)
    if lucky and 1 in final:
        final[final.index(1)] = source.randint(1, 20)
    return first, tuple(final)


def roll_d20(
    modifier: int = 0,
    *,
    dc: int | None = None,
    advantage: Advantage = Advantage.NONE,
    lucky: bool = False,
    rng: random.Random | None = None,
) -> DiceRoll:
    """Roll d20 + `modifier` for a check, save or attack (with `d20_faces`), as a `DiceRoll`.

    The rerolled 1 of a Lucky halfling is listed as not kept; `crit`/`fumble` read the d20 that counts.
    """
    first, final = d20_faces(advantage, lucky=lucky, rng=rng)
    natural = final[0] if advantage is Advantage.NONE else (max(final) if advantage > 0 else min(final))
    dice: list[DieResult] = []
    kept_index = final.index(natural)
    for i, (was, now) in enumerate(zip(first, final, strict=True)):
        if was != now:
            dice.append(DieResult(20, was, False))
        dice.append(DieResult(20, now, i == kept_index))
    head = "1d20" if advantage is Advantage.NONE else ("2d20kh1" if advantage > 0 else "2d20kl1")
    head += "ro1" if lucky else ""
    shown = ", ".join(str(d.value) if d.kept else f"~~{d.value}~~" for d in dice)
    total = natural + modifier
    sign = "+" if modifier >= 0 else "-"
    return DiceRoll(
        expression=f"1d20{modifier:+d}",
        rolled=f"{head} {sign} {abs(modifier)}",
        total=total,
        rolls=tuple(dice),
        crit=natural == 20,
        fumble=natural == 1,
        dc=dc,
        success=None if dc is None else total >= dc,
        advantage=advantage,
        critical=False,
        breakdown=f"{head} ({shown}) {sign} {abs(modifier)} = {total}",
    )
