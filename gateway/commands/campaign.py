"""`lorekeeper campaign import|list|show|search`: adventure PDFs into the database, and retrieval over them."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from gateway.database import open_database
from gateway.settings import get_settings
from persistence.retrieval import Scene

__all__ = ["register", "import_pdfs"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("campaign", help="campaign PDFs and play state: import, list, show, state, search")
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
    search.add_argument("--json", action="store_true", help="print hits as JSON")
    search.set_defaults(func=_search)


def _print_json(value: Any) -> None:
    print(json.dumps(value, default=str, ensure_ascii=False))


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
    name = args.name or args.pdf.stem
    result = asyncio.run(import_pdfs([args.pdf], [name]))[0]
    if args.json:
        _print_json(result)
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

    rows = asyncio.run(run())
    if args.json:
        _print_json(rows)
    elif not rows:
        print("No campaigns yet. Import one with `lorekeeper campaign import FILE.pdf --name NAME`.")
    else:
        for r in rows:
            print(f"{r['name']:<30} {r['chunks']:>5} chunks {r['npcs']:>4} NPCs {r['locations']:>4} locations "
                  f"{r['plot_threads']:>3} threads")
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

    stats = asyncio.run(run())
    if args.json:
        _print_json(stats)
        return 0
    print(f"{stats['name']}: {stats['chunks']} chunks from {stats['documents']} file(s) "
          f"({', '.join(stats['files'])}); {stats['npcs']} NPCs, {stats['locations']} locations, "
          f"{stats['connections']} connections, {stats['plot_threads']} plot threads, {stats['story_hooks']} hooks")
    world = stats.get("world")
    if world:
        for n in world["npcs"]:
            print(f"  NPC {n['name']} — {n['role'][:70]} ({n['location'] or 'no fixed place'})")
        for loc in world["locations"]:
            print(f"  Location {loc['key'] or '-'} {loc['name']}")
        for c in world["connections"]:
            print(f"  Path {c['from_name']} → {c['to_name']}")
        for t in world["threads"]:
            print(f"  Thread {t['title']}")
    return 0


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
                raise UnknownCampaign(args.name, await repo.campaign_names())
            loaded = await repo.load(found.id)
            return state_view(found.name, GameState.from_dict(loaded.state), await repo.player_names(found.id))

    view = asyncio.run(run())
    if args.json:
        _print_json(view)
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


def _names(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def _scene(raw: dict[str, Any] | None) -> Scene | None:
    if not raw or not isinstance(raw, dict):
        return None
    return Scene(raw.get("location") or None, _names(raw.get("npcs") or raw.get("npc")),
                 _names(raw.get("plot_threads") or raw.get("threads")))


def _search(args: argparse.Namespace) -> int:
    from ingest.embedder import get_embedder
    from persistence.campaign_repository import CampaignRepository
    from persistence.retrieval import CampaignRetriever, fuzzy_terms

    if args.queries is None and not args.query:
        print("error: give a QUERY or --queries FILE.jsonl", file=sys.stderr)
        return 2
    if args.queries is not None:
        jobs = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        jobs = [{"query": args.query, "scene": {"location": args.location, "npcs": args.npc,
                                                "plot_threads": args.thread}}]

    async def run() -> list[list[dict[str, Any]]]:
        async with open_database(get_settings()) as db:
            cid = await CampaignRepository(db).campaign_id(args.name)
            embedder = await asyncio.to_thread(get_embedder)
            retriever = CampaignRetriever(db)
            vectors = await asyncio.to_thread(embedder.embed, [job["query"] for job in jobs])
            results = []
            for job, vector in zip(jobs, vectors):
                hits = await retriever.search(cid, job["query"], vector, _scene(job.get("scene")),
                                              int(job.get("limit", args.limit)),
                                              fuzzy_terms(job["query"], embedder.is_common))
                results.append([h.to_dict() for h in hits])
            return results

    results = asyncio.run(run())
    for job, hits in zip(jobs, results):
        if args.json:
            _print_json({"query": job["query"], "hits": hits} if args.queries is not None else hits)
            continue
        print(f"# {job['query']}")
        for h in hits:
            print(f"  {h['score']:.4f}  p.{h['page']:<3} {' > '.join(h['heading_path'])}  [{', '.join(h['reasons'])}]")
    return 0
