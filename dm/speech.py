"""Who speaks in a narrative: the NPCs' quoted lines told apart from the narration.

    speech_parts('Mirela leans in. "The lamp went dark," she whispers.', ["Mirela Voss"])
    # → ((None, "Mirela leans in."), ("Mirela Voss", "The lamp went dark."))

The reply schema has one narrative string; a front end that gives NPCs their own voice (the Discord bot's
channel webhooks, `gateway.discord.voices`) needs the spoken lines apart. A line of the narrative is
speech when it quotes someone and names exactly one known NPC outside the quotes ("Mirela says, ...",
"... asks the Voss woman" does not count: only the NPC's name or a distinctive part of it), or when it
reads `Name: words` for a known NPC; a line that also names a player character stays narration. Short
attribution tags between or after quotes ("she whispers", "says Mirela") are dropped; any other narration
in the line stays narration, in order. Everything the parser is unsure of stays narration, so nothing is
ever lost or put in the wrong mouth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["Part", "npc_names", "speech_parts"]

Part = tuple[str | None, str]  # (the NPC speaking, their words) or (None, narration)

_QUOTE = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_TITLES = frozenset({"the", "old", "young", "sir", "lady", "lord", "captain", "brother", "sister", "mother",
                     "father", "master", "mistress", "dame", "uncle", "aunt", "of", "von", "van", "de"})  # fmt: skip
_TAG_WORDS = frozenset({"says", "said", "say", "asks", "asked", "whispers", "whispered", "replies", "replied",
                        "mutters", "muttered", "growls", "growled", "adds", "added", "continues", "continued",
                        "shouts", "shouted", "calls", "called", "answers", "answered", "laughs", "sighs", "hisses",
                        "murmurs", "murmured", "tells", "told", "snaps", "snapped", "cries", "cried", "he", "she",
                        "they", "it"})  # fmt: skip
_MAX_TAG_WORDS = 6


def npc_names(npcs: Iterable[object]) -> list[str]:
    """The names of the living NPCs of `GameState.npcs` values (anything with `name` and `alive`)."""
    return [str(getattr(n, "name")) for n in npcs if getattr(n, "alive", True) and getattr(n, "name", "")]


def _handles(names: Sequence[str]) -> dict[str, str]:
    """Each way a line may name an NPC → that NPC: the full name, and each distinctive word of it that no
    other NPC shares ("Mirela" for "Mirela Voss"; not "Old" of "Old Tom")."""
    words: dict[str, set[str]] = {}
    for name in names:
        for word in re.findall(r"[A-Z][\w'-]{2,}", name):
            if word.lower() not in _TITLES:
                words.setdefault(word, set()).add(name)
    handles = {word: next(iter(who)) for word, who in words.items() if len(who) == 1}
    handles.update({name: name for name in names})
    return handles


def _named(text: str, handles: dict[str, str]) -> set[str]:
    return {who for handle, who in handles.items() if re.search(rf"(?<![\w]){re.escape(handle)}(?![\w])", text)}


def _is_tag(text: str, speaker: str, handles: dict[str, str]) -> bool:
    """A short "she whispers" / "says Mirela" between or after the quotes (dropped: the voice says it)."""
    words = re.findall(r"[\w'-]+", text)
    if not words:
        return True
    if len(words) > _MAX_TAG_WORDS or re.search(r"[,.;:!?]", text):  # "she says, and pours": more than a tag
        return False
    return any(w.lower() in _TAG_WORDS for w in words) or _named(text, handles) == {speaker}


def _colon_line(line: str, handles: dict[str, str]) -> Part | None:
    match = re.match(r"^\**([^:*\"“]{2,60}?)\**\s*:\**\s*(.+)$", line)
    if match is None or match.group(1).strip() not in handles:
        return None
    words = match.group(2).strip().strip('"“”').strip()
    return (handles[match.group(1).strip()], words) if words else None


def _line_parts(line: str, handles: dict[str, str], others: dict[str, str]) -> list[Part]:
    if (said := _colon_line(line, handles)) is not None:
        return [said]
    quotes = list(_QUOTE.finditer(line))
    if not quotes:
        return [(None, line)]
    outside = _QUOTE.sub(" ", line)
    speakers = _named(outside, handles)
    if len(speakers) != 1 or _named(outside, others):  # a player character named too: whose words? unsure
        return [(None, line)]
    speaker = next(iter(speakers))
    parts: list[Part] = []
    head = line[: quotes[0].start()].strip()
    if head:
        parts.append((None, head))
    spoken: list[str] = []
    for i, quote in enumerate(quotes):
        spoken.append(_closed((quote.group(1) or quote.group(2)).strip()))
        end = quotes[i + 1].start() if i + 1 < len(quotes) else len(line)
        between = line[quote.end() : end].strip()
        if between and not _is_tag(between.strip(",.;:—- "), speaker, handles):
            parts.append((speaker, " ".join(spoken)))
            parts.append((None, between.lstrip(",;:—- ")))
            spoken = []
    if spoken:
        parts.append((speaker, " ".join(spoken)))
    return parts


def _closed(words: str) -> str:
    """ "The lamp went dark," → "The lamp went dark." (the comma led into a tag the voice leaves out)."""
    return words[:-1] + "." if words.endswith(",") else words


def _merged(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for who, text in parts:
        if out and out[-1][0] == who:
            out[-1] = (who, f"{out[-1][1]}\n{text}" if who is None else f"{out[-1][1]} {text}")
        else:
            out.append((who, text))
    return out


def speech_parts(text: str, names: Sequence[str], others: Sequence[str] = ()) -> tuple[Part, ...]:
    """The narrative in order as narration and NPC lines; () when no known NPC speaks (show it as it is).
    `others`: the player characters' names (a line naming one of them as well stays narration)."""
    if not names or not text.strip():
        return ()
    handles = _handles(names)
    pcs = {k: v for k, v in _handles(others).items() if k not in handles} if others else {}
    parts: list[Part] = []
    for line in text.split("\n"):
        parts.extend(_line_parts(line, handles, pcs) if line.strip() else [(None, "")])
    if not any(who for who, _ in parts):
        return ()
    merged = _merged(parts)
    return tuple((who, said.strip("\n")) for who, said in merged if said.strip())
