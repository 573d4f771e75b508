"""Errors of the gateway, and the one place any error becomes a sentence for a person.

GatewayError
 └── ConfigError      a setting is missing or malformed (`gateway.settings`; names the variable)

`friendly_message(exc)` is what the CLI, the console and the Discord bot print for an error:
every error of ours carries `.user_message` (the trees of `dm.errors`, `game.errors`,
`inference.errors`, `ingest.errors`, `persistence.errors` and this one), and that sentence is
shown. Anything else is unexpected: it is logged with its traceback under a short error id and the
person sees a short apology naming that id — never the traceback, never a secret.

    try:
        ...
    except Exception as exc:
        print(f"error: {friendly_message(exc, secrets=settings.secret_values())}")
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

__all__ = ["ConfigError", "GatewayError", "friendly_message", "new_error_id"]

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """Root of the gateway's errors; `.user_message` is safe to show."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class ConfigError(GatewayError):
    """A setting (environment or `.env`) is missing or malformed."""


def new_error_id() -> str:
    """A short id that ties an apology on screen to its traceback in the log."""
    return uuid.uuid4().hex[:8]


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def friendly_message(exc: BaseException, *, secrets: Iterable[str] = (), context: str = "") -> str:
    """One sentence for a person about `exc` (see the module docstring).

    Args:
        secrets: values to mask should a message ever quote one (`Settings.secret_values()`).
        context: what was being done, for the log line only ("lorekeeper rules import").
    """
    message = getattr(exc, "user_message", None)
    if isinstance(message, str) and message.strip():
        return _redact(message.strip(), secrets)
    error_id = new_error_id()
    log.error("unexpected error%s (error id %s)", f" in {context}" if context else "", error_id,
              exc_info=(type(exc), exc, exc.__traceback__), extra={"error_id": error_id})  # fmt: skip
    return f"Sorry, something went wrong on our side (error id {error_id}); the details are in the log."
