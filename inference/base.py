"""Pieces every backend shares: context check, JSON parsing/validation, metric reporting.

A reply is validated against the schema's *envelope* (`envelope_schema`): an array the schema
marks with `TOLERANT_ITEMS` (the DM reply's `effects`) only has to be an array, so one malformed
item reaches the caller's per-item judgement instead of costing the whole reply and a breaker
failure. What goes upstream for constrained decoding is `wire_schema`: the full schema, minus the
annotation.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import jsonschema

from inference.errors import BadReply, InferenceError, PromptTooLong
from inference.interfaces import TOLERANT_ITEMS, Generation, JsonSchema, Message
from monitoring import metrics

__all__ = ["check_context", "envelope_schema", "estimate_tokens", "finish", "parse_json_reply", "validate_request",
           "wire_schema"]

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)

# A conservative characters-per-token ratio for English prose with Llama/Gemini tokenizers
# (they average ~4); erring low makes the context check refuse slightly early, never late.
_CHARS_PER_TOKEN = 3.2
_TOKENS_PER_MESSAGE = 5


def estimate_tokens(messages: Sequence[Message]) -> int:
    """Upper-bound estimate of the prompt's tokens for backends without a local tokenizer."""
    chars = sum(len(m["content"]) for m in messages)
    return int(chars / _CHARS_PER_TOKEN) + _TOKENS_PER_MESSAGE * len(messages) + 3


def check_context(backend: str, prompt_tokens: int, max_tokens: int, context_window: int) -> None:
    """Raise `PromptTooLong` when prompt + reply budget does not fit the window (tokens)."""
    if prompt_tokens + max_tokens > context_window:
        raise PromptTooLong(backend=backend, prompt_tokens=prompt_tokens, max_tokens=max_tokens,
                            context_window=context_window)


def validate_request(messages: Sequence[Message], max_tokens: int, temperature: float) -> None:
    """Reject malformed calls early (a programming error, not a backend failure)."""
    if not messages:
        raise ValueError("messages must not be empty")
    for message in messages:
        if message.get("role") not in ("system", "user", "assistant") or not isinstance(message.get("content"), str):
            raise ValueError(f"bad message: {message!r}")
    if max_tokens < 1:
        raise ValueError("max_tokens must be >= 1")
    if not 0.0 <= temperature <= 2.0:
        raise ValueError("temperature must be in [0, 2]")


def _rewrite(node: Any, tolerant: Any) -> Any:
    """`node` with every dict marked `TOLERANT_ITEMS` replaced by `tolerant(dict)`; unchanged parts are shared."""
    if isinstance(node, dict):
        if node.get(TOLERANT_ITEMS) is True:
            return tolerant(node)
        changed = {key: _rewrite(value, tolerant) for key, value in node.items()}
        return node if all(changed[key] is node[key] for key in node) else changed
    if isinstance(node, list):
        items = [_rewrite(value, tolerant) for value in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    return node


def envelope_schema(schema: JsonSchema) -> JsonSchema:
    """What a reply must satisfy for the backend to accept it: `schema` with each `TOLERANT_ITEMS`
    array reduced to `{"type": "array"}` (its items and count are the caller's to judge)."""
    return _rewrite(schema, lambda node: {"type": "array"})


def wire_schema(schema: JsonSchema) -> JsonSchema:
    """`schema` as sent upstream for constrained decoding: unchanged but for the `TOLERANT_ITEMS`
    annotation, which strict providers might refuse as an unknown keyword."""
    return _rewrite(schema, lambda node: wire_schema({k: v for k, v in node.items() if k != TOLERANT_ITEMS}))


def parse_json_reply(text: str, schema: JsonSchema, backend: str) -> Any:
    """Parse `text` as JSON (tolerating a ```json fence) and validate it against `schema`'s envelope.

    Raises:
        BadReply: not JSON, or JSON that does not match the envelope (see `envelope_schema`).
    """
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text.strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadReply(f"reply is not JSON: {exc.msg} at {exc.pos}", backend=backend, text=text) from None
    error = jsonschema.exceptions.best_match(_validator(json.dumps(envelope_schema(schema), sort_keys=True))
                                             .iter_errors(data))  # fmt: skip
    if error is not None:
        raise BadReply(f"reply does not match the schema: {error.message}", backend=backend, text=text) from None
    return data


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    """A validator per schema, the schema itself checked once: `jsonschema.validate` re-checks the schema
    against its meta-schema on every call, ~0.1 s of CPU for the DM turn's reply schema."""
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def finish(*, backend: str, model: str, text: str, schema: JsonSchema | None, prompt_tokens: int,
           completion_tokens: int, latency_s: float, ttft_s: float | None) -> Generation:
    """Parse/validate the reply, report metrics and build the `Generation`.

    Raises:
        BadReply: the text is not JSON valid for `schema` (counted as a failure of `backend`).
    """
    try:
        data = parse_json_reply(text, schema, backend) if schema is not None else None
    except InferenceError as err:
        metrics.record_failure(backend, err.reason)
        raise
    ttft = latency_s if ttft_s is None else ttft_s
    metrics.record_generation(backend, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                              latency_s=latency_s, ttft_s=ttft, model=model)
    log.debug("%s answered: %d prompt + %d completion tokens in %.2fs (ttft %.2fs)",
              backend, prompt_tokens, completion_tokens, latency_s, ttft)
    return Generation(text=text, data=data, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      latency_s=latency_s, ttft_s=ttft, backend=backend, model=model)

