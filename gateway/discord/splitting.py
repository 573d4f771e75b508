"""Split a reply into Discord-sized messages: at paragraph boundaries first, then lines, then words.

    split_message("long text ...")  # → ["part 1", "part 2"], each at most 2,000 characters

A part is never empty and never longer than `limit`; a single word longer than `limit` (a URL, a wall of
dice) is cut hard. Whitespace at the cut is dropped; the text inside each part is kept as it was.
"""

from __future__ import annotations

__all__ = ["DISCORD_LIMIT", "split_message"]

DISCORD_LIMIT = 2000  # characters in one Discord message
_SEPARATORS = ("\n\n", "\n", " ")


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at the coarsest boundary that fits."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    return [part for part in _split(text, limit, 0) if part]


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level >= len(_SEPARATORS):
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    sep = _SEPARATORS[level]
    pieces = text.split(sep)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = piece if not current else current + sep + piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current.strip())
        if len(piece) <= limit:
            current = piece
        else:  # this piece alone is too long: cut it at the next finer boundary
            finer = _split(piece.strip(), limit, level + 1)
            parts.extend(finer[:-1])
            current = finer[-1] if finer else ""
    if current.strip():
        parts.append(current.strip())
    return parts
