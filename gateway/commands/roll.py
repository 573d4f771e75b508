"""`lorekeeper roll EXPR [--seed N] [--dc N] [--json]`: roll dice with the rules engine's roller."""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from game.dice import DiceRoll

__all__ = ["register"]


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
    return f"{result.breakdown}\n{total}"


def _roll(args: argparse.Namespace) -> int:
    from game.dice import roll, seeded

    expression = " ".join(args.expression)
    context = seeded(args.seed) if args.seed is not None else contextlib.nullcontext()
    with context:
        result = roll(expression, dc=args.dc)
    print(json.dumps(result.to_dict()) if args.json else _render(result))
    return 0
