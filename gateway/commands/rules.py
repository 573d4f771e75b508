"""`lorekeeper rules import|export|show|search`: the SRD 5.1 rules database.

    lorekeeper rules import [PATH]             parse the SRD PDF (default: data/srd/) into the database
    lorekeeper rules export KIND               JSON Lines on stdout (spells, monsters, magic-items, ...)
    lorekeeper rules show KIND NAME [--json]   one entry, fuzzy-matched (a guess says so and names the
                                               alternatives); suggests close names on a miss
    lorekeeper rules search TEXT [--json]      entry names and rules text, as `!rules search` at the table

A kind is singular or plural alike (spell/spells, rule/rules); "item" is magic items and gear together.

Parsing happens before the database is touched, so a malformed or non-SRD PDF writes nothing;
the import itself is one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from persistence.errors import RulesDatabaseEmpty

if TYPE_CHECKING:
    from persistence.database import Database

# `import_srd` and `RulesDatabaseEmpty` live in ingest.srd.service / persistence.errors now; they stay
# importable from here for code written against the old path (`import_srd` lazily: the parser needs
# pymupdf, which `lorekeeper --help` must not load).
__all__ = ["register", "EXPORT_KINDS", "RulesDatabaseEmpty", "import_srd"]


def __getattr__(name: str) -> Any:
    if name in ("import_srd", "records_as_dicts"):
        from ingest.srd import service

        return getattr(service, name)
    raise AttributeError(name)

EXPORT_KINDS = ("spells", "monsters", "magic-items", "equipment", "conditions", "rules-sections")
SHOW_KINDS = (*EXPORT_KINDS, "spell", "monster", "magic-item", "item", "items", "condition", "rules", "rule")
_KIND_HELP = "spell(s), monster(s), item(s) (magic items and gear), magic-item(s), equipment, condition(s), rule(s)"
T = TypeVar("T")


def _field_order(kind: str) -> list[str]:
    """PostgreSQL's jsonb does not keep key order: print fields in the records' own order."""
    from ingest.srd import Condition, Equipment, MagicItem, Monster, RulesSection, Spell

    models = {"spells": Spell, "monsters": Monster, "magic_items": MagicItem, "equipment": Equipment,
              "conditions": Condition, "rules_sections": RulesSection}
    return list(models[kind].model_fields) if kind in models else []


def in_field_order(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    order = _field_order(kind)
    ordered = {k: record[k] for k in order if k in record}
    ordered.update((k, v) for k, v in record.items() if k not in ordered)
    return ordered


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="the SRD 5.1 rules database: import, export, show")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="parse an SRD 5.1 PDF into the rules tables (replaces them)")
    imp.add_argument("path", nargs="?", type=Path, default=None, help="the SRD PDF (default: data/srd/)")
    imp.add_argument("--json", action="store_true", help="print counts and timings as JSON")
    imp.set_defaults(func=_import)

    exp = actions.add_parser("export", help="print every record of a kind as JSON Lines")
    exp.add_argument("kind", help=_KIND_HELP)
    exp.add_argument("--json", action="store_true", help="accepted for symmetry: the output is always JSON Lines")
    exp.set_defaults(func=_export)

    show = actions.add_parser("show", help="print one entry (fuzzy name match)")
    show.add_argument("kind", help=_KIND_HELP)
    show.add_argument("name", nargs="+")
    show.add_argument("--json", action="store_true",
                      help='print the record as JSON, with "match": {query, exact, alternatives}')
    show.set_defaults(func=_show)

    search = actions.add_parser("search", help="search entry names and the rules text")
    search.add_argument("text", nargs="+")
    search.add_argument("--limit", type=int, default=10, help="at most this many hits (1-50, default 10)")
    search.add_argument("--json", action="store_true", help="print one JSON line: query, hits")
    search.set_defaults(func=_search)


@asynccontextmanager
async def _database() -> AsyncIterator[Database]:
    """Settings → an open, migrated database (the one place the command touches configuration)."""
    from gateway.database import open_database
    from gateway.settings import get_settings

    async with open_database(get_settings()) as db:
        yield db


def _with_db(fn: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        async with _database() as db:
            return await fn(db)

    return asyncio.run(run())


def _import(args: argparse.Namespace) -> int:
    from ingest.srd import DEFAULT_SRD_PDF
    from ingest.srd.service import import_srd

    path: Path = args.path or DEFAULT_SRD_PDF
    timings: dict[str, float] = {}
    started = time.perf_counter()
    counts = _with_db(lambda db: import_srd(db, path, timings))
    timings["total"] = time.perf_counter() - started
    if args.json:
        print(json.dumps({"source": str(path), "counts": counts, "seconds": timings}))
    else:
        print(f"Imported {path.name}: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
    return 0


def _export(args: argparse.Namespace) -> int:
    from persistence.srd_repository import SrdRepository

    from persistence.rules_book import table_kinds

    kinds = table_kinds(args.kind)

    async def run(db: Database) -> list[tuple[str, dict[str, Any]]]:
        repo = SrdRepository(db)
        return [(kind, record) for kind in kinds
                for record in await (repo.rules_sections() if kind == "rules_sections" else repo.export(kind))]

    records = _with_db(run)
    if not records:
        raise RulesDatabaseEmpty()
    out = sys.stdout
    for kind, record in records:
        out.write(json.dumps(in_field_order(kind, record), ensure_ascii=False) + "\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    name = " ".join(args.name)

    async def run(db: Database) -> Any:
        repo = SrdRepository(db)
        if not any((await repo.counts()).values()):
            raise RulesDatabaseEmpty()
        return await RulesBook(repo).lookup(args.kind, name)

    match = _with_db(run)
    record = in_field_order(match.kind, match.record)
    if args.json:
        print(json.dumps({**record, "match": {"query": name, "kind": match.kind, "exact": match.exact,
                                              "alternatives": list(match.alternatives)}}, ensure_ascii=False))
        return 0
    if not match.exact:
        also = f"; it could also be: {', '.join(match.alternatives)}" if match.alternatives else ""
        print(f"(a guess: nothing is called {name!r} exactly, so this is the closest match{also})")
    print(render(match.kind, record))
    return 0


def _search(args: argparse.Namespace) -> int:
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    text = " ".join(args.text)

    async def run(db: Database) -> Any:
        repo = SrdRepository(db)
        if not any((await repo.counts()).values()):
            raise RulesDatabaseEmpty()
        return await RulesBook(repo).search(text, limit=args.limit)

    hits = _with_db(run)
    rows = [{"kind": h.kind, "name": h.name, "path": h.path, "snippet": h.snippet} for h in hits]
    if args.json:
        print(json.dumps({"query": text, "hits": rows}, ensure_ascii=False))
        return 0
    if not rows:
        print(f"Nothing in the SRD matches {text!r}.")
    for row in rows:
        where = " > ".join(row["path"]) if row["path"] else row["kind"].replace("_", " ").rstrip("s")
        snippet = " ".join(re.sub(r"</?b>", "", row["snippet"]).split())      # plain text: no HTML bold
        print(f"{row['name']} ({where})" + (f": {snippet}" if snippet else ""))
    return 0


_ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
_SIGNED = ("skills", "saving_throws", "saves")


def _signed(value: Any) -> str:
    return f"{value:+d}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _skipped(key: str, record: dict[str, Any]) -> bool:
    """Each field once: "armor_class" 15 beside "armor_class_text" "15 (leather armor)", "cost_cp" beside "cost"."""
    if key in ("name", "page") or key in _ABILITIES:
        return True
    if f"{key}_text" in record or (key.endswith("_source") and f"{key.removesuffix('_source')}_text" in record):
        return True
    if key.endswith(("_cp", "_lb")) and key.rsplit("_", 1)[0] in record:
        return True
    return key == "passive_perception" and "passive Perception" in str(record.get("senses", ""))


def _ability_line(record: dict[str, Any]) -> str | None:
    if not all(isinstance(record.get(a), int) for a in _ABILITIES):
        return None
    return "  ".join(f"{a.upper()} {record[a]} ({(record[a] - 10) // 2:+d})" for a in _ABILITIES)


def _value_text(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ').title() if key in _SIGNED else k} "
                         f"{_signed(v) if key in _SIGNED else v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def render(kind: str, record: dict[str, Any]) -> str:
    """A plain-text view of one record for the terminal: each field once, "+6" for bonuses, no Python values."""
    lines = [record["name"], "=" * len(record["name"])]
    for key, value in record.items():
        if _skipped(key, record) or value is None or value is False or (value in ([], {}, "")
                                                                         and not isinstance(value, int)):
            continue
        label = key.removesuffix("_text").replace("_", " ")
        if key == "level" and kind == "spells":
            lines.append("level: cantrip" if value == 0 else f"level: {value}")
        elif isinstance(value, bool):
            lines.append(f"{label}: yes")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{label.title()}:")
            lines.extend(f"  {v['name']}. {v['description']}" for v in value)
        else:
            lines.append(f"{label}: {_value_text(key, value)}")
        if key in ("hit_points", "hit_dice") and (abilities := _ability_line(record)) and abilities not in lines:
            lines.append(abilities)
    abilities = _ability_line(record)
    if abilities and abilities not in lines:
        lines.insert(2, abilities)
    if record.get("page"):
        lines.append(f"(SRD 5.1, page {record['page']})")
    return "\n".join(lines)
