"""Errors raised while reading PDFs into rules records and campaign chunks.

IngestError
 ├── UnreadablePdf      the file is missing, empty, encrypted, corrupt or has no text layer
 ├── SrdParseError      an SRD entry could not be parsed (names the entry and page)
 ├── NotAnSrd           a readable PDF that is not the SRD 5.1
 └── SrdCountMismatch   parsed entries do not match the PDF's own count of them

Every error carries `.user_message`, a sentence safe to show a user.
"""

from __future__ import annotations

__all__ = ["IngestError", "UnreadablePdf", "SrdParseError", "NotAnSrd", "SrdCountMismatch"]


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


class NotAnSrd(IngestError):
    """The PDF opened, but it is not the SRD 5.1 (its bookmarks lack the SRD's chapters)."""

    def __init__(self, path: str, missing: list[str]) -> None:
        shown = ", ".join(missing[:3])
        super().__init__(f"{path} does not look like the SRD 5.1: it has no {shown} section.")
        self.path = path
        self.missing = missing


class SrdCountMismatch(IngestError):
    """The parsed entries do not add up to what the PDF holds (counted independently)."""

    def __init__(self, kind: str, parsed: int, expected: int) -> None:
        super().__init__(f"I parsed {parsed} {kind} but the SRD PDF holds {expected}; nothing was stored.")
        self.kind = kind
        self.parsed = parsed
        self.expected = expected
