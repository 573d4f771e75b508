"""`lorekeeper campaign import|list|show|state|search|rename|delete`: adventure PDFs in the database, and search.

A campaign is named as a person would: its name in any case, or its title ("The Drowned Lantern").
The database, the PDF parser and the model load inside the handlers, so `lorekeeper --help` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from gateway.commands._output import pad, print_json

__all__ = ["register", "import_pdfs"]


def open_database(settings: Any) -> Any:
    from gateway.database import open_database as open_db

    return open_db(settings)


def get_settings() -> Any:
    from gateway.settings import get_settings as settings

    return settings()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "campaign", help="campaign PDFs and play state: import, list, show, state, search, rename, delete")
    actions = parser.add_subparsers(dest="campaign_action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="import an adventure PDF (re-importing a file replaces it)")
    imp.add_argument("pdf", type=Path, help="the adventure PDF")
    imp.add_argument("--name", help="campaign name (default: the file name without .pdf)")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=_import)

    lst = actions.add_parser("list", help="list campaigns with their counts")
    lst.add_argument("--json", action="store_true", help="print the result as JSON")
    lst.set_defaults(func=_list)

    show = actions.add_parser("show", help="counts of chunks, NPCs, locations and plot threads of a campaign")
    show.add_argument("name")
    show.add_argument("--world", action="store_true", help="also list NPCs, locations, connections and threads")
    show.add_argument("--json", action="store_true", help="print the result as JSON")
    show.set_defaults(func=_show)

    state = actions.add_parser("state", help="a campaign's play state: place, time, party, fight, NPCs met, threads")
    state.add_argument("name")
    state.add_argument("--json", action="store_true", help="print the state as JSON")
    state.set_defaults(func=_state)

    search = actions.add_parser("search", help="hybrid search of a campaign's text, optionally in a scene")
    search.add_argument("name")
    search.add_argument("query", nargs="?", help="what to look for (omit with --queries)")
    search.add_argument("--location", help="current location (name or map key)")
    search.add_argument("--npc", action="append", default=[], help="an NPC present (repeatable)")
    search.add_argument("--thread", action="append", default=[], help="an active plot thread (repeatable)")
    search.add_argument("--limit", type=int, default=10, help="at most this many chunks (1-10, default 10)")
    search.add_argument("--queries", type=Path,
                        help='JSON Lines file: {"query": ..., "scene": {"location": ..., "npcs": [...]}} per line')
    search.add_argument("--explain", action="store_true", help="show each hit's score and the rankings that found it")
    search.add_argument("--json", action="store_true", help="print one JSON line per query: campaign, query, hits")
    search.set_defaults(func=_search)

    rename = actions.add_parser("rename", help="give a campaign a new name")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.add_argument("--json", action="store_true", help="print the result as JSON")
    rename.set_defaults(func=_rename)

    delete = actions.add_parser("delete", help="delete a campaign: its text, world and play state")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="really delete (without it nothing is deleted)")
    delete.add_argument("--json", action="store_true", help="print the result as JSON")
    delete.set_defaults(func=_delete)


def _search(args: argparse.Namespace) -> int:
    from gateway.commands._campaign_search import run_search

    return run_search(args)


async def import_pdfs(paths: list[Path], names: list[str]) -> list[dict[str, Any]]:
    """Import each PDF as the matching campaign name, loading the embedding model once."""
    from ingest.campaign.service import import_campaign_pdf

    out = []
    async with open_database(get_settings()) as db:
        for path, name in zip(paths, names):
            # the embedder is loaded (once per process) only after the PDF parsed cleanly
            summary = await import_campaign_pdf(db, path, name)
            out.append({"campaign": name, "file": path.name, **summary.__dict__})
    return out


def _import(args: argparse.Namespace) -> int:
    from persistence.campaign_repository import check_campaign_name

    name = check_campaign_name(args.pdf.stem if args.name is None else args.name)
    result = asyncio.run(import_pdfs([args.pdf], [name]))[0]
    if args.json:
        print_json(result)
    else:
        print(f"Imported {args.pdf.name} into campaign {name!r}: {result['chunks']} chunks, {result['npcs']} NPCs, "
              f"{result['locations']} locations ({result['connections']} connections), "
              f"{result['plot_threads']} plot threads, {result['story_hooks']} hooks.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from persistence.campaign_repository import CampaignRepository

    async def run() -> list[dict[str, Any]]:
        async with open_database(get_settings()) as db:
            return await CampaignRepository(db).list_campaigns()

    rows = [_campaign_first(r) for r in asyncio.run(run())]
    if args.json:
        print_json(rows)
    elif not rows:
        print("No campaigns yet. Import one with `lorekeeper campaign import FILE.pdf --name NAME`.")
    else:
        for r in rows:
            print(f"{pad(r['campaign'], 30)} {r['chunks']:>5} chunks {r['npcs']:>4} NPCs {r['locations']:>4} "
                  f"locations {r['plot_threads']:>3} threads")
    return 0


def _campaign_first(row: dict[str, Any]) -> dict[str, Any]:
    """Every command names a campaign under the key "campaign"."""
    return {"campaign": row["name"], **{k: v for k, v in row.items() if k != "name"}}


def _rename(args: argparse.Namespace) -> int:
    from persistence.campaign_repository import CampaignRepository

    async def run() -> tuple[str, str]:
        async with open_database(get_settings()) as db:
            return await CampaignRepository(db).rename(args.name, args.new_name)

    old, new = asyncio.run(run())
    if args.json:
        print_json({"campaign": new, "renamed_from": old})
    else:
        print(f"Renamed campaign {old!r} to {new!r}.")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from persistence.campaign_repository import CampaignRepository

    async def run() -> dict[str, Any]:
        async with open_database(get_settings()) as db:
            repo = CampaignRepository(db)
            return await (repo.delete(args.name) if args.yes else repo.campaign_stats(args.name))

    stats = asyncio.run(run())
    if not args.yes:
        print(f"error: this would delete campaign {stats['name']!r} ({stats['chunks']} chunks, {stats['npcs']} NPCs "
              "and its play state); add --yes to delete it. Nothing was deleted.", file=sys.stderr)
        return 2
    if args.json:
        print_json({"campaign": stats["name"], "deleted": True, "chunks": stats["chunks"]})
    else:
        print(f"Deleted campaign {stats['name']!r} ({stats['chunks']} chunks, {stats['npcs']} NPCs).")
    return 0


def _show(args: argparse.Namespace) -> int:
    from persistence.campaign_repository import CampaignRepository

    async def run() -> dict[str, Any]:
        async with open_database(get_settings()) as db:
            repo = CampaignRepository(db)
            stats = await repo.campaign_stats(args.name)
            if args.world:
                stats["world"] = await repo.world(stats["id"])
            return stats

    stats = _campaign_first(asyncio.run(run()))
    if args.json:
        print_json(stats)
        return 0
    print(f"{stats['campaign']}: {stats['chunks']} chunks from {stats['documents']} file(s) "
          f"({', '.join(stats['files'])}); {stats['npcs']} NPCs, {stats['locations']} locations, "
          f"{stats['connections']} connections, {stats['plot_threads']} plot threads, {stats['story_hooks']} hooks")
    world = stats.get("world")
    if world:
        for n in world["npcs"]:
            print(f"  NPC {n['name']} — {_sentence(n['role'])} ({n['location'] or 'no fixed place'})")
        for loc in world["locations"]:
            print(f"  Location {loc['key'] or '-'} {loc['name']}")
        for c in world["connections"]:
            print(f"  Path {c['from_name']} → {c['to_name']}")
        for t in world["threads"]:
            print(f"  Thread {t['title']}")
    return 0


def _sentence(text: str, limit: int = 160) -> str:
    """`text` whole if short, else up to its last sentence (or word) end within `limit` characters, never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(text.rfind(". ", 0, limit), text.rfind("; ", 0, limit))
    if cut > limit // 3:
        return text[:cut + 1]
    return text[:text.rfind(" ", 0, limit)].rstrip(",;:") + "…"


def _state(args: argparse.Namespace) -> int:
    from dm.state_view import state_view
    from game.effects import GameState
    from persistence.errors import UnknownCampaign
    from persistence.play_state import PlayStateRepository

    async def run() -> dict[str, Any]:
        async with open_database(get_settings()) as db:
            repo = PlayStateRepository(db)
            found = await repo.find_campaign(args.name)
            if found is None:
                from persistence.campaign_repository import CampaignRepository

                name = (await CampaignRepository(db).find(args.name))[1]     # by title, or close names
                found = await repo.find_campaign(name)
            if found is None:
                raise UnknownCampaign(args.name, await repo.campaign_names())
            loaded = await repo.load(found.id)
            return state_view(found.name, GameState.from_dict(loaded.state), await repo.player_names(found.id))

    view = asyncio.run(run())
    if args.json:
        print_json(view)
        return 0
    print(f"{view['campaign']}: {view['location'] or 'nowhere yet'}, {view['time']}, {view['weather']}")
    for c in view["characters"]:
        conditions = f" [{', '.join(c['conditions'])}]" if c["conditions"] else ""
        print(f"  {c['name']} ({c['player']}): level {c['level']} {c['race']} {c['class']}, "
              f"HP {c['hp']}/{c['max_hp']}, AC {c['ac']}{conditions}")
    if view["combat"]:
        combat = view["combat"]
        order = ", ".join(f"{o['name']} {o['initiative']}" for o in combat["order"])
        print(f"  Fight, round {combat['round']}, {combat['current']}'s turn: {order}")
    if view["npcs_met"]:
        print("  NPCs met: " + ", ".join(n["name"] for n in view["npcs_met"]))
    for thread in view["plot_threads"]:
        print(f"  Thread {thread['name']}: " + ("resolved" if thread["resolved"] else f"{len(thread['progress'])} notes"))
    return 0
