"""`lorekeeper campaign search`: the jobs (one query or a --queries file), the notes, and the output for a DM.

Plain output shows each hit's heading path, page and passage (trimmed around the query's words);
`--explain` adds the score and the rankings that found it. Query vectors are cached under the data
dir (`ingest.embedder.QueryCache`), so repeating a search skips the model.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any

from gateway.errors import GatewayError

__all__ = ["run_search", "load_jobs", "snippet", "render_hits", "BadQueries", "scene_notes"]

_PASSAGE = 320          # characters of passage shown per hit
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")


class BadQueries(GatewayError):
    """A --queries file that cannot be read line by line."""


def _names(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def load_jobs(path: Path) -> list[dict[str, Any]]:
    """The JSON Lines of a --queries file; a bad line is a `BadQueries` naming its line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadQueries(f"I can't read the queries file {str(path)!r} ({exc.strerror or exc}); "
                         "nothing was searched.") from exc
    jobs = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            job = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadQueries(f"{path.name} line {number} is not JSON ({exc.msg} at column {exc.colno}); "
                             "nothing was searched.") from exc
        if not isinstance(job, dict) or not isinstance(job.get("query"), str) or not job["query"].strip():
            raise BadQueries(f'{path.name} line {number} needs a "query" text, e.g. {{"query": "who keeps the '
                             'light?"}}; nothing was searched.')
        jobs.append(job)
    if not jobs:
        raise BadQueries(f"{path.name} has no queries; nothing was searched.")
    return jobs


def _scene(raw: Any) -> Any:
    from persistence.retrieval import Scene

    if not raw or not isinstance(raw, dict):
        return None
    return Scene(raw.get("location") or None, _names(raw.get("npcs") or raw.get("npc")),
                 _names(raw.get("plot_threads") or raw.get("threads")))


def _known(name: str, names: list[str], threshold: float) -> bool:
    low = name.strip().lower()
    lows = [n.lower() for n in names]
    return low in lows or any(low in n.split() or low in n for n in lows if len(low) >= 3) or bool(
        difflib.get_close_matches(low, lows, n=1, cutoff=threshold))


def scene_notes(scene: Any, known: dict[str, list[str]]) -> list[str]:
    """A note for each location or NPC of the scene the campaign does not have, with close names."""
    notes = []
    wanted = [("location", scene.location, known["locations"])] if scene and scene.location else []
    wanted += [("NPC", npc, known["npcs"]) for npc in (scene.npcs if scene else ())]
    for label, name, names in wanted:
        if not _known(name, names, 0.75):
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
            hint = f" (close: {', '.join(close)})" if close else ""
            notes.append(f"no {label} called {name!r} in this campaign{hint}; searched without it")
    return notes


def snippet(text: str, query: str, width: int = _PASSAGE) -> str:
    """About `width` characters of `text` around where most of the query's words are, on word boundaries."""
    from persistence.retrieval import is_stop_word

    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    words = {re.sub(r"'s?$", "", w.lower()) for w in _WORD.findall(query) if not is_stop_word(w.lower()) and len(w) > 2}
    hits = [m.start() for m in _WORD.finditer(flat) if any(m.group().lower().startswith(w[:5]) for w in words)]
    start = 0
    if hits:
        best = max(hits, key=lambda h: sum(1 for o in hits if h <= o < h + width * 0.7))
        start = max(0, best - width // 4)
    end = min(len(flat), start + width)
    start = max(0, min(start, end - width))
    if start > 0:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("…" if start > 0 else "") + flat[start:end] + ("…" if end < len(flat) else "")


def render_hits(query: str, hits: list[dict[str, Any]], explain: bool) -> list[str]:
    lines = [f"# {query}"]
    if not hits:
        lines.append("  (nothing found)")
    for n, hit in enumerate(hits, start=1):
        lines.append(f"{n}. {' > '.join(hit['heading_path']) or '(untitled)'} (page {hit['page']})")
        if explain:
            lines.append(f"   score {hit['score']:.4f}: {', '.join(hit['reasons'])}")
        text = " ".join(hit["text"].split())
        heading = hit["heading_path"][-1] if hit["heading_path"] else ""
        if heading and text.startswith(heading):          # the heading is on the line above already
            text = text[len(heading):].lstrip(" :.-")
        lines.append(f"   {snippet(text, query)}")
    return lines


def _limit_note(limit: int, max_limit: int) -> tuple[int, str | None]:
    if limit < 1:
        raise BadQueries(f"--limit must be at least 1 (got {limit}); nothing was searched.")
    if limit > max_limit:
        return max_limit, f"--limit {limit} is more than a search returns; showing at most {max_limit}"
    return limit, None


async def _search(args: argparse.Namespace, jobs: list[dict[str, Any]]) -> tuple[str, list[Any], list[str]]:
    from gateway.database import open_database
    from gateway.settings import get_settings
    from ingest.embedder import QueryCache, get_embedder
    from persistence.campaign_repository import CampaignRepository
    from persistence.retrieval import MAX_LIMIT, CampaignRetriever, fuzzy_terms

    settings = get_settings()
    notes: list[str] = []
    limits = []
    for job in jobs:
        limit, note = _limit_note(int(job.get("limit", args.limit)), MAX_LIMIT)
        limits.append(limit)
        if note and note not in notes:
            notes.append(note)
    embedder = get_embedder()
    cache = QueryCache(settings.data_dir / "cache" / "query-embeddings", embedder)
    vectors_task = asyncio.create_task(asyncio.to_thread(cache.embed, [job["query"] for job in jobs]))
    async with open_database(settings) as db:
        repo = CampaignRepository(db)
        try:
            cid, name = await repo.find(args.name)
        except BaseException:
            vectors_task.cancel()
            raise
        known = await repo.scene_names(cid)
        vectors = await vectors_task
        retriever = CampaignRetriever(db)
        results = []
        for job, vector, limit in zip(jobs, vectors, limits):
            scene = _scene(job.get("scene"))
            notes.extend(n for n in scene_notes(scene, known) if n not in notes)
            hits = await retriever.search(cid, job["query"], vector, scene, limit,
                                          fuzzy_terms(job["query"], embedder.is_common))
            results.append([h.to_dict() for h in hits])
    return name, results, notes


def run_search(args: argparse.Namespace) -> int:
    """The `campaign search` handler."""
    from gateway.commands._output import print_json

    if args.queries is None and not (args.query or "").strip():
        print("error: give a QUERY or --queries FILE.jsonl", file=sys.stderr)
        return 2
    if args.queries is not None:
        jobs = load_jobs(args.queries)
    else:
        jobs = [{"query": args.query, "scene": {"location": args.location, "npcs": args.npc,
                                                "plot_threads": args.thread}}]
    name, results, notes = asyncio.run(_search(args, jobs))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for job, hits in zip(jobs, results):
        if args.json:
            print_json({"campaign": name, "query": job["query"], "hits": hits, "notes": notes})
        else:
            print("\n".join(render_hits(job["query"], hits, args.explain)))
    return 0
