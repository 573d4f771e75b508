"""The extracted world of a campaign, read side: its places (with their passages and connections) and NPCs.

    world = await WorldRepository(db).world(campaign_id)     # persistence.interfaces.CampaignWorld
    world.locations[0].description                           # the read-aloud text of the first keyed place

The rows are the ones the campaign import wrote (`locations`, `location_connections`, `npcs`, linked to
`campaign_chunks` by `source_chunk_id`); NPCs the story introduced in play are there too. An NPC's
write-up comes back without its secrets: labelled paragraphs other than the public ones (role,
personality, appearance, description) are left out of `description`, and "What X Knows." becomes
`knows` (what the NPC tells when asked). Bound parameters only; four reads, no writes.
"""

from __future__ import annotations

import re
from typing import Any

from persistence.database import Database
from persistence.interfaces import CampaignWorld, WorldLocation, WorldNpc

__all__ = ["WorldRepository", "public_writeup"]

_LABEL = re.compile(r"^([A-Z][A-Za-z' ]{1,30})\.\s")
_PUBLIC_LABELS = {"role", "personality", "appearance", "description"}
_KNOWS = re.compile(r"^what \w+ knows?$", re.I)

_LOCATIONS = """
SELECT l.id, l.key, l.name, l.description, l.source_chunk_id, l.data->>'chapter' AS chapter,
       c.text AS chunk_text, c.page, c.heading_path
  FROM locations l
  LEFT JOIN campaign_chunks c ON c.id = l.source_chunk_id AND c.campaign_id = l.campaign_id
 WHERE l.campaign_id = %s
 ORDER BY c.chunk_index NULLS LAST, l.id
"""
_CONNECTIONS = """
SELECT f.name AS a, t.name AS b
  FROM location_connections lc
  JOIN locations f ON f.id = lc.from_location_id
  JOIN locations t ON t.id = lc.to_location_id
 WHERE f.campaign_id = %s AND t.campaign_id = %s
 ORDER BY f.id, t.id
"""
_NPCS = """
SELECT n.id, n.name, n.role, n.description, n.personality, n.alive, n.data, n.source_chunk_id,
       l.name AS location, c.page
  FROM npcs n
  LEFT JOIN locations l ON l.id = n.location_id
  LEFT JOIN campaign_chunks c ON c.id = n.source_chunk_id AND c.campaign_id = n.campaign_id
 WHERE n.campaign_id = %s
 ORDER BY n.id
"""
_INTROS = """
SELECT heading_path[1] AS chapter, text
  FROM campaign_chunks
 WHERE campaign_id = %s AND cardinality(heading_path) = 1 AND heading_path[1] = ANY(%s)
 ORDER BY chunk_index
"""


def public_writeup(text: str) -> str:
    """`text` without its labelled private paragraphs (Secret., If Exposed., Stats., What X Knows., ...)."""
    kept = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        label = _LABEL.match(paragraph.strip())
        if label is None or label.group(1).lower() in _PUBLIC_LABELS:
            kept.append(paragraph.strip())
    return "\n\n".join(p for p in kept if p)


def _knows(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    return " ".join(str(v) for k, v in data.items() if _KNOWS.match(str(k)) and isinstance(v, str)).strip()


class WorldRepository:
    """`WorldSource` over the campaign's world tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def world(self, campaign_id: int) -> CampaignWorld:
        """The campaign's places and NPCs (empty tuples for a campaign with no extracted world)."""
        rows = await self.db.fetch_all(_LOCATIONS, (campaign_id,))
        links = await self.db.fetch_all(_CONNECTIONS, (campaign_id, campaign_id))
        npc_rows = await self.db.fetch_all(_NPCS, (campaign_id,))
        connected: dict[str, list[str]] = {}
        for link in links:
            for one, other in ((link["a"], link["b"]), (link["b"], link["a"])):
                if other not in connected.setdefault(one, []):
                    connected[one].append(other)
        locations = tuple(
            WorldLocation(id=r["id"], name=r["name"], key=r["key"], description=r["description"] or "",
                          text=r["chunk_text"] or "", chunk_id=r["source_chunk_id"], page=r["page"],
                          chapter=r["chapter"] or (r["heading_path"][0] if r["heading_path"] else ""),
                          connections=tuple(connected.get(r["name"], ())))
            for r in rows
        )  # fmt: skip
        npcs = tuple(
            WorldNpc(id=r["id"], name=r["name"], role=r["role"] or "", description=public_writeup(r["description"] or ""),
                     personality=r["personality"] or "", knows=_knows(r["data"]), location=r["location"],
                     alive=bool(r["alive"]), chunk_id=r["source_chunk_id"], page=r["page"])
            for r in npc_rows
        )  # fmt: skip
        chapters = sorted({loc.chapter for loc in locations if loc.chapter})
        intros: dict[str, str] = {}
        if chapters:
            for row in await self.db.fetch_all(_INTROS, (campaign_id, chapters)):
                intros.setdefault(row["chapter"], row["text"])
        return CampaignWorld(campaign_id=campaign_id, locations=locations, npcs=npcs, intros=intros)

