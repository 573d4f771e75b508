"""A deterministic backend that replays canned replies and records every request.

Like httpx's `MockTransport`, it is a real backend run through the real code paths (context
check, JSON validation, metrics), so turn logic can be tested without a model. A script is a
JSON list or a JSON-Lines file; each entry is one of::

    {"reply": {...}}               answer with this JSON (serialised compactly)
    {"text": "not json"}           answer with this raw text (to test BadReply handling)
    {"error": "timeout"}           raise InferenceTimeout (also "unavailable", "overloaded", "bad_reply")
    {... any other object ...}     shorthand for {"reply": {...}}

Any entry may add `"delay_s": 0.5` to wait first, and `"token_delay_s": 0.1` to stream its text in pieces
that far apart when asked to stream with a listener set (`inference.interfaces.token_listener`). Entries are
used in order and then cycle, with one exception: a reply whose keys are all foreign to the request's
schema (a DM turn's reply offered to the rolling-summary pass, or the other way round) answers another
kind of request, so it stays for the next one and this request gets `BadReply` — a long play script need
not know when summaries fall due.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.base import check_context, estimate_tokens, finish, validate_request
from inference.errors import BackendOverloaded, BackendUnavailable, BadReply, InferenceTimeout
from inference.interfaces import Generation, JsonSchema, Message, hear, token_listener
from monitoring import metrics

__all__ = ["ScriptedBackend", "ScriptedRequest", "load_script"]

_ERRORS = {
    "timeout": lambda name: InferenceTimeout("scripted timeout", backend=name, timeout_s=0.0),
    "unavailable": lambda name: BackendUnavailable("scripted outage", backend=name, status=500),
    "overloaded": lambda name: BackendOverloaded("scripted 429", backend=name, status=429),
    "bad_reply": lambda name: BadReply("scripted bad reply", backend=name, text=""),
}


@dataclass(frozen=True, slots=True)
class ScriptedRequest:
    """One recorded call."""

    messages: tuple[dict[str, str], ...]
    schema: JsonSchema | None
    max_tokens: int
    temperature: float


def _answers(entry: dict[str, Any], schema: JsonSchema | None) -> bool:
    """False when `entry` is a reply none of whose keys the schema knows (see the module docstring)."""
    if schema is None or "error" in entry or "text" in entry:
        return True
    reply = entry.get("reply", {k: v for k, v in entry.items() if k != "delay_s"})
    known = schema.get("properties") or {}
    return not (isinstance(reply, dict) and reply and known and not any(key in known for key in reply))


async def _stream_pieces(text: str, delay_s: float, size: int = 16) -> None:
    for start in range(0, len(text), size):
        hear(text[start : start + size])
        await asyncio.sleep(delay_s)


def load_script(path: str | Path) -> list[dict[str, Any]]:
    """Read a script: a JSON list, or JSON Lines (blank lines and `#` comments skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        entries = json.loads(text)
    else:
        entries = [json.loads(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not entries or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{path}: a script is a non-empty list of JSON objects")
    return entries


class ScriptedBackend:
    """`InferenceBackend` that replays `entries` in order (then cycles)."""

    def __init__(self, entries: Sequence[dict[str, Any]], *, name: str = "scripted",
                 context_window: int = 8192) -> None:
        if not entries:
            raise ValueError("a scripted backend needs at least one entry")
        self.name = name
        self._entries = list(entries)
        self._context_window = context_window
        self._next = 0
        self.requests: list[ScriptedRequest] = []
        self.healthy = True

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> ScriptedBackend:
        return cls(load_script(path), **kwargs)

    @property
    def context_window(self) -> int:
        return self._context_window

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        validate_request(messages, max_tokens, temperature)
        prompt_tokens = estimate_tokens(messages)
        check_context(self.name, prompt_tokens, max_tokens, self.context_window)
        self.requests.append(ScriptedRequest(tuple(dict(m) for m in messages), schema, max_tokens, temperature))
        entry = self._entries[self._next % len(self._entries)]
        if not _answers(entry, schema):
            metrics.record_failure(self.name, "bad_reply")
            raise BadReply("the script's next reply answers another kind of request", backend=self.name, text="")
        self._next += 1
        started = time.perf_counter()
        if entry.get("delay_s"):
            await asyncio.sleep(float(entry["delay_s"]))
        if "error" in entry:
            err = _ERRORS[entry["error"]](self.name)
            metrics.record_failure(self.name, err.reason)
            raise err
        if "text" in entry:
            text = str(entry["text"])
        else:
            reply = entry.get("reply", {k: v for k, v in entry.items() if k not in ("delay_s", "token_delay_s")})
            text = json.dumps(reply, separators=(",", ":"), ensure_ascii=False)
        if stream and token_listener.get() is not None:  # streamed in pieces, `token_delay_s` apart
            await _stream_pieces(text, float(entry.get("token_delay_s", 0.0)))
        return finish(backend=self.name, model="scripted", text=text, schema=schema, prompt_tokens=prompt_tokens,
                      completion_tokens=max(1, len(text) // 4), latency_s=time.perf_counter() - started,
                      ttft_s=None)

    async def health(self) -> bool:
        return self.healthy

    async def close(self) -> None:
        return None
