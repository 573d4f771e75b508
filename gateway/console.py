"""The console game: a thin loop over the same table the Discord bot uses.

A line is `player: message` (several players share one keyboard or one script file), `wait SECONDS`
or a `# comment`. Each message goes to `dm.table.Table.handle` exactly as a Discord message would
(a stable synthetic player id per name, a fresh message id per line), and each reply is rendered by
`gateway.render.text`. `--transcript` writes one JSON object per message seen or said.
Text from players is only ever data: it is parsed as a command or handed to the DM, never executed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dm.table import PlayerMessage, Table, TableReply
from gateway.errors import friendly_message
from gateway.render.sources import sources_line
from gateway.render.text import render_text

__all__ = ["BANNER", "ConsoleGame", "ConsoleLine", "Transcript", "parse_line", "player_id_for"]

BANNER = (
    "Lorekeeper console. Several players can share it: prefix a line with a name, e.g. `mira: !roll perception`.\n"
    "Type !help for the commands, !create_character to make a hero, !quit to leave."
)
DEFAULT_PLAYER = "player"
MAX_WAIT_S = 60.0
_NAME = re.compile(r"^[\w][\w .'\-]{0,31}$")
_WAIT = re.compile(r"^wait\s+(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ConsoleLine:
    player: str
    text: str
    wait_s: float | None = None
    problem: str | None = None  # a line the console cannot take, said back to the typist


def parse_line(line: str, default_player: str = DEFAULT_PLAYER, *, known: Iterable[str] = ()) -> ConsoleLine | None:
    """One console or script line. Blank lines and `#` comments → None; `wait N` → a pause.

    `name: text` names the speaker; a name may hold spaces ("Sir Bob: !roll 1d20"). A line whose
    prefix cannot be a name ("!roll 1d20: x", a sentence with a colon later on) is the default
    player's; an empty name (": !roll 1d6") is refused rather than guessed.
    """
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    wait = _WAIT.match(line)
    if wait:
        return ConsoleLine(default_player, "", wait_s=min(float(wait.group(1)), MAX_WAIT_S))
    prefix, sep, text = line.partition(":")
    name = prefix.strip()
    if sep and not name:
        return ConsoleLine(default_player, text.strip(), problem="A line needs a player's name before the colon.")
    if sep and not name.startswith("!") and _NAME.match(name) and (" " not in name or _looks_named(name, known)):
        return ConsoleLine(name, text.strip())
    return ConsoleLine(default_player, line)


def _looks_named(name: str, known: Iterable[str]) -> bool:
    """A multi-word prefix is a name when it is capitalised like one (Sir Bob) or already known."""
    return name.lower() in {k.lower() for k in known} or all(w[:1].isupper() for w in name.split())


def player_id_for(name: str) -> int:
    """A stable synthetic user id per console player name (their characters persist across runs)."""
    digest = hashlib.sha256(name.strip().lower().encode()).digest()
    return int.from_bytes(digest[:6], "big") + 1  # < 2**48: far below Discord's snowflakes' range of use


class Transcript:
    """JSON Lines: {author, kind, text} per message seen or said; DM turns add applied/refused effects and the
    sources their rulings and passages cite."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    @classmethod
    def open(cls, path: Path) -> Transcript:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path.open("a", encoding="utf-8"))

    def write(self, author: str, kind: str, text: str, **extra: Any) -> None:
        record = {"author": author, "kind": kind, "text": text, **extra}
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


def reply_text(reply: TableReply) -> str:
    if reply.result is not None:
        return render_text(reply.result)
    cited = sources_line(reply.sources)
    return f"{reply.text}\n{cited}" if cited else reply.text


@dataclass
class ConsoleGame:
    """Feeds lines to the table and prints its answers.

    Args:
        table: the shared table; `channel_id`: the console's channel for the campaign.
        owner: the player name allowed to run owner-only commands (None: the first player who speaks).
    """

    table: Table
    channel_id: int
    owner: str | None = None
    transcript: Transcript | None = None
    finished: bool = False
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(1))
    _base: int = field(default_factory=lambda: time.time_ns() // 1000)
    _players: dict[str, str] = field(default_factory=dict)
    last_replies: list[TableReply] = field(default_factory=list)  # the typed replies to the last line

    def __post_init__(self) -> None:
        if self.owner is not None:
            self._claim_owner(self.owner)

    def _claim_owner(self, name: str) -> None:
        self.owner = name
        self.table.owner_id = player_id_for(name)

    def _message_id(self) -> int:
        # unique across runs and never a Discord snowflake: negative, from the start time in µs
        return -(self._base + next(self._ids))  # type: ignore[call-overload]

    async def say(self, player: str, text: str) -> list[str]:
        """One line from `player`; returns the lines the DM says back (already rendered)."""
        if self.owner is None:
            self._claim_owner(player)
        self._players.setdefault(player.lower(), player)
        command = text.startswith("!")
        if self.transcript:
            self.transcript.write(player, "command" if command else "player", text)
        if text.strip().lower() in ("!quit", "!exit"):
            self.finished = True
            return self._said([TableReply("narrative", text="The session ends. Farewell, adventurers.")])
        message = PlayerMessage(self.channel_id, self._message_id(), player_id_for(player), player, text)
        try:
            replies = await self.table.handle(message)
        except Exception as exc:  # noqa: BLE001 - the database dropped, a bug: one friendly line, the game goes on
            replies = [TableReply("error", text=friendly_message(exc, context="the console"))]
        return self._said(replies)

    def _said(self, replies: list[TableReply]) -> list[str]:
        self.last_replies = list(replies)
        out = []
        for reply in replies:
            text = reply_text(reply)
            out.append(text)
            if self.transcript:
                extra: dict[str, Any] = {}
                if reply.applied or reply.refused or reply.kind == "narrative":
                    extra = {"applied": list(reply.applied), "refused": list(reply.refused),
                             "sources": list(reply.sources)}  # fmt: skip
                applied = getattr(reply.result, "applied", None)
                if applied is not None:
                    extra = {"applied": list(applied), "refused": list(getattr(reply.result, "refused", ()))}
                self.transcript.write("DM", reply.kind, text, **extra)
        return out

    async def run(
        self,
        lines: Iterable[str] | AsyncIterable[str],
        emit: Callable[[str], None],
        *,
        default_player: str = DEFAULT_PLAYER,
    ) -> None:
        async for raw in _aiter(lines):
            parsed = parse_line(raw, default_player, known=self._players.values())
            if parsed is None:
                continue
            if parsed.wait_s is not None:
                await asyncio.sleep(parsed.wait_s)
                continue
            if parsed.problem is not None:
                emit(f"DM: {parsed.problem} ({raw.strip()!r} was not played.)")
                continue
            for text in await self.say(parsed.player, parsed.text):
                emit("DM: " + "\n".join(("    " + line) if line else "" for line in text.splitlines()).lstrip())
            if self.finished:
                return


async def _aiter(lines: Iterable[str] | AsyncIterable[str]):  # type: ignore[no-untyped-def]
    if hasattr(lines, "__aiter__"):
        async for line in lines:  # type: ignore[union-attr]
            yield line
    else:
        for line in lines:  # type: ignore[union-attr]
            yield line
