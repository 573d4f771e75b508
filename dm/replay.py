"""Replay logged DM turns against a backend: regression tests of the DM's behaviour.

    turn = LoggedTurn.from_row(row)                  # a `dm_turns` row (persistence.training_log)
    diff = await replay_turn(turn, backend)          # ask the model again, judge both answers
    diff = compare(turn, new_text)                   # or judge a generation made elsewhere
    summary = summarize(diffs)

A logged turn keeps the messages sent to the model, ending with the model's final answer. A replay
sends the same messages up to that answer and judges both answers the same way: the reply is parsed
again with today's `dm.reply.parse_reply`, and — when the row kept the state it was judged on
(`context.state_before`) — settled again with today's engine (`dm.turn.settle`, seeded, pure), so a
difference in the verdict is the model's, not the engine's. Without that state only the proposed
effects' kinds and targets are compared. Each answer is also checked for what the DM must never do:
end on a question to the players, or carry numbers in its prose that the engine did not produce.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dm.errors import MalformedReply
from dm.context import HEADERS as CONTEXT_HEADERS
from dm.context import MESSAGE_HEADS
from dm.grounding import Evidence, effect_target, gather_evidence
from dm.reader import INTENTS, Passage, ReaderScene, reader_schema
from dm.reply import ParsedReply, parse_reply, reply_json_schema
from dm.turn import Thought, settle
from game.effects import GameState
from inference.errors import InferenceError
from inference.interfaces import InferenceBackend, Message
from persistence.interfaces import WorldLocation, WorldNpc

__all__ = [
    "Judgement",
    "LoggedTurn",
    "TurnDiff",
    "compare",
    "ends_on_question",
    "evidence_for",
    "judge",
    "judge_pick",
    "raw_narrative",
    "reader_schema_of",
    "replay_turn",
    "shown_text",
    "stray_numbers",
    "summarize",
]

Pair = tuple[str, str]  # (effect kind, target)

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s*$")


def stray_numbers(narrative: str, engine_text: str = "", quoted: Iterable[str] = ()) -> list[str]:
    """The numbers in `narrative` that neither the engine's lines nor the quoted sources (module text) carry."""
    known = set(_NUMBER.findall(engine_text))
    for text in quoted:
        known.update(_NUMBER.findall(text))
    return [n for n in _NUMBER.findall(narrative) if n.replace(",", "") not in known and n not in known]


def ends_on_question(narrative: str) -> bool:
    """True when the narrative's last sentence asks the players something ("What do you do next?").

    A question inside quotes (an NPC asking) is speech, not the DM handing the scene back."""
    text = narrative.rstrip()
    if not text.endswith("?"):
        return False
    tail = text.rstrip("?").rstrip()
    return not re.search(r"[\"“”]", _last_sentence(tail))


def _last_sentence(text: str) -> str:
    parts = re.split(r"(?<=[.!…])\s+", text)
    return parts[-1] if parts else text


@dataclass(frozen=True)
class Judgement:
    """One answer, as today's parser and engine see it."""

    parsed: bool
    problem: str = ""
    narrative: str = ""
    proposed: tuple[Pair, ...] = ()
    accepted: tuple[Pair, ...] = ()
    refused: tuple[Pair, ...] = ()
    judged: bool = False  # settled on the logged state (else only `proposed` is known)
    ends_on_question: bool = False
    stray_numbers: tuple[str, ...] = ()
    mechanics: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"parsed": self.parsed, "problem": self.problem, "narrative": self.narrative,
                "proposed": [list(p) for p in self.proposed], "accepted": [list(p) for p in self.accepted],
                "refused": [list(p) for p in self.refused], "judged": self.judged,
                "ends_on_question": self.ends_on_question, "stray_numbers": list(self.stray_numbers)}  # fmt: skip


@dataclass(frozen=True)
class LoggedTurn:
    """A `dm_turns` row, as the replay reads it."""

    id: int
    prompt: tuple[Message, ...]
    reply: dict[str, Any] | None
    effects: tuple[dict[str, Any], ...] = ()
    backend: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    reply_text: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LoggedTurn:
        prompt = row.get("prompt") or []
        messages = tuple({"role": str(m.get("role", "user")), "content": str(m.get("content", ""))}
                         for m in (prompt if isinstance(prompt, list) else []) if isinstance(m, dict))  # fmt: skip
        effects = row.get("effects")
        return cls(id=int(row.get("id") or 0), prompt=messages,
                   reply=row.get("reply") if isinstance(row.get("reply"), dict) else None,
                   effects=tuple(e for e in effects if isinstance(e, dict)) if isinstance(effects, list) else (),
                   backend=str(row.get("backend") or ""),
                   context=row.get("context") if isinstance(row.get("context"), dict) else {},
                   reply_text=str(row.get("reply_text") or ""))  # fmt: skip

    def request(self) -> list[Message]:
        """The messages the model's final answer was given (the log ends with that answer)."""
        messages = list(self.prompt)
        if messages and messages[-1]["role"] == "assistant":
            messages.pop()
        return messages

    def answer(self) -> str | None:
        """The model's final answer as it was written (the log's last assistant message), else the stored reply."""
        if self.prompt and self.prompt[-1]["role"] == "assistant":
            return self.prompt[-1]["content"]
        return None if self.reply is None else json.dumps(self.reply, ensure_ascii=False)

    @property
    def tier(self) -> str:
        """"reader" for a turn of the reader tier (`dm.reader`: the model picked, the module spoke), else "full"."""
        return "reader" if self.reply is not None and self.reply.get("tier") == "reader" else "full"

    def state_before(self) -> GameState | None:
        data = self.context.get("state_before")
        if not isinstance(data, dict):
            return None
        try:
            return GameState.from_dict(data)
        except ValueError:  # a state from an older schema: compare kinds and targets only
            return None

    def engine_text(self) -> str:
        """The numbers the engine gave the model on this turn (its rolls), as text."""
        return json.dumps(self.context.get("rolls") or [], ensure_ascii=False)

    def logged_verdicts(self) -> tuple[tuple[Pair, ...], tuple[Pair, ...]]:
        """(accepted, refused) as the log stored them."""
        accepted = tuple(_pair(e) for e in self.effects if e.get("accepted") is True)
        refused = tuple(_pair(e) for e in self.effects if e.get("accepted") is not True)
        return accepted, refused


def _pair(entry: Mapping[str, Any]) -> Pair:
    return str(entry.get("kind", "unknown")), str(entry.get("target") or "")


def judge(text: str | None, state: GameState | None = None, *, engine_text: str = "", quoted: Iterable[str] = (),
          seed: int = 0, evidence: Evidence | None = None) -> Judgement:  # fmt: skip
    """Parse `text` with today's parser and, given `state`, settle it with today's engine (pure, seeded); gains
    are judged on `evidence` (`evidence_for`), or all held for the owner without it."""
    if text is None:
        return Judgement(parsed=False, problem="no reply")
    try:
        reply = parse_reply(text)
    except MalformedReply as exc:
        return Judgement(parsed=False, problem=str(exc))
    proposed = tuple((e.kind, effect_target(e)) for e in reply.effects)
    proposed += tuple(_pair(raw) for raw, _ in reply.rejected_effects)
    base = {"parsed": True, "narrative": reply.narrative, "proposed": proposed,
            "ends_on_question": ends_on_question(raw_narrative(text) or reply.narrative)}  # fmt: skip
    if state is None:
        strays = stray_numbers(reply.narrative, engine_text, quoted)
        return Judgement(**base, stray_numbers=tuple(strays))
    settled = settle(state, Thought(final=_without_rolls(reply), prompt=[], raw=None), rng=random.Random(seed),
                     grounding=evidence)  # fmt: skip
    mechanics = "\n".join(str(e.get("summary", "")) for e in settled.applied)
    strays = stray_numbers(reply.narrative, engine_text + "\n" + mechanics, quoted)
    return Judgement(**base, accepted=tuple(_pair(e) for e in settled.applied),
                     refused=tuple(_pair(e) for e in settled.refused), judged=True, stray_numbers=tuple(strays),
                     mechanics=mechanics)  # fmt: skip


_PICKED = ("intent", "location", "npc", "passage")


def judge_pick(text: str | None) -> Judgement:
    """A reader-tier answer: the pick (intent, place, NPC, passage) and whether its linking line reads as prose."""
    if text is None:
        return Judgement(parsed=False, problem="no reply")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return Judgement(parsed=False, problem="not a JSON object")
    if not isinstance(data, dict) or data.get("intent") not in INTENTS:
        return Judgement(parsed=False, problem="no known intent")
    link = data.get("link") if isinstance(data.get("link"), str) else ""
    picked = tuple((key, str(data.get(key) or "none")) for key in _PICKED)
    return Judgement(parsed=True, narrative=link, proposed=picked,
                     ends_on_question=link.rstrip().endswith("?"),
                     stray_numbers=tuple(stray_numbers(link)))  # fmt: skip


def reader_schema_of(request: Sequence[Message]) -> dict[str, Any]:
    """The reader tier's schema, rebuilt from its logged prompt (the scene's names are listed in it)."""
    text = "\n".join(m["content"] for m in request if m["role"] == "user")

    def listed(label: str) -> list[str]:
        match = re.search(rf"^{label}: (.+)\.$", text, re.M)
        return [name.strip() for name in match.group(1).split(", ")] if match else []

    passages = re.findall(r"^- ([^:\n]+):", text.split("Passages:", 1)[-1].split("\n\n", 1)[0], re.M)
    places = tuple(WorldLocation(id=0, name=n) for n in listed("Places they can go"))
    scene = ReaderScene(here=None, destinations=places,
                        npcs=tuple(WorldNpc(id=0, name=n) for n in listed("People here")),
                        passages=tuple(Passage(id=p.strip(), text="") for p in passages), known_names=(),
                        vocabulary=frozenset())  # fmt: skip
    return reader_schema(scene)


def _without_rolls(reply: ParsedReply) -> ParsedReply:
    return reply.model_copy(update={"rolls": (), "rule_lookups": ()})


def raw_narrative(text: str) -> str | None:
    """The narrative as the model wrote it (before `tidy_narrative` drops a closing "What do you do next?")."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    value = data.get("narrative") if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else None


@dataclass(frozen=True)
class TurnDiff:
    """A logged turn's answer against a new one, and what differs."""

    turn_id: int
    backend: str
    logged: Judgement
    new: Judgement
    changes: tuple[str, ...]
    new_backend: str = ""

    @property
    def same(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {"turn_id": self.turn_id, "backend": self.backend, "new_backend": self.new_backend,
                "same": self.same, "changes": list(self.changes), "logged": self.logged.to_dict(),
                "new": self.new.to_dict()}  # fmt: skip


def compare(turn: LoggedTurn, new_text: str | None, *, seed: int = 0, new_backend: str = "",
            evidence: tuple[Evidence | None, Evidence | None] = (None, None)) -> TurnDiff:  # fmt: skip
    """Judge the logged answer and `new_text` alike and list their differences (empty: the same behaviour);
    `evidence`: the grounding of each answer's gains (`evidence_for`), else every gain is held."""
    if turn.tier == "reader":  # the small model only picked; its pick is what can differ
        logged, new = judge_pick(turn.answer()), judge_pick(new_text)
        changes = _changes(logged, new, judged=False, label="pick")
        return TurnDiff(turn.id, turn.backend, logged, new, tuple(changes), new_backend=new_backend)
    state = turn.state_before()
    engine = turn.engine_text()
    logged = judge(turn.answer(), state, engine_text=engine, seed=seed, evidence=evidence[0])
    if state is None and logged.parsed:  # without the state, the log's own verdicts are the best we have
        accepted, refused = turn.logged_verdicts()
        logged = replace(logged, accepted=accepted, refused=refused)
    new = judge(new_text, state, engine_text=engine, seed=seed, evidence=evidence[1])
    return TurnDiff(turn.id, turn.backend, logged, new, tuple(_changes(logged, new, judged=state is not None)),
                    new_backend=new_backend)  # fmt: skip


def _changes(logged: Judgement, new: Judgement, *, judged: bool, label: str = "proposed") -> list[str]:
    if logged.parsed != new.parsed:
        return [f"parse: {'ok' if logged.parsed else 'failed'} → {'ok' if new.parsed else 'failed: ' + new.problem}"]
    if not new.parsed:
        return []
    changes: list[str] = []
    if judged:
        for label in ("accepted", "refused"):
            was, now = Counter(getattr(logged, label)), Counter(getattr(new, label))
            if was != now:
                changes.append(f"{label}: {_pairs(was - now, '-')}{_pairs(now - was, '+')}".rstrip())
    elif Counter(logged.proposed) != Counter(new.proposed):
        was, now = Counter(logged.proposed), Counter(new.proposed)
        changes.append(f"{label}: {_pairs(was - now, '-')}{_pairs(now - was, '+')}".rstrip())
    if logged.ends_on_question != new.ends_on_question:
        changes.append(f"ends on a question: {_yes(logged.ends_on_question)} → {_yes(new.ends_on_question)}")
    if set(logged.stray_numbers) != set(new.stray_numbers):
        changes.append(f"numbers not from the engine: {_nums(logged.stray_numbers)} → {_nums(new.stray_numbers)}")
    return changes


def _pairs(counter: Counter[Pair], sign: str) -> str:
    return "".join(f"{sign}{kind}({target}) " for (kind, target), n in sorted(counter.items()) for _ in range(n))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _nums(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "none"


async def evidence_for(turn: LoggedTurn, text: str | None, *, rules: Any = None) -> Evidence | None:
    """What `text`'s gains may be traced to, as in the live turn: the campaign text the logged prompt showed
    (the scene and the passages) and, given `rules`, the SRD. None without a logged state."""
    state = turn.state_before()
    if state is None or text is None:
        return None
    try:
        effects = parse_reply(text).effects
    except MalformedReply:
        return None
    return await gather_evidence(state, effects, passages=shown_text(turn.request()), rules=rules)


def shown_text(request: Sequence[Message]) -> list[str]:
    """The campaign text sections of a logged prompt (the scene, the passages): what grounded its gains."""
    wanted = (CONTEXT_HEADERS["scene"], CONTEXT_HEADERS["passages"])
    ends = [h for h in CONTEXT_HEADERS.values() if h not in wanted] + list(MESSAGE_HEADS)
    out: list[str] = []
    for message in request:
        content = str(message.get("content", "")) if message.get("role") == "user" else ""
        for header in wanted:
            start = content.find(header)
            if start < 0:
                continue
            body = content[start + len(header):]
            cut = min([i for i in (body.find(h) for h in ends) if i >= 0], default=len(body))
            out.append(body[:cut].strip())
    return [text for text in out if text]


async def replay_turn(turn: LoggedTurn, backend: InferenceBackend, *, max_tokens: int = 700,
                      temperature: float = 0.0, seed: int = 0, rules: Any = None) -> TurnDiff:  # fmt: skip
    """Ask `backend` the logged turn's last question again and compare its answer with the logged one; gains
    are judged on the logged prompt's campaign text and (given `rules`) the SRD, as the live turn judged them.

    A backend error is a difference too (the new side "did not parse"); it never raises for the model's sake.
    """
    try:
        schema = reader_schema_of(turn.request()) if turn.tier == "reader" else reply_json_schema()
        generation = await backend.generate(turn.request(), schema, max_tokens=max_tokens,
                                            temperature=temperature)  # fmt: skip
    except InferenceError as exc:
        failed = Judgement(parsed=False, problem=f"backend error: {exc}")
        logged = compare(turn, turn.answer(), seed=seed,
                         evidence=(await evidence_for(turn, turn.answer(), rules=rules), None)).logged
        change = f"parse: {'ok' if logged.parsed else 'failed'} → failed: {failed.problem}"
        return TurnDiff(turn.id, turn.backend, logged, failed, (change,), new_backend=getattr(backend, "name", ""))
    if turn.tier == "reader":
        return compare(turn, generation.text, seed=seed, new_backend=generation.backend)
    evidence = (await evidence_for(turn, turn.answer(), rules=rules), await evidence_for(turn, generation.text,
                                                                                           rules=rules))
    return compare(turn, generation.text, seed=seed, new_backend=generation.backend, evidence=evidence)


def summarize(diffs: Sequence[TurnDiff]) -> dict[str, Any]:
    """Totals over a replay: turns, unchanged, parse failures (logged/new), question endings, stray numbers."""
    return {
        "turns": len(diffs),
        "same": sum(d.same for d in diffs),
        "changed": sum(not d.same for d in diffs),
        "parse_failures": {"logged": sum(not d.logged.parsed for d in diffs),
                           "new": sum(not d.new.parsed for d in diffs)},
        "verdict_changes": sum(any(c.startswith(("accepted", "refused", "proposed", "pick")) for c in d.changes)
                               for d in diffs),
        "ends_on_question": {"logged": sum(d.logged.ends_on_question for d in diffs),
                             "new": sum(d.new.ends_on_question for d in diffs)},
        "stray_numbers": {"logged": sum(len(d.logged.stray_numbers) for d in diffs),
                          "new": sum(len(d.new.stray_numbers) for d in diffs)},
    }  # fmt: skip
