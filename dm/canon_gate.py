"""The contradiction gate of a DM turn: the model's final reply is held to canon before it is settled.

    verdict = await hold_canon(thought, view.state, ask=lambda text: turn._repair(thought, text), store=canon)

1. Misspelt names are put right without a model pass (the stored spelling replaces the near miss).
2. Anything still contradicting canon (`dm.canon.check`) gets ONE repair pass: a follow-up message lists
   the facts the reply broke and asks for the same reply corrected.
3. Still contradicting (or the repair pass failed): a neutral line replaces the narrative — nothing
   invented — while the reply's effects still go to the engine, which judges them as ever.
Effects canon refuses (a dead NPC brought into a fight, a new NPC that is a misspelling of a known
one) join the reply's rejected effects, narrated like any refusal. The verdict is recorded in the
turn's context, and `canon_record` puts the facts the settled turn established on its `TurnRecord`,
so they are stored in the turn's own transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dm.canon import (
    Contradiction, Fact, canon_refusals, check, established, fix_spelling, ledger, ledger_lines,
)  # fmt: skip
from dm.errors import MalformedReply
from dm.reply import ParsedReply
from game.effects import CombatJoin, CombatStart, GameState, NpcIntroduce
from inference.errors import InferenceError
from persistence.interfaces import CanonStore, TurnRecord

__all__ = ["CanonVerdict", "canon_lines", "canon_record", "hold_canon", "neutral_narrative", "repair_request"]

log = logging.getLogger(__name__)


@dataclass
class CanonVerdict:
    """What the gate found and did. `reply` is the reply to settle."""

    reply: ParsedReply
    found: list[Contradiction] = field(default_factory=list)  # the model's reply, before any fix
    fixed: list[Contradiction] = field(default_factory=list)  # misspellings put right without the model
    repaired: bool = False  # the repair pass gave a reply that keeps to canon
    fallback: bool = False  # the neutral line was posted instead
    remaining: list[Contradiction] = field(default_factory=list)  # what the last reply still contradicted
    refused: int = 0  # effects canon refused
    facts: int = 0  # facts checked against

    def record(self) -> dict[str, Any]:
        """For the turn record's context."""
        return {"facts": self.facts, "found": [c.to_dict() for c in self.found],
                "spelling_fixed": [c.to_dict() for c in self.fixed], "repaired": self.repaired,
                "fallback": self.fallback, "remaining": [c.to_dict() for c in self.remaining],
                "refused_effects": self.refused}  # fmt: skip


async def hold_canon(thought: Any, state: GameState, *, ask: Callable[[str], Awaitable[ParsedReply]],
                     store: CanonStore | None = None, campaign_id: int | None = None) -> CanonVerdict:  # fmt: skip
    """Hold `thought.final` to the canon of `state` (and the stored facts); sets `thought.final` and
    `thought.canon` and returns the verdict. Never raises for the model's sake: a failed repair pass falls back."""
    facts = ledger(state, await _stored(store, campaign_id))
    reply, fixed = _spelt(thought.final, facts)
    found = check(thought.final.narrative, _moved(facts, thought.final), also_known=_new_names(thought.final, facts))
    verdict = CanonVerdict(reply, found=found, fixed=fixed, facts=len(facts))
    remaining = _contradictions(reply, facts)
    if remaining:
        again = await _repair(ask, remaining)
        if again is not None:
            again, more = _spelt(again, facts)
            verdict.fixed += more
            reply, remaining = again, _contradictions(again, facts)
            verdict.repaired = not remaining
        if remaining:
            verdict.fallback = True
            reply = reply.model_copy(update={"narrative": neutral_narrative(state), "canon": ()})
    verdict.remaining = remaining
    kept, refused = canon_refusals(reply.effects, facts)
    if refused:
        reply = reply.model_copy(update={"effects": tuple(kept), "rejected_effects": (*reply.rejected_effects,
                                                                                       *refused)})  # fmt: skip
    verdict.refused, verdict.reply = len(refused), reply
    thought.final, thought.canon = reply, verdict
    if verdict.found or verdict.refused:
        log.info("canon gate: %d contradiction(s), repaired=%s fallback=%s, %d effect(s) refused",
                 len(verdict.found), verdict.repaired, verdict.fallback, verdict.refused)
    return verdict


def repair_request(found: Sequence[Contradiction]) -> str:
    """The follow-up message of the one repair pass."""
    lines = "\n".join(f"- {c.reason}" for c in found)
    return ("Your reply contradicts what is already established in this story:\n" + lines + "\nAnswer again with "
            "the same reply corrected: keep the story and the effects, change only what contradicts these facts "
            "(the established facts win). Ask for no rolls or lookups.")  # fmt: skip


def neutral_narrative(state: GameState) -> str:
    """The fallback when the model could not keep to canon: nothing invented, only where the party is."""
    where = f" in {state.location}" if state.location else ""
    return f"A quiet moment passes{where} as the Dungeon Master checks the notes; the story holds to what is known."


def canon_record(record: TurnRecord, verdict: CanonVerdict | None, before: GameState | None,
                 after: GameState) -> TurnRecord:  # fmt: skip
    """`record` with the gate's verdict in its context and the facts the settled turn established."""
    if verdict is None:
        return record
    record.context["canon"] = verdict.record()
    if before is None:
        return record
    notes = () if verdict.fallback else verdict.reply.canon
    facts = established(before, after, narrative=verdict.reply.narrative, notes=notes)
    return dataclasses.replace(record, canon=tuple(facts))


async def canon_lines(store: CanonStore | None, state: GameState, campaign_id: int | None) -> list[str]:
    """The canon the model is shown before it answers (the dead, where NPCs are, promises and debts)."""
    return ledger_lines(ledger(state, await _stored(store, campaign_id)))


async def _stored(store: CanonStore | None, campaign_id: int | None) -> list[Fact]:
    if store is None or campaign_id is None:
        return []
    try:
        return list(await store.facts(campaign_id))
    except Exception:  # noqa: BLE001 - the stored ledger is a help: the state's own facts still hold the turn
        log.warning("stored canon unavailable; checking against the state alone", exc_info=True)
        return []


def _new_names(reply: ParsedReply, facts: Sequence[Fact]) -> list[str]:
    """Names this reply brings into the story, if canon lets them in (then no misspelling of anything known)."""
    names: list[str] = []
    for effect in canon_refusals(reply.effects, facts)[0]:
        if isinstance(effect, CombatStart | CombatJoin):
            names += [c.name or c.id for c in effect.combatants]
        elif isinstance(effect, NpcIntroduce):
            names.append(effect.name)
    return names


def _spelt(reply: ParsedReply, facts: Sequence[Fact]) -> tuple[ParsedReply, list[Contradiction]]:
    narrative, fixed = fix_spelling(reply.narrative, check(reply.narrative, facts, also_known=_new_names(reply, facts)))
    return (reply.model_copy(update={"narrative": narrative}) if fixed else reply), fixed


def _contradictions(reply: ParsedReply, facts: Sequence[Fact]) -> list[Contradiction]:
    facts = _moved(facts, reply)
    return [c for c in check(reply.narrative, facts, also_known=_new_names(reply, facts)) if c.kind != "spelling"]


def _moved(facts: Sequence[Fact], reply: ParsedReply) -> list[Fact]:
    """`facts` with the reply's own "is_at" notes in place of what they replace (an NPC the reply moves)."""
    moves = [Fact(n.subject, "is_at", n.object) for n in reply.canon if n.predicate == "is_at"]
    moved = {m.subject.lower() for m in moves}
    return [f for f in facts if not (f.predicate == "is_at" and f.subject.lower() in moved)] + moves


async def _repair(ask: Callable[[str], Awaitable[ParsedReply]], found: Sequence[Contradiction]) -> ParsedReply | None:
    try:
        again = await ask(repair_request(found))
    except (InferenceError, MalformedReply) as exc:
        log.warning("canon repair pass failed: %s", exc)
        return None
    return again.model_copy(update={"rolls": (), "rule_lookups": ()})
