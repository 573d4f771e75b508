"""The console game: players type (or a script feeds) `player: message` lines.

The AI DM, session actors and campaigns are still being built (see the issues), so for now
the console offers what works: dice with the rules engine's roller and SRD 5.1 lookups from
the rules database. A line without `player:` is said by the default player. Text from players
is only ever data: it is parsed as a command or answered, never executed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from game.dice import roll, seeded
from game.errors import GameError
from gateway.commands.roll import _render as render_roll
from gateway.commands.rules import in_field_order, render
from persistence.errors import PersistenceError
from persistence.interfaces import RulesSource

if TYPE_CHECKING:
    from persistence.rules_book import SearchHit

__all__ = ["ConsoleGame", "ConsoleLine", "parse_line", "BANNER"]

log = logging.getLogger(__name__)

BANNER = (
    "Lorekeeper console. The AI Dungeon Master is not wired in yet: for now this console rolls\n"
    "dice with the rules engine and looks up the SRD 5.1. Type !help for commands, !quit to leave."
)

MAX_LINE_LENGTH = 2000  # Discord's own message limit
MAX_RULES_REPLY = 1900


@dataclass(frozen=True)
class ConsoleLine:
    player: str
    text: str


def parse_line(line: str, default_player: str = "player") -> ConsoleLine | None:
    """`name: text` → (name, text); blank lines and `#` comments → None."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    player, sep, text = line.partition(":")
    if sep and player.strip() and " " not in player.strip() and not player.strip().startswith("!"):
        return ConsoleLine(player.strip(), text.strip())
    return ConsoleLine(default_player, line)


class ConsoleGame:
    """Answers one line at a time; `handle` returns the lines the DM says back.

    Args:
        rules: the SRD lookup; without it `!rules` explains that the rules are unavailable.
        seed: seeds the dice (each roll advances it) for a reproducible game.
    """

    def __init__(self, *, rules: RulesSource | None = None, seed: int | None = None) -> None:
        self._rules = rules
        self._seed = seed
        self.finished = False
        self._commands: dict[str, Callable[[str, str], Awaitable[list[str]]]] = {
            "roll": self._roll,
            "r": self._roll,
            "rules": self._lookup,
            "help": self._help,
            "quit": self._quit,
            "exit": self._quit,
        }

    async def handle(self, player: str, text: str) -> list[str]:
        if len(text) > MAX_LINE_LENGTH:
            return [f"{player}, that message is too long ({len(text)} characters; the limit is {MAX_LINE_LENGTH})."]
        if not text.startswith("!"):
            return [f"{player}, the storyteller is not here yet — try !roll 1d20, !rules spell fireball or !help."]
        name, _, rest = text[1:].partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            return [f"{player}, I don't know the command !{name}. Type !help for the list."]
        return await command(player, rest.strip())

    async def _roll(self, player: str, expression: str) -> list[str]:
        if not expression:
            return ["Usage: !roll EXPR — e.g. !roll 1d20+5 advantage, !roll 2d6+3, !roll 4d6kh3"]
        context: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if self._seed is not None:
            context = seeded(self._seed)
            self._seed += 1
        try:
            with context:
                result = roll(expression)
        except GameError as exc:
            return [f"{player}: {exc.user_message}"]
        return [f"{player} rolls {expression}: " + render_roll(result).replace("\n", " — ")]

    async def _lookup(self, player: str, query: str) -> list[str]:
        kind, _, name = query.partition(" ")
        if not kind or not name.strip():
            return ["Usage: !rules KIND NAME (spell, monster, item, equipment, condition, rule) "
                    "or !rules search TEXT — e.g. !rules spell fireball, !rules search grapple"]
        if self._rules is None:
            return ["The rules library is closed right now (the database is unavailable); dice still work."]
        try:
            if kind.lower() == "search":
                hits = await self._rules.search(name.strip(), limit=5)
                if not hits:
                    return [f"Nothing in the SRD matches {name.strip()!r}."]
                return ["SRD matches: " + "; ".join(_hit_label(hit) for hit in hits)]
            match = await self._rules.lookup(kind, name.strip())
        except PersistenceError as exc:
            return [f"{player}: {exc.user_message}"]
        text = render(match.kind, in_field_order(match.kind, match.record))
        if len(text) > MAX_RULES_REPLY:
            text = text[:MAX_RULES_REPLY].rsplit("\n", 1)[0] + "\n…"
        prefix = "" if match.exact else f"(closest match for {name.strip()!r})\n"
        return [prefix + text]

    async def _help(self, player: str, _: str) -> list[str]:
        return [
            "Commands: !roll EXPR (dice: 1d20+5, 2d6+3, 4d6kh3, '1d20 advantage'), "
            "!rules KIND NAME (e.g. !rules condition prone), !rules search TEXT, !help, !quit.",
            "Several players: prefix a line with a name, e.g. `mira: !roll 1d20`.",
        ]

    async def _quit(self, player: str, _: str) -> list[str]:
        self.finished = True
        return ["The session ends. Farewell, adventurers."]

    async def run(
        self, lines: Iterable[str] | AsyncIterable[str], emit: Callable[[str], None], *, default_player: str = "player"
    ) -> None:
        async for raw in _aiter(lines):
            parsed = parse_line(raw, default_player)
            if parsed is None:
                continue
            for reply in await self.handle(parsed.player, parsed.text):
                emit(f"DM: {reply}")
            if self.finished:
                return


def _hit_label(hit: SearchHit) -> str:
    return f"{hit.name} ({hit.kind.replace('_', ' ')})"


async def _aiter(lines: Iterable[str] | AsyncIterable[str]):  # type: ignore[no-untyped-def]
    if hasattr(lines, "__aiter__"):
        async for line in lines:  # type: ignore[union-attr]
            yield line
    else:
        for line in lines:  # type: ignore[union-attr]
            yield line
