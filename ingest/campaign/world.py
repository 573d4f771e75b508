"""World extraction: NPCs, keyed locations (+ connections), plot threads and hooks, from chunks.

Sources, all structural (nothing is tuned to one adventure):
* NPCs: sections whose paragraphs carry NPC labels ("Role.", "Personality.", "Secret.", ...),
  bold-named NPC paragraphs (split into their own chunks by the chunker), stat blocks titled
  with a proper name (never written in lower case elsewhere), and "X (use the Y stat block)" /
  "named X" mentions.
* Locations: keyed headings ("A3. Crypt", "12. Harbor Gate", "Area 4: Vault"); connections from
  "area B3"-style references and from names of other locations in sentences about moving.
* Plot threads: items under faction / plot-thread / quest headings, plus the background section
  as the main thread; hooks: items under hook headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.campaign.blocks import KEYED_HEADING
from ingest.campaign.chunker import NPC_LABEL, Chunk, looks_like_name

__all__ = ["Npc", "Location", "Connection", "PlotThread", "StoryHook", "World", "extract_world",
           "looks_like_name", "split_key"]

_KEY = r"[A-Z]{0,3}-?\d{1,3}[a-z]?"
_AREA_REF = re.compile(rf"\b(?:areas?|rooms?|locations?)\s+({_KEY}(?:\s*(?:,|and|or|&|through|to|-|–)\s*{_KEY})*)")
_MOVE = re.compile(r"\b(lead|leads|led|door|doors|stair|stairs|passage|path|tunnel|exit|toward|towards|route|"
                   r"ladder|trapdoor|bridge|corridor|hall|gate|opens? (?:on|into)|connects?|reach|climb|descend)",
                   re.IGNORECASE)
_THREAD_HEADING = re.compile(r"\b(threads?|factions?|plots?|quests?|villains?|agendas?|developments?|side)\b", re.I)
_HOOK_HEADING = re.compile(r"\bhooks?\b", re.IGNORECASE)
_BACKGROUND = re.compile(r"\b(background|synopsis|overview|premise|the story so far)\b", re.IGNORECASE)
_STAT_REF = re.compile(r"\b([A-Z][a-z'\-]+(?:\s+(?:(?:of|the|de|van|von|du)\s+)?[A-Z][a-z'\-]+){0,3}) \((?:use|uses|using) (?:the |an? )?([a-z][\w' \-]{1,40}?) "
                       r"(?:stat block|statistics)")
_NAMED = re.compile(r"\bnamed ([A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+){0,2})")
_USE_STATS = re.compile(r"\b(?:use|uses|using) (?:the |an? )?([a-z][\w' \-]{1,40}?) (?:stat block|statistics)", re.I)
_HONORIFIC = {"mother", "father", "sister", "brother", "lord", "lady", "sir", "dame", "captain", "king", "queen",
              "prince", "princess", "baron", "baroness", "duke", "count", "countess", "master", "mistress",
              "old", "uncle", "aunt", "keeper", "harbormaster", "mayor", "elder"}
_PRONOUN = re.compile(r"\b(he|she|his|her|him|hers|himself|herself)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Npc:
    name: str
    role: str = ""
    description: str = ""
    personality: str = ""
    secrets: str = ""
    location: str | None = None          # a location name from this document
    stat_block: str | None = None
    chunk_index: int | None = None
    data: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Location:
    key: str | None
    name: str
    description: str
    chunk_index: int
    chapter: str = ""


@dataclass(frozen=True)
class Connection:
    from_name: str
    to_name: str
    description: str


@dataclass(frozen=True)
class PlotThread:
    title: str
    summary: str
    chunk_index: int
    kind: str = "thread"                 # "main" | "thread"


@dataclass(frozen=True)
class StoryHook:
    title: str
    text: str
    chunk_index: int


@dataclass(frozen=True)
class World:
    npcs: tuple[Npc, ...]
    locations: tuple[Location, ...]
    connections: tuple[Connection, ...]
    threads: tuple[PlotThread, ...]
    hooks: tuple[StoryHook, ...]


def split_key(heading: str) -> tuple[str | None, str]:
    """"A3. Crypt" → ("A3", "Crypt"); an unkeyed heading → (None, heading)."""
    m = KEYED_HEADING.match(heading.strip())
    return (m.group(1).upper(), m.group(2).strip()) if m else (None, heading.strip())


def _body(chunk: Chunk) -> str:
    head = chunk.text.split("\n\n", 1)
    return head[1] if len(head) > 1 else chunk.text


def _labels(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for para in text.split("\n\n"):
        m = re.match(r"^([A-Z][\w' ]{1,30}?)[.:]\s+(.*)$", para.strip(), re.DOTALL)
        if m and NPC_LABEL.match(m.group(1)):
            out.setdefault(m.group(1).lower(), m.group(2).strip())
    return out


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0][:300]


def _location_of(chunk: Chunk) -> str | None:
    for heading in reversed(chunk.heading_path):
        key, name = split_key(heading)
        if key:
            return name
    return None


def _npc_from_labels(name: str, chunk: Chunk) -> Npc:
    labels = _labels(_body(chunk))
    secrets = " ".join(v for k, v in labels.items() if k.startswith(("secret", "what", "knows")))
    personality = " ".join(v for k, v in labels.items() if k.startswith(("personality", "mannerism", "appearance",
                                                                         "trait", "ideal", "bond", "flaw", "quirk")))
    stats = labels.get("stats") or labels.get("statistics") or ""
    m = _USE_STATS.search(stats) if stats else None
    body = _body(chunk)
    role = labels.get("role") or labels.get("occupation") or ""
    paren = re.match(rf"^{re.escape(name)}(?:\s*\(([^()]{{3,80}})\)|,\s+((?:a|an|the)\s[^,;.()]{{3,80}}),)", body)
    if not role and paren:                          # "Tobin Reeve (human toll keeper) is ...", "Pell, a guard, ..."
        role = (paren.group(1) or paren.group(2)).strip()
    if not role:
        role = _first_sentence(re.sub(rf"^{re.escape(name)}[.:]?\s*", "", body))
    extra = {k: v for k, v in labels.items() if k not in ("role", "stats", "statistics")}
    return Npc(name, role, body[:2000], personality, secrets, _location_of(chunk),
               m.group(1).strip() if m else (stats or None), chunk.index, extra)


def _title_uses(titles: list[str], text: str) -> dict[str, tuple[int, int]]:
    """For each title: (times written exactly so, times written all lower case) in `text`."""
    if not titles:
        return {}
    by_low = {t.lower(): t for t in titles}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(by_low, key=len, reverse=True))) + r")", re.I)
    counts: dict[str, list[int]] = {t: [0, 0] for t in titles}
    for m in pattern.finditer(text):
        title = by_low[m.group(1).lower()]
        if m.group(1) == title:
            counts[title][0] += 1
        elif m.group(1) == m.group(1).lower():
            counts[title][1] += 1
    return {t: (c[0], c[1]) for t, c in counts.items()}


def extract_world(chunks: list[Chunk], monster_names: set[str] | None = None, title: str = "") -> World:
    """Derive the world model from tagged-or-not chunks (see module docstring)."""
    monster_names = {m.lower() for m in (monster_names or ())}
    all_text = "\n".join(c.text for c in chunks)

    locations: dict[str, Location] = {}
    for chunk in chunks:
        if not chunk.heading_path:
            continue
        key, name = split_key(chunk.heading_path[-1])
        if key and chunk.keyed and name not in locations:
            body = _body(chunk)
            read = re.search(r"Read aloud: (.+?)(?:\n\n|$)", body, re.DOTALL)
            desc = (read.group(1) if read else body.split("\n\n")[0]).strip()
            locations[name] = Location(key, name, desc[:1500], chunk.index, chunk.heading_path[0])

    npcs: dict[str, Npc] = {}
    for chunk in chunks:
        if chunk.kind == "npc" and chunk.heading_path:
            name = chunk.lead or chunk.heading_path[-1]
            if name not in npcs:
                npcs[name] = _npc_from_labels(name, chunk)
    stat_chunks = [c for c in chunks if c.kind == "stat_block" and c.heading_path]
    uses = _title_uses([c.heading_path[-1] for c in stat_chunks], all_text)
    for chunk in stat_chunks:
        stat_title = chunk.heading_path[-1]
        own = _title_uses([stat_title], chunk.text).get(stat_title, (0, 0))
        named, lower = (a - b for a, b in zip(uses.get(stat_title, (0, 0)), own))
        if stat_title in npcs or stat_title.lower() in monster_names or lower > 0 or named <= 0 \
                or not looks_like_name(stat_title):
            continue
        body = _body(chunk)
        npcs[stat_title] = Npc(stat_title, body.split("\n")[0][:200], body[:2000], "", "", _location_of(chunk),
                               stat_title, chunk.index, {"own_stat_block": True})
    known_places = {n.lower() for n in locations}
    for chunk in chunks:
        body = _body(chunk)
        for m in _STAT_REF.finditer(body):
            name, stat = m.group(1), m.group(2).strip()
            if name not in npcs and looks_like_name(name) and name.lower() not in known_places and \
                    name.split()[0].lower() not in ("the", "a", "an"):
                sentence = next((s for s in re.split(r"(?<=[.!?])\s+", body) if name in s), "")
                npcs[name] = Npc(name, "", sentence[:1000], "", "", _location_of(chunk), stat, chunk.index)
        for m in _NAMED.finditer(body):
            name = m.group(1)
            if name not in npcs and looks_like_name(name) and name.lower() not in known_places:
                sentence = next((s for s in re.split(r"(?<=[.!?])\s+", body) if name in s), "")
                npcs[name] = Npc(name, "", sentence[:1000], "", "", _location_of(chunk), None, chunk.index)

    connections: dict[tuple[str, str], Connection] = {}
    by_key = {loc.key: loc.name for loc in locations.values() if loc.key}
    for chunk in chunks:
        here = _location_of(chunk)
        if here is None or chunk.kind != "location":
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", _body(chunk)):
            targets = set()
            for m in _AREA_REF.finditer(sentence):
                targets.update(k.upper() for k in re.findall(_KEY, m.group(1)))
            names = {by_key[k] for k in targets if k in by_key}
            if _MOVE.search(sentence):
                for other in locations:
                    short = re.sub(r"^(the|a|an)\s+", "", other, flags=re.I)
                    if len(short) >= 6 and re.search(rf"\b{re.escape(short)}\b", sentence, re.I):
                        names.add(other)
            for name in names - {here}:
                connections.setdefault((here, name), Connection(here, name, sentence.strip()[:500]))

    threads: dict[str, PlotThread] = {}
    hooks: list[StoryHook] = []
    for chunk in chunks:
        path = chunk.heading_path
        if not path:
            continue
        if _BACKGROUND.search(path[-1]) and not any(t.kind == "main" for t in threads.values()):
            name = f"Main plot: {title}" if title else "Main plot"
            threads[name] = PlotThread(name, _body(chunk)[:1500], chunk.index, "main")
        section = path[-2] if chunk.lead and len(path) > 1 else path[-1]
        if chunk.kind == "plot" and chunk.lead and _HOOK_HEADING.search(section):
            hooks.append(StoryHook(chunk.lead, _body(chunk).lstrip("•·- ")[:1500], chunk.index))
        elif chunk.kind == "plot" and chunk.lead and _THREAD_HEADING.search(section):
            threads.setdefault(chunk.lead, PlotThread(chunk.lead, _body(chunk)[:1500], chunk.index))
    return World(tuple(npcs.values()), tuple(locations.values()), tuple(connections.values()),
                 tuple(threads.values()), tuple(hooks))
