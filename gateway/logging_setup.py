"""Configure logging once, for every `lorekeeper` entry point.

Human-readable lines on a terminal, JSON lines when `LOG_FORMAT=json`. A filter on the
root handler replaces every configured secret value with `***`, wherever it appears.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable

__all__ = ["configure_logging", "JsonFormatter", "RedactingFilter"]

_MAX_DEPTH = 8  # deeper than this, a container is masked as its repr

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Masks secret values in the formatted message, the arguments and any `extra` fields."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def redact_value(self, value: object, depth: int = 0) -> object:
        """`value` with every secret masked, however deep in dicts, lists, tuples and sets it sits; any other
        object whose repr shows a secret becomes its masked repr (the JSON formatter would print that repr)."""
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if depth < _MAX_DEPTH:
            if isinstance(value, dict):
                return {self.redact_value(k, depth + 1): self.redact_value(v, depth + 1) for k, v in value.items()}
            if isinstance(value, (list, tuple, set, frozenset)):
                return [self.redact_value(v, depth + 1) for v in value]
        shown = str(value) if isinstance(value, (bytes, bytearray)) else repr(value)
        masked = self.redact(shown)
        return value if masked == shown else masked

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, self.redact_value(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:  # formatted by an earlier handler's filter, with that filter's secrets only
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = _jsonable(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


def _jsonable(value: object, depth: int = 0) -> object:
    """Dicts and lists stay JSON structure (the filter has masked them); anything else is its repr."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return repr(value)


def configure_logging(
    *,
    verbose: bool = False,
    log_format: str | None = None,
    secrets: Iterable[str] | None = None,
    default_level: str = "INFO",
) -> None:
    """Install one handler on the root logger; safe to call again (it replaces ours).

    The level is DEBUG with `verbose`, else LOG_LEVEL when set, else `default_level` (one-shot
    commands pass WARNING so their output is not buried in lifecycle lines).
    """
    configured_level: str | None = None
    if log_format is None or secrets is None:
        try:
            from gateway.settings import get_settings

            settings = get_settings()
            log_format = log_format or settings.log_format
            configured_level = settings.log_level
            secrets = list(secrets) if secrets is not None else settings.secret_values()
        except Exception:  # a bad setting is reported by the command itself
            log_format = log_format or os.environ.get("LOG_FORMAT", "text").lower()
            secrets = list(secrets or [])
    level_name = "DEBUG" if verbose else configured_level or default_level
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("lorekeeper")
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "lorekeeper":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level_name)
    for noisy in ("httpx", "httpcore", "urllib3", "filelock", "asyncio", "pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
