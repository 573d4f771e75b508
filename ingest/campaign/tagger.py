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
    tagger = _Tagger(chunks, world, monster_names, item_names)
    return [replace(chunk, tags=tuple(sorted(tagger.tags(chunk)))) for chunk in chunks]


def _without_article(name: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", name, flags=re.I)


class _Tagger:
    """The document-wide name lists and matchers, built once; `tags(chunk)` reads one chunk."""

    def __init__(self, chunks: list[Chunk], world: World, monster_names: Iterable[str],
                 item_names: Iterable[str]) -> None:
        self.srd_monsters = {m.lower(): m for m in monster_names}
        self.srd_items = {i.lower(): i for i in item_names}
        self.npc_names = {n.name for n in world.npcs}
        creatures = {c.heading_path[-1].lower(): c.heading_path[-1] for c in chunks
                     if c.kind == "stat_block" and c.heading_path and c.heading_path[-1] not in self.npc_names}
        self.known = {**self.srd_monsters, **creatures}
        self.known_list = list(self.known)
        self.loc_by_key = {loc.key: loc.name for loc in world.locations if loc.key}
        self.main_chunks = {t.chunk_index for t in world.threads if t.kind == "main"}
        self.short_loc = {_without_article(loc.name): loc.name for loc in world.locations}
        self.loc_match = _Matcher([k for k in self.short_loc if len(k) >= 5], case=False)
        self.part_owner = {p: name for name, parts in _npc_patterns(world) for p in parts}
        self.npc_match = _Matcher(self.part_owner, case=True)
        multi_word_srd = {m: self.srd_monsters[m] for m in self.srd_monsters if " " in m}
        self.creature_names = {**creatures, **multi_word_srd}
        self.creature_match = _Matcher(self.creature_names, case=False)
        self.item_match = _Matcher([i for i in self.srd_items if " " in i], case=False)
        self.short_thread = {_without_article(t.title): t.title for t in world.threads if t.kind != "main"}
        self.thread_match = _Matcher([k for k in self.short_thread if len(k) >= 6], case=True)

    def tags(self, chunk: Chunk) -> set[str]:
        tags, here = self._place_tags(chunk)
        tags |= self._npc_tags(chunk)
        monsters = self._monsters(chunk)
        tags.update(f"monster:{tag_value(m)}" for m in monsters if m)
        tags |= self._item_tags(chunk)
        tags |= self._encounter_tags(chunk, monsters, here)
        tags |= self._plot_tags(chunk)
        return tags

    def _place_tags(self, chunk: Chunk) -> tuple[set[str], str | None]:
        """The chapter and the keyed location the chunk sits under (its name is `here`), and places it mentions."""
        tags: set[str] = set()
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
        for short in self.loc_match.found(chunk.text):
            tags.add(f"location:{tag_value(self.short_loc[short])}")
        for key in re.findall(r"\bareas?\s+([A-Z]{0,3}-?\d{1,3}[a-z]?)\b", chunk.text):
            if key.upper() in self.loc_by_key:
                tags.add(f"location:{tag_value(self.loc_by_key[key.upper()])}")
        return tags, here

    def _npc_tags(self, chunk: Chunk) -> set[str]:
        tags = {f"npc:{tag_value(self.part_owner[part])}" for part in self.npc_match.found(chunk.text)}
        if chunk.kind == "npc" and chunk.heading_path:
            tags.add(f"npc:{tag_value(chunk.lead or chunk.heading_path[-1])}")
        return tags

    def _monster(self, phrase: str) -> str | None:
        cand = singular(phrase.strip().lower())
        if cand in self.known:
            return self.known[cand]
        if self.known_list:
            hit = process.extractOne(cand, self.known_list, scorer=fuzz.ratio, score_cutoff=90)
            if hit:
                return self.known[hit[0]]
        return None

    def _monsters(self, chunk: Chunk) -> set[str]:
        """Explicit stat-block references, bold phrases, the document's own creatures."""
        monsters = set()
        for match in _STAT_PHRASE.finditer(chunk.text):
            phrase = match.group(1)
            monsters.add(self._monster(phrase) or phrase.strip().title())
        for phrase in _bold_phrases(chunk):
            hit = self._monster(phrase)
            if hit:
                monsters.add(hit)
            elif (not self.srd_monsters and phrase[:1].islower() and len(phrase.split()) <= 3
                  and phrase not in _NOT_CREATURE):
                monsters.add(singular(phrase).title())
        for low in self.creature_match.found(chunk.text):
            monsters.add(self.creature_names[low])
        path = chunk.heading_path
        if chunk.kind == "stat_block" and path and path[-1] not in self.npc_names:
            monsters.add(path[-1])
        return monsters

    def _item_tags(self, chunk: Chunk) -> set[str]:
        srd_items, tags = self.srd_items, set()
        for phrase in _italic_phrases(chunk):
            low = phrase.lower()
            if low in srd_items:
                tags.add(f"item:{tag_value(srd_items[low])}")
            elif srd_items and (hit := process.extractOne(low, list(srd_items), scorer=fuzz.ratio, score_cutoff=92)):
                tags.add(f"item:{tag_value(srd_items[hit[0]])}")
            elif _ITEM_SHAPE.match(phrase) and len(phrase) <= 50:
                tags.add(f"item:{tag_value(phrase.title())}")
        for low in self.item_match.found(chunk.text):
            tags.add(f"item:{tag_value(srd_items[low])}")
        return tags

    @staticmethod
    def _encounter_tags(chunk: Chunk, monsters: set[str], here: str | None) -> set[str]:
        last = chunk.heading_path[-1] if chunk.heading_path else ""
        if _ENC_HEADING.search(last):
            return {f"encounter:{tag_value(re.sub(r'[(].*?[)]', '', last))}"}
        if monsters and (chunk.kind == "stat_block" or _FIGHT.search(chunk.text)) and chunk.kind != "npc":
            return {f"encounter:{tag_value(here or split_key(last)[1] or 'encounter')}"}
        return set()

    def _plot_tags(self, chunk: Chunk) -> set[str]:
        tags = {f"plot:{tag_value(self.short_thread[short])}" for short in self.thread_match.found(chunk.text)}
        if chunk.kind == "plot":
            tags.add(f"plot:{tag_value(chunk.lead or (chunk.heading_path[-1] if chunk.heading_path else ''))}")
        if chunk.index in self.main_chunks:
            tags.add("plot:Main_plot")
        return tags


def _bold_phrases(chunk: Chunk) -> tuple[str, ...]:
    return chunk.bold_phrases


def _italic_phrases(chunk: Chunk) -> tuple[str, ...]:
    return chunk.italic_phrases
