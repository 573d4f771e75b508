"""Role questions ("who runs the lighthouse?", "who keeps the light?"): which NPCs' roles answer them.

An NPC's role is a short title from the adventure ("Keeper of the Crow Point light for thirty-one
years", "Proprietor of the Gutted Eel"). A question asks for a role with a verb ("runs", "keeps",
"leads", "is in charge of") or a title ("the innkeeper", "the keeper of"), and names what the role
is over ("the lighthouse"). An NPC answers when its role holds one of the titles the question asks
for and, if the question names something, a word of it ("lighthouse" ~ "light": one word begins the
other). Pure functions: the retriever reads the campaign's NPCs and ranks their own chunks first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["RoleQuestion", "role_question", "rank_roles"]

_RUN = ("keeper", "proprietor", "owner", "master", "mistress", "leader", "head", "manager", "captain", "chief",
        "boss", "innkeeper", "warden", "steward", "mayor", "elder", "foreman", "priest", "abbot")
# a verb (or phrase) of the question → the titles that do it
_VERBS: dict[str, tuple[str, ...]] = {
    "run": _RUN, "ran": _RUN, "keep": ("keeper", "innkeeper", "warden", "guardian", "caretaker", "jailer"),
    "kept": ("keeper", "warden", "jailer"), "own": ("owner", "proprietor", "master", "landlord", "landlady"),
    "lead": ("leader", "head", "chief", "captain", "commander", "boss", "elder"), "led": ("leader", "captain"),
    "tend": ("keeper", "tender", "priest", "priestess", "warden", "caretaker", "healer"),
    "manage": ("manager", "master", "proprietor", "steward", "foreman"),
    "command": ("commander", "captain", "sergeant", "leader"), "rule": ("ruler", "lord", "lady", "mayor", "leader"),
    "guard": ("guard", "guardian", "warden", "watchman", "sentry"), "serve": ("priest", "priestess", "servant"),
    "charge": ("captain", "sergeant", "commander", "head", "leader", "chief", "master", "warden", "keeper"),
    "after": ("keeper", "priest", "priestess", "caretaker", "warden", "guardian"),
    "operate": ("operator", "keeper", "master", "proprietor"),
    "collect": ("collector", "keeper", "warden", "tollkeeper"), "heal": ("healer", "herbalist", "priest"),
}
# a title asked for by name → titles that mean the same in a role text
_TITLES: dict[str, tuple[str, ...]] = {
    "innkeeper": ("innkeeper", "proprietor", "owner", "landlord", "landlady", "barkeep"),
    "barkeep": ("barkeep", "innkeeper", "proprietor"), "bartender": ("barkeep", "innkeeper", "proprietor"),
    "boss": ("boss", "leader", "head", "chief"), "priest": ("priest", "priestess", "cleric"),
}
_ROLE_WORDS = frozenset({t for titles in (*_VERBS.values(), *_TITLES.values()) for t in titles} | set(_TITLES))
_ASKS = re.compile(r"^\s*(who|whom|whose|which\s+(npc|person|one))\b|\bwho\s*(is|'s|’s)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'\u2019\-]*")
_IGNORE = frozenset("""who whom whose which npc person one is are was were the a an of in at on for to and or this that
there here be been does do did has have had s in charge looks look after take takes care""".split())


@dataclass(frozen=True)
class RoleQuestion:
    titles: frozenset[str]          # titles that answer it ("keeper", "proprietor", ...)
    objects: tuple[str, ...]        # what the role is over ("lighthouse"); may be empty
    named: bool = False             # a title was asked by name ("the innkeeper"): objects are optional


def _verb(word: str) -> str | None:
    for stem in _VERBS:
        if word == stem or (word.startswith(stem) and len(word) - len(stem) <= 4 and word[len(stem):] in (
                "s", "es", "ed", "ing", "ning", "d", "er", "ers")):
            return stem
    return None


def _close(a: str, b: str) -> bool:
    """Same word, or one begins the other (4+ letters): "lighthouse" ~ "light", "wrecker" ~ "wreckers"."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.startswith(short)


def role_question(query: str, is_stop: Callable[[str], bool] = lambda w: False) -> RoleQuestion | None:
    """The titles and objects of a "who runs/keeps/leads X?" question, or None for any other query."""
    if not _ASKS.search(query):
        return None
    words = [w.replace("\u2019", "'").removesuffix("'s").strip("'-") for w in _WORD.findall(query.lower())]
    titles: set[str] = set()
    objects: list[str] = []
    named = False
    for word in words:
        stem = _verb(word)
        if stem is not None:
            titles.update(_VERBS[stem])
        elif word in _ROLE_WORDS or word.removesuffix("s") in _ROLE_WORDS:
            titles.update(_TITLES.get(word, (word.removesuffix("s") if word not in _ROLE_WORDS else word,)))
            named = True
        elif word and word not in _IGNORE and not is_stop(word) and len(word) >= 3:
            objects.append(word)
    if not titles:
        return None
    return RoleQuestion(frozenset(titles), tuple(dict.fromkeys(objects)), named)


def _holds_title(role_words: Sequence[str], titles: Iterable[str]) -> bool:
    # "The keeper's fifteen-year-old daughter" is not a keeper: a possessive title does not count
    return any(w in titles for w in role_words)


def rank_roles(question: RoleQuestion, npcs: Sequence[tuple[int, str]]) -> list[int]:
    """Chunk ids of the NPCs whose role answers `question`, best first; `npcs` are (chunk id, role text)."""
    scored = []
    for chunk_id, role in npcs:
        words = [w.strip("-") for w in _WORD.findall(role.lower()) if not w.endswith(("'s", "\u2019s"))]
        if not _holds_title(words, question.titles):
            continue
        matched = sum(1 for o in question.objects if any(_close(o, w) for w in words))
        if question.objects and not matched and not question.named:
            continue
        scored.append((-matched, len(scored), chunk_id))
    return [chunk_id for *_, chunk_id in sorted(scored)]
