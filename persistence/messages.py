"""The message log: every player message stored once, every DM turn recorded with what it answered.

Exactly-once rests on the UNIQUE Discord message id: `record` on a message seen before returns
the stored row (and, once answered, the turn's reply to replay) instead of a second copy, and
`complete_turn` marks its messages processed in the same transaction that stores the turn, so
a crash between the two can neither lose a message nor answer it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from persistence.database import Database
from persistence.errors import DuplicateMessage
from persistence.history import HistoryRepository
from persistence.interfaces import Recorded, StoredMessage, TurnRecord

__all__ = ["MessageLog", "StoredMessage", "Recorded", "TurnRecord", "MAX_CONTENT_LENGTH", "insert_turn",
           "LOCK_UNANSWERED", "check_unanswered", "lock_unanswered", "mark_processed"]

log = logging.getLogger(__name__)

MAX_CONTENT_LENGTH = 4000  # Discord's limit is 2000 (4000 with Nitro); longer text is cut, never refused silently

_COLUMNS = (
    "id, campaign_id, channel_id, discord_message_id, author_id, author_name, content, is_command, "
    "from_dm, processed, turn_id, created_at"
)


class MessageLog:
    """The message log; `history` reads the same rows as the story for the DM's context."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.history = HistoryRepository(db)

    async def record(
        self,
        *,
        channel_id: int,
        message_id: int,
        author_id: int,
        content: str,
        author_name: str = "",
        is_command: bool = False,
        from_dm: bool = False,
        campaign_id: int | None = None,
    ) -> Recorded:
        """Store a message unless its id is known; never raises on a duplicate."""
        row = await self._db.fetch_one(
            f"""
            INSERT INTO message_history
                (campaign_id, channel_id, discord_message_id, author_id, author_name, content, is_command, from_dm,
                 processed)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (discord_message_id) DO NOTHING
            RETURNING {_COLUMNS},
                (SELECT ARRAY[c.id, c.state_version] FROM campaigns c WHERE c.channel_id = %s) AS bound
            """,
            (campaign_id, channel_id, message_id, author_id, author_name[:100], content[:MAX_CONTENT_LENGTH],
             is_command, from_dm, from_dm, channel_id),
        )
        if row is not None:  # `bound`: the channel's campaign and version, read in the same round trip
            bound = row.pop("bound")
            return Recorded(StoredMessage(**row), new=True, bound=None if bound is None else (bound[0], bound[1]))
        seen = await self._db.fetch_one(  # the row, its stored result and its turn's reply in one read
            f"SELECT {_COLUMNS}, result, (SELECT reply_text FROM dm_turns t WHERE t.id = m.turn_id) AS reply "
            "FROM message_history m WHERE discord_message_id = %s",
            (message_id,),
        )
        assert seen is not None  # the conflict proves it exists; rows are never deleted alone
        log.info("duplicate message ignored", extra={"message_id": message_id, "channel_id": channel_id})
        result, reply = seen.pop("result"), seen.pop("reply")
        return Recorded(StoredMessage(**seen), new=False, reply=reply, result=result)

    async def get(self, message_id: int) -> StoredMessage | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM message_history WHERE discord_message_id = %s", (message_id,)
        )
        return None if row is None else StoredMessage(**row)

    async def pending(self, channel_id: int, *, limit: int = 50) -> list[StoredMessage]:
        """Players' messages not yet answered, oldest first (what a restarted session picks up)."""
        rows = await self._db.fetch_all(
            f"""
            SELECT {_COLUMNS} FROM message_history
            WHERE channel_id = %s AND NOT processed
            ORDER BY created_at, id
            LIMIT %s
            """,
            (channel_id, limit),
        )
        return [StoredMessage(**row) for row in rows]

    async def recent(self, channel_id: int, *, limit: int = 20, viewer: int | None = None) -> list[StoredMessage]:
        """The last `limit` messages of the channel (players' and the DM's), oldest first. Private messages
        (a whisper) only for a `viewer` they are visible to; `viewer=None` gives the public ones only."""
        rows = await self._db.fetch_all(
            f"""
            SELECT * FROM (
                SELECT {_COLUMNS} FROM message_history
                WHERE channel_id = %s AND (visible_to IS NULL OR %s::bigint = ANY(visible_to))
                ORDER BY created_at DESC, id DESC LIMIT %s
            ) last ORDER BY created_at, id
            """,
            (channel_id, viewer, limit),
        )
        return [StoredMessage(**row) for row in rows]

    async def last_seen(self, channel_id: int) -> dict[int, datetime]:
        """When each player last spoke in the channel (plain talk; kept by migration 043's trigger)."""
        rows = await self._db.fetch_all(
            "SELECT author_id, seen_at FROM player_last_seen WHERE channel_id = %s", (channel_id,)
        )
        return {int(row["author_id"]): row["seen_at"] for row in rows}

    async def complete_turn(
        self, *, campaign_id: int, channel_id: int, message_ids: list[int], turn: TurnRecord
    ) -> int:
        """Store the turn and mark its messages answered, in one transaction; returns the turn id.

        Raises:
            DuplicateMessage: one of the messages was already answered by another turn (nothing is written).
        """
        async with self._db.transaction() as conn:
            await lock_unanswered(conn, message_ids)
            turn_id = await insert_turn(conn, campaign_id=campaign_id, channel_id=channel_id, turn=turn)
            await mark_processed(conn, campaign_id, message_ids, turn_id)
        log.info("turn stored", extra={"turn_id": turn_id, "campaign_id": campaign_id, "messages": len(message_ids)})
        return turn_id


async def insert_turn(conn: Any, *, campaign_id: int, channel_id: int, turn: TurnRecord) -> int:
    """Insert one DM turn on an open transaction's connection; returns its id."""
    cur = await conn.execute(
        """
        INSERT INTO dm_turns (campaign_id, channel_id, prompt, context, reply, reply_text, effects, backend,
                              model, prompt_tokens, completion_tokens, latency_ms, ttft_ms)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING id
        """,
        (campaign_id, channel_id, Jsonb(turn.prompt), Jsonb(turn.context),
         None if turn.reply is None else Jsonb(turn.reply), turn.reply_text, Jsonb(turn.effects),
         turn.backend, turn.model, turn.prompt_tokens, turn.completion_tokens, turn.latency_ms, turn.ttft_ms),
    )  # fmt: skip
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


LOCK_UNANSWERED = ("SELECT discord_message_id, processed FROM message_history "
                   "WHERE discord_message_id = ANY(%s) ORDER BY discord_message_id FOR UPDATE")


async def lock_unanswered(conn: Any, message_ids: list[int]) -> None:
    """Lock the messages' rows for this transaction.

    Raises:
        DuplicateMessage: one was already answered.
        ValueError: one was never recorded (a bug: record comes first).
    """
    cur = await conn.execute(LOCK_UNANSWERED, (message_ids,))
    check_unanswered(message_ids, await cur.fetchall())


def check_unanswered(message_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """`lock_unanswered`'s verdict on the rows LOCK_UNANSWERED read (a pipelined save reads them later).

    Raises:
        DuplicateMessage: one was already answered.
        ValueError: one was never recorded (a bug: record comes first).
    """
    missing = set(message_ids) - {row["discord_message_id"] for row in rows}
    if missing:
        raise ValueError(f"messages {sorted(missing)} were never recorded")
    answered = [row["discord_message_id"] for row in rows if row["processed"]]
    if answered:
        raise DuplicateMessage(answered[0])


async def mark_processed(
    conn: Any, campaign_id: int | None, message_ids: list[int], turn_id: int | None, result: dict[str, Any] | None = None
) -> None:
    """Mark messages answered by a turn (or by a command, whose `result` is kept for replay).

    A result that names `visible_to` (player ids: a whisper to the DM) makes its message private to them.
    """
    await conn.execute(
        "UPDATE message_history SET processed = true, processed_at = now(), turn_id = %s, "
        "campaign_id = COALESCE(%s, campaign_id), result = %s, visible_to = COALESCE(%s, visible_to) "
        "WHERE discord_message_id = ANY(%s)",
        (turn_id, campaign_id, None if result is None else Jsonb(result), _visible_to(result), message_ids),
    )


def _visible_to(result: dict[str, Any] | None) -> list[int] | None:
    """The player ids a result keeps its message private to (None: public)."""
    ids = (result or {}).get("visible_to")
    if not isinstance(ids, list | tuple) or not ids:
        return None
    return [int(i) for i in ids if isinstance(i, int) and not isinstance(i, bool)] or None
