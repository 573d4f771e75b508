"""The embedded model loaded from the conversion cache answers exactly as when converted from the GGUF.
Slow: converts the real SmolLM2 GGUF once (~30 s) and loads it twice more."""

from __future__ import annotations

from pathlib import Path

import pytest

from dm.reply import reply_json_schema
from inference import embedded_model
from inference.embedded_model import EmbeddedEngine, default_gguf_path
from inference.schema_bounds import bound_schema

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "system", "content": "You are the Dungeon Master of a D&D 5e game in the drowned town of "
                                          "Saltmere. Reply in JSON."},
            {"role": "user", "content": "I push open the tavern door and look for the innkeeper."}]


def _answers(engine: EmbeddedEngine) -> tuple[str, str, list[int]]:
    schema = bound_schema(reply_json_schema())
    structured = engine.generate(MESSAGES, schema, 120, 0.0, reuse=False).text
    free = engine.generate(MESSAGES, None, 40, 0.0, reuse=False).text
    return structured, free, engine.tokenizer.apply_chat_template(MESSAGES, tokenize=True)


def test_cached_weights_give_the_same_greedy_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOREKEEPER_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setattr(embedded_model, "_TOKENIZERS", {})       # the tokenizer must come from the cache too
    converted = EmbeddedEngine(default_gguf_path(), threads=1)
    assert converted.load_source == "gguf (cache written)"
    expected = _answers(converted)
    converting_cpu_s = converted.load_cpu_s
    del converted
    monkeypatch.setattr(embedded_model, "_TOKENIZERS", {})
    cached = EmbeddedEngine(default_gguf_path(), threads=1)
    assert cached.load_source == "cache"
    assert _answers(cached) == expected
    # CPU seconds, which a busy host does not inflate: ~3 s from the cache against ~26 s converting the GGUF
    assert cached.load_cpu_s < 8 and cached.load_cpu_s < converting_cpu_s / 3
