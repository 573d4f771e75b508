"""A generated campaign → rows, in one transaction; and what the storyteller reads back.

`CampaignBuilder.build(NewCampaign, channel_id)` writes the campaign (premise, acts and the opening
text in `campaigns.settings`), its locations and their connections, NPCs (villains too, with
`data.villain`), plot threads, story hooks and the world state (the party stands at the opening
location, which is known; NPCs found there are met) and binds the channel to it — all or nothing.
`outline(campaign_id)` reads a campaign's extracted world (an imported PDF's places, NPCs, threads)
and `story_so_far(campaign_id)` the latest DM replies and player lines. Every value is a bound
parameter; the text the model wrote is data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from persistence.database import Database
from persistence.interfaces import (
    CampaignRef,
    NewCampaign,
    OutlineLink,
    OutlineNpc,
    OutlinePlace,
    OutlineThread,
    StoryLine,
    WorldOutline,
)

__all__ = ["CampaignBuilder", "MAX_NAME_TRIES", "OUTLINE_LIMIT"]

log = logging.getLogger(__name__)

MAX_NAME_TRIES = 50  # "Name", "Name (2)", … "Name (50)"
OUTLINE_LIMIT = 40  # rows of each kind an outline reads (a prompt holds only so much)
_MAX_CAMPAIGN_NAME = 200


class CampaignBuilder:
    """The `persistence.interfaces.CampaignBuilderStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- read ------------------------------------------------------------------------------------

    async def outline(self, campaign_id: int) -> WorldOutline:
        async with self._db.connection() as conn:
            places = await _all(conn, "SELECT name, description FROM locations WHERE campaign_id = %s "
                                      "ORDER BY id LIMIT %s", (campaign_id, OUTLINE_LIMIT))  # fmt: skip
            links = await _all(conn, """
                SELECT a.name AS source, b.name AS target, c.description FROM location_connections c
                JOIN locations a ON a.id = c.from_location_id JOIN locations b ON b.id = c.to_location_id
                WHERE a.campaign_id = %s ORDER BY a.id, b.id LIMIT %s
                """, (campaign_id, OUTLINE_LIMIT * 2))  # fmt: skip
            npcs = await _all(conn, """
                SELECT n.name, n.role, n.description, n.personality, l.name AS location, n.data
                FROM npcs n LEFT JOIN locations l ON l.id = n.location_id
                WHERE n.campaign_id = %s ORDER BY n.id LIMIT %s
                """, (campaign_id, OUTLINE_LIMIT))  # fmt: skip
            threads = await _all(conn, "SELECT id, title, summary, data FROM plot_threads WHERE campaign_id = %s "
                                       "ORDER BY id LIMIT %s", (campaign_id, OUTLINE_LIMIT))  # fmt: skip
            hooks = await _all(conn, "SELECT plot_thread_id, text FROM story_hooks WHERE campaign_id = %s "
                                     "AND plot_thread_id IS NOT NULL ORDER BY id", (campaign_id,))  # fmt: skip
        by_thread: dict[int, list[str]] = {}
        for hook in hooks:
            by_thread.setdefault(hook["plot_thread_id"], []).append(hook["text"])
        return WorldOutline(
            places=tuple(OutlinePlace(r["name"], r["description"]) for r in places),
            links=tuple(OutlineLink(r["source"], r["target"], r["description"]) for r in links),
            npcs=tuple(OutlineNpc(r["name"], r["role"], r["description"], r["personality"], r["location"],
                                  bool((r["data"] or {}).get("villain")), dict(r["data"] or {})) for r in npcs),
            threads=tuple(OutlineThread(r["title"], r["summary"], tuple(by_thread.get(r["id"], ())),
                                        dict(r["data"] or {})) for r in threads),
        )  # fmt: skip

    async def story_so_far(self, campaign_id: int, limit: int = 40) -> tuple[StoryLine, ...]:
        rows = await self._db.fetch_all(
            """
            SELECT source, author, text FROM (
                SELECT 'dm' AS source, '' AS author, reply_text AS text, created_at, id, 0 AS part
                FROM dm_turns WHERE campaign_id = %s AND reply_text <> ''
                UNION ALL
                SELECT 'player', author_name, content, created_at, id, 1
                FROM message_history WHERE campaign_id = %s AND NOT is_command AND NOT from_dm AND content <> ''
            ) story ORDER BY created_at DESC, part DESC, id DESC LIMIT %s
            """,
            (campaign_id, campaign_id, max(1, limit)),
        )
        return tuple(StoryLine(r["source"], r["author"], r["text"]) for r in reversed(rows))

    # --- write -----------------------------------------------------------------------------------

    async def build(self, campaign: NewCampaign, channel_id: int) -> CampaignRef:
        async with self._db.transaction() as conn:
            head = await _insert_campaign(conn, campaign)
            cid = head["id"]
            places = await _places(conn, cid, campaign.outline.places)
            await _links(conn, places, campaign.outline.links)
            opening = places.get(campaign.opening_location.lower())
            await _npcs(conn, cid, places, campaign.outline.npcs, opening)
            await _threads(conn, cid, campaign.outline.threads)
            await conn.execute(
                "INSERT INTO world_state (campaign_id, current_location_id, location_name, known_locations) "
                "VALUES (%s, %s, %s, %s)",
                (cid, opening, campaign.opening_location if opening else "",
                 Jsonb([campaign.opening_location] if opening else [])),
            )  # fmt: skip
            await conn.execute("UPDATE campaigns SET channel_id = NULL WHERE channel_id = %s AND id <> %s",
                               (channel_id, cid))  # fmt: skip
            await conn.execute("UPDATE campaigns SET channel_id = %s WHERE id = %s", (channel_id, cid))
        log.info("campaign built", extra={"campaign_id": cid, "locations": len(places)})
        return CampaignRef(id=cid, name=head["name"], channel_id=channel_id, description=campaign.description)


async def _all(conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cur = await conn.execute(sql, params)
    return list(await cur.fetchall())


async def _insert_campaign(conn: psycopg.AsyncConnection[Any], campaign: NewCampaign) -> dict[str, Any]:
    base = " ".join(campaign.name.split())[: _MAX_CAMPAIGN_NAME - 6] or "New campaign"
    for n in range(1, MAX_NAME_TRIES + 1):
        name = base if n == 1 else f"{base} ({n})"
        cur = await conn.execute(
            "INSERT INTO campaigns (name, description, settings) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO NOTHING RETURNING id, name",
            (name, campaign.description, Jsonb(dict(campaign.settings))),
        )
        row = await cur.fetchone()
        if row is not None:
            return dict(row)
    raise ValueError(f"no free campaign name like {base!r}")


async def _places(conn: psycopg.AsyncConnection[Any], cid: int, places: Sequence[OutlinePlace]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for place in places:
        cur = await conn.execute(
            "INSERT INTO locations (campaign_id, name, description) VALUES (%s, %s, %s) "
            "ON CONFLICT (campaign_id, name) DO NOTHING RETURNING id",
            (cid, place.name, place.description),
        )
        row = await cur.fetchone()
        if row is not None:
            ids[place.name.lower()] = row["id"]
    return ids


async def _links(conn: psycopg.AsyncConnection[Any], places: Mapping[str, int], links: Sequence[OutlineLink]) -> None:
    for link in links:
        a, b = places.get(link.source.lower()), places.get(link.target.lower())
        if a is None or b is None or a == b:
            continue
        await conn.execute(
            "INSERT INTO location_connections (from_location_id, to_location_id, description) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (a, b, link.description),
        )


async def _npcs(conn: psycopg.AsyncConnection[Any], cid: int, places: Mapping[str, int],
                npcs: Sequence[OutlineNpc], opening: int | None) -> None:  # fmt: skip
    for npc in npcs:
        where = places.get(npc.location.lower()) if npc.location else None
        data = {**dict(npc.data), "villain": npc.villain}
        met = opening is not None and where == opening and not npc.villain  # the opening scene shows them
        await conn.execute(
            "INSERT INTO npcs (campaign_id, name, role, description, personality, location_id, data, met) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (campaign_id, name) DO NOTHING",
            (cid, npc.name, npc.role, npc.description, npc.personality, where, Jsonb(data), met),
        )


async def _threads(conn: psycopg.AsyncConnection[Any], cid: int, threads: Sequence[OutlineThread]) -> None:
    for thread in threads:
        cur = await conn.execute(
            "INSERT INTO plot_threads (campaign_id, title, summary, data) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (campaign_id, title) DO NOTHING RETURNING id",
            (cid, thread.title, thread.summary, Jsonb({**dict(thread.data), "notes": []})),
        )
        row = await cur.fetchone()
        if row is None:
            continue
        for hook in thread.hooks:
            await conn.execute(
                "INSERT INTO story_hooks (campaign_id, plot_thread_id, text) VALUES (%s, %s, %s)",
                (cid, row["id"], hook),
            )
