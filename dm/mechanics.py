"""The engine's own words under the narrative: what was rolled and what changed, with its numbers.

The model's prose is not trusted for numbers; these lines are built only from the engine's rolls
(`EngineRoll`) and the rules engine's `EffectOutcome` summaries, e.g.
"Brakka's Athletics check: 17 (+5) vs DC 15, success." and "Brakka takes 9 slashing damage (15 → 6 HP)."
An attack or spell the engine resolved whole carries its own sentence ("Brakka hits Goblin with a
Longsword — 17 vs AC 15 — 9 slashing (7 → 0 HP); it falls.") and its hit-point changes are not repeated.

`unbacked_numbers` is the check on the model's prose: a number in the narrative that the engine did not
produce (its rolls and verdicts, and what it showed the model: the state's HP and AC, SRD entries, the
campaign's passages, the players' words) is counted in the turn record, and one in a damage or hit-point
phrase ("takes 12 damage") is struck out. Ordinals ("3rd-level") and numbers in words are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from game.attacks import UNARMED_STRIKE

__all__ = ["EngineRoll", "attack_line", "checked_narrative", "mechanics_lines", "numbers_in", "refusal_lines",
           "render_turn", "roll_line", "spell_line", "strip_unbacked", "unbacked_numbers"]


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
            out.update(target=self.target, result=self.line, dice=self.detail.get("dice", {}),
                       applied_by_engine=bool(self.line) and not self.refused)  # no hp_change from the model for it
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


# --- the sentences of attacks and spells the engine resolved ------------------------------------------


def attack_line(attacker: str, target: str, weapon: str, attack_roll: dict[str, Any], bonus: int, ac: int,
                hit: bool, critical: bool, fumble: bool, advantage: str, damage_roll: dict[str, Any] | None,
                dealt: int, damage_type: str | None, before: int, after: int, dropped: bool, dead: bool,
                creature: bool) -> EngineRoll:  # fmt: skip
    """An attack the engine resolved, as the roll the model is told and the sentence the table shows."""
    total = int(attack_roll.get("total") or 0)
    d20s = [int(d["value"]) for d in attack_roll.get("rolls", [])]
    damage_dice = [int(d["value"]) for d in (damage_roll or {}).get("rolls", [])]
    verb = "critically hits" if critical else "hits" if hit else "misses"
    mode = f", {advantage}" if advantage != "none" else ""
    line = f"{attacker} {verb} {target} with {_a(weapon)} — {total} ({bonus:+d}{mode}) vs AC {ac}"
    if critical:
        line += f", {'a natural 20' if total - bonus == 20 else 'a critical hit'}: dice doubled"
    elif fumble:
        line += ", a natural 1"
    if hit:
        line += f" — {dealt} {damage_type or ''}".rstrip() + f" ({before} → {after} HP)"
        if dead:
            line += "; it falls" if creature else f"; {target} dies"
        elif dropped:
            line += "; it falls" if creature else f"; {target} falls unconscious"
    return EngineRoll(who=attacker, label=f"attack with {weapon}", total=total, modifier=bonus, dc=ac, success=hit,
                      advantage=advantage, crit=critical, fumble=fumble, target=target, line=line + ".",
                      detail={"dice": {"attack": d20s, "damage": damage_dice}})  # fmt: skip


def _a(weapon: str) -> str:
    if weapon == UNARMED_STRIKE.name:
        return "an unarmed strike"
    return f"{'an' if weapon[:1].lower() in 'aeiou' else 'a'} {weapon}"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def spell_line(done: Any) -> str:
    """"Mira casts Magic Missile (1st-level slot, 1 left) — 3 darts at Goblin: 9 force (7 → 0 HP); it falls."""
    slot = ""
    if done.slot_level is not None:
        left = f", {done.slots_left} left" if done.slots_left is not None else ""
        slot = f" ({_ordinal(done.slot_level)}-level slot{left})"
    parts = [_target_text(done, t) for t in done.targets]
    if not done.resolved or not parts:
        parts = [("on " + ", ".join(done.target_names)) if done.target_names else "its effect is the DM's to tell"]
    return f"{done.caster} casts {done.spell}{slot} — " + "; ".join(parts) + "."


def _target_text(done: Any, t: Any) -> str:
    if done.kind == "heal":
        return f"{t.name} regains {t.healed} HP ({t.hp_before} → {t.hp_after} HP)"
    head = t.name
    if t.attack_rolls:
        rolls = ", ".join(f"{r.get('total')} {'hits' if r.get('success') else 'misses'}" for r in t.attack_rolls)
        head += f": {rolls} (+{done.attack_bonus or 0}) vs AC"
        head += ", a natural 20: dice doubled" if t.critical else ""
    elif t.save_roll is not None or t.auto_fail or t.sculpted:
        total = "fails automatically" if t.auto_fail else "spared" if t.sculpted else f"{t.save_roll.get('total')}"
        head += f"'s {str(done.save_ability or 'dexterity').capitalize()} save {total} vs DC {done.save_dc}, "
        head += "saved" if t.saved else "failed"
    elif t.darts:
        head += f": {t.darts} dart{'s' if t.darts != 1 else ''}"
    text = head + (f" — {t.damage_dealt} {done.damage_type or ''}".rstrip() if t.damage or t.hits else "")
    text += f" ({t.hp_before} → {t.hp_after} HP)" if t.hp_before != t.hp_after else ""
    return text + ("; it falls" if t.dead or t.dropped else "")


# --- numbers in the model's prose -----------------------------------------------------------------

# A number token: dice ("2d6+3"), a signed or plain integer; not an ordinal ("3rd") nor part of a word.
_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:d\d+(?:\s*[+-]\s*\d+)?)?(?![\w])(?!\.\d)", re.I)
_MECHANICAL = re.compile(r"\s*(?:points? of |(?:\w+ )?damage\b|hit points?\b|hp\b)", re.I)


def numbers_in(texts: Iterable[Any]) -> set[str]:
    """Every number token in `texts` (dicts and lists are read as JSON-ish text), without signs or spaces."""
    found: set[str] = set()
    for text in texts:
        for token in _NUMBER.findall(str(text)):
            if token.isdigit():  # most of them: its own key, no parts
                found.add(token)
                continue
            found.add(_key(token))
            found.update(_DIGITS.findall(token))  # "2d6+3" backs 2, 6 and 3 as well (digits are their own key)
    return found


_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def _key(token: str) -> str:
    return _SPACE.sub("", token).lstrip("+-").lower()


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
    if not _NUMBER.search(narrative):  # no number to check: what backs numbers need not be gathered
        return narrative, []
    allowed = numbers_in([*shown, *(r.to_dict() for r in rolls), *(r.line for r in rolls),
                          *(e.get("summary", "") for e in entries)])  # fmt: skip
    return strip_unbacked(narrative, allowed)
