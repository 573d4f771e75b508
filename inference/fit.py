"""Does a model fit the GPU? Weights + KV cache for MAX_MODEL_LEN at GPU_MEMORY_UTILIZATION.

vLLM pre-allocates `gpu_memory_utilization × VRAM` for weights, activations and the KV cache,
and refuses to start when one `max_model_len` sequence does not fit the KV space left. Its V1
engine also profiles with `max_num_seqs` (default 1024 on big GPUs), which runs 12–16 GB cards
out of memory — so the fit check always proposes an explicit `max_num_seqs`.

All sizes in GiB (2**30 bytes). The overhead (CUDA context, activations at profiling, CUDA
graphs) is an estimate, `OVERHEAD_GIB`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inference.registry import MODELS, ModelSpec

__all__ = ["FitReport", "MAX_NUM_SEQS_CAP", "OVERHEAD_GIB", "check_fit", "recommend"]

log = logging.getLogger(__name__)

OVERHEAD_GIB = 1.5
MAX_NUM_SEQS_CAP = 32
MIN_FULL_SEQUENCES = 4  # a recommendation must hold at least this many full-length contexts


@dataclass(frozen=True, slots=True)
class FitReport:
    """The verdict for one model on one card. `kv_tokens` is how many tokens of KV cache fit."""

    model: str
    vram_gib: float
    utilization: float
    max_model_len: int
    kv_cache_dtype: str
    budget_gib: float
    weights_gib: float
    overhead_gib: float
    kv_budget_gib: float
    kv_kib_per_token: float
    kv_tokens: int
    full_sequences: int
    max_num_seqs: int
    fits: bool

    @property
    def verdict(self) -> str:
        head = (f"{self.model} on {self.vram_gib:.0f} GiB at {self.utilization:.0%}: budget {self.budget_gib:.1f} GiB, "
                f"weights {self.weights_gib:.1f} GiB + ~{self.overhead_gib:.1f} GiB overhead")
        if self.weights_gib > self.budget_gib:
            return f"{head} -> does NOT fit: the weights alone exceed the budget."
        if self.kv_budget_gib <= 0:
            return f"{head} -> does NOT fit: weights + overhead leave no room for the KV cache."
        if not self.fits:
            return (f"{head} -> does NOT fit: {self.kv_budget_gib:.1f} GiB of KV cache holds {self.kv_tokens} tokens "
                    f"< max_model_len {self.max_model_len} ({self.kv_kib_per_token:.0f} KiB/token).")
        return (f"{head} -> fits: {self.kv_budget_gib:.1f} GiB KV cache = {self.kv_tokens} tokens at "
                f"{self.kv_kib_per_token:.0f} KiB/token = {self.full_sequences} full {self.max_model_len}-token "
                f"campaigns in flight; use --max-num-seqs {self.max_num_seqs}.")

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {"verdict": self.verdict}


def check_fit(spec: ModelSpec, vram_gib: float, *, utilization: float = 0.9, max_model_len: int = 4096,
              kv_cache_dtype: str = "auto", overhead_gib: float = OVERHEAD_GIB) -> FitReport:
    """Fit of `spec` on a card of `vram_gib` GiB.

    `max_num_seqs` assumes a sequence uses half its window on average, capped at 32 and ≥ 1.
    """
    if not 0.0 < utilization <= 1.0:
        raise ValueError("utilization must be in (0, 1]")
    if max_model_len > spec.context:
        raise ValueError(f"max_model_len {max_model_len} exceeds {spec.alias}'s context of {spec.context}")
    budget = vram_gib * utilization
    kv_budget = budget - spec.weights_gib - overhead_gib
    per_token = spec.kv_bytes_per_token(kv_cache_dtype)
    kv_tokens = max(0, int(kv_budget * 2**30 // per_token)) if kv_budget > 0 else 0
    full = kv_tokens // max_model_len
    fits = full >= 1
    max_num_seqs = max(1, min(MAX_NUM_SEQS_CAP, kv_tokens // max(1, max_model_len // 2))) if fits else 0
    report = FitReport(model=spec.name, vram_gib=vram_gib, utilization=utilization, max_model_len=max_model_len,
                       kv_cache_dtype=kv_cache_dtype, budget_gib=round(budget, 2), weights_gib=spec.weights_gib,
                       overhead_gib=overhead_gib, kv_budget_gib=round(kv_budget, 2),
                       kv_kib_per_token=per_token / 1024, kv_tokens=kv_tokens, full_sequences=full,
                       max_num_seqs=max_num_seqs, fits=fits)
    log.debug("fit check: %s", report.verdict)
    return report


def recommend(wanted: ModelSpec, vram_gib: float, *, utilization: float = 0.9, max_model_len: int = 4096,
              kv_cache_dtype: str = "auto") -> tuple[FitReport, ModelSpec | None]:
    """(report for `wanted`, the model to serve instead or None when `wanted` is fine).

    The choice: `wanted` if it holds `MIN_FULL_SEQUENCES` full contexts; else the best-quality
    variant of its family that does (fp8, then 4-bit); else the largest text model that does.
    Vision models are never proposed as substitutes (images go to Gemini/xAI).
    """
    report = check_fit(wanted, vram_gib, utilization=utilization, max_model_len=max_model_len,
                       kv_cache_dtype=kv_cache_dtype)
    if report.full_sequences >= MIN_FULL_SEQUENCES:
        return report, None

    def holds(spec: ModelSpec) -> bool:
        if max_model_len > spec.context:
            return False
        fit = check_fit(spec, vram_gib, utilization=utilization, max_model_len=max_model_len,
                        kv_cache_dtype=kv_cache_dtype)
        return fit.full_sequences >= MIN_FULL_SEQUENCES

    family = sorted((m for m in MODELS if m.family == wanted.family and m is not wanted and holds(m)),
                    key=lambda m: -m.quality)
    if family:
        return report, family[0]
    others = sorted((m for m in MODELS if not m.vision and m.family != wanted.family and holds(m)),
                    key=lambda m: (-m.params_b, -m.quality))
    return report, (others[0] if others else None)
