"""The numpy MiniLM gives sentence-transformers' vectors, loads fast, and caches query vectors on disk."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from ingest.embedder import DIMENSIONS, Embedder, QueryCache, get_embedder

TEXTS = ["who runs the lighthouse?", "Osric Tallow, Keeper of the Crow Point light, tends the lamp.",
         "A" * 3000 + " long text past the 256-token window " * 40, "Kelpwhistle", "é ü ß 日本"]


@pytest.fixture(scope="module")
def reference() -> list[list[float]]:
    """The same model through sentence-transformers, as the embedder used to run it."""
    from sentence_transformers import SentenceTransformer

    from ingest.embedder import _model_dir

    model = SentenceTransformer(str(_model_dir()), device="cpu")
    return [v.astype(float).tolist() for v in model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)]


def test_vectors_equal_sentence_transformers_within_1e_5(reference: list[list[float]]) -> None:
    mine = get_embedder().embed(TEXTS)
    for ours, theirs in zip(mine, reference):
        assert len(ours) == DIMENSIONS
        assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-5
        assert math.isclose(sum(a * a for a in ours), 1.0, rel_tol=1e-6)


def test_is_common_uses_the_models_word_list() -> None:
    embedder = get_embedder()
    assert embedder.is_common("lighthouse") and embedder.is_common("keeper")
    assert not embedder.is_common("kelpwhistle")


def test_loading_the_embedder_imports_neither_torch_nor_transformers() -> None:
    code = ("import sys, ingest.embedder as e; e.get_embedder().embed(['hello']); "
            "print(any(m in sys.modules for m in ('torch', 'transformers', 'sentence_transformers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # its speed is measured by the campaign search timings, not asserted here


def test_query_cache_stores_and_reuses_vectors(tmp_path) -> None:
    class Counting(Embedder):
        calls = 0

        def embed(self, texts, batch_size=8):  # type: ignore[no-untyped-def]
            Counting.calls += len(texts)
            return super().embed(texts, batch_size)

    cache = QueryCache(tmp_path, Counting())
    first = cache.embed(["who keeps the light?", "who keeps the light?"])
    again = QueryCache(tmp_path, Counting()).embed(["who keeps the light?"])
    assert Counting.calls == 1
    assert max(abs(a - b) for a, b in zip(first[0], again[0])) < 1e-6
    assert list(tmp_path.rglob("*.f32"))
