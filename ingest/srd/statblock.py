"""The labelled fields of a monster stat block, from ``Armor Class`` to ``Challenge``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ingest.errors import SrdParseError
from ingest.srd.layout import Line
from ingest.srd.text import clean, join_lines, to_int

__all__ = ["parse_fields", "parse_speed", "parse_bonuses", "FIELD_LABELS"]

# label as printed -> canonical label ("Damage Resistance" appears once, in the Archmage block)
FIELD_LABELS = {
    "Armor Class": "Armor Class",
    "Hit Points": "Hit Points",
    "Speed": "Speed",
    "Saving Throws": "Saving Throws",
    "Skills": "Skills",
    "Damage Vulnerabilities": "Damage Vulnerabilities",
    "Damage Resistances": "Damage Resistances",
    "Damage Resistance": "Damage Resistances",
    "Damage Immunities": "Damage Immunities",
    "Condition Immunities": "Condition Immunities",
    "Senses": "Senses",
    "Languages": "Languages",
    "Challenge": "Challenge",
}
# "Swarm of Bats" prints "DamageResistances": a label's inner spaces are optional
_LABEL_RE = re.compile(
    r"^(" + "|".join(l.replace(" ", " ?") for l in sorted(FIELD_LABELS, key=len, reverse=True)) + r")\b ?(.*)$"
)
_LABEL_KEYS = {l.replace(" ", ""): canon for l, canon in FIELD_LABELS.items()}
_ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
_SCORE_RE = re.compile(r"(\d+) \(([+-]\d+)\)")
_AC_RE = re.compile(r"^(\d+)(?: \(([^)]*)\))?")
_HP_RE = re.compile(r"^(\d+) \((\d+d\d+(?: [+-] \d+)?)\)$")
_CR_RE = re.compile(r"^(\d+(?:/\d+)?) \(([\d,]+) XP\)$")
_SPEED_RE = re.compile(r"^(?:(walk|burrow|climb|fly|swim) )?(\d+) ft\.")
_BONUS_RE = re.compile(r"^([A-Z][A-Za-z ]*?) ([+-]\d+)(?: \([^)]*\))?$")  # Shadow: "Stealth +4 (+6 in dim light or darkness)"
_PASSIVE_RE = re.compile(r"passive Perception (\d+)")

Fail = Callable[[str], SrdParseError]


def parse_fields(lines: Sequence[Line], fail: Fail) -> dict[str, Any]:
    """Monster fields from the lines between the type line and the traits.

    Raises:
        SrdParseError: (built by ``fail``) on a missing required field or an odd value.
    """
    values: dict[str, list[str]] = {}
    scores: list[tuple[int, int]] = []
    current: str | None = None
    for line, piece, bold in _pieces(lines):
        if line.all_bold() and line.text.split() == ["STR", "DEX", "CON", "INT", "WIS", "CHA"]:
            current = None
            continue
        found = _SCORE_RE.findall(piece)
        if len(found) == 6 and not bold:
            scores = [(int(a), int(b)) for a, b in found]
            current = None
            continue
        m = _LABEL_RE.match(piece) if bold else None
        if m:
            current = _LABEL_KEYS[m.group(1).replace(" ", "")]
            if current in values:
                raise fail(f"field {current!r} appears twice")
            values[current] = [m.group(2)]
        elif current is None:
            raise fail(f"unexpected line in the stat block header: {piece!r}")
        else:
            values[current].append(piece)
    text = {k: join_lines(v) for k, v in values.items()}
    for required in ("Armor Class", "Hit Points", "Speed", "Senses", "Languages", "Challenge"):
        if required not in text:
            raise fail(f"missing {required}")
    if len(scores) != 6:
        raise fail("no ability score line")
    for score, mod in scores:
        if mod != (score - 10) // 2:
            raise fail(f"ability modifier {mod:+d} does not match score {score}")

    ac = _AC_RE.match(text["Armor Class"])
    hp = _HP_RE.match(text["Hit Points"])
    cr = _CR_RE.match(text["Challenge"])
    passive = _PASSIVE_RE.search(text["Senses"])
    if not ac:
        raise fail(f"bad Armor Class {text['Armor Class']!r}")
    if not hp:
        raise fail(f"bad Hit Points {text['Hit Points']!r}")
    if not cr:
        raise fail(f"bad Challenge {text['Challenge']!r}")
    if not passive:
        raise fail(f"no passive Perception in Senses {text['Senses']!r}")
    out: dict[str, Any] = {
        "armor_class": int(ac.group(1)),
        "armor_class_source": ac.group(2),
        "armor_class_text": text["Armor Class"],
        "hit_points": int(hp.group(1)),
        "hit_dice": hp.group(2),
        "speed": parse_speed(text["Speed"], fail),
        "speed_text": text["Speed"],
        "saving_throws": parse_bonuses(text.get("Saving Throws"), fail),
        "skills": parse_bonuses(text.get("Skills"), fail),
        "damage_vulnerabilities": text.get("Damage Vulnerabilities"),
        "damage_resistances": text.get("Damage Resistances"),
        "damage_immunities": text.get("Damage Immunities"),
        "condition_immunities": text.get("Condition Immunities"),
        "senses": text["Senses"],
        "passive_perception": int(passive.group(1)),
        "languages": text["Languages"],
        "challenge_rating": cr.group(1),
        "xp": to_int(cr.group(2)),
    }
    out.update({name: score for name, (score, _mod) in zip(_ABILITIES, scores, strict=True)})
    return out


def _pieces(lines: Sequence[Line]) -> list[tuple[Line, str, bool]]:
    """Each line, split where a bold field label starts mid-line.

    The Wereboar's block sets ``silvered weapons Senses passive Perception 12`` on one line.
    """
    out: list[tuple[Line, str, bool]] = []
    for line in lines:
        cuts = [0]
        for i, span in enumerate(line.spans):
            if i and span.bold and not line.spans[i - 1].bold and _LABEL_RE.match(clean(span.text)):
                cuts.append(i)
        cuts.append(len(line.spans))
        for a, b in zip(cuts, cuts[1:]):
            text = clean("".join(s.text for s in line.spans[a:b]))
            if text:
                out.append((line, text, line.spans[a].bold))
    return out


def parse_speed(text: str, fail: Fail) -> dict[str, int]:
    """``30 ft., fly 60 ft. (hover)`` -> ``{"walk": 30, "fly": 60}``; parenthesised notes are skipped."""
    out: dict[str, int] = {}
    outside = re.sub(r"\([^)]*\)", "", text)
    for part in (p.strip() for p in outside.split(",")):
        if not part:
            continue
        m = _SPEED_RE.match(part)
        if not m:
            raise fail(f"bad Speed part {part!r}")
        out.setdefault(m.group(1) or "walk", int(m.group(2)))
    return out


def parse_bonuses(text: str | None, fail: Fail) -> dict[str, int]:
    """``Con +6, Int +8`` -> ``{"con": 6, "int": 8}``; ``Sleight of Hand +4`` -> ``{"sleight of hand": 4}``.

    Keys are the printed names in lower case, like the ability score fields (``str`` ... ``cha``)
    and the ``Monster`` model's documented maps.
    """
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in (clean(p) for p in text.split(",")):
        m = _BONUS_RE.match(part)
        if not m:
            raise fail(f"bad bonus {part!r}")
        out[m.group(1).lower()] = int(m.group(2))
    return out
