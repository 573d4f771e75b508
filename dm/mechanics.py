"""The engine's own words under the narrative: what was rolled and what changed, with its numbers.

The model's prose is not trusted for numbers; these lines are built only from the engine's rolls
(`EngineRoll`) and the rules engine's `EffectOutcome` summaries, e.g.
"Brakka's Athletics check: 17 (+5) vs DC 15, success." and "Brakka takes 9 slashing damage (15 → 6 HP)."
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EngineRoll", "mechanics_lines", "refusal_lines", "roll_line", "render_turn"]


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

    def to_dict(self) -> dict[str, Any]:
        return {"who": self.who, "label": self.label, "total": self.total, "modifier": self.modifier, "dc": self.dc,
                "success": self.success, "advantage": self.advantage, "crit": self.crit, "fumble": self.fumble,
                "problem": self.problem}  # fmt: skip


def roll_line(r: EngineRoll) -> str:
    """"Mira's Perception check: 14 (+3, advantage) vs DC 12, success." — or why it was not rolled."""
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
    """The rolls, then the accepted changes' summaries, in order."""
    return [roll_line(r) for r in rolls] + [a["summary"] for a in applied if a.get("summary")]


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
