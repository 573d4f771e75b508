"""The AI DM's reply: the JSON every backend is asked for, and its tolerant parser.

A reply carries the narrative, the rolls it asks the engine to make, the SRD entries it wants
looked up, and the state changes it proposes. The model never rolls and never changes state:
rolls go to `game.dice`, effects to `game.validation`. Every string and list is bounded so a
small model under constrained decoding must close its JSON, and so a runaway reply cannot
flood a channel. The schema is one fixed dict (grammar caches in vLLM/xgrammar key on it).

Parsing is per part: a malformed effect is dropped into `rejected_effects` with its reason
(the DM narrates the refusal); only a reply with no usable narrative is `MalformedReply`. The
schema marks `effects` with `TOLERANT_ITEMS`, so backends check only the envelope (narrative,
rolls, lookups, an `effects` array) and one bad effect reaches this parser instead of costing
the whole reply. The effect cap is the rules engine's `game.validation.MAX_EFFECTS`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dm.errors import MalformedReply
from game.effects import EFFECT_ADAPTER, EFFECT_KINDS, Effect
from game.validation import MAX_EFFECTS
from inference.interfaces import TOLERANT_ITEMS

__all__ = [
    "CanonNote",
    "DMReply",
    "ParsedReply",
    "RollRequest",
    "RuleLookup",
    "MAX_EFFECTS",
    "MAX_NARRATIVE",
    "parse_reply",
    "reply_json_schema",
]

MAX_NARRATIVE = 1800
MAX_CANON_NOTES = 4
MAX_ROLLS = 4
MAX_LOOKUPS = 3
_SHORT = 80


class RollRequest(BaseModel):
    """A roll the engine makes for the model (the model never invents dice results).

    An "attack" with a `target` and a "spell" are resolved whole by the engine, as `!attack` and
    `!cast` would: the attack bonus or the slot, the target's AC or save, the damage applied.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    who: str = Field(max_length=_SHORT, description="character or creature rolling")
    kind: Literal["attack", "spell", "damage", "ability_check", "saving_throw", "initiative", "other"] = Field(
        description="attack (with target) and spell are resolved and applied by the engine: no hp_change for them")
    target: str | None = Field(default=None, max_length=_SHORT, description="attack/spell: whom it is aimed at")
    weapon: str | None = Field(default=None, max_length=40, description="attack: the weapon or stat block action")
    spell: str | None = Field(default=None, max_length=_SHORT, description="spell: its name")
    slot_level: int | None = Field(default=None, ge=1, le=9, description="spell: the slot level to spend")
    ability_or_skill: str | None = Field(default=None, max_length=40, description="e.g. dexterity, stealth")
    expression: str | None = Field(default=None, max_length=40, description="dice, e.g. 1d8+3, when not a check")
    dc: int | None = Field(default=None, ge=1, le=40)
    advantage: Literal["none", "advantage", "disadvantage"] = "none"
    reason: str = Field(default="", max_length=120)


class RuleLookup(BaseModel):
    """An SRD entry the model wants in front of it before answering."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["spell", "monster", "magic_item", "equipment", "condition", "rule"]
    name: str = Field(max_length=_SHORT)


class CanonNote(BaseModel):
    """A fact the reply establishes that the state does not hold (`dm.canon` stores it with the turn)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(min_length=1, max_length=_SHORT, description="an NPC or an item, by name")
    predicate: Literal["is_at", "held_by", "promised", "owes"]
    object: str = Field(min_length=1, max_length=160, description="a place, a holder, what is promised or owed")


class DMReply(BaseModel):
    """The wire shape. `effects` stay raw dicts here: each is validated on its own by `parse_reply`."""

    model_config = ConfigDict(extra="ignore")

    narrative: str = Field(min_length=1, max_length=MAX_NARRATIVE)
    rolls: list[RollRequest] = Field(default_factory=list, max_length=MAX_ROLLS)
    rule_lookups: list[RuleLookup] = Field(default_factory=list, max_length=MAX_LOOKUPS)
    effects: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_EFFECTS)
    canon: list[CanonNote] = Field(default_factory=list, max_length=MAX_CANON_NOTES,
                                   description="optional: facts to remember (where an NPC went, a promise, a debt)")

    @field_validator("canon", mode="before")
    @classmethod
    def _usable_notes(cls, value: Any) -> Any:  # optional extras: a bad note is dropped, never the reply
        if not isinstance(value, list):
            return []
        kept = [v for v in value if isinstance(v, dict) and _note_ok(v)]
        return kept[:MAX_CANON_NOTES]

    # A validator, not a schema `pattern`: grammar compilers read patterns as whole-string matches.
    @field_validator("narrative")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the narrative is blank")
        return value


class ParsedReply(BaseModel):
    model_config = ConfigDict(frozen=True)

    narrative: str
    rolls: tuple[RollRequest, ...] = ()
    rule_lookups: tuple[RuleLookup, ...] = ()
    effects: tuple[Effect, ...] = ()
    rejected_effects: tuple[tuple[dict[str, Any], str], ...] = ()
    repaired: bool = False
    canon: tuple[CanonNote, ...] = ()


@lru_cache(maxsize=1)
def reply_json_schema() -> dict[str, Any]:
    """The fixed JSON schema sent to every backend (a new dict each call is not needed: don't mutate it)."""
    effect_schema = EFFECT_ADAPTER.json_schema()
    defs = effect_schema.pop("$defs", {})
    schema = DMReply.model_json_schema()
    schema.setdefault("$defs", {}).update(defs)
    schema["properties"]["effects"]["items"] = {
        "anyOf": effect_schema.get("oneOf") or effect_schema.get("anyOf") or [effect_schema]
    }
    # The grammar still asks for valid effects; the backend's post-hoc check leaves each to `parse_reply`.
    schema["properties"]["effects"][TOLERANT_ITEMS] = True
    schema["properties"]["canon"][TOLERANT_ITEMS] = True  # optional notes: a bad one is dropped, not the reply
    schema["required"] = ["narrative", "rolls", "rule_lookups", "effects"]
    for definition in schema["$defs"].values():
        # `kind` has a default in the models, so pydantic leaves it optional; on the wire it must be
        # there, or `{}` would match every effect and small models emit it.
        if "const" in definition.get("properties", {}).get("kind", {}):
            required = definition.setdefault("required", [])
            if "kind" not in required:
                required.insert(0, "kind")
    return _without_discriminator(schema)


def _without_discriminator(node: Any) -> Any:
    """Drop pydantic's OpenAPI `discriminator` keys, which grammar compilers do not read."""
    if isinstance(node, dict):
        return {k: _without_discriminator(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_without_discriminator(v) for v in node]
    return node


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.I)
_TRAILING_QUESTION = re.compile(r"\s*(?:So,?\s*)?what (?:do|will|would) you do(?: next| now)?\s*\?\s*$", re.I)


def _load_json(raw: str) -> tuple[dict[str, Any], bool]:
    text = _FENCE.sub("", raw.strip())
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            return data, text != raw.strip()
    except json.JSONDecodeError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            data = json.loads(text[start : end + 1])
            if isinstance(data, dict):
                return data, True
        except json.JSONDecodeError:
            pass
    raise MalformedReply("not a JSON object", raw)


def parse_reply(raw: str) -> ParsedReply:
    """Parse a model reply, repairing what can be repaired.

    Raises:
        MalformedReply: no JSON object, or no usable narrative.
    """
    data, repaired = _load_json(raw)
    raw_effects = data.get("effects") if isinstance(data.get("effects"), list) else []
    wire = {**data, "effects": []}
    try:
        reply = DMReply.model_validate(wire)
    except ValidationError as exc:
        narrative = data.get("narrative")
        if not isinstance(narrative, str) or not narrative.strip():
            raise MalformedReply(f"invalid reply: {exc.errors()[0]['msg']}", raw) from None
        # Keep the story; drop the malformed rolls/lookups rather than lose the whole turn.
        reply = DMReply(narrative=narrative.strip()[:MAX_NARRATIVE])
        repaired = True
    effects: list[Effect] = []
    rejected: list[tuple[dict[str, Any], str]] = []
    for item in raw_effects:
        if len(effects) >= MAX_EFFECTS:
            rejected.append((item if isinstance(item, dict) else {"value": item}, "too many effects in one reply"))
            continue
        if not isinstance(item, dict) or item.get("kind") not in EFFECT_KINDS:
            kind = item.get("kind") if isinstance(item, dict) else None
            rejected.append((item if isinstance(item, dict) else {"value": item}, f"unknown effect kind {kind!r}"))
            continue
        try:
            effects.append(EFFECT_ADAPTER.validate_python(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"][1:])  # [0] is the union member's tag
            rejected.append((item, f"{where}: {error['msg']}" if where else error["msg"]))
    return ParsedReply(
        narrative=tidy_narrative(reply.narrative),
        rolls=tuple(reply.rolls),
        rule_lookups=tuple(reply.rule_lookups),
        effects=tuple(effects),
        rejected_effects=tuple(rejected),
        repaired=repaired,
        canon=tuple(reply.canon),
    )


def _note_ok(value: dict[str, Any]) -> bool:
    try:
        CanonNote.model_validate(value)
    except ValidationError:
        return False
    return True


_LAST_SENTENCE = re.compile(r"(?<=[.!…])\s+(?=[^.!…]*\?\s*$)")
_HANDING_BACK = re.compile(r"^(?:so,?\s*)?(?:what|how|where|which|do|will|would|shall|are|can)\b[^\"“”:]*"
                           r"\byour?\b[^\"“”:]*\?$", re.I)  # fmt: skip


def tidy_narrative(text: str) -> str:
    """Trim the text and drop a closing "What do you do next?" or a question like it to the players ("How do
    you proceed?", "What is your next move?"); an NPC's quoted question stays (the DM never ends on one)."""
    text = text.strip()
    trimmed = _TRAILING_QUESTION.sub("", text).rstrip()
    parts = _LAST_SENTENCE.split(trimmed)
    if len(parts) > 1 and _HANDING_BACK.match(parts[-1].strip()):
        trimmed = trimmed[: len(trimmed) - len(parts[-1])].rstrip()
    return trimmed or text
