"""Errors raised while reading PDFs into rules records and campaign chunks.

IngestError
 ├── UnreadablePdf      the file is missing, empty, encrypted, corrupt or has no text layer
 └── SrdParseError      an SRD entry could not be parsed (names the entry and page)

Every error carries `.user_message`, a sentence safe to show a user.
"""

from __future__ import annotations

__all__ = ["IngestError", "UnreadablePdf", "SrdParseError"]


class IngestError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UnreadablePdf(IngestError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"I can't read {path}: {reason}")
        self.path = path
        self.reason = reason


class SrdParseError(IngestError):
    def __init__(self, entry: str, page: int | None, reason: str) -> None:
        where = f" (page {page})" if page is not None else ""
        super().__init__(f"I couldn't parse the SRD entry {entry!r}{where}: {reason}")
        self.entry = entry
        self.page = page
        self.reason = reason
