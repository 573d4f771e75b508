"""Holes (b) and (c): secrets that slipped past the log filter.

(b) With LOG_FORMAT=json a secret inside a dict or list `extra` was printed in full: the filter masked
only string values and the formatter `repr()`ed the rest. (c) A URL-escaped database password
(`p%40ss`) was masked only in its escaped form; the decoded `p@ss` (what a driver error prints) leaked.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from gateway.logging_setup import JsonFormatter, RedactingFilter
from gateway.settings import load_settings

SECRET = "sk-live-SECRET-0123456789"


def _logger(fmt: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(fmt)
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger(f"faults.masking.{id(out)}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    return logger, out


class _Holder:
    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return f"_Holder(token={self.token!r})"


@pytest.mark.parametrize("extra", [
    {"request": {"headers": {"Authorization": f"Bearer {SECRET}"}}},
    {"keys": ["harmless", SECRET]},
    {"pairs": (("k", SECRET),)},
    {"deep": {"a": [{"b": {SECRET, "x"}}]}},
    {"holder": _Holder(SECRET)},
    {"bytes_": SECRET.encode()},
])
def test_json_logs_mask_a_secret_nested_in_an_extra(extra: dict[str, object]) -> None:
    logger, out = _logger(JsonFormatter(), [SECRET])
    logger.info("calling the API", extra=extra)
    line = out.getvalue()
    assert SECRET not in line and "***" in line
    json.loads(line)  # still one JSON object a line


def test_json_logs_keep_a_nested_extra_as_structure() -> None:
    logger, out = _logger(JsonFormatter(), [SECRET])
    logger.info("calling", extra={"request": {"key": SECRET, "n": 3}, "ids": [1, 2]})
    payload = json.loads(out.getvalue())
    assert payload["request"] == {"key": "***", "n": 3} and payload["ids"] == [1, 2]


def test_text_logs_mask_a_secret_inside_dict_arguments() -> None:
    logger, out = _logger(logging.Formatter("%(message)s"), [SECRET])
    logger.info("config %s %r", {"token": SECRET}, [SECRET])
    assert SECRET not in out.getvalue()


@pytest.mark.parametrize("escaped,decoded", [("p%40ss", "p@ss"), ("hunter%232%2Fpass", "hunter#2/pass"),
                                             ("s%20p%3Ace", "s p:ce")])
def test_an_escaped_database_password_is_masked_in_both_forms(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                              escaped: str, decoded: str) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(database_url=f"postgresql://dm:{escaped}@db.example:5432/lore")
    secrets = settings.secret_values()
    assert escaped in secrets and decoded in secrets
    logger, out = _logger(JsonFormatter(), secrets)
    logger.error(f"connection failed for user dm password {decoded}",
                 extra={"dsn": f"postgresql://dm:{escaped}@db.example/lore", "kw": {"password": decoded}})
    text = out.getvalue()
    assert decoded not in text and escaped not in text


def test_a_second_handler_masks_its_secrets_in_an_exception_the_first_already_formatted() -> None:
    """Found by the suite's secret scan: two redacting handlers on one logger (the CLI's configure_logging one,
    left installed, and another with more secrets). The first formats the traceback and drops exc_info; the
    second must still mask its own secrets in that text."""
    first_out, second_out = io.StringIO(), io.StringIO()
    logger = logging.getLogger("faults.masking.two-handlers")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.handlers = []
    for out, secrets in ((first_out, ["first-secret-AAAA"]), (second_out, ["first-secret-AAAA", "p@ss-BBBB"])):
        handler = logging.StreamHandler(out)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter(secrets))
        logger.addHandler(handler)
    try:
        raise ConnectionError("dsn with first-secret-AAAA and p@ss-BBBB")
    except ConnectionError:
        logger.exception("down", stack_info=True)
    assert "first-secret-AAAA" not in first_out.getvalue()
    assert "first-secret-AAAA" not in second_out.getvalue() and "p@ss-BBBB" not in second_out.getvalue()
