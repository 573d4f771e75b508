"""A campaign's story for the DM's context: the lines since the last summary, and the rolling summaries.

    store = HistoryRepository(db)
    summary = await store.latest_summary(campaign_id)                    # None before the first one
    lines = await store.lines(campaign_id, viewer=31, after_turn_id=summary.through_turn_id if summary else 0)

A line is a player's plain talk (answered by a DM turn), the DM turn's reply, or one half of a private
exchange (a `!whisper` and the DM's private answer, read from the command's stored result). Private
lines carry `message_history.visible_to`: `lines(viewer=None)` returns public lines only, `viewer=ID`
adds the private lines that player may see — never anyone else's — from before the last summary too.
Summaries are public: the summary pass only ever reads public lines.
"""

from __future__ import annotations

import logging
from typing import Any

from persistence.database import Database
from persistence.interfaces import HistoryLine, TurnSummary

__all__ = ["HistoryRepository", "HistoryLine", "TurnSummary", "MAX_SUMMARY_CHARS"]

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 8000  # the column's CHECK; the summary pass asks for far less

_SUMMARY_COLUMNS = "id, campaign_id, through_turn_id, turns, text, backend, model, created_at"

# One query, four kinds of line. Public lines start after the last summarised turn (`after`); a viewer's
# private lines are read whatever their age, since no summary ever holds them (the limit still applies).
_LINES = """
WITH story AS (
    SELECT 'player' AS kind, m.author_id, m.author_name AS author, m.content AS text, m.created_at AS at,
           m.turn_id, NULL::bigint[] AS visible_to, 0 AS part, m.id AS seq
    FROM message_history m
    WHERE m.campaign_id = %(campaign)s AND m.processed AND NOT m.is_command AND NOT m.from_dm
      AND m.turn_id > %(after)s AND m.visible_to IS NULL
    UNION ALL
    SELECT 'dm', NULL, 'DM', t.reply_text, t.created_at, t.id, NULL, 1, t.id
    FROM dm_turns t
    WHERE t.campaign_id = %(campaign)s AND t.id > %(after)s AND t.reply_text <> ''
    UNION ALL
    SELECT 'whisper', m.author_id, m.author_name, COALESCE(m.result->>'said', m.content), m.created_at, NULL,
           m.visible_to, 2, m.id
    FROM message_history m
    WHERE m.campaign_id = %(campaign)s AND m.processed AND m.visible_to IS NOT NULL
      AND %(viewer)s::bigint = ANY(m.visible_to)
    UNION ALL
    SELECT 'whisper_reply', NULL, 'DM', m.result->>'answer', COALESCE(m.processed_at, m.created_at), NULL,
           m.visible_to, 3, m.id
    FROM message_history m
    WHERE m.campaign_id = %(campaign)s AND m.processed AND m.visible_to IS NOT NULL
      AND %(viewer)s::bigint = ANY(m.visible_to)
      AND COALESCE(m.result->>'answer', '') <> ''
)
SELECT * FROM (SELECT * FROM story ORDER BY at DESC, part DESC, seq DESC LIMIT %(limit)s) last
ORDER BY at, part, seq
"""


_LATEST_SUMMARY = (f"SELECT {_SUMMARY_COLUMNS} FROM turn_summaries WHERE campaign_id = %(campaign)s "
                   "AND visible_to IS NULL ORDER BY through_turn_id DESC LIMIT 1")
# the lines after the latest summary, the summary's turn read in the same statement
_STORY_LINES = _LINES.replace("%(after)s", "(SELECT COALESCE(max(through_turn_id), 0) FROM turn_summaries "
                                           "WHERE campaign_id = %(campaign)s AND visible_to IS NULL)")


class HistoryRepository:
    """`persistence.interfaces.HistoryStore` on PostgreSQL (migration 041)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def lines(self, campaign_id: int, *, viewer: int | None = None, after_turn_id: int = 0,
                    limit: int = 40) -> list[HistoryLine]:  # fmt: skip
        """The last `limit` lines after turn `after_turn_id`, oldest first (see the module docstring)."""
        rows = await self._db.fetch_all(
            _LINES, {"campaign": campaign_id, "after": after_turn_id, "viewer": viewer, "limit": max(0, limit)}
        )
        return [_line(row) for row in rows]

    async def story(self, campaign_id: int, *, viewer: int | None = None,
                    limit: int = 40) -> tuple[TurnSummary | None, list[HistoryLine]]:  # fmt: skip
        """`latest_summary` and the `lines` after it, in one round trip (both statements pipelined)."""
        params = {"campaign": campaign_id, "viewer": viewer, "limit": max(0, limit)}
        async with self._db.connection() as conn, conn.pipeline():
            summary = await conn.execute(_LATEST_SUMMARY, params)
            lines = await conn.execute(_STORY_LINES, params)
            row = await summary.fetchone()
            rows = await lines.fetchall()
        return (None if row is None else TurnSummary(**row)), [_line(r) for r in rows]

    async def latest_summary(self, campaign_id: int) -> TurnSummary | None:
        row = await self._db.fetch_one(
            f"SELECT {_SUMMARY_COLUMNS} FROM turn_summaries WHERE campaign_id = %s AND visible_to IS NULL "
            "ORDER BY through_turn_id DESC LIMIT 1",
            (campaign_id,),
        )
        return None if row is None else TurnSummary(**row)

    async def turns_after(self, campaign_id: int, after_turn_id: int) -> list[int]:
        """The ids of the campaign's DM turns after `after_turn_id`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id FROM dm_turns WHERE campaign_id = %s AND id > %s ORDER BY id", (campaign_id, after_turn_id)
        )
        return [int(row["id"]) for row in rows]

    async def save_summary(self, campaign_id: int, *, through_turn_id: int, turns: int, text: str,
                           backend: str = "", model: str = "") -> TurnSummary:  # fmt: skip
        """Store a public summary through `through_turn_id` (a second one for the same turn is ignored:
        the first is returned)."""
        row = await self._db.fetch_one(
            f"""
            INSERT INTO turn_summaries (campaign_id, through_turn_id, turns, text, backend, model)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (campaign_id, through_turn_id) WHERE visible_to IS NULL DO NOTHING
            RETURNING {_SUMMARY_COLUMNS}
            """,
            (campaign_id, through_turn_id, max(0, turns), text.strip()[:MAX_SUMMARY_CHARS], backend[:100],
             model[:200]),
        )  # fmt: skip
        if row is None:
            row = await self._db.fetch_one(
                f"SELECT {_SUMMARY_COLUMNS} FROM turn_summaries WHERE campaign_id = %s AND through_turn_id = %s "
                "AND visible_to IS NULL",
                (campaign_id, through_turn_id),
            )
            assert row is not None
        log.info("turn summary stored", extra={"campaign_id": campaign_id, "through_turn_id": through_turn_id})
        return TurnSummary(**row)


def _line(row: dict[str, Any]) -> HistoryLine:
    visible = row["visible_to"]
    return HistoryLine(kind=row["kind"], author=row["author"] or "", text=row["text"] or "", at=row["at"],
                       author_id=row["author_id"], turn_id=row["turn_id"],
                       visible_to=None if visible is None else tuple(int(v) for v in visible))  # fmt: skip
