"""`lorekeeper rules import|export|show`: the SRD 5.1 rules database.

    lorekeeper rules import [PATH]             parse the SRD PDF (default: data/srd/) into the database
    lorekeeper rules export KIND               JSON Lines on stdout (spells, monsters, magic-items, ...)
    lorekeeper rules show KIND NAME [--json]   one entry, fuzzy-matched; suggests close names on a miss

Parsing happens before the database is touched, so a malformed or non-SRD PDF writes nothing;
the import itself is one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
SHOW_KINDS = (*EXPORT_KINDS, "spell", "monster", "magic-item", "item", "condition", "rules", "rule")
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
    exp.add_argument("kind", choices=EXPORT_KINDS)
    exp.add_argument("--json", action="store_true", help="accepted for symmetry: the output is always JSON Lines")
    exp.set_defaults(func=_export)

    show = actions.add_parser("show", help="print one entry (fuzzy name match)")
    show.add_argument("kind", choices=SHOW_KINDS)
    show.add_argument("name", nargs="+")
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.set_defaults(func=_show)


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
    from persistence.rules_book import normalize_kind
    from persistence.srd_repository import SrdRepository

    kind = normalize_kind(args.kind)

    async def run(db: Database) -> list[dict[str, Any]]:
        repo = SrdRepository(db)
        return await (repo.rules_sections() if kind == "rules_sections" else repo.export(kind))

    records = _with_db(run)
    if not records:
        raise RulesDatabaseEmpty()
    out = sys.stdout
    for record in records:
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
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    if not match.exact:
        print(f"(closest match for {name!r})")
    print(render(match.kind, record))
    return 0


def render(kind: str, record: dict[str, Any]) -> str:
    """A plain-text view of one record for the terminal."""
    lines = [record["name"], "=" * len(record["name"])]
    skip = {"name", "page"}
    for key, value in record.items():
        if key in skip or value in (None, [], {}, ""):
            continue
        label = key.replace("_", " ")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{label.title()}:")
            lines.extend(f"  {v['name']}. {v['description']}" for v in value)
        elif isinstance(value, dict):
            lines.append(f"{label}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        elif isinstance(value, list):
            lines.append(f"{label}: " + ", ".join(map(str, value)))
        else:
            lines.append(f"{label}: {value}")
    if record.get("page"):
        lines.append(f"(SRD 5.1, page {record['page']})")
    return "\n".join(lines)
