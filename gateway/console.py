"""The console game: a thin loop over the same table the Discord bot uses.

A line is `player: message` (several players share one keyboard or one script file), `wait SECONDS`
or a `# comment`. Each message goes to a `dm.session.Session` run in-process, exactly as a Discord message
would (a stable synthetic player id per name, a fresh, increasing message id per line): commands are
answered at once; plain talk is batched like at a Discord table, one DM turn answering everyone (the batch
closes after BATCH_WINDOW_S of quiet, when every active player has spoken, or at the cap). In a script the
session runs on a virtual clock: lines arrive at the same instant, `wait SECONDS` moves the clock on (and
the timers fire), and the end of the script answers what is still open. Typed at a terminal, the clock is
real and the session ticks in the background. Each reply is rendered by `gateway.render.text`;
`--transcript` writes one JSON object per message seen or said.
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

from dm.session import Clock, ManualClock, Session, SessionConfig
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
MAX_WAIT_S = 24 * 3600.0  # a script's virtual clock may skip a play-by-post day
MAX_REAL_WAIT_S = 60.0  # typed at a terminal, `wait` really sleeps
TICK_S = 0.25  # how often the session's timers run on the real clock
_VIRTUAL_STEP_S = 1.0  # `wait` moves a virtual clock in steps of this, ticking after each
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
    """Feeds lines to a session on the table and prints its answers.

    Args:
        table: the shared table; `channel_id`: the console's channel for the campaign.
        owner: the player name allowed to run owner-only commands (None: the first player who speaks).
        config: the session's timers (BATCH_WINDOW_S, TURN_TIMEOUT_S); clock: None → a virtual clock
            (`ManualClock`: scripts and tests; `wait` moves it), or a real one (interactive play).
    """

    table: Table
    channel_id: int
    owner: str | None = None
    transcript: Transcript | None = None
    config: SessionConfig | None = None
    clock: Clock | None = None
    finished: bool = False
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(1))
    _base: int = field(default_factory=lambda: time.time_ns() // 1000)
    _players: dict[str, str] = field(default_factory=dict)
    last_replies: list[TableReply] = field(default_factory=list)  # the typed replies to the last line
    session: Session = field(init=False)
    _out: list[str] = field(default_factory=list)  # rendered lines said since the caller last collected them
    _emit: Callable[[str], None] | None = None
    _ticking_on: bool = False

    def __post_init__(self) -> None:
        if self.owner is not None:
            self._claim_owner(self.owner)
        if self.clock is None:
            self.clock = ManualClock()
        self.session = Session(self.table, self.channel_id, config=self.config or SessionConfig(),
                               clock=self.clock, send=self._sent)  # fmt: skip

    @property
    def virtual(self) -> bool:
        """True when the session runs on a virtual clock (a script): `wait` moves it, nothing ticks alone."""
        return isinstance(self.clock, ManualClock)

    async def _sent(self, replies: list[TableReply]) -> None:
        """The session's `send`: a batch's answer (or a turn clock's line), said when it comes."""
        lines = self._said(replies)
        if self._emit is not None:
            for text in lines:
                self._emit(_dm_line(text))
        else:
            self._out.extend(lines)

    def _claim_owner(self, name: str) -> None:
        self.owner = name
        self.table.owner_id = player_id_for(name)

    def _message_id(self) -> int:
        # unique across runs and never a Discord snowflake: negative, from the start time in µs; increasing
        # line by line (and run by run), so the session's order by message id is the order typed
        return self._base + next(self._ids) - 2**62  # type: ignore[call-overload]

    async def say(self, player: str, text: str) -> list[str]:
        """One line from `player`; returns the lines the DM says back meanwhile (already rendered): a command's
        answer, and a batch's answer when this line closed it (every active player has spoken)."""
        if self.owner is None:
            self._claim_owner(player)
        self._players.setdefault(player.lower(), player)
        command = text.startswith("!")
        if self.transcript:
            self.transcript.write(player, "command" if command else "player", text)
        if text.strip().lower() in ("!quit", "!exit"):
            self.finished = True
            said = await self.flush()
            return said + self._said([TableReply("narrative", text="The session ends. Farewell, adventurers.")])
        message = PlayerMessage(self.channel_id, self._message_id(), player_id_for(player), player, text)
        try:
            replies = await self.session.receive(message)
            said = self._said(replies) if replies else []
            if self.virtual:  # a script: a batch this line closed is answered before the next line
                await self.session.idle()
        except Exception as exc:  # noqa: BLE001 - the database dropped, a bug: one friendly line, the game goes on
            said = self._said([TableReply("error", text=friendly_message(exc, context="the console"))])
        return said + self._collect()

    def _collect(self) -> list[str]:
        out, self._out = self._out, []
        return out

    async def wait(self, seconds: float) -> list[str]:
        """`wait SECONDS`: a virtual clock moves on (the timers fire as they would have); a real one sleeps."""
        if self.virtual:
            clock = self.clock
            assert isinstance(clock, ManualClock)
            left = seconds
            while left > 0:
                step = min(left, _VIRTUAL_STEP_S)
                clock.advance(step)
                left -= step
                await self._tick()
        else:
            await asyncio.sleep(min(seconds, MAX_REAL_WAIT_S))
            await self._tick()
        return self._collect()

    async def tick(self) -> list[str]:
        """Run the session's timers once; returns what was said."""
        await self._tick()
        return self._collect()

    async def _tick(self) -> None:
        try:
            await self.session.tick()
            if self.virtual:
                await self.session.idle()
        except Exception as exc:  # noqa: BLE001 - as in `say`: one friendly line, the game goes on
            self._out.extend(self._said([TableReply("error", text=friendly_message(exc, context="the console"))]))

    async def flush(self) -> list[str]:
        """Answer what is still open (the end of a script, leaving); returns what was said."""
        try:
            await self.session.flush()
        except Exception as exc:  # noqa: BLE001
            self._out.extend(self._said([TableReply("error", text=friendly_message(exc, context="the console"))]))
        return self._collect()

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
        """Play `lines`; at the end (or `!quit`) what is still open is answered. On a real clock the session
        ticks in the background and a batch's answer is printed when it comes."""
        ticker = None if self.virtual else asyncio.create_task(self._ticking(emit))
        try:
            await self._play(lines, emit, default_player)
            if not self.finished:
                self._emit_all(emit, await self.flush())
        finally:
            if ticker is not None:  # stopped between ticks, not mid-query (a cancelled query spoils its connection)
                self._ticking_on = False
                try:
                    await asyncio.wait_for(ticker, TICK_S * 8)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    ticker.cancel()
            self._emit = None

    async def _play(self, lines: Iterable[str] | AsyncIterable[str], emit: Callable[[str], None],
                    default_player: str) -> None:  # fmt: skip
        async for raw in _aiter(lines):
            parsed = parse_line(raw, default_player, known=self._players.values())
            if parsed is None:
                continue
            if parsed.wait_s is not None:
                self._emit_all(emit, await self.wait(parsed.wait_s))
                continue
            if parsed.problem is not None:
                emit(f"DM: {parsed.problem} ({raw.strip()!r} was not played.)")
                continue
            self._emit_all(emit, await self.say(parsed.player, parsed.text))
            if self.finished:
                return

    async def _ticking(self, emit: Callable[[str], None]) -> None:
        self._emit = emit  # on a real clock a batch's answer is printed as soon as it is sent
        self._ticking_on = True
        while self._ticking_on:
            await asyncio.sleep(TICK_S)
            if self._ticking_on:
                await self._tick()

    @staticmethod
    def _emit_all(emit: Callable[[str], None], texts: list[str]) -> None:
        for text in texts:
            emit(_dm_line(text))


def _dm_line(text: str) -> str:
    return "DM: " + "\n".join(("    " + line) if line else "" for line in text.splitlines()).lstrip()


async def _aiter(lines: Iterable[str] | AsyncIterable[str]):  # type: ignore[no-untyped-def]
    if hasattr(lines, "__aiter__"):
        async for line in lines:  # type: ignore[union-attr]
            yield line
    else:
        for line in lines:  # type: ignore[union-attr]
            yield line
