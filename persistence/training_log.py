"""The DM-turn log as fine-tuning data: stream `dm_turns` and turn each row into a chat example.

Every DM turn is stored by `persistence.messages.insert_turn` with the messages sent to the model
(`prompt`), the parsed reply (`reply`, NULL when the model gave none) and the verdict on each
proposed effect (`effects`). `stream_turns` reads them oldest first through a server-side cursor,
so a long log never sits in memory; `to_example` makes one chat-format example of a row:

    {"messages": [...prompt..., {"role": "assistant", "content": "<the reply JSON>"}],
     "metadata": {"campaign", "turn_id", "backend", "model", "created_at", "tier", "accepted_effects",
                  "refused_effects", "effects": {"accepted": [...], "refused": [...]}, "prompt_tokens",
                  "completion_tokens", "latency_ms", "context": {"rolls", "lookups", "chunks", ...}}}

The DM turn logs its prompt with the model's own answers in it (a lookup round's request, then the
final answer last); the final answer is the example's target, so a trailing assistant message in the
stored prompt is replaced by the reply JSON rather than repeated. A reader-tier turn (`dm.reader`:
`reply` is `{"tier": "reader", "pick": ...}`) is trained on the pick the model wrote, and says
`"tier": "reader"` in its metadata. An `effects` entry counts as accepted
when it says `"accepted": true` (a `game.effects.EffectOutcome` dump or a DM turn's verdict); any other
entry (refused by the rules, held for the owner, rejected by the reply parser) as refused. The context's
`state_before` (kept for `dm.replay`) is left out of the metadata: the prompt already shows the state.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from persistence.database import Database
from persistence.errors import UnknownCampaign

__all__ = ["count_effects", "split_effects", "stream_turns", "to_example"]

_BATCH = 200

_SELECT = """
    SELECT t.id, c.name AS campaign, t.prompt, t.context, t.reply, t.reply_text, t.effects, t.backend, t.model,
           t.prompt_tokens, t.completion_tokens, t.latency_ms, t.ttft_ms, t.created_at
    FROM dm_turns t JOIN campaigns c ON c.id = t.campaign_id
"""


async def stream_turns(db: Database, *, campaign: str | None = None, since: datetime | None = None,
                       latest: int | None = None, batch: int = _BATCH) -> AsyncIterator[dict[str, Any]]:
    """Yield `dm_turns` rows (with the campaign's name as `campaign`), oldest first.

    Args:
        campaign: only this campaign's turns (by name).
        since: only turns created at or after this moment (a naive datetime is the server's time zone).
        latest: only the newest this many turns (still yielded oldest first).
        batch: rows fetched per round trip of the server-side cursor.

    Raises:
        UnknownCampaign: `campaign` names no campaign.
    """
    where: list[str] = []
    params: list[Any] = []
    if campaign is not None:
        campaign_id = await db.fetch_value("SELECT id FROM campaigns WHERE name = %s", (campaign,))
        if campaign_id is None:
            known = await db.fetch_all("SELECT name FROM campaigns ORDER BY name LIMIT 20")
            raise UnknownCampaign(campaign, [row["name"] for row in known])
        where.append("t.campaign_id = %s")
        params.append(campaign_id)
    if since is not None:
        where.append("t.created_at >= %s")
        params.append(since)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    if latest is not None:
        sql = f"SELECT * FROM ({sql} ORDER BY t.created_at DESC, t.id DESC LIMIT %s) newest"
        params.append(max(0, latest))
        sql += " ORDER BY created_at, id"
    else:
        sql += " ORDER BY t.created_at, t.id"
    async with db.transaction() as conn:  # a named (server-side) cursor lives inside one transaction
        async with conn.cursor(name="lorekeeper_training_export") as cur:
            cur.itersize = batch
            await cur.execute(sql, params)
            async for row in cur:
                yield row


def split_effects(effects: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(accepted, refused) verdicts among a turn's stored effects, each as {kind, target, summary[, reason]}."""
    if isinstance(effects, dict):  # {"accepted": [...], "refused": [...]}
        accepted, refused = effects.get("accepted") or [], effects.get("refused") or []
        return ([_verdict(e) for e in accepted] if isinstance(accepted, list) else [],
                [_verdict(e) for e in refused] if isinstance(refused, list) else [])  # fmt: skip
    if not isinstance(effects, list):
        return [], []
    accepted = [_verdict(e) for e in effects if isinstance(e, dict) and e.get("accepted") is True]
    refused = [_verdict(e) for e in effects if not (isinstance(e, dict) and e.get("accepted") is True)]
    return accepted, refused


def _verdict(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {"kind": "unknown", "target": "", "summary": str(entry)}
    proposed = entry.get("effect") if isinstance(entry.get("effect"), dict) else {}  # a parser rejection's shape
    kind = entry.get("kind") or proposed.get("kind") or "unknown"
    verdict = {"kind": str(kind), "target": str(entry.get("target") or proposed.get("target") or ""),
               "summary": str(entry.get("summary") or "")}  # fmt: skip
    if entry.get("reason"):
        verdict["reason"] = str(entry["reason"])
    return verdict


def count_effects(effects: Any) -> tuple[int, int]:
    """(accepted, refused) among a turn's stored effect verdicts."""
    accepted, refused = split_effects(effects)
    return len(accepted), len(refused)


def _ordered(reply: dict[str, Any], key_order: Sequence[str]) -> dict[str, Any]:
    """`reply` with `key_order`'s keys first (jsonb stores keys sorted by length, not as the schema asks)."""
    first = {key: reply[key] for key in key_order if key in reply}
    return {**first, **{key: value for key, value in reply.items() if key not in first}}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _message(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {"role": str(raw.get("role", "user")), "content": str(raw.get("content", ""))}
    return {"role": "user", "content": str(raw)}


def to_example(row: dict[str, Any], *, key_order: Sequence[str] = ()) -> dict[str, Any] | None:
    """One chat-format fine-tuning example from a `stream_turns` row; None when the turn has no reply.

    Args:
        key_order: reply keys to put first in the assistant's JSON, in this order (the reply schema's
            property order, so the target reads as the model is asked to write it).
    """
    reply = row.get("reply")
    if reply is None:
        return None
    prompt = row.get("prompt") or []
    messages = [_message(m) for m in (prompt if isinstance(prompt, list) else [prompt])]
    written = messages.pop()["content"] if messages and messages[-1]["role"] == "assistant" else None
    tier = "reader" if isinstance(reply, dict) and reply.get("tier") == "reader" else "full"
    if tier == "reader" and written is not None:  # the small model wrote a pick; `reply` records what it led to
        reply = _json_object(written) or reply
    content = json.dumps(_ordered(reply, key_order) if isinstance(reply, dict) else reply, ensure_ascii=False)
    accepted, refused = split_effects(row.get("effects"))
    created = row.get("created_at")
    context = row.get("context") if isinstance(row.get("context"), dict) else {}
    return {
        "messages": [*messages, {"role": "assistant", "content": content}],
        "metadata": {
            "campaign": row.get("campaign"),
            "turn_id": row.get("id"),
            "backend": row.get("backend"),
            "model": row.get("model") or "",
            "created_at": created.isoformat() if isinstance(created, datetime) else created,
            "tier": tier,
            "accepted_effects": len(accepted),
            "refused_effects": len(refused),
            "effects": {"accepted": accepted, "refused": refused},
            "prompt_tokens": row.get("prompt_tokens") or 0,
            "completion_tokens": row.get("completion_tokens") or 0,
            "latency_ms": row.get("latency_ms") or 0,
            "context": {k: v for k, v in context.items() if k != "state_before"},
        },
    }
