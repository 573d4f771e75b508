"""Dice a person types by mistake are refused with a sentence: no dice at all, absurd numbers."""

from __future__ import annotations

import pytest

from game.dice import MAX_NUMBER, roll
from game.errors import DiceError


@pytest.mark.parametrize("expression", ["0d6", "0d6+3", "2d6+0d4"])
def test_zero_dice_is_refused(expression: str) -> None:
    with pytest.raises(DiceError, match="at least one die"):
        roll(expression)


@pytest.mark.parametrize("expression", ["1d20+99999999999999999999", "99999999999", "1d6*10000000"])
def test_absurd_numbers_are_refused(expression: str) -> None:
    with pytest.raises(DiceError, match=f"at most {MAX_NUMBER:,}"):
        roll(expression)


@pytest.mark.parametrize(("expression", "low", "high"), [("-1d6", -6, -1), ("1d20+5", 6, 25), ("1000000", 10**6, 10**6),
                                                         ("2d6-1", 1, 11)])
def test_ordinary_rolls_still_roll(expression: str, low: int, high: int) -> None:
    assert low <= roll(expression).total <= high
