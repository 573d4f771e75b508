"""The engine's own words under the narrative: what was rolled and what changed, with its numbers.

The model's prose is not trusted for numbers; these lines are built only from the engine's rolls
(`EngineRoll`) and the rules engine's `EffectOutcome` summaries, e.g.
"Brakka's Athletics check: 17 (+5) vs DC 15, success." and "Brakka takes 9 slashing damage (15 → 6 HP)."
An attack or spell the engine resolved whole carries its own sentence ("Brakka hits Goblin with a
Longsword — 17 vs AC 15 — 9 slashing (7 → 0 HP); it falls.") and its hit-point changes are not repeated.

`unbacked_numbers` is the check on the model's prose: a number in the narrative that the engine (or
the text the model was shown) did not produce is counted, and one in a mechanical phrase ("takes 12
damage", "a 17 to hit") is struck out. Ordinals ("3rd-level") and numbers in words are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EngineRoll", "checked_narrative", "mechanics_lines", "numbers_in", "refusal_lines", "roll_line", "render_turn",
           "strip_unbacked", "unbacked_numbers"]


@dataclass(frozen=True)
class EngineRoll:
    """One roll the engine made for the model's request (or why it could not)."""

    who: str
    label: str
    total: int | None
    modifier: int | None = None
    dc: int | None = None
    success: bool | None = None
    advantage: str = "none"
    crit: bool = False
    fumble: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    target: str = ""  # an attack's or spell's target
    line: str = ""  # the engine's own sentence for an attack or spell it resolved whole
    refused: bool = False  # the action did not happen (told as a refusal, not as a roll)

    def to_dict(self) -> dict[str, Any]:
        out = {"who": self.who, "label": self.label, "total": self.total, "modifier": self.modifier, "dc": self.dc,
               "success": self.success, "advantage": self.advantage, "crit": self.crit, "fumble": self.fumble,
               "problem": self.problem}  # fmt: skip
        if self.target or self.line:
            out.update(target=self.target, result=self.line, dice=self.detail.get("dice", {}))
        return out


def roll_line(r: EngineRoll) -> str:
    """"Mira's Perception check: 14 (+3, advantage) vs DC 12, success." — or why it was not rolled."""
    if r.line:
        return r.line
    if r.problem:
        return f"{r.who}'s {r.label}: not rolled ({r.problem})."
    bits = [b for b in (f"{r.modifier:+d}" if r.modifier is not None else "",
                        r.advantage if r.advantage != "none" else "") if b]  # fmt: skip
    text = f"{r.who}'s {r.label}: {r.total}" + (f" ({', '.join(bits)})" if bits else "")
    if r.crit:
        text += ", a natural 20"
    elif r.fumble:
        text += ", a natural 1"
    if r.dc is not None:
        text += f" vs DC {r.dc}, {'success' if r.success else 'failure'}"
    return text + "."


def mechanics_lines(rolls: Sequence[EngineRoll], applied: Sequence[dict[str, Any]]) -> list[str]:
    """The rolls, then the accepted changes' summaries, in order (an action refused is told as a refusal,
    and the changes an engine-resolved action made are in its own sentence)."""
    return [roll_line(r) for r in rolls if not r.refused] + [
        a["summary"] for a in applied if a.get("summary") and a.get("by") != "engine"
    ]


def refusal_lines(refused: Sequence[dict[str, Any]]) -> list[str]:
    """One short in-world line per refused change (the rules engine's reason, or why it is held)."""
    lines = []
    for item in refused:
        reason = str(item.get("summary") or "the rules do not allow it").strip()
        lines.append(f"(It does not come to pass: {reason.rstrip('.')}.)")
    return lines


def render_turn(narrative: str, refused: Sequence[dict[str, Any]], mechanics: Sequence[str]) -> str:
    """The text the table shows: the narrative, the refusals in-world, then the engine's mechanics line."""
    parts = [narrative.strip()]
    notes = refusal_lines(refused)
    if notes:
        parts.append(" ".join(notes))
    if mechanics:
        parts.append("Mechanics: " + " ".join(m.strip() for m in mechanics))
    return "\n".join(parts)


# --- numbers in the model's prose -----------------------------------------------------------------

# A number token: dice ("2d6+3"), a signed or plain integer; not an ordinal ("3rd") nor part of a word.
_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:d\d+(?:\s*[+-]\s*\d+)?)?(?![\w])(?!\.\d)", re.I)
_MECHANICAL = re.compile(r"\s*(?:points? of |(?:\w+ )?damage\b|hit points?\b|hp\b)", re.I)


def numbers_in(texts: Iterable[Any]) -> set[str]:
    """Every number token in `texts` (dicts and lists are read as JSON-ish text), without signs or spaces."""
    found: set[str] = set()
    for text in texts:
        for token in _NUMBER.findall(str(text)):
            found.add(_key(token))
            found.update(_key(n) for n in re.findall(r"\d+", token))  # "2d6+3" backs 2, 6 and 3 as well
    return found


def _key(token: str) -> str:
    return re.sub(r"\s+", "", token).lstrip("+-").lower()


def unbacked_numbers(narrative: str, allowed: set[str]) -> list[str]:
    """The number tokens of `narrative` that are not in `allowed` (see `numbers_in`), in order."""
    return [m.group(0) for m in _NUMBER.finditer(narrative) if _key(m.group(0)) not in allowed]


def strip_unbacked(narrative: str, allowed: set[str]) -> tuple[str, list[str]]:
    """(the narrative with unbacked numbers struck from mechanical phrases, every unbacked number).

    Conservative: only a number right before "damage", "fire damage", "hit points", "HP" is removed
    ("takes 12 damage" → "takes damage"); the others are only reported.
    """
    flagged = unbacked_numbers(narrative, allowed)
    if not flagged:
        return narrative, []

    def strike(m: re.Match[str]) -> str:
        if _key(m.group(0)) in allowed:
            return m.group(0)
        if _MECHANICAL.match(narrative, m.end()):
            return ""
        return m.group(0)

    text = _NUMBER.sub(strike, narrative)
    text = re.sub(r"[ \t]{2,}", " ", text).replace(" ,", ",").replace(" .", ".")
    return text, flagged


def checked_narrative(narrative: str, shown: Iterable[Any], rolls: Sequence[EngineRoll],
                      entries: Iterable[dict[str, Any]]) -> tuple[str, list[str]]:  # fmt: skip
    """`strip_unbacked` against every number the model was shown (`shown`: the prompt's texts) or the engine
    produced (its rolls and the changes' summaries)."""
    allowed = numbers_in([*shown, *(r.to_dict() for r in rolls), *(r.line for r in rolls),
                          *(e.get("summary", "") for e in entries)])  # fmt: skip
    return strip_unbacked(narrative, allowed)
