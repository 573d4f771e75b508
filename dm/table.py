"""The table: one message in, typed results out, every change saved exactly once.

`Table.handle(message)` is the single entry point the console, the session actors and the Discord
bot share. A command is recorded before it runs (a redelivered message id replays the stored
result: `!roll` does not reroll, `!use_item` does not drink the potion twice), checked (owner-only,
needs a character, whose turn it is), run against the channel's campaign state, and its state
changes are saved in the same transaction that marks the message processed. Plain talk goes to the
narrator (the DM turn) when one is wired in, or answers a guided character creation in progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from dm.commands import load_all
from dm.campaign_gen import BackendStoryteller
from dm.commands.context import CampaignInfo, Caller, CommandContext, Storyteller, TableServices
from dm.commands.registry import REGISTRY, CommandSpec, Invocation, Registry, bind_arguments, split_command
from dm.commands.results import CommandResult, Info, Refusal, load_result
from dm.errors import CommandError, OwnerOnly, UnknownCommand
from game.dice import seeded
from game.effects import GameState
from game.errors import GameError, NotYourTurn
from persistence.errors import DuplicateMessage, StaleState, UnknownCampaign
from persistence.interfaces import PlayStore

__all__ = ["PlayerMessage", "Table", "TableReply", "TurnView", "Narrator", "PlayStore"]

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 2000  # Discord's own limit for a message
TRUSTED_FOR_S = 20.0  # a DM turn reads a cached state checked this recently without another version read


@dataclass(frozen=True)
class PlayerMessage:
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    text: str


@dataclass(frozen=True)
class TableReply:
    """One thing the table says back. `result` is set for commands; `text` for narration."""

    kind: str  # transcript kind: command_result, narrative, denial, error, whisper
    result: CommandResult | None = None
    text: str = ""
    replayed: bool = False
    applied: tuple[dict[str, Any], ...] = ()
    refused: tuple[dict[str, Any], ...] = ()
    sources: tuple[dict[str, Any], ...] = ()  # a DM turn's cited rulings and passages (dm.citations)
    voices: tuple[tuple[str | None, str], ...] = ()  # the narrative as (NPC, words) / (None, narration) (dm.speech)


class Narrator(Protocol):
    """The DM turn: answers plain talk (the DM-turn issue builds it)."""

    async def narrate(self, table: Table, messages: list[PlayerMessage]) -> list[TableReply]: ...


@dataclass
class _Loaded:
    campaign: CampaignInfo
    version: int
    state: GameState
    checked: float = field(default_factory=time.monotonic)  # when the version was last known to be the newest


@dataclass(frozen=True)
class TurnView:
    """What a DM turn reads: the channel's campaign, its state and the version it was read at."""

    campaign: CampaignInfo
    version: int
    state: GameState
    players: dict[int, str]


@dataclass
class Table:
    """Runs commands for every channel it is given. One lock per channel keeps a channel's changes in order.

    Args:
        store: play-state storage; `messages`: the exactly-once message log.
        owner_id: the user id allowed to run owner-only commands (OWNER_ID).
        seed: seeds every roll (each message advances it) for reproducible games and tests.
    """

    store: PlayStore
    messages: Any  # persistence.interfaces.MessageStore
    rules: Any = None
    rules_off: str | None = None  # why `rules` is None, for the player ("switched off with --no-rules")
    services: TableServices | None = None
    owner_id: int | None = None
    narrator: Narrator | None = None
    seed: int | None = None
    storyteller: Storyteller | None = None  # None: the narrator's backend, when it has one (a DMTurn)
    world: Any = None  # persistence.interfaces.CampaignBuilderStore, for !new_campaign and !introduce_npc
    registry: Registry = field(default_factory=lambda: REGISTRY)
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _cache: dict[int, _Loaded] = field(default_factory=dict)
    _scratch: dict[int, dict[str, Any]] = field(default_factory=dict)
    _names: dict[int, str] = field(default_factory=dict)
    _bound: dict[int, tuple[int, int] | None] = field(default_factory=dict)  # channel → (campaign, version) just read
    _counter: int = 0

    def __post_init__(self) -> None:
        load_all()

    # --- entry point -----------------------------------------------------------------------------

    async def handle(self, message: PlayerMessage) -> list[TableReply]:
        """Answer one message (see the module docstring). Never raises for anything a player typed."""
        self._names[message.author_id] = message.author_name
        text = message.text.strip()
        if not text:  # an attachment alone, a bare "name:" console line: nothing to answer or to keep pending
            return []
        if len(text) > MAX_MESSAGE_LENGTH:
            return [TableReply("error", Refusal(reason=f"That message is too long ({len(text)} characters; "
                                                      f"the limit is {MAX_MESSAGE_LENGTH})."))]
        lock = self._locks.setdefault(message.channel_id, asyncio.Lock())
        async with lock:
            split = split_command(text)
            if split is None and self._drafting(message):
                split = ("choose", text)
            if split is None:
                return await self._talk(message)
            return [await self._command(message, *split)]

    async def load_state(self, channel_id: int) -> GameState | None:
        """The channel's campaign state, from the cache or the database (None: no campaign bound)."""
        loaded = await self._load(channel_id)
        return None if loaded is None else loaded.state

    def state_of(self, channel_id: int) -> GameState | None:
        loaded = self._cache.get(channel_id)
        return None if loaded is None else loaded.state

    def campaign_name(self, channel_id: int) -> str | None:
        """The name of the campaign the channel's cached state belongs to (monitoring's label); None: not loaded."""
        loaded = self._cache.get(channel_id)
        return None if loaded is None else loaded.campaign.name

    def forget(self, channel_id: int) -> None:
        """Drop the cached state of a channel (after another process changed it)."""
        self._cache.pop(channel_id, None)

    # --- commands ----------------------------------------------------------------------------------

    async def _command(self, message: PlayerMessage, name: str, raw: str) -> TableReply:
        recorded = await self.messages.record(
            channel_id=message.channel_id, message_id=message.message_id, author_id=message.author_id,
            content=message.text[:MAX_MESSAGE_LENGTH], author_name=message.author_name, is_command=True,
        )  # fmt: skip
        self._bound[message.channel_id] = getattr(recorded, "bound", None)
        if not recorded.new and recorded.message.processed:
            stored = load_result(recorded.result) if recorded.result else Info(lines=("(already answered)",))
            log.info("command replayed", extra={"message_id": message.message_id, "command": name})
            return TableReply(stored.reply_kind, stored, replayed=True)
        for attempt in range(3):
            try:
                if attempt == 2:  # stale twice: answer with a refusal, so the message is neither pending nor lost
                    refusal = Refusal(command=name, reason=StaleState(0, 0).user_message, error="StaleState")
                    await self.messages_processed(message, None, refusal)
                    return TableReply(refusal.reply_kind, refusal)
                return await self._run(message, name, raw)
            except StaleState:
                self._cache.pop(message.channel_id, None)
            except DuplicateMessage:  # answered by another worker meanwhile: replay that answer
                again = await self.messages.record(
                    channel_id=message.channel_id, message_id=message.message_id, author_id=message.author_id,
                    content=message.text, author_name=message.author_name, is_command=True,
                )  # fmt: skip
                stored = load_result(again.result) if again.result else Info(lines=("(already answered)",))
                return TableReply(stored.reply_kind, stored, replayed=True)
        raise AssertionError("unreachable")

    async def _run(self, message: PlayerMessage, name: str, raw: str) -> TableReply:
        loaded = await self._load(message.channel_id)
        before = loaded.state if loaded else GameState()
        ctx = self._context(message, loaded, before)
        kept = copy.deepcopy(ctx.scratch)  # a refused or unsaved command leaves the scratch memory as it was
        try:
            result = await self._answer(ctx, name, raw, before, kept)
            await self._save(message, loaded, before, ctx, result)
        except BaseException:
            _restore(ctx.scratch, kept)  # a stale or failed save: the retry starts from the same memory
            raise
        return TableReply(result.reply_kind, result)

    async def _answer(
        self, ctx: CommandContext, name: str, raw: str, before: GameState, kept: dict[str, Any]
    ) -> CommandResult:
        try:
            invocation = self._invocation(name, raw)
            ctx.command = invocation.spec.name
            self._check(invocation.spec, ctx)
            with self._dice(ctx):
                result = await invocation.spec.handler(ctx, **invocation.args)
        except (CommandError, GameError) as exc:
            result = Refusal(command=name, reason=exc.user_message, error=type(exc).__name__,
                             denial=isinstance(exc, NotYourTurn))  # fmt: skip
            ctx.state = before
            _restore(ctx.scratch, kept)
        except Exception as exc:  # noqa: BLE001 - a player must never see a traceback; the log keeps it
            user_message = getattr(exc, "user_message", None)
            if user_message is None:
                error_id = uuid.uuid4().hex[:8]
                log.exception("command failed", extra={"command": name, "error_id": error_id})
                user_message = f"Something went wrong running !{name}; nothing was changed (error id {error_id})."
            result = Refusal(command=name, reason=user_message, error=type(exc).__name__)
            ctx.state = before
            _restore(ctx.scratch, kept)
        return result

    def _invocation(self, name: str, raw: str) -> Invocation:
        spec = self.registry.get(name)
        if spec is None:
            raise UnknownCommand(name, self.registry.suggest(name))
        return Invocation(spec, bind_arguments(spec, raw), raw)

    def _check(self, spec: CommandSpec, ctx: CommandContext) -> None:
        if spec.owner_only and not ctx.caller.is_owner:
            raise OwnerOnly(spec.name)
        if spec.needs_campaign:
            ctx.require_campaign()
        if spec.needs_character:
            ctx.my_character()
        combat = ctx.state.combat
        if not spec.out_of_turn and combat is not None and combat.combatants:
            mine, _ = ctx.my_character()
            current = combat.combatants[combat.turn_index]
            if current.id != mine:
                order = ", ".join(f"{c.name} ({c.initiative})" for c in combat.combatants)
                err = NotYourTurn(ctx.state.characters[mine].name, current.name)
                err.user_message = f"{err.user_message} The order: {order}."
                raise err

    def _context(self, message: PlayerMessage, loaded: _Loaded | None, state: GameState) -> CommandContext:
        self._counter += 1
        seed = None if self.seed is None else self.seed + self._counter
        return CommandContext(
            caller=Caller(message.author_id, message.author_name, self.owner_id is not None
                          and message.author_id == self.owner_id),
            channel_id=message.channel_id,
            campaign=loaded.campaign if loaded else None,
            state=state,
            rules=self.rules,
            rules_off=self.rules_off,
            services=self.services,
            rng=random.Random(seed),
            player_names=dict(self._names),
            scratch=self._scratch.setdefault(message.channel_id, {}),
            storyteller=self._storyteller(),
            world=self.world,
            narrator=self.narrator,
            history=getattr(self.messages, "history", None),
        )  # fmt: skip

    def _storyteller(self) -> Storyteller | None:
        """The storyteller the commands use: the one given, else one on the DM turn's backend."""
        if self.storyteller is not None:
            return self.storyteller
        backend = getattr(self.narrator, "backend", None)
        return BackendStoryteller(backend) if hasattr(backend, "generate") else None

    def _dice(self, ctx: CommandContext) -> contextlib.AbstractContextManager[None]:
        if self.seed is None:
            return contextlib.nullcontext()
        return seeded(ctx.rng.randrange(2**31))

    # --- state ------------------------------------------------------------------------------------

    async def _load(self, channel_id: int, *, trust_cache: bool = False) -> _Loaded | None:
        """`trust_cache`: a cached state checked in the last TRUSTED_FOR_S is used as it is (a DM turn: a newer
        version refuses its save, StaleState, and it settles again on the fresh state)."""
        cached = self._cache.get(channel_id)
        bound = self._bound.pop(channel_id, None)  # read with the message just recorded: no version read
        if cached is not None:
            if bound == (cached.campaign.id, cached.version):
                cached.checked = time.monotonic()
                return cached
            if trust_cache and time.monotonic() - cached.checked < TRUSTED_FOR_S:
                return cached
            if bound is None:  # another process may have saved since: one cheap version read tells
                with contextlib.suppress(UnknownCampaign):
                    if await self.store.version(cached.campaign.id) == cached.version:
                        cached.checked = time.monotonic()
                        return cached
            self._cache.pop(channel_id, None)
        ref = await self.store.campaign_for_channel(channel_id)
        if ref is None:
            return None
        raw = await self.store.load(ref.id)
        loaded = _Loaded(CampaignInfo(ref.id, ref.name, channel_id), raw.version, GameState.from_dict(raw.state))
        self._cache[channel_id] = loaded
        return loaded

    async def _save(
        self, message: PlayerMessage, loaded: _Loaded | None, before: GameState, ctx: CommandContext,
        result: CommandResult,
    ) -> None:  # fmt: skip
        bound = ctx.campaign
        if loaded is None or (bound is not None and bound.id != loaded.campaign.id):
            # no campaign yet, or the command bound another one: nothing of a campaign's state to write
            await self.messages_processed(message, bound, result)
            self._cache.pop(message.channel_id, None)
            return
        await self._save_and_cache(message.channel_id, loaded.campaign, loaded.version, before, ctx.state,
                                   message_ids=[message.message_id], result=result.dump())  # fmt: skip

    async def _save_and_cache(
        self, channel_id: int, campaign: CampaignInfo, version: int, before: GameState, after: GameState,
        **record: Any,
    ) -> int:  # fmt: skip
        """Save `before` → `after` with the message flags / result / turn in `record`; cache the new state on
        success, drop the cache on any failure (the next command reloads from the database)."""
        try:
            old = before.to_dict()
            new_version = await self.store.save(
                campaign.id, expected_version=version, before=old, after=old if after is before else after.to_dict(),
                channel_id=channel_id, **record,
            )  # fmt: skip
        except BaseException:
            self._cache.pop(channel_id, None)
            raise
        self._cache[channel_id] = _Loaded(campaign, new_version, after)
        return new_version

    async def messages_processed(self, message: PlayerMessage, campaign: CampaignInfo | None,
                                 result: CommandResult) -> None:  # fmt: skip
        """Mark a command that touched no campaign state as answered, keeping its result."""
        await self.store.save(
            campaign.id if campaign else None, expected_version=0, before={}, after={},
            channel_id=message.channel_id, message_ids=[message.message_id], result=result.dump(),
        )  # fmt: skip

    # --- the DM turn (the narrator runs under the channel lock `handle` holds) ------------------

    async def turn_view(self, channel_id: int) -> TurnView | None:
        """The channel's campaign and state for a DM turn (None: no campaign bound)."""
        loaded = await self._load(channel_id, trust_cache=True)
        if loaded is None:
            return None
        return TurnView(loaded.campaign, loaded.version, loaded.state, dict(self._names))

    async def save_turn(self, channel_id: int, view: TurnView, after: GameState, *, turn: Any,
                        message_ids: list[int]) -> int:  # fmt: skip
        """Save a DM turn's state changes, its record (`TurnRecord`) and its messages' processed flags in one
        transaction; returns the new version.

        Raises:
            StaleState: the campaign was saved since `view` was read (nothing written; reread and retry).
            DuplicateMessage: a message was answered meanwhile (nothing written).
        """
        return await self._save_and_cache(channel_id, view.campaign, view.version, view.state, after,
                                          message_ids=message_ids, turn=turn)  # fmt: skip

    # --- plain talk -------------------------------------------------------------------------------

    def _drafting(self, message: PlayerMessage) -> bool:
        drafts = self._scratch.get(message.channel_id, {}).get("drafts", {})
        return message.author_id in drafts

    def is_talk(self, message: PlayerMessage) -> bool:
        """True for plain talk the DM answers (not a command, not an answer to a guided creation in progress)."""
        return split_command(message.text.strip()) is None and not self._drafting(message)

    async def _talk(self, message: PlayerMessage) -> list[TableReply]:
        replayed = await self._record_talk(message)
        if replayed is not None:
            return replayed
        return await self._answer_talk([message])

    async def record_talk(self, message: PlayerMessage) -> list[TableReply] | None:
        """Record plain talk as pending (the session's first step). None: it awaits an answer (new, or seen
        but never answered); else it was answered before and these replies replay that answer."""
        if len(message.text.strip()) > MAX_MESSAGE_LENGTH:
            return await self.handle(message)
        return await self._record_talk(message)  # one idempotent insert: no channel lock (a turn may hold it)

    async def answer_talk(self, messages: list[PlayerMessage], **how: Any) -> list[TableReply]:
        """Answer a batch of recorded plain talk with one DM turn (the session's second step). Not under the
        channel lock: the session keeps one turn in flight, a command meanwhile is answered at once, and the
        turn's save, finding the state changed, settles again on the fresh state (StaleState). `how`: the
        narrator's keywords in a fight (dm.combat_gate: `question=True`, `advance=actor`)."""
        if not messages:
            return []
        return await self._answer_talk(messages, **how)

    async def _record_talk(self, message: PlayerMessage) -> list[TableReply] | None:
        recorded = await self.messages.record(
            channel_id=message.channel_id, message_id=message.message_id, author_id=message.author_id,
            content=message.text, author_name=message.author_name,
        )  # fmt: skip
        self._bound[message.channel_id] = getattr(recorded, "bound", None)
        if not recorded.new and recorded.message.processed:  # redelivered and answered: replay, no second turn
            if recorded.result:  # it was answered as a command (a guided-creation answer)
                stored = load_result(recorded.result)
                return [TableReply(stored.reply_kind, stored, replayed=True)]
            return [TableReply("narrative", text=recorded.reply or "", replayed=True)]
        return None

    async def _answer_talk(self, messages: list[PlayerMessage], **how: Any) -> list[TableReply]:
        if self.narrator is not None:
            try:
                return await self.narrator.narrate(self, list(messages), **how)
            except DuplicateMessage:  # another worker answered a message meanwhile: replay its answer
                message = messages[-1]
                again = await self.messages.record(
                    channel_id=message.channel_id, message_id=message.message_id, author_id=message.author_id,
                    content=message.text, author_name=message.author_name,
                )  # fmt: skip
                return [TableReply("narrative", text=again.reply or "", replayed=True)]
        return [TableReply("narrative", text=(
            "The storyteller is not at the table yet; your words are kept for when they arrive. "
            "Commands work now: try !help."
        ))]  # fmt: skip


def _restore(scratch: dict[str, Any], kept: dict[str, Any]) -> None:
    scratch.clear()
    scratch.update(kept)
