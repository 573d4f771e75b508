"""The console game: players type (or a script feeds) `player: message` lines.

The AI DM, session actors and campaigns are still being built (see the issues), so for now
the console offers what works today: dice with the rules engine's roller. A line without `player:` is said by the default player.
Text from players is only ever data: it is parsed as a command or echoed, never executed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from game.dice import roll
from game.errors import GameError
from gateway.commands.roll import _render as render_roll

__all__ = ["ConsoleGame", "ConsoleLine", "parse_line", "BANNER"]

log = logging.getLogger(__name__)

BANNER = (
    "Lorekeeper console. The AI Dungeon Master is not wired in yet: for now this console\n"
    "rolls dice with the rules engine. Type !help for commands, !quit to leave."
)

MAX_LINE_LENGTH = 2000  # Discord's own message limit


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
    """Answers one line at a time; `handle` returns the lines the DM says back."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._seed = seed
        self.finished = False
        self._commands: dict[str, Callable[[str, str], list[str]]] = {
            "roll": self._roll,
            "r": self._roll,
            "help": self._help,
            "quit": self._quit,
            "exit": self._quit,
        }

    def handle(self, player: str, text: str) -> list[str]:
        if len(text) > MAX_LINE_LENGTH:
            return [f"{player}, that message is too long ({len(text)} characters; the limit is {MAX_LINE_LENGTH})."]
        if not text.startswith("!"):
            return [f"{player}, the storyteller is not here yet — try !roll 1d20 or !help."]
        name, _, rest = text[1:].partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            return [f"{player}, I don't know the command !{name}. Type !help for the list."]
        return command(player, rest.strip())

    def _roll(self, player: str, expression: str) -> list[str]:
        if not expression:
            return ["Usage: !roll EXPR — e.g. !roll 1d20+5 advantage, !roll 2d6+3, !roll 4d6kh3"]
        context = contextlib.nullcontext()
        if self._seed is not None:
            from game.dice import seeded

            context = seeded(self._seed)
            self._seed += 1
        try:
            with context:
                result = roll(expression)
        except GameError as exc:
            return [f"{player}: {exc.user_message}"]
        return [f"{player} rolls {expression}: " + render_roll(result).replace("\n", " — ")]

    def _help(self, player: str, _: str) -> list[str]:
        return [
            "Commands: !roll EXPR (dice: 1d20+5, 2d6+3, 4d6kh3, '1d20 advantage'), !help, !quit.",
            "Several players: prefix a line with a name, e.g. `mira: !roll 1d20`.",
        ]

    def _quit(self, player: str, _: str) -> list[str]:
        self.finished = True
        return ["The session ends. Farewell, adventurers."]

    def run(self, lines: Iterable[str], emit: Callable[[str], None], *, default_player: str = "player") -> None:
        for raw in lines:
            parsed = parse_line(raw, default_player)
            if parsed is None:
                continue
            for reply in self.handle(parsed.player, parsed.text):
                emit(f"DM: {reply}")
            if self.finished:
                return
