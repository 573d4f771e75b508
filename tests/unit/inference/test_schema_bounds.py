"""Schema bounding for the embedded model."""

from __future__ import annotations

from inference.schema_bounds import bound_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "narrative": {"type": "string"},
        "short": {"type": "string", "maxLength": 10},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "rolls": {"type": "array", "items": {"type": "object", "properties": {"expr": {"type": "string"}}}},
        "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "ref": {"$ref": "#/$defs/thing"},
    },
    "$defs": {"thing": {"type": "array", "minItems": 9, "items": {"type": ["string", "null"]}}},
}


def test_free_strings_and_arrays_get_bounds_everywhere() -> None:
    bounded = bound_schema(SCHEMA, max_string_chars=100, max_array_items=3)
    props = bounded["properties"]
    assert props["narrative"]["maxLength"] == 100
    assert props["short"]["maxLength"] == 10  # a tighter bound is kept
    assert "maxLength" not in props["kind"]  # enums are already finite
    assert props["rolls"]["maxItems"] == 3
    assert props["rolls"]["items"]["properties"]["expr"]["maxLength"] == 100
    assert props["maybe"]["anyOf"][0]["maxLength"] == 100
    thing = bounded["$defs"]["thing"]
    assert thing["maxItems"] == 3 and thing["minItems"] == 3  # min clipped so the schema stays satisfiable
    assert thing["items"]["maxLength"] == 100


def test_the_input_schema_is_not_modified() -> None:
    bound_schema(SCHEMA)
    assert "maxLength" not in SCHEMA["properties"]["narrative"]


def test_unanchored_patterns_are_dropped_anchored_ones_kept() -> None:
    schema = {"type": "object", "properties": {
        "narrative": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "dice": {"type": "string", "pattern": "^[0-9d+ -]+$"}}}
    bounded = bound_schema(schema, max_string_chars=50)
    assert "pattern" not in bounded["properties"]["narrative"]
    assert bounded["properties"]["narrative"]["maxLength"] == 50
    assert bounded["properties"]["dice"]["pattern"] == "^[0-9d+ -]+$"
