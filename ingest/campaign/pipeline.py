"""One PDF → a `CampaignImport`: parsed document, tagged chunks, world model. Pure CPU, no I/O but the file."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.campaign.chunker import Chunk, chunk_blocks
from ingest.campaign.tagger import tag_chunks
from ingest.campaign.world import World, extract_world
from ingest.errors import UnreadablePdf
from ingest.campaign.layout import ParsedDocument, read_pdf

__all__ = ["CampaignImport", "parse_campaign_pdf"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignImport:
    source_file: str          # the file name, the per-file identity used for idempotent re-import
    sha256: str
    document: ParsedDocument
    chunks: tuple[Chunk, ...]
    world: World


def parse_campaign_pdf(path: str | Path, monster_names: Iterable[str] = (),
                       item_names: Iterable[str] = ()) -> CampaignImport:
    """Read, chunk, extract and tag one adventure PDF.

    Raises:
        UnreadablePdf: the file cannot be read, or holds no text to chunk.
    """
    path = Path(path)
    document = read_pdf(path)
    chunks = chunk_blocks(document.blocks)
    if not chunks:
        raise UnreadablePdf(str(path), "no text could be extracted from it")
    monsters = list(monster_names)
    world = extract_world(chunks, set(monsters), document.title)
    tagged = tag_chunks(chunks, world, monsters, item_names)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    log.info("parsed %s: %d chunks, %d npcs, %d locations", path.name, len(tagged), len(world.npcs),
             len(world.locations))
    return CampaignImport(path.name, digest, document, tuple(tagged), world)
