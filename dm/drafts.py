"""Narration drafts while the model is still writing: the partial "narrative" of a partial JSON reply.

    partial_narrative('{"narrative": "The door creaks op')   # → "The door creaks op"
    with drafting(channel_id, on_draft):                      # dm.turn.DMTurn.narrate
        ...                                                   # a streaming backend hears each piece

A streaming backend hands each piece of text it receives to `inference.interfaces.token_listener` (a
context variable, so it follows the turn through the router and the fair queue without new arguments);
`drafting` sets it to a `DraftListener` that keeps the raw text of the current generation, pulls the
narrative out of it and calls `on_draft(channel_id, narrative)` whenever the narrative grew. The front end
(the Discord bot's `gateway.discord.streaming`) shows the draft; the settled reply that `narrate` returns
replaces it (the engine validates after the model, so the settled text may differ). A draft is never
stored and changes nothing. A listener that raises is switched off for the rest of the turn.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator

from inference.interfaces import token_listener

__all__ = ["DraftCallback", "DraftListener", "drafting", "partial_narrative", "restart_draft"]

log = logging.getLogger(__name__)

DraftCallback = Callable[[int, str], None]
_KEY = "narrative"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _value_start(raw: str) -> int | None:
    """The index just after the opening quote of the top-level "narrative" string value, or None."""
    depth, i, n = 0, 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == '"':
            end = _string_end(raw, i + 1)
            if end is None:
                return None
            if depth == 1 and raw[i + 1 : end] == _KEY:
                j = end + 1
                while j < n and raw[j] in " \t\r\n":
                    j += 1
                if j < n and raw[j] == ":":
                    j += 1
                    while j < n and raw[j] in " \t\r\n":
                        j += 1
                    if j < n and raw[j] == '"':
                        return j + 1
                    if j >= n:
                        return None
            i = end
        i += 1
    return None


def _string_end(raw: str, start: int) -> int | None:
    """The index of the quote closing the string that starts at `start`, or None when it is not closed yet."""
    i = start
    while i < len(raw):
        if raw[i] == "\\":
            i += 2
            continue
        if raw[i] == '"':
            return i
        i += 1
    return None


def _decode(raw: str, start: int) -> str:
    """The JSON string from `start` up to its closing quote or the end of `raw`; a cut escape is dropped."""
    out: list[str] = []
    i, n = start, len(raw)
    while i < n:
        ch = raw[i]
        if ch == '"':
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            break
        code = raw[i + 1]
        if code == "u":
            digits = raw[i + 2 : i + 6]
            if len(digits) < 4:
                break
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                pass
            i += 6
            continue
        out.append(_ESCAPES.get(code, code))
        i += 2
    text = "".join(out)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def partial_narrative(raw: str) -> str:
    """The "narrative" value of a JSON reply that may be cut anywhere ("" before the value starts).

    Tolerates a code fence or chatter before the object, escapes cut in half, keys in any order, and a
    "narrative" key inside a nested object (only the top level counts).
    """
    start = raw.find("{")
    if start == -1:
        return ""
    body = raw[start:]
    if (value := _value_start(body)) is None:
        return ""
    text = _decode(body, value)
    end = _string_end(body, value)
    if end is not None:  # closed: the exact value, as json reads it
        with contextlib.suppress(ValueError):
            text = json.loads(body[value - 1 : end + 1])
    return text.strip()


class DraftListener:
    """Hears a streaming backend's pieces for one channel's turn and reports the growing narrative."""

    def __init__(self, channel_id: int, on_draft: DraftCallback) -> None:
        self.channel_id = channel_id
        self.on_draft: DraftCallback | None = on_draft
        self.raw = ""
        self.shown = ""

    def restart(self) -> None:
        """A new generation begins (a lookup round, the narrating pass): its text replaces the last one's."""
        self.raw = ""

    def __call__(self, piece: str) -> None:
        self.raw += piece
        narrative = partial_narrative(self.raw)
        if not narrative or narrative == self.shown or self.on_draft is None:
            return
        self.shown = narrative
        try:
            self.on_draft(self.channel_id, narrative)
        except Exception:  # noqa: BLE001 - a draft is a nicety: the turn goes on without it
            log.warning("the draft listener failed; no more drafts this turn", exc_info=True)
            self.on_draft = None


@contextlib.contextmanager
def drafting(channel_id: int, on_draft: DraftCallback | None) -> Iterator[DraftListener | None]:
    """Let streaming backends report drafts of this turn to `on_draft` (nothing happens when it is None)."""
    if on_draft is None:
        yield None
        return
    listener = DraftListener(channel_id, on_draft)
    token = token_listener.set(listener)
    try:
        yield listener
    finally:
        token_listener.reset(token)


def restart_draft() -> bool:
    """Before a generation: start the current draft afresh; True when someone listens (ask for a stream)."""
    listener = token_listener.get()
    if listener is None:
        return False
    if isinstance(listener, DraftListener):
        listener.restart()
    return True
