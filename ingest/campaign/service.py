"""Campaign import and search, glued over the database: parse → embed → store; query → embed → retrieve.

CPU work (PDF parsing, embeddings) runs in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path

from ingest.campaign.pipeline import CampaignImport, parse_campaign_pdf
from ingest.embedder import Embedder, get_embedder
from persistence.campaign_repository import CampaignRepository, ImportSummary
from persistence.database import Database
from persistence.retrieval import CampaignRetriever, RetrievedChunk, Scene, forget_campaign_stats, fuzzy_terms

__all__ = ["import_campaign_pdf", "search_campaign", "store_import"]


async def store_import(db: Database, name: str, parsed: CampaignImport, embedder: Embedder | None) -> ImportSummary:
    """Embed the parsed chunks (if an embedder is given) and write them and the world in one transaction."""
    vectors = await asyncio.to_thread(embedder.embed, [c.embedding_text() for c in parsed.chunks]) \
        if embedder is not None else [None] * len(parsed.chunks)
    chunks = [{"chunk_index": c.index, "page": c.page, "page_end": max(c.page_end, c.page),
               "heading_path": list(c.heading_path), "kind": c.kind, "text": c.text, "tags": list(c.tags),
               "embedding": v} for c, v in zip(parsed.chunks, vectors)]
    world = {
        "npcs": [asdict(n) for n in parsed.world.npcs],
        "locations": [asdict(loc) for loc in parsed.world.locations],
        "connections": [asdict(c) for c in parsed.world.connections],
        "threads": [asdict(t) for t in parsed.world.threads],
        "hooks": [asdict(h) for h in parsed.world.hooks],
    }
    summary = await CampaignRepository(db).replace_document(
        name, source_file=parsed.source_file, sha256=parsed.sha256, page_count=parsed.document.page_count,
        metadata={"title": parsed.document.title, "blocks": len(parsed.document.blocks)}, chunks=chunks,
        world=world, description=parsed.document.title)
    forget_campaign_stats(summary.campaign_id)          # its word counts changed
    return summary


async def import_campaign_pdf(db: Database, path: str | Path, name: str,
                              embedder: Embedder | None = None) -> ImportSummary:
    """Import (or re-import) one PDF into campaign `name`.

    Raises:
        ingest.errors.UnreadablePdf: before anything is written.
    """
    repo = CampaignRepository(db)
    monsters, items = await repo.monster_names(), await repo.magic_item_names()
    parsed = await asyncio.to_thread(parse_campaign_pdf, path, monsters, items)
    if embedder is None:
        embedder = await asyncio.to_thread(get_embedder)
    return await store_import(db, name, parsed, embedder)


async def search_campaign(db: Database, name: str, query: str, scene: Scene | None = None, limit: int = 10,
                          embedder: Embedder | None = None) -> list[RetrievedChunk]:
    """Embed `query` and run the hybrid retrieval for campaign `name` (raises `CampaignNotFound`)."""
    campaign_id = await CampaignRepository(db).campaign_id(name)
    if embedder is None:
        embedder = await asyncio.to_thread(get_embedder)
    vector = await asyncio.to_thread(embedder.embed_one, query)
    return await CampaignRetriever(db).search(campaign_id, query, vector, scene, limit,
                                              fuzzy_terms(query, embedder.is_common))
