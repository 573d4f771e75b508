"""`lorekeeper play [--script FILE] [--seed N]`: the console game (dice and rules for now)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from gateway.console import BANNER, ConsoleGame

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play in the console (a script file or stdin)")
    parser.add_argument("--script", type=Path, help="a file of `player: message` lines to play through")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice for a reproducible game")
    parser.set_defaults(func=_play)


def _interactive() -> Iterator[str]:
    while True:
        try:
            yield input("> ")
        except EOFError:
            return


def _play(args: argparse.Namespace) -> int:
    game = ConsoleGame(seed=args.seed)
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: I can't read the script {args.script}: {exc}", file=sys.stderr)
            return 1
        game.run(lines, print)
        return 0
    print(BANNER)
    game.run(_interactive() if sys.stdin.isatty() else sys.stdin, print)
    return 0
