"""`lorekeeper play [--script FILE] [--seed N] [--no-rules]`: the console game.

For now the console rolls dice and looks up the SRD 5.1. On first use it imports the SRD
shipped in data/srd/ into the (embedded) database, about ten seconds, once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from gateway.console import BANNER, ConsoleGame
from gateway.settings import REPO_ROOT, get_settings
from persistence.errors import PersistenceError

__all__ = ["register", "DEFAULT_SRD_PDF"]

log = logging.getLogger(__name__)

DEFAULT_SRD_PDF = REPO_ROOT / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play in the console (a script file or stdin)")
    parser.add_argument("--script", type=Path, help="a file of `player: message` lines to play through")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice for a reproducible game")
    parser.add_argument("--no-rules", action="store_true", help="skip the rules database (dice only)")
    parser.set_defaults(func=_play)


async def _stdin_lines() -> AsyncIterator[str]:
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = await asyncio.to_thread(input, "> ") if interactive else await asyncio.to_thread(sys.stdin.readline)
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line


async def _run(args: argparse.Namespace, lines: list[str] | None) -> None:
    if lines is None:
        print(BANNER, flush=True)
    if args.no_rules:
        await ConsoleGame(seed=args.seed).run(lines if lines is not None else _stdin_lines(), print)
        return
    from gateway.commands.rules import import_srd
    from gateway.database import open_database
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    try:
        async with open_database(get_settings()) as db:
            repo = SrdRepository(db)
            if not any((await repo.counts()).values()):
                print("Importing the SRD 5.1 rules into the database (first run only, about 10 s)...", flush=True)
                await import_srd(db, DEFAULT_SRD_PDF)
            game = ConsoleGame(rules=RulesBook(repo), seed=args.seed)
            await game.run(lines if lines is not None else _stdin_lines(), print)
            return
    except PersistenceError as exc:
        log.warning("rules database unavailable: %s", exc.user_message)
        print(f"(The rules library is unavailable: {exc.user_message} Dice still work.)", flush=True)
    await ConsoleGame(seed=args.seed).run(lines if lines is not None else _stdin_lines(), print)


def _play(args: argparse.Namespace) -> int:
    lines = None
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: I can't read the script {args.script}: {exc}", file=sys.stderr)
            return 1
    asyncio.run(_run(args, lines))
    return 0
