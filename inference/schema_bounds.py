"""Bound a JSON schema so a small model must finish its JSON.

A tiny model can loop inside a string forever; with `maxLength` on every string and `maxItems`
on every array, the grammar itself forces the closing quote or bracket. Used by the embedded
backend before compiling a schema with xgrammar. Both functions also drop unanchored
`pattern`s, which xgrammar (here and inside vLLM) reads as whole-string matches.
"""

from __future__ import annotations

import copy
from typing import Any

from inference.interfaces import JsonSchema

__all__ = ["bound_schema", "grammar_safe_schema"]

_NESTED_DICTS = ("properties", "$defs", "definitions", "patternProperties")
_NESTED_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_NESTED_ONE = ("items", "additionalProperties", "not", "contains")


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return set(kind)
    return set()


def _bound(node: Any, max_string_chars: int | None, max_array_items: int | None) -> None:
    if not isinstance(node, dict):
        return
    kinds = _types(node)
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not (pattern.startswith("^") and pattern.endswith("$")):
        # JSON Schema searches an unanchored pattern anywhere in the string; xgrammar matches the
        # whole string, so `"\\S"` would allow exactly one character. The reply is validated against
        # the caller's schema afterwards, so dropping the pattern here only loosens decoding.
        del node["pattern"]
    free_string = "string" in kinds and not {"enum", "const", "format"} & node.keys()
    if max_string_chars is not None and free_string:
        node["maxLength"] = min(int(node.get("maxLength", max_string_chars)), max_string_chars)
        node["minLength"] = min(int(node.get("minLength", 0)), node["maxLength"])
    if "array" in kinds and max_array_items is not None:
        node["maxItems"] = min(int(node.get("maxItems", max_array_items)), max_array_items)
        node["minItems"] = min(int(node.get("minItems", 0)), node["maxItems"])
    for key in _NESTED_DICTS:
        for child in (node.get(key) or {}).values():
            _bound(child, max_string_chars, max_array_items)
    for key in _NESTED_LISTS:
        for child in node.get(key) or ():
            _bound(child, max_string_chars, max_array_items)
    for key in _NESTED_ONE:
        _bound(node.get(key), max_string_chars, max_array_items)


def bound_schema(schema: JsonSchema, *, max_string_chars: int = 600, max_array_items: int = 4) -> JsonSchema:
    """A copy of `schema` with `maxLength` ≤ `max_string_chars` on free strings and
    `maxItems` ≤ `max_array_items` on arrays (existing tighter bounds are kept)."""
    if max_string_chars < 1 or max_array_items < 0:
        raise ValueError("bounds must be positive")
    bounded = copy.deepcopy(schema)
    _bound(bounded, max_string_chars, max_array_items)
    return bounded


def grammar_safe_schema(schema: JsonSchema) -> JsonSchema:
    """A copy of `schema` without unanchored `pattern`s (no bounds added); for vLLM's xgrammar."""
    safe = copy.deepcopy(schema)
    _bound(safe, None, None)
    return safe
