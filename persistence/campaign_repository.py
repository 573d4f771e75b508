"""Campaign storage: documents, chunks (with embeddings) and the extracted world, per source file.

Import is idempotent per file: `replace_document` deletes everything that file produced
before (its chunks, and the NPCs, locations, plot threads and hooks tagged with its
`source_file`) and writes the new rows, all in one transaction — a failure leaves the
previous state untouched. Rows go in and come out as plain dicts; SQL uses bound parameters.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from persistence.database import Database
from persistence.errors import PersistenceError

__all__ = ["CampaignRepository", "CampaignNotFound", "BadCampaignName", "ImportSummary", "vector_literal",
           "chunk_names", "check_campaign_name", "MAX_NAME_LENGTH"]

MAX_NAME_LENGTH = 200                # the campaigns.name CHECK constraint

log = logging.getLogger(__name__)


class CampaignNotFound(PersistenceError):
    def __init__(self, name: str, close: Sequence[str] = ()) -> None:
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"There is no campaign called {name!r}.{hint} "
                         "`lorekeeper campaign list` shows the ones there are.")
        self.name = name
        self.close = list(close)


class BadCampaignName(PersistenceError):
    """A blank or over-long campaign name, refused before the database sees it."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}; nothing was changed.")


def check_campaign_name(name: str) -> str:
    """`name` stripped, or `BadCampaignName` if it is blank or longer than `MAX_NAME_LENGTH` characters."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise BadCampaignName("A campaign needs a name that is not blank")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise BadCampaignName(f"A campaign name can be at most {MAX_NAME_LENGTH} characters "
                              f"(that one has {len(cleaned)})")
    return cleaned


def _slug(text: str) -> str:
    """"The Drowned Lantern" and "the-drowned-lantern" alike: "thedrownedlantern"."""
    text = re.sub(r"^(the|a|an)\b", "", (text or "").strip().lower())
    return re.sub(r"[^0-9a-z]+", "", text)


@dataclass(frozen=True)
class ImportSummary:
    campaign_id: int
    document_id: int
    chunks: int
    npcs: int
    locations: int
    connections: int
    plot_threads: int
    story_hooks: int


def vector_literal(vector: Sequence[float] | None) -> str | None:
    """pgvector's text form, '[0.1,0.2,...]' (bound as a parameter and cast with ::vector)."""
    if vector is None:
        return None
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


def chunk_names(chunk: dict[str, Any]) -> str:
    """Heading path + tag values as words ("location:Gutted_Eel" → "Gutted Eel"): the trigram target."""
    values = [t.split(":", 1)[-1].replace("_", " ") for t in chunk.get("tags", ())]
    return " ".join(dict.fromkeys([*chunk["heading_path"], *values]))[:400]


_COUNTS = """
SELECT c.id, c.name, c.description, c.created_at, c.updated_at,
       (SELECT count(*) FROM campaign_documents d WHERE d.campaign_id = c.id) AS documents,
       (SELECT count(*) FROM campaign_chunks k WHERE k.campaign_id = c.id) AS chunks,
       (SELECT count(*) FROM npcs n WHERE n.campaign_id = c.id) AS npcs,
       (SELECT count(*) FROM locations l WHERE l.campaign_id = c.id) AS locations,
       (SELECT count(*) FROM location_connections x JOIN locations l ON l.id = x.from_location_id
         WHERE l.campaign_id = c.id) AS connections,
       (SELECT count(*) FROM plot_threads t WHERE t.campaign_id = c.id) AS plot_threads,
       (SELECT count(*) FROM story_hooks h WHERE h.campaign_id = c.id) AS story_hooks
FROM campaigns c
"""


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_campaigns(self) -> list[dict[str, Any]]:
        return await self._db.fetch_all(_COUNTS + " ORDER BY c.name")

    async def campaign_stats(self, name: str) -> dict[str, Any]:
        """Counts for one campaign (named as `find` allows); raises `CampaignNotFound`."""
        row = await self._db.fetch_one(_COUNTS + " WHERE c.id = %s", (await self.campaign_id(name),))
        if row is None:
            raise CampaignNotFound(name)
        row["files"] = [r["source_file"] for r in await self._db.fetch_all(
            "SELECT source_file FROM campaign_documents WHERE campaign_id = %s ORDER BY source_file", (row["id"],))]
        return row

    async def campaign_id(self, name: str) -> int:
        """The id of the campaign called `name` (see `find`); raises `CampaignNotFound` with close names."""
        return (await self.find(name))[0]

    async def find(self, name: str) -> tuple[int, str]:
        """(id, stored name) of a campaign named as a person would: its exact name, any case, or its title
        ("The Drowned Lantern" for "the-drowned-lantern"); raises `CampaignNotFound` with close names."""
        rows = await self._db.fetch_all("SELECT id, name, description FROM campaigns ORDER BY id")
        wanted = (name or "").strip()
        for test in (lambda r: r["name"] == wanted, lambda r: r["name"].lower() == wanted.lower(),
                     lambda r: r["description"].strip().lower() == wanted.lower() and wanted != "",
                     lambda r: _slug(wanted) != "" and _slug(wanted) in (_slug(r["name"]), _slug(r["description"]))):
            found = [r for r in rows if test(r)]
            if found:
                return int(found[0]["id"]), found[0]["name"]
        names = [r["name"] for r in rows]
        close = difflib.get_close_matches(wanted.lower()[:MAX_NAME_LENGTH], [n.lower() for n in names], n=3, cutoff=0.5)
        raise CampaignNotFound(wanted[:80] + ("…" if len(wanted) > 80 else ""),
                               [n for n in names if n.lower() in close])

    async def rename(self, name: str, new_name: str) -> tuple[str, str]:
        """Rename a campaign; (old, new). Raises `CampaignNotFound`, `BadCampaignName` (blank, too long, taken)."""
        new_name = check_campaign_name(new_name)
        cid, old = await self.find(name)
        taken = await self._db.fetch_value("SELECT id FROM campaigns WHERE lower(name) = lower(%s) AND id <> %s",
                                           (new_name, cid))
        if taken is not None:
            raise BadCampaignName(f"There is already a campaign called {new_name!r}")
        await self._db.execute("UPDATE campaigns SET name = %s, updated_at = now() WHERE id = %s", (new_name, cid))
        return old, new_name

    async def delete(self, name: str) -> dict[str, Any]:
        """Delete a campaign and everything in it (chunks, world, play state); returns its counts before."""
        stats = await self.campaign_stats(name)
        await self._db.execute("DELETE FROM campaigns WHERE id = %s", (stats["id"],))
        return stats

    async def scene_names(self, campaign_id: int) -> dict[str, list[str]]:
        """The names a scene may mention: {"locations": names and map keys, "npcs": names}."""
        locations = await self._db.fetch_all("SELECT key, name FROM locations WHERE campaign_id = %s ORDER BY id",
                                             (campaign_id,))
        npcs = await self._db.fetch_all("SELECT name FROM npcs WHERE campaign_id = %s ORDER BY id", (campaign_id,))
        return {"locations": [v for r in locations for v in (r["key"], r["name"]) if v],
                "npcs": [r["name"] for r in npcs]}

    async def monster_names(self) -> list[str]:
        return [r["name"] for r in await self._db.fetch_all("SELECT name FROM monsters ORDER BY name")]

    async def magic_item_names(self) -> list[str]:
        return [r["name"] for r in await self._db.fetch_all("SELECT name FROM magic_items ORDER BY name")]

    async def replace_document(self, campaign: str, *, source_file: str, sha256: str, page_count: int,
                               metadata: dict[str, Any], chunks: Sequence[dict[str, Any]],
                               world: dict[str, Sequence[dict[str, Any]]], description: str = "") -> ImportSummary:
        """Create the campaign if needed and (re)write everything `source_file` contributes, atomically.

        chunks: dicts with chunk_index, page, page_end, heading_path, kind, text, tags, embedding.
        world: {"npcs", "locations", "connections", "threads", "hooks"}, each a list of dicts whose
            `chunk_index` points into `chunks` (see `ingest.campaign.pipeline`).
        """
        campaign = check_campaign_name(campaign)
        async with self._db.transaction() as conn:
            cid = (await (await conn.execute(
                "INSERT INTO campaigns (name, description) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET updated_at = now(), "
                "description = CASE WHEN campaigns.description = '' THEN EXCLUDED.description "
                "ELSE campaigns.description END RETURNING id", (campaign, description))).fetchone())["id"]
            played = await _play_marks(conn, cid)  # what the party did to this file's rows outlives the re-import
            await self._delete_file(conn, cid, source_file)
            doc_id = (await (await conn.execute(
                "INSERT INTO campaign_documents (campaign_id, source_file, sha256, page_count, metadata) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (cid, source_file, sha256, page_count, Jsonb(metadata)))).fetchone())["id"]
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO campaign_chunks (campaign_id, document_id, source_file, chunk_index, page, page_end, "
                    "heading_path, heading, kind, text, tags, embedding, names) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::vector, %s)",
                    [(cid, doc_id, source_file, c["chunk_index"], c["page"], c.get("page_end"),
                      list(c["heading_path"]), " > ".join(c["heading_path"]), c.get("kind", "text"), c["text"],
                      list(c.get("tags", ())), vector_literal(c.get("embedding")), chunk_names(c)) for c in chunks])
            rows = await (await conn.execute(
                "SELECT id, chunk_index FROM campaign_chunks WHERE document_id = %s", (doc_id,))).fetchall()
            chunk_ids = {r["chunk_index"]: r["id"] for r in rows}
            counts = await self._write_world(conn, cid, source_file, chunk_ids, world)
            await _restore_play_marks(conn, cid, played)
        log.info("imported %s into campaign %s: %d chunks", source_file, campaign, len(chunks))
        return ImportSummary(cid, doc_id, len(chunks), *counts)

    async def _delete_file(self, conn: Any, cid: int, source_file: str) -> None:
        await conn.execute(  # a hook whose chunk is gone (NULL) came from a file too: it is written again
            "DELETE FROM story_hooks WHERE campaign_id = %s AND (source_chunk_id IS NULL OR source_chunk_id IN "
            "(SELECT id FROM campaign_chunks WHERE campaign_id = %s AND source_file = %s))", (cid, cid, source_file))
        for table in ("npcs", "plot_threads", "locations"):
            await conn.execute(f"DELETE FROM {table} WHERE campaign_id = %s AND data->>'source_file' = %s",  # noqa: S608
                               (cid, source_file))
        await conn.execute("DELETE FROM campaign_chunks WHERE campaign_id = %s AND source_file = %s", (cid, source_file))
        await conn.execute("DELETE FROM campaign_documents WHERE campaign_id = %s AND source_file = %s",
                           (cid, source_file))

    async def _write_world(self, conn: Any, cid: int, source_file: str, chunk_ids: dict[int, int],
                           world: dict[str, Sequence[dict[str, Any]]]) -> tuple[int, int, int, int, int]:
        def chunk_id(item: dict[str, Any]) -> int | None:
            index = item.get("chunk_index")
            return chunk_ids.get(index) if index is not None else None

        loc_ids: dict[str, int] = {}
        for loc in world.get("locations", ()):
            row = await (await conn.execute(
                "INSERT INTO locations (campaign_id, key, name, description, source_chunk_id, data) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (campaign_id, name) DO UPDATE SET key = EXCLUDED.key, "
                "description = EXCLUDED.description, source_chunk_id = EXCLUDED.source_chunk_id, data = EXCLUDED.data "
                "RETURNING id",
                (cid, loc.get("key"), loc["name"], loc.get("description", ""), chunk_id(loc),
                 Jsonb({"source_file": source_file, "chapter": loc.get("chapter", "")})))).fetchone()
            loc_ids[loc["name"]] = row["id"]
        connections = 0
        for con in world.get("connections", ()):
            a, b = loc_ids.get(con["from_name"]), loc_ids.get(con["to_name"])
            if a and b and a != b:
                cur = await conn.execute(
                    "INSERT INTO location_connections (from_location_id, to_location_id, description) "
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (a, b, con.get("description", "")))
                connections += cur.rowcount
        for npc in world.get("npcs", ()):
            await conn.execute(
                "INSERT INTO npcs (campaign_id, name, role, description, personality, secrets, location_id, "
                "stat_block, source_chunk_id, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (campaign_id, name) DO UPDATE SET role = EXCLUDED.role, description = EXCLUDED.description, "
                "personality = EXCLUDED.personality, secrets = EXCLUDED.secrets, location_id = EXCLUDED.location_id, "
                "stat_block = EXCLUDED.stat_block, source_chunk_id = EXCLUDED.source_chunk_id, data = EXCLUDED.data",
                (cid, npc["name"], npc.get("role", ""), npc.get("description", ""), npc.get("personality", ""),
                 npc.get("secrets", ""), loc_ids.get(npc.get("location") or ""), npc.get("stat_block"),
                 chunk_id(npc), Jsonb({**npc.get("data", {}), "source_file": source_file})))
        main_id = None
        for thread in world.get("threads", ()):
            row = await (await conn.execute(
                "INSERT INTO plot_threads (campaign_id, title, summary, source_chunk_id, data) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (campaign_id, title) DO UPDATE SET summary = EXCLUDED.summary, "
                "source_chunk_id = EXCLUDED.source_chunk_id, data = EXCLUDED.data RETURNING id",
                (cid, thread["title"], thread.get("summary", ""), chunk_id(thread),
                 Jsonb({"source_file": source_file, "kind": thread.get("kind", "thread")})))).fetchone()
            if thread.get("kind") == "main" and main_id is None:
                main_id = row["id"]
        for hook in world.get("hooks", ()):
            text = f"{hook['title']}: {hook['text']}" if hook.get("title") and not hook["text"].startswith(
                hook["title"]) else hook["text"]
            await conn.execute(
                "INSERT INTO story_hooks (campaign_id, plot_thread_id, text, source_chunk_id) VALUES (%s, %s, %s, %s)",
                (cid, main_id, text, chunk_id(hook)))
        return (len(world.get("npcs", ())), len(loc_ids), connections, len(world.get("threads", ())),
                len(world.get("hooks", ())))

    async def world(self, campaign_id: int) -> dict[str, list[dict[str, Any]]]:
        """NPCs, locations (with connections), plot threads and hooks of a campaign, as dicts."""
        q = self._db.fetch_all
        return {
            "npcs": await q("SELECT n.*, l.name AS location FROM npcs n LEFT JOIN locations l ON l.id = n.location_id "
                            "WHERE n.campaign_id = %s ORDER BY n.id", (campaign_id,)),
            "locations": await q("SELECT * FROM locations WHERE campaign_id = %s ORDER BY id", (campaign_id,)),
            "connections": await q(
                "SELECT a.name AS from_name, b.name AS to_name, x.description FROM location_connections x "
                "JOIN locations a ON a.id = x.from_location_id JOIN locations b ON b.id = x.to_location_id "
                "WHERE a.campaign_id = %s ORDER BY a.id, b.id", (campaign_id,)),
            "threads": await q("SELECT * FROM plot_threads WHERE campaign_id = %s ORDER BY id", (campaign_id,)),
            "hooks": await q("SELECT * FROM story_hooks WHERE campaign_id = %s ORDER BY id", (campaign_id,)),
        }


async def _play_marks(conn: Any, cid: int) -> dict[str, list[dict[str, Any]]]:
    """The play state kept on the adventure's own rows: NPCs met (alive or not, attitude), plot threads'
    status and notes, hooks used."""
    async def rows(sql: str) -> list[dict[str, Any]]:
        return await (await conn.execute(sql, (cid,))).fetchall()

    return {
        "npcs": await rows("SELECT name, met, alive, attitude FROM npcs WHERE campaign_id = %s "
                           "AND (met OR NOT alive OR attitude <> 'indifferent')"),
        "threads": await rows("SELECT title, status, progress, data->'notes' AS notes FROM plot_threads "
                              "WHERE campaign_id = %s AND (status <> 'open' OR progress > 0)"),
        "hooks": await rows("SELECT DISTINCT text FROM story_hooks WHERE campaign_id = %s AND used"),
    }


async def _restore_play_marks(conn: Any, cid: int, played: dict[str, list[dict[str, Any]]]) -> None:
    for npc in played["npcs"]:  # an NPC the game met under another case is the same person
        await conn.execute(
            "INSERT INTO npcs (campaign_id, name, met, alive, attitude) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (campaign_id, name) DO UPDATE SET met = EXCLUDED.met, alive = EXCLUDED.alive, "
            "attitude = EXCLUDED.attitude",
            (cid, npc["name"], npc["met"], npc["alive"], npc["attitude"]))
    for thread in played["threads"]:
        await conn.execute(
            "INSERT INTO plot_threads (campaign_id, title, status, progress, data) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (campaign_id, title) DO UPDATE SET status = EXCLUDED.status, progress = EXCLUDED.progress, "
            "data = plot_threads.data || EXCLUDED.data",
            (cid, thread["title"], thread["status"], thread["progress"], Jsonb({"notes": thread["notes"] or []})))
    texts = [h["text"] for h in played["hooks"]]
    if texts:
        await conn.execute("UPDATE story_hooks SET used = true WHERE campaign_id = %s AND text = ANY(%s)", (cid, texts))
