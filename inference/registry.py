"""The model registry: what `!switch_model`, `!model_status` and the fit check know about models.

Sizes are the published checkpoint sizes (GiB = 2**30 bytes); the KV figures come from each
model's config (layers × KV heads × head dim). An 8B Llama 3 has 32 layers, 8 KV heads of 128
dims: 2 (K and V) × 32 × 8 × 128 × 2 bytes = 128 KiB per token in fp16/bf16.
"""

from __future__ import annotations

from dataclasses import dataclass

from inference.errors import InferenceError

__all__ = ["MODELS", "ModelSpec", "UnknownModel", "find_model", "kv_bytes_per_token"]


class UnknownModel(InferenceError, KeyError):
    """No registry entry matches the name or alias (in the inference error tree; still a KeyError)."""

    reason = "unknown_model"

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown model {name!r}", user_message=(
            f"I don't know a model called {name!r}. Try one of: {', '.join(m.alias for m in MODELS)}."))
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the message
        return self.detail


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One servable model.

    name: Hugging Face repo id (what vLLM loads and serves). alias: the short name players type.
    params_b: parameters, billions. quantization: "bf16", "fp8", "awq-int4" (vLLM detects the
    method from the checkpoint, so no flag is needed). weights_gib: size on the GPU.
    context: the model's maximum context. layers / kv_heads / head_dim: for the KV cache size.
    family: models that answer alike ("llama-3.1-8b"), used to offer a lighter variant.
    quality: higher is better within a family (full precision > fp8 > 4-bit).
    """

    name: str
    alias: str
    params_b: float
    quantization: str
    weights_gib: float
    context: int
    layers: int
    kv_heads: int
    head_dim: int
    family: str
    quality: int
    gated: bool = True
    vision: bool = False
    min_compute_capability: float = 7.0
    notes: str = ""

    def kv_bytes_per_token(self, kv_cache_dtype: str = "auto") -> int:
        return kv_bytes_per_token(self.layers, self.kv_heads, self.head_dim, kv_cache_dtype)


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, kv_cache_dtype: str = "auto") -> int:
    """Bytes of KV cache per token: 2 × layers × kv_heads × head_dim × element size
    (2 bytes for "auto"/fp16/bf16, 1 for fp8 variants)."""
    element = 1 if kv_cache_dtype.startswith("fp8") else 2
    return 2 * layers * kv_heads * head_dim * element


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b", 8.03, "bf16", 14.96, 131072, 32, 8, 128,
              "llama-3.1-8b", 3),
    ModelSpec("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8", "llama-3.1-8b-fp8", 8.03, "fp8", 8.46, 131072, 32, 8, 128,
              "llama-3.1-8b", 2, gated=False, min_compute_capability=8.0,
              notes="FP8 weights; native FP8 compute needs Ada/Hopper (RTX 40xx), Ampere runs it as W8A16"),
    ModelSpec("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "llama-3.1-8b-awq", 8.03, "awq-int4", 5.37, 131072,
              32, 8, 128, "llama-3.1-8b", 1, gated=False, min_compute_capability=7.5),
    ModelSpec("meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b", 3.21, "bf16", 5.98, 131072, 28, 8, 128,
              "llama-3.2-3b", 3),
    ModelSpec("meta-llama/Llama-3.2-1B-Instruct", "llama-3.2-1b", 1.24, "bf16", 2.30, 131072, 16, 8, 64,
              "llama-3.2-1b", 3),
    ModelSpec("meta-llama/Llama-3.2-11B-Vision-Instruct", "llama-3.2-11b-vision", 10.67, "bf16", 19.87, 131072, 40, 8,
              128, "llama-3.2-11b-vision", 3, vision=True,
              notes="loses prefix caching / guided decoding on some vLLM versions; route images to Gemini/xAI"),
)


def find_model(name: str) -> ModelSpec:
    """The entry whose repo id or alias equals `name` (case-insensitive).

    Raises:
        UnknownModel: nothing matches.
    """
    wanted = name.strip().lower()
    for spec in MODELS:
        if wanted in (spec.name.lower(), spec.alias):
            return spec
    raise UnknownModel(name)
