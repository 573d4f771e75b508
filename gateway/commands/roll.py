"""`lorekeeper roll EXPR [--seed N] [--dc N] [--json]`: roll dice with the rules engine's roller."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from game.dice import DiceRoll

__all__ = ["register", "normalize_argv"]

_NEGATIVE_DICE = re.compile(r"-\d*d?\d")


def normalize_argv(argv: list[str]) -> list[str]:
    """`lorekeeper roll -1d6`: a word starting with "-" and a number or die is dice, not a flag.

    argparse takes anything starting with "-" for an option unless it is a plain number; a leading
    space hides the dash from it and the dice parser ignores the space.
    """
    return [f" {arg}" if _NEGATIVE_DICE.match(arg) else arg for arg in argv]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "roll",
        help="roll dice: 1d20+5, 2d6+3, 4d6kh3, '1d20+5 advantage'",
        description="Roll a dice expression in standard notation. The words advantage/adv and "
        "disadvantage/dis before or after a 1d20 roll roll it twice and keep the higher/lower.",
    )
    parser.add_argument("expression", nargs="+", metavar="EXPR", help="the dice, e.g. 1d20+5 advantage")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice for a reproducible roll")
    parser.add_argument("--dc", type=int, default=None, help="difficulty class: report success or failure")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_roll)


def _render(result: DiceRoll) -> str:
    total = f"Total: {result.total}"
    if result.success is not None:
        total += f" vs DC {result.dc}: {'success' if result.success else 'failure'}"
    if result.crit:
        total += " (natural 20!)"
    elif result.fumble:
        total += " (natural 1)"
    breakdown = re.sub(r"~~(.+?)~~", r"dropped \1", result.breakdown)   # plain text: no Markdown strike-through
    return f"{breakdown}\n{total}"


def _roll(args: argparse.Namespace) -> int:
    from game.dice import roll, seeded

    expression = " ".join(args.expression)
    context = seeded(args.seed) if args.seed is not None else contextlib.nullcontext()
    with context:
        result = roll(expression, dc=args.dc)
    print(json.dumps(result.to_dict()) if args.json else _render(result))
    return 0
