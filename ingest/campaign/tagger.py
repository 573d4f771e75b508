"""Tag chunks: `chapter:`, `location:`, `npc:`, `monster:`, `item:`, `encounter:`, `plot:`.

Tags come from structure (the heading path, the chunk's kind, stat blocks, tables) and from
name mentions across the whole document (NPC names and their distinctive parts, location
names and "area B3" references, plot-thread titles, monsters and magic items). Monster and
item names are matched against the SRD lists (rapidfuzz for bold/italic phrases) when those
are given; with no SRD rows, explicit "use the X stat block" phrases, lower-case bold phrases
and the document's own stat blocks still yield monster tags. Values are normalised with
`persistence.retrieval.tag_value` ("The Gutted Eel" → "Gutted_Eel").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from rapidfuzz import fuzz, process

from ingest.campaign.chunker import Chunk
from ingest.campaign.world import World, split_key
from persistence.retrieval import tag_value

__all__ = ["tag_chunks", "singular"]

_HONORIFICS = {"mother", "father", "sister", "brother", "lord", "lady", "sir", "dame", "captain", "king", "queen",
               "prince", "princess", "baron", "baroness", "duke", "count", "countess", "master", "mistress", "old",
               "uncle", "aunt", "keeper", "mayor", "elder", "the", "of", "young", "big", "little", "saint", "high"}
_STAT_PHRASE = re.compile(r"\b(?:use|uses|using) (?:the |an? )?([a-z][\w' \-]{1,40}?) (?:stat block|statistics)", re.I)
_FIGHT = re.compile(r"\b(attacks?|fights?|combat|ambush\w*|initiative|hostile|lurks?|guards?|surprise\w*|"
                    r"encounters?|battle|hit points)\b", re.IGNORECASE)
_ITEM_SHAPE = re.compile(r"^(potion|scroll|wand|staff|rod|ring|cloak|boots|amulet|bag|gloves|gauntlets|bracers|helm|"
                         r"necklace|periapt|horn|figurine|stone|sword|axe|mace|dagger|shield|armor|plate|robe|cape|"
                         r"circlet|crown|belt|brooch|medallion|talisman|orb|tome|manual|wings|broom|carpet|lantern|"
                         r"bow|spear|hammer|trident|javelin|elixir|oil|dust|bead|deck|mirror|instrument)\b.*\bof\b",
                         re.IGNORECASE)
_NOT_CREATURE = {"bold", "italic", "italics", "note", "important", "warning", "not", "only", "must", "never", "always"}
_ENC_HEADING = re.compile(r"\bencounters?\b", re.IGNORECASE)


def singular(word: str) -> str:
    """'giant crabs' → 'giant crab', 'wolves' → 'wolf' (last word only; good enough for names)."""
    head, _, last = word.rpartition(" ")
    low = last.lower()
    if low.endswith("ves") and len(low) > 4:
        last = last[:-3] + "f"
    elif low.endswith("ies") and len(low) > 4:
        last = last[:-3] + "y"
    elif low.endswith(("ches", "shes", "sses", "xes")):
        last = last[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        last = last[:-1]
    elif low == "men":
        last = "man"
    return f"{head} {last}".strip()


class _Matcher:
    """All names in one alternation: `found(text)` → the names mentioned (whole word, plural/possessive ok)."""

    def __init__(self, names: Iterable[str], case: bool) -> None:
        self._case = case
        self._names = {(n if case else n.lower()): n for n in names if n}
        alts = sorted(self._names, key=len, reverse=True)
        self._re = re.compile(rf"(?<![\w])({'|'.join(map(re.escape, alts))})(?:s|es|'s)?(?![\w])",
                              0 if case else re.IGNORECASE) if alts else None

    def found(self, text: str) -> set[str]:
        if self._re is None:
            return set()
        return {self._names[m.group(1) if self._case else m.group(1).lower()] for m in self._re.finditer(text)}


def _npc_patterns(world: World) -> list[tuple[str, list[str]]]:
    tokens = Counter(t for n in world.npcs for t in set(n.name.split()))
    out = []
    for npc in world.npcs:
        parts = [npc.name]
        for tok in npc.name.split():
            if len(tok) >= 3 and tok.lower() not in _HONORIFICS and tokens[tok] == 1 and tok[0].isupper():
                parts.append(tok)
        out.append((npc.name, parts))
    return out


def tag_chunks(chunks: list[Chunk], world: World, monster_names: Iterable[str] = (),
               item_names: Iterable[str] = ()) -> list[Chunk]:
    """Return the chunks with `tags` filled (sorted, unique)."""
    srd_monsters = {m.lower(): m for m in monster_names}
    srd_items = {i.lower(): i for i in item_names}
    npc_names = {n.name for n in world.npcs}
    creatures = {c.heading_path[-1].lower(): c.heading_path[-1] for c in chunks
                 if c.kind == "stat_block" and c.heading_path and c.heading_path[-1] not in npc_names}
    known = {**srd_monsters, **creatures}
    known_list = list(known)
    multi_word_srd = [m for m in srd_monsters if " " in m]
    item_multi = [i for i in srd_items if " " in i]
    npc_patterns = _npc_patterns(world)
    loc_by_key = {loc.key: loc.name for loc in world.locations if loc.key}
    loc_names = [loc.name for loc in world.locations]
    threads = [t.title for t in world.threads if t.kind != "main"]
    main_chunks = {t.chunk_index for t in world.threads if t.kind == "main"}

    def monster(phrase: str) -> str | None:
        cand = singular(phrase.strip().lower())
        if cand in known:
            return known[cand]
        if known_list:
            hit = process.extractOne(cand, known_list, scorer=fuzz.ratio, score_cutoff=90)
            if hit:
                return known[hit[0]]
        return None

    short_loc = {re.sub(r"^(the|a|an)\s+", "", n, flags=re.I): n for n in loc_names}
    loc_match = _Matcher([k for k in short_loc if len(k) >= 5], case=False)
    part_owner = {p: name for name, parts in npc_patterns for p in parts}
    npc_match = _Matcher(part_owner, case=True)
    creature_names = {**{low: name for low, name in creatures.items()}, **{m: srd_monsters[m] for m in multi_word_srd}}
    creature_match = _Matcher(creature_names, case=False)
    item_match = _Matcher(item_multi, case=False)
    short_thread = {re.sub(r"^(the|a|an)\s+", "", t, flags=re.I): t for t in threads}
    thread_match = _Matcher([k for k in short_thread if len(k) >= 6], case=True)

    out = []
    for chunk in chunks:
        tags: set[str] = set()
        text = chunk.text
        path = chunk.heading_path
        if path and split_key(path[0])[0] is None:
            tags.add(f"chapter:{tag_value(path[0])}")
        here = None
        for heading in reversed(path):
            key, name = split_key(heading)
            if key:
                here = name
                tags.add(f"location:{tag_value(name)}")
                break
        for short in loc_match.found(text):
            tags.add(f"location:{tag_value(short_loc[short])}")
        for key in re.findall(r"\bareas?\s+([A-Z]{0,3}-?\d{1,3}[a-z]?)\b", text):
            if key.upper() in loc_by_key:
                tags.add(f"location:{tag_value(loc_by_key[key.upper()])}")
        if chunk.kind == "npc" and path:
            tags.add(f"npc:{tag_value(chunk.lead or path[-1])}")
        for part in npc_match.found(text):
            tags.add(f"npc:{tag_value(part_owner[part])}")
        # monsters: explicit stat-block references, bold phrases, the document's own creatures
        phrases = [m.group(1) for m in _STAT_PHRASE.finditer(text)]
        monsters = set()
        for phrase in phrases:
            monsters.add(monster(phrase) or phrase.strip().title())
        for phrase in _bold_phrases(chunk):
            hit = monster(phrase)
            if hit:
                monsters.add(hit)
            elif not srd_monsters and phrase[:1].islower() and len(phrase.split()) <= 3 and phrase not in _NOT_CREATURE:
                monsters.add(singular(phrase).title())
        for low in creature_match.found(text):
            monsters.add(creature_names[low])
        if chunk.kind == "stat_block" and path and path[-1] not in npc_names:
            monsters.add(path[-1])
        tags.update(f"monster:{tag_value(m)}" for m in monsters if m)
        # items
        for phrase in _italic_phrases(chunk):
            low = phrase.lower()
            if low in srd_items:
                tags.add(f"item:{tag_value(srd_items[low])}")
            elif srd_items and (hit := process.extractOne(low, list(srd_items), scorer=fuzz.ratio, score_cutoff=92)):
                tags.add(f"item:{tag_value(srd_items[hit[0]])}")
            elif _ITEM_SHAPE.match(phrase) and len(phrase) <= 50:
                tags.add(f"item:{tag_value(phrase.title())}")
        for low in item_match.found(text):
            tags.add(f"item:{tag_value(srd_items[low])}")
        # encounters
        last = path[-1] if path else ""
        if _ENC_HEADING.search(last):
            tags.add(f"encounter:{tag_value(re.sub(r'[(].*?[)]', '', last))}")
        elif monsters and (chunk.kind == "stat_block" or _FIGHT.search(text)) and chunk.kind != "npc":
            tags.add(f"encounter:{tag_value(here or split_key(last)[1] or 'encounter')}")
        # plot
        if chunk.kind == "plot":
            tags.add(f"plot:{tag_value(chunk.lead or last)}")
        if chunk.index in main_chunks:
            tags.add("plot:Main_plot")
        for short in thread_match.found(text):
            tags.add(f"plot:{tag_value(short_thread[short])}")
        out.append(replace(chunk, tags=tuple(sorted(tags))))
    return out


def _bold_phrases(chunk: Chunk) -> tuple[str, ...]:
    return chunk.bold_phrases


def _italic_phrases(chunk: Chunk) -> tuple[str, ...]:
    return chunk.italic_phrases
