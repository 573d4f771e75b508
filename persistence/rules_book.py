"""The DM's rules lookup: exact SRD values by name, fuzzy on a near miss, with an in-process cache.

    book = RulesBook(SrdRepository(db))
    fireball = (await book.lookup("spell", "firebal")).record      # fuzzy: "Fireball"
    hits = await book.search("grapple a creature")                  # rules sections + entry names

The whole SRD (a few MB) is loaded once per process on first use; `invalidate()` after an import.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import Any

from rapidfuzz import fuzz, process

from persistence.errors import UnknownRulesEntry, UnknownRulesKind
from persistence.interfaces import RulesMatch, SearchHit
from persistence.srd_repository import SrdRepository

__all__ = ["RulesBook", "RulesMatch", "SearchHit", "UnknownRulesEntry", "UnknownRulesKind", "normalize_kind", "KINDS",
           "table_kinds"]

log = logging.getLogger(__name__)

KINDS = ("spells", "monsters", "magic_items", "equipment", "conditions", "rules_sections")
_ALIASES = {
    "spell": "spells", "spells": "spells",
    "monster": "monsters", "monsters": "monsters", "creature": "monsters", "npc": "monsters",
    "magic-item": "magic_items", "magic-items": "magic_items", "magic_item": "magic_items",
    "magic_items": "magic_items", "item": "items", "items": "items",
    "equipment": "equipment", "gear": "equipment", "weapon": "equipment", "armor": "equipment",
    "condition": "conditions", "conditions": "conditions",
    "rule": "rules_sections", "rules": "rules_sections", "rules-section": "rules_sections",
    "rules-sections": "rules_sections",
    "rules_sections": "rules_sections", "section": "rules_sections",
}  # fmt: skip
# kinds a person names that span tables: "item" is a longsword as much as a Bag of Holding
_GROUPS = {"items": ("magic_items", "equipment")}
_FUZZY_CUTOFF = 85.0  # below this a lookup is a miss (with suggestions), not a guess
_SUGGEST_CUTOFF = 50.0
_SEARCH_NAME_CUTOFF = 90.0
_SEARCH_CACHE_SIZE = 256  # recent searches kept in memory


def normalize_kind(kind: str) -> str:
    """``"magic-items"``, ``"spell"``, ``"rules"`` ... -> the table kind; raises UnknownRulesKind.

    ``"item"``/``"items"`` name magic items and equipment together: "items" (see `table_kinds`)."""
    key = kind.strip().lower().replace(" ", "-")
    if key not in _ALIASES:
        raise UnknownRulesKind(kind, KINDS)
    return _ALIASES[key]


def table_kinds(kind: str) -> tuple[str, ...]:
    """The tables a kind covers: ("magic_items", "equipment") for "item", one table otherwise."""
    key = normalize_kind(kind)
    return _GROUPS.get(key, (key,))


class RulesBook:
    """Name lookups and search over the imported SRD, cached in memory per process."""

    def __init__(self, repository: SrdRepository) -> None:
        self._repo = repository
        self._entries: dict[str, list[dict[str, Any]]] | None = None
        self._by_name: dict[str, dict[str, dict[str, Any]]] = {}
        self._names: dict[str, list[str]] = {}
        self._variants: dict[str, tuple[str, str]] = {}
        self._lock = asyncio.Lock()
        self._searches: OrderedDict[tuple[str, int], list[SearchHit]] = OrderedDict()

    def invalidate(self) -> None:
        """Forget the cache (call after an import)."""
        self._entries = None
        self._searches.clear()

    async def _load(self) -> dict[str, list[dict[str, Any]]]:
        if self._entries is not None:
            return self._entries
        async with self._lock:
            if self._entries is None:
                entries = {kind: await self._repo.export(kind) for kind in KINDS if kind != "rules_sections"}
                entries["rules_sections"] = await self._repo.rules_sections()
                by_name: dict[str, dict[str, dict[str, Any]]] = {}
                for kind, records in entries.items():
                    table: dict[str, dict[str, Any]] = {}
                    for record in records:
                        table.setdefault(record["name"].lower(), record)  # first in book order wins
                    by_name[kind] = table
                self._by_name = by_name
                self._variants = _variant_aliases(self._names_in(by_name, "magic_items"))
                self._names = {kind: [r["name"] for r in table.values()] for kind, table in by_name.items()}
                self._entries = entries
                log.info("rules book loaded", extra={k: len(v) for k, v in entries.items()})
        return self._entries

    @staticmethod
    def _names_in(by_name: dict[str, dict[str, dict[str, Any]]], kind: str) -> list[str]:
        return [r["name"] for r in by_name.get(kind, {}).values()]

    async def names(self, kind: str) -> list[str]:
        """Every entry name of ``kind``, in book order."""
        await self._load()
        return [n for table in table_kinds(kind) for n in self._names[table]]

    async def lookup(self, kind: str, name: str) -> RulesMatch:
        """The entry of ``kind`` named ``name``: case-insensitive exact, else the closest name.

        Raises:
            UnknownRulesKind: ``kind`` is not an SRD kind.
            UnknownRulesEntry: nothing scores at least 85/100; carries the nearest names.
        """
        tables = table_kinds(kind)
        await self._load()
        key = " ".join(name.split()).lower()
        for table_kind in tables:
            table = self._by_name[table_kind]
            if key in table:
                record = table[key]
                return RulesMatch(table_kind, record["name"], record, exact=True, score=100.0)
            if table_kind == "magic_items" and key in self._variants:
                base, variant = self._variants[key]
                record = table[base.lower()]
                return RulesMatch(table_kind, record["name"], record, exact=True, score=100.0, variant=variant)
        names = [(n, t) for t in tables for n in self._names[t]]
        found = process.extract(name, [n for n, _t in names], scorer=fuzz.WRatio, processor=str.lower, limit=6)
        close = [(names[i], score) for _n, score, i in found if score >= _FUZZY_CUTOFF and _close_enough(name, _n)]
        stem = _stems(name)
        close += [((n, t), 95.0) for n, t in names if _stems(n) == stem and all(c[0][0] != n for c in close)]
        if close:
            # a rule asked for is a rule, not the feat named after it ("grapple": Grappling before Grappler)
            close.sort(key=lambda c: (self._is_feat(*c[0]), -c[1], -fuzz.ratio(name.lower(), c[0][0].lower())))
            (best, table_kind), score = close[0]
            record = self._by_name[table_kind][best.lower()]
            others = tuple(n for (n, _t), _s in close[1:] if n != best)
            return RulesMatch(table_kind, record["name"], record, exact=False, score=float(score), alternatives=others)
        raise UnknownRulesEntry(tables[0] if len(tables) == 1 else normalize_kind(kind), name,
                                self._suggest(name, [n for n, _t in names]))

    def _is_feat(self, name: str, kind: str) -> bool:
        return kind == "rules_sections" and (self._by_name[kind][name.lower()].get("path") or [""])[0] == "Feats"

    def _suggest(self, name: str, names: list[str], limit: int = 5) -> list[str]:
        found = process.extract(name, names, scorer=fuzz.WRatio, processor=str.lower, limit=limit)
        return [n for n, score, _i in found if score >= _SUGGEST_CUTOFF]

    async def search(self, text: str, limit: int = 10) -> list[SearchHit]:
        """Entries whose names match ``text`` and rules sections whose text does, best first."""
        await self._load()
        limit = max(1, min(limit, 50))
        key = (" ".join(text.lower().split()), limit)
        if key in self._searches:
            self._searches.move_to_end(key)
            return list(self._searches[key])
        hits: list[SearchHit] = []
        for kind, names in self._names.items():
            if kind == "rules_sections":
                continue
            # token_set_ratio: a name must match the words of the query, not a fragment ("mage" in "damage")
            found_names = process.extract(text, names, scorer=fuzz.token_set_ratio, processor=str.lower, limit=3)
            for found, score, _i in found_names:
                if score >= _SEARCH_NAME_CUTOFF:
                    # rank the whole-name matches first ("Fireball" before "Delayed Blast Fireball")
                    rank = (score + fuzz.ratio(text.lower(), found.lower())) / 2
                    hits.append(SearchHit(kind, found, float(rank)))
        for row in await self._repo.search_rules(text, limit):
            # ts_rank is small (0..1); put full-text hits after strong name hits, keep their order
            hits.append(
                SearchHit("rules_sections", row["heading"], 50.0 + 50.0 * min(float(row["rank"]), 1.0),
                          snippet=row["snippet"], path=list(row["path"]))
            )  # fmt: skip
        hits.sort(key=lambda h: -h.score)
        hits = hits[:limit]
        self._searches[key] = hits
        if len(self._searches) > _SEARCH_CACHE_SIZE:
            self._searches.popitem(last=False)
        return list(hits)


def _variant_aliases(names: list[str]) -> dict[str, tuple[str, str]]:
    """``"+2 weapon"``, ``"weapon +2"``, ``"weapon, +2"`` -> ("Weapon, +1, +2, or +3", "+2")."""
    out: dict[str, tuple[str, str]] = {}
    for name in names:
        m = re.fullmatch(r"(.+), \+1, \+2, or \+3", name)
        if not m:
            continue
        base = m.group(1).lower()
        for bonus in ("+1", "+2", "+3"):
            for alias in (f"{bonus} {base}", f"{base} {bonus}", f"{base}, {bonus}"):
                out[alias] = (name, bonus)
    return out


def _stems(text: str) -> tuple[str, ...]:
    """Words without their endings: "grapple", "grappling", "grappler", "grappled" all → ("grappl",)."""
    out = []
    for word in re.findall(r"[a-z]+", text.lower()):
        for ending in ("ing", "ed", "er", "es", "s", "e"):
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                word = word[: -len(ending)]
                break
        out.append(word)
    return tuple(out)


def _close_enough(query: str, found: str) -> bool:
    # WRatio scores a short query inside a long name highly ("bolt" in "Lightning Bolt");
    # a lookup must be about the whole name, so demand a plain ratio too
    return fuzz.ratio(query.lower(), found.lower()) >= 60
