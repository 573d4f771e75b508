"""The AI DM turn: the model proposes, the engine rolls, judges and records.

    turn = DMTurn(backend)                      # any inference.interfaces.InferenceBackend
    table = Table(store=..., messages=..., narrator=turn)
    await table.handle(PlayerMessage(...))      # plain talk → turn.narrate(table, [message])

One turn, in the tier of the model that answers (`dm.tiers`): a small model (the embedded one) only
picks what the players do and which passage of the module answers them (`dm.reader`); a capable one
writes the whole turn: build the context within the window (`dm.context`, `dm.budget`: standing rules,
the campaign bible and the scene, the story so far, passages, SRD entries, state, the new messages) →
ask for the reply JSON (`dm.reply`) → answer its `rule_lookups` from the SRD and ask again (at most
`MAX_LOOKUP_ROUNDS`) → if it asked for `rolls`, the engine rolls them with the characters' real
modifiers and resolves attacks and spells whole (`dm.rolls`, `dm.actions`), and the model narrates the
results in one more pass → the canon gate fixes misspelt names and asks once for a repair when the
reply contradicts established facts (`dm.canon_gate`) → gains are judged against the passages the
model saw, the SRD and the party's tier (`dm.grounding`) → `game.validation.apply_effects` judges the
rest → the accepted changes, the turn record (prompt, context ids, reply, verdicts, backend, latency:
the training log) and the answered messages' processed flags are saved in one transaction
(`Table.save_turn`). Refused changes become a short in-world line; the engine's mechanics line
(`dm.mechanics`) carries every number, and the reply cites its sources (`dm.citations`). Every N
turns a rolling summary keeps the story within the window (`dm.history`).

A turn never crashes and never applies half a reply: a backend error or a reply with no usable
narrative answers with one apology line, changes nothing and leaves the messages pending (the next
turn answers them too). The effects of the model's last answer are the turn's effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dm.actions import engine_first
from dm.citations import cited_chunks, chunk_source, merge_sources, srd_source
from dm.canon_gate import canon_lines, canon_record, hold_canon
from dm.combat_gate import pass_turn
from dm.context import ChatLine, assemble, scene_place
from dm.drafts import DraftCallback, drafting, restart_draft
from dm.errors import MalformedReply
from dm.grounding import (Evidence, effect_target, gather_evidence, hold_unearned, judge_gains, shown_passages,
                          withhold_rules)
from dm.history import SUMMARY_EVERY, history_of, maybe_summarise
from dm.mechanics import checked_narrative, mechanics_lines, render_turn
from dm.reply import ParsedReply, RuleLookup, parse_reply, reply_json_schema
from dm.rolls import engine_roll, engine_rolls
from dm.speech import npc_names, speech_parts
from dm.thought import Thought
from dm.tiers import READER, planned_tier, tier_for
from game.dice import seeded
from game.effects import GameState
from game.validation import apply_effects
from inference.errors import InferenceError
from inference.interfaces import InferenceBackend
from persistence.errors import StaleState
from persistence.interfaces import (CampaignSearch, CampaignWorld, CanonStore, HistoryStore, QueryEmbedder, TurnRecord,
                                    WorldSource)

if TYPE_CHECKING:
    from dm.table import PlayerMessage, Table, TableReply

__all__ = ["DMTurn", "Settled", "Thought", "engine_roll", "hold_unearned", "settle", "MAX_LOOKUP_ROUNDS"]

log = logging.getLogger(__name__)

MAX_LOOKUP_ROUNDS = 2
MAX_BATCH = 10  # plain-talk messages answered in one turn
QUESTION_NOTE = ("This is a question asked in the middle of a fight (the rules, the scene or the asker's own "
                 "character): answer it in the narrative. It uses no turn: ask for no rolls and propose no effects.")
_LOOKUP_CHARS = 1500  # per SRD entry shown to the model
APOLOGY = ("The Dungeon Master pauses, leafing through their notes as the candles gutter... "
           "(the storyteller could not answer just now; nothing was changed and your words are kept)")  # fmt: skip


@dataclass(frozen=True)
class Settled:
    """The engine's verdict on a thought: the state after, what was applied or refused, the text to show."""

    state: GameState
    applied: tuple[dict[str, Any], ...]
    refused: tuple[dict[str, Any], ...]
    text: str
    sources: tuple[dict[str, Any], ...] = ()  # where the rulings and passages come from (dm.citations)
    prose_numbers: tuple[str, ...] = ()  # numbers in the narrative the engine did not produce (dm.mechanics)


def settle(state: GameState, thought: Thought, *, rng: random.Random | None = None,
           grounding: Evidence | None = None) -> Settled:
    """Judge the thought's effects against `state` (pure: `state` is not changed); gains need `grounding`
    (`dm.grounding.gather_evidence`), without it every gain is held for the owner."""
    reply = thought.final
    state, engine_applied, engine_refused, effects = engine_first(state, thought.engine, reply.effects)
    refused: list[dict[str, Any]] = [*engine_refused, *[
        {"kind": str(raw.get("kind", "unknown")), "target": effect_target(raw),
         "summary": f"That change makes no sense to the rules ({reason}).", "accepted": False}
        for raw, reason in reply.rejected_effects
    ]]  # fmt: skip
    allowed, held = hold_unearned(state, effects) if grounding is None else judge_gains(state, effects, grounding)
    refused += held
    after, outcomes = apply_effects(state, allowed, rng=rng)
    applied: list[dict[str, Any]] = list(engine_applied)
    for effect, outcome in zip(allowed, outcomes, strict=True):
        entry = {"kind": outcome.kind, "target": effect_target(effect), "summary": outcome.summary,
                 "accepted": outcome.accepted}  # fmt: skip
        (applied if outcome.accepted else refused).append(entry)
    shown = [m.get("content", "") for m in thought.prompt if m.get("role") != "assistant"]
    if (thought.raw or {}).get("tier") == "reader":  # the module's own words (dm.reader): its numbers are the book's
        shown.append(reply.narrative)
    narrative, unbacked = checked_narrative(reply.narrative, shown, thought.rolls, [*applied, *refused])
    narrative = withhold_rules(narrative)  # the standing rules stay private, whoever asked for them
    text = render_turn(narrative, refused, mechanics_lines(thought.rolls, applied))
    records = thought.engine.records if thought.engine else ()
    sources = merge_sources(thought.sources, [srd_source(m) for m in records],
                            [chunk_source(c, thought.campaign) for c in cited_chunks(narrative, thought.chunks)])
    return Settled(after, tuple(applied), tuple(refused), text, sources, tuple(unbacked))


# --- the turn ---------------------------------------------------------------------------------------


class DMTurn:
    """The table's `Narrator`: answers a batch of plain talk with one narrative and the engine's verdicts.

    Args:
        backend: the model (`InferenceBackend`; the scripted one in tests, the router in play).
        search / embedder: optional campaign retrieval for the scene (skipped when not given).
        max_tokens: the reply budget; the prompt gets the backend's window minus this.
    """

    def __init__(self, backend: InferenceBackend, *, search: CampaignSearch | None = None,
                 embedder: QueryEmbedder | None = None, max_tokens: int = 700,
                 temperature: float = 0.7, canon: CanonStore | None = None, world: WorldSource | None = None,
                 reader_backends: Collection[str] = (), history: HistoryStore | None = None,
                 summary_every: int = SUMMARY_EVERY, window: int | None = None) -> None:  # fmt: skip
        self.backend = backend
        self.history = history  # the story so far (dm.history); None: the table's message log's, when it has one
        self.summary_every = summary_every  # a rolling summary every N turns (0: never)
        self.window = window  # a smaller context window than the backend's (MAX_MODEL_LEN), if set
        self.world = world  # the extracted world the reader tier reads from (dm.reader)
        self.reader_backends = tuple(reader_backends)  # more backend names for the reader tier (dm.tiers)
        self.search = search
        self.embedder = embedder
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.canon = canon  # stored canon facts (optional: the state's own facts are always checked)
        self.last_read: dict[int, str] = {}  # campaign id → the passage the reader tier read last (dm.reader)
        self.on_draft: DraftCallback | None = None  # (channel id, partial narrative) while streaming (dm.drafts)

    # --- the model side -------------------------------------------------------------------------

    async def think(self, state: GameState, lines: Sequence[ChatLine], *, rules: Any = None,
                    campaign_id: int | None = None, campaign: str = "",
                    players: dict[int, str] | None = None, seed: int | None = None, history: Any = None,
                    viewer: int | None = None, private_to: str | None = None,
                    question: bool = False) -> Thought:  # fmt: skip
        """Ask the model (lookups, then the engine's rolls and a narrating pass). `question`: the players only ask
        (dm.combat_gate): the model is told so and the engine rolls nothing.

        Raises:
            InferenceError: the backend failed. MalformedReply: a reply had no usable narrative.
        """
        if planned_tier(self.backend, reader=self.reader_backends) == READER:  # a small model: dm.reader
            read = await self._read(state, lines, campaign_id, campaign, rules)
            if self._tier_of(read) == READER:
                return read
            log.info("the reader tier's request was answered by %s; the turn is redone in full", read.backend)
        world = await self._world(campaign_id)
        place = scene_place(world, state)  # the bible shows the party's place; retrieval need not repeat it
        found = await self.passages_for(campaign_id, lines)
        chunks = [c for c in found if place is None or c.id != place.id or not c.id]
        built = await assemble(self.backend, state, lines, chunks=chunks, rules=rules, history=history,
                               campaign_id=campaign_id, campaign=campaign, players=players, viewer=viewer,
                               private_to=private_to, reply_tokens=self.max_tokens, window=self.window,
                               canon=await canon_lines(self.canon, state, campaign_id), world=world)  # fmt: skip
        thought = Thought(final=ParsedReply(narrative="..."), prompt=list(built.messages), raw=None)
        thought.budget = built.report.to_dict()
        chunks = chunks[: built.report.kept.get("passages", len(chunks))]  # the passages the model saw (dm.budget)
        chunks = ([place] if place is not None else []) + chunks  # grounded and cited like any passage
        thought.chunk_ids = [c.id for c in chunks if isinstance(getattr(c, "id", None), int)]
        thought.chunks, thought.campaign = list(chunks), campaign
        if question:
            self._follow_up(thought, QUESTION_NOTE)
        reply = await self._first_ask(thought)
        if reply is None:  # a fallback put the full prompt to a reader-tier model: redo the turn as a reader
            return await self._read(state, lines, campaign_id, campaign, rules)
        rounds = 0
        while reply.rule_lookups and rounds < MAX_LOOKUP_ROUNDS:
            rounds += 1
            answers = [await _lookup(rules, item, thought.sources) for item in reply.rule_lookups]
            thought.lookups += [f"{item.kind}:{item.name}" for item in reply.rule_lookups]
            self._follow_up(thought, "The SRD entries you asked for (exact values; use them):\n" + "\n\n".join(answers))
            reply = await self._ask(thought)
        if reply.rolls and not question and private_to is None:  # a whisper or a question changes nothing
            actors = [line.character for line in lines if line.character]  # only the speakers' characters act
            thought.rolls, thought.engine = await engine_rolls(state, reply.rolls, rules=rules, seed=seed,
                                                               actors=actors)  # fmt: skip
            results = "\n".join(json.dumps(r.to_dict(), ensure_ascii=False) for r in thought.rolls)
            self._follow_up(thought, "The engine rolled what you asked for:\n" + results + "\nNow narrate these "
                            "results (ask for no more rolls); your effects must follow from them.")
            reply = await self._ask(thought)
            reply = reply.model_copy(update={"rolls": (), "rule_lookups": ()})
        if self._tier_of(thought) == READER:  # a fallback mid-turn: the small model's story is not used
            return await self._read(state, lines, campaign_id, campaign, rules)
        thought.final = reply
        return thought

    async def _world(self, campaign_id: int | None) -> CampaignWorld | None:
        if self.world is None or campaign_id is None:
            return None
        try:
            return await self.world.world(campaign_id)
        except Exception:  # noqa: BLE001 - the scene is optional: the retrieved passages stand in for it
            log.warning("reading the campaign's world failed; the turn goes on without its scene", exc_info=True)
            return None

    def _tier_of(self, thought: Thought) -> str:
        return tier_for(thought.backend, reader=self.reader_backends)

    async def _first_ask(self, thought: Thought) -> ParsedReply | None:
        """The first full-tier answer, or None when a reader-tier backend gave it (dm.tiers)."""
        try:
            reply = await self._ask(thought)
        except MalformedReply:
            if self._tier_of(thought) == READER:
                return None
            raise
        return None if self._tier_of(thought) == READER else reply

    async def _read(self, state: GameState, lines: Sequence[ChatLine], campaign_id: int | None,
                    campaign: str, rules: Any = None) -> Thought:  # fmt: skip
        from dm.reader import read_turn  # dm.reader builds on this module's Thought

        return await read_turn(self, state, lines, campaign_id=campaign_id, campaign=campaign, rules=rules)

    async def _ask(self, thought: Thought) -> ParsedReply:
        generation = await self.backend.generate(thought.prompt, reply_json_schema(), max_tokens=self.max_tokens,
                                                 temperature=self.temperature, stream=restart_draft())  # fmt: skip
        thought.generations += 1
        thought.backend, thought.model = generation.backend, generation.model
        thought.prompt_tokens += generation.prompt_tokens
        thought.completion_tokens += generation.completion_tokens
        thought.latency_ms += int(generation.latency_s * 1000)
        reply = parse_reply(generation.text)
        thought.raw = generation.data if isinstance(generation.data, dict) else None
        thought.prompt.append({"role": "assistant", "content": generation.text})
        return reply

    async def repair(self, thought: Thought, text: str) -> ParsedReply:
        """One more pass after `text` (the canon gate's repair request); none for the reader tier."""
        if self._tier_of(thought) == READER:  # its words are the module's: the gate falls back instead
            raise MalformedReply("the reader tier has no repair pass", "")
        self._follow_up(thought, text)
        return await self._ask(thought)

    @staticmethod
    def _follow_up(thought: Thought, text: str) -> None:
        thought.prompt.append({"role": "user", "content": text})

    async def passages_for(self, campaign_id: int | None, lines: Sequence[ChatLine]) -> list[Any]:
        """The campaign passages retrieved for `lines` (none without a search, or when retrieval fails)."""
        if self.search is None or campaign_id is None:
            return []
        query = " ".join(line.text for line in lines)[:1000]
        try:
            embedding = None
            if self.embedder is not None:
                vectors = await asyncio.to_thread(self.embedder.embed, [query])
                embedding = vectors[0] if vectors else None
            return list(await self.search.search(campaign_id, query, embedding=embedding, limit=10))
        except Exception:  # noqa: BLE001 - retrieval is optional: a turn goes on without passages
            log.warning("campaign retrieval failed; the turn goes on without passages", exc_info=True)
            return []

    # --- the table side -------------------------------------------------------------------------

    async def narrate(self, table: Table, messages: list[PlayerMessage], *, question: bool = False,
                      advance: str | None = None) -> list[TableReply]:  # fmt: skip
        """Answer `messages` (and plain talk still pending in the channel) with one narrative.

        In a fight (dm.combat_gate): `question` answers `messages` alone and changes nothing (no effect applied,
        no roll that changes state, no turn used); `advance` is the combatant whose action this is: the engine
        passes their turn in the same save unless the reply's effects already did.
        """
        from dm.table import TableReply

        channel_id = messages[0].channel_id
        view = await table.turn_view(channel_id)
        if view is None:
            return [TableReply("narrative", text="No campaign is being played in this channel yet; your words are "
                                                 "kept. The owner can start one with !campaign.")]  # fmt: skip
        batch = list(messages)[-MAX_BATCH:] if question else await _batch(table, messages)
        lines = [_line(view.state, m) for m in batch]
        try:
            with drafting(channel_id, self.on_draft):  # drafts for a front end that streams narration (dm.drafts)
                thought = await self.think(view.state, lines, rules=table.rules, campaign_id=view.campaign.id,
                                           campaign=view.campaign.name, players=view.players,
                                           seed=None if table.seed is None else table.seed + batch[-1].message_id,
                                           history=self.history or history_of(table.messages),
                                           question=question)  # fmt: skip
        except (InferenceError, MalformedReply) as exc:
            log.warning("DM turn failed: %s", exc, extra={"channel_id": channel_id})
            line = exc.user_message if isinstance(exc, InferenceError) else APOLOGY
            if isinstance(exc, InferenceError) and "kept" not in line:
                line = f"{APOLOGY.split(' (')[0]} ({line.rstrip('.')}; nothing was changed and your words are kept)"
            return [TableReply("narrative", text=line)]
        await hold_canon(thought, view.state, ask=lambda text: self.repair(thought, text), store=self.canon,
                         campaign_id=view.campaign.id)  # the dead stay dead, names as stored: one repair pass
        if question:
            _answer_only(thought)
        ids = [m.message_id for m in batch]
        for attempt in range(2):
            seed = None if table.seed is None else table.seed + ids[-1]
            evidence = await gather_evidence(view.state, thought.final.effects, rules=table.rules,
                                             passages=shown_passages(thought.chunks, thought.prompt))  # fmt: skip
            with seeded(seed) if seed is not None else contextlib.nullcontext():
                settled = settle(view.state, thought, rng=random.Random(seed), grounding=evidence)
            if advance is not None:
                settled = _advanced(settled, advance)
            try:
                record = _record(thought, settled, view.state)
                await table.save_turn(channel_id, view, settled.state, turn=record, message_ids=ids)
                break
            except StaleState:
                if attempt == 1:
                    return [TableReply("narrative", text=APOLOGY)]
                fresh = await table.turn_view(channel_id)
                if fresh is None:
                    return [TableReply("narrative", text=APOLOGY)]
                view = fresh
        await maybe_summarise(self.backend, self.history or history_of(table.messages), view.campaign.id,
                              settled.state, every=self.summary_every)  # never raises: a summary is optional
        return [TableReply("narrative", text=settled.text, applied=_public(settled.applied),
                           refused=_public(settled.refused), sources=settled.sources,
                           voices=speech_parts(settled.text, npc_names(settled.state.npcs.values()),
                                               [c.name for c in settled.state.characters.values()]))]  # fmt: skip


async def _lookup(rules: Any, item: RuleLookup, sources: list[dict[str, Any]] | None = None) -> str:
    if rules is None:
        return f"{item.kind} {item.name!r}: the rules library is not available in this game."
    try:
        match = await rules.lookup(item.kind, item.name)
    except Exception as exc:  # noqa: BLE001 - a miss (or the library being down) is told to the model, not raised
        return f"{item.kind} {item.name!r}: {getattr(exc, 'user_message', None) or 'no such SRD entry'}"
    record = json.dumps(match.record, ensure_ascii=False, separators=(",", ":"), default=str)
    if sources is not None:
        sources.append(srd_source(match))
    return f"{item.kind} {match.name!r} (SRD 5.1):\n{record[:_LOOKUP_CHARS]}"


async def _batch(table: Table, messages: list[PlayerMessage]) -> list[PlayerMessage]:
    """The plain talk still pending in the channel (an earlier failed turn's), then `messages`, at most MAX_BATCH."""
    from dm.table import PlayerMessage

    seen = {m.message_id for m in messages}
    earlier: list[PlayerMessage] = []
    pending = getattr(table.messages, "pending", None)
    if pending is not None:
        for stored in await pending(messages[0].channel_id, limit=MAX_BATCH):
            if stored.is_command or stored.from_dm or stored.discord_message_id in seen or not stored.content.strip():
                continue
            if stored.discord_message_id > min(seen):  # said after: the session's next batch answers it, in order
                continue
            earlier.append(PlayerMessage(stored.channel_id, stored.discord_message_id, stored.author_id,
                                         stored.author_name, stored.content))  # fmt: skip
    return (earlier + list(messages))[-MAX_BATCH:]


def _line(state: GameState, message: PlayerMessage) -> ChatLine:
    found = state.character_of(message.author_id)
    return ChatLine(author=message.author_name or f"player {message.author_id}",
                    character=found[1].name if found else None, text=message.text.strip())  # fmt: skip


def _record(thought: Thought, settled: Settled, before: GameState | None = None) -> TurnRecord:
    record = TurnRecord(
        prompt=[dict(m) for m in thought.prompt], reply_text=settled.text, backend=thought.backend,
        model=thought.model, reply=thought.raw,
        context={"rolls": [r.to_dict() for r in thought.rolls], "lookups": thought.lookups,
                 "generations": thought.generations, "chunks": thought.chunk_ids,
                 "sources": list(settled.sources), "prose_numbers": len(settled.prose_numbers),
                 "prose_numbers_seen": list(settled.prose_numbers), "budget": thought.budget},
        effects=[*settled.applied, *settled.refused], prompt_tokens=thought.prompt_tokens,
        completion_tokens=thought.completion_tokens, latency_ms=thought.latency_ms,
    )  # fmt: skip
    if before is not None:  # the state the reply was judged on, for dm.replay to judge a new reply on
        record.context["state_before"] = before.to_dict()
    return canon_record(record, thought.canon, before, settled.state)


def _answer_only(thought: Thought) -> None:
    """A question's turn: the answer stays, every proposed change and every action the engine resolved goes."""
    thought.final = thought.final.model_copy(update={"effects": (), "rejected_effects": (), "canon": ()})
    thought.engine, thought.rolls = None, []


def _advanced(settled: Settled, actor: str) -> Settled:
    """The engine passes `actor`'s turn after their action (dm.combat_gate.pass_turn), if it is still theirs."""
    after, passed = pass_turn(settled.state, actor)
    if not passed:
        return settled
    return Settled(after, (*settled.applied, *passed), settled.refused, f"{settled.text}\n{passed[0]['summary']}",
                   settled.sources, settled.prose_numbers)


def _public(entries: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    return tuple({"kind": e["kind"], "target": e["target"], "summary": e["summary"]} for e in entries)

