"""Settings → inference: which backends this machine has (`InferencePlan`), the `vllm serve` config,
and the in-process backend for a plan entry. No Ray here, so `lorekeeper llm ask` starts fast.

    plan = inference_plan(settings)                       # vLLM if a GPU/remote host, keyed APIs, embedded last
    router = Router({n: build_backend(n, c) for n, c in plan.backends}, plan.router)

`settings` is anything with the attributes of `gateway.settings.Settings` (`InferenceSettings`);
`inference/` never imports `gateway/`. Secrets are unwrapped only here, into the client configs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from inference.embedded import EmbeddedBackend, EmbeddedConfig
from inference.gemini_backend import GeminiBackend, GeminiConfig
from inference.interfaces import InferenceBackend
from inference.router import RouterConfig
from inference.scripted import ScriptedBackend
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference.vllm_server import VLLMServerConfig
from inference.xai_backend import XAIBackend, XAIConfig
from monitoring.gpu import read_gpus

__all__ = ["BACKEND_NAMES", "InferencePlan", "InferenceSettings", "build_backend", "inference_plan",
           "secret", "server_config", "vllm_is_local"]

BACKEND_NAMES = ("vllm", "gemini", "xai", "embedded")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class InferenceSettings(Protocol):
    """The settings `inference_plan` and `server_config` read (`gateway.settings.Settings` has them all)."""

    local_model_name: str
    local_model_path: Path | None
    vllm_host: str
    vllm_port: int
    gpu_memory_utilization: float
    max_model_len: int
    tensor_parallel_size: int
    quantization: str
    kv_cache_dtype: str
    max_num_seqs: int
    gemini_api_key: _Secret | None
    gemini_model: str
    gemini_base_url: str
    xai_api_key: _Secret | None
    xai_model: str
    xai_base_url: str
    llm_timeout_s: float
    llm_backend_order: str
    embedded_threads: int | None


@dataclass(frozen=True, slots=True)
class InferencePlan:
    """Which backends to build: `backends` is ((name, config), ...) where config is a
    `VLLMBackendConfig`, `GeminiConfig`, `XAIConfig`, `EmbeddedConfig` or a list of scripted entries."""

    backends: tuple[tuple[str, Any], ...]
    router: RouterConfig = field(default_factory=RouterConfig)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.backends]


def secret(value: _Secret | None) -> str:
    """A secret's plain value, "" when unset."""
    return value.get_secret_value() if value is not None else ""


def vllm_is_local(settings: InferenceSettings) -> bool:
    return settings.vllm_host in _LOCAL_HOSTS


def server_config(settings: InferenceSettings, **changes: Any) -> VLLMServerConfig:
    """`vllm serve` settings: LOCAL_MODEL_PATH when set (served under LOCAL_MODEL_NAME), else the repo id."""
    path = settings.local_model_path
    name = settings.local_model_name
    base = dict(model=str(path) if path else name, served_model_name=name, host=settings.vllm_host,
                port=settings.vllm_port, gpu_memory_utilization=settings.gpu_memory_utilization,
                max_model_len=settings.max_model_len, tensor_parallel_size=settings.tensor_parallel_size,
                max_num_seqs=settings.max_num_seqs, quantization=settings.quantization or None,
                kv_cache_dtype=settings.kv_cache_dtype or "auto")  # fmt: skip
    return VLLMServerConfig(**(base | changes))


def inference_plan(settings: InferenceSettings, *, gpus: list[Any] | None = None) -> InferencePlan:
    """The router plan: vLLM when a GPU is present or VLLM_HOST is remote, Gemini/xAI when keyed, embedded last.

    `gpus` skips reading NVML (tests, or a caller that read it already); LLM_BACKEND_ORDER orders them.
    """
    timeout = settings.llm_timeout_s
    gpus = (read_gpus() or []) if gpus is None else gpus
    available: dict[str, Any] = {}
    if gpus or not vllm_is_local(settings):
        available["vllm"] = VLLMBackendConfig(host=settings.vllm_host, port=settings.vllm_port,
                                              served_model=settings.local_model_name,
                                              context_window=settings.max_model_len, timeout_s=timeout)
    if gemini_key := secret(settings.gemini_api_key):
        available["gemini"] = GeminiConfig(api_key=gemini_key, model=settings.gemini_model,
                                           base_url=settings.gemini_base_url or None, timeout_s=timeout)
    if xai_key := secret(settings.xai_api_key):
        available["xai"] = XAIConfig(api_key=xai_key, model=settings.xai_model, base_url=settings.xai_base_url,
                                     timeout_s=timeout)
    threads = settings.embedded_threads
    available["embedded"] = EmbeddedConfig(threads=threads) if threads else EmbeddedConfig()
    order = tuple(n.strip() for n in settings.llm_backend_order.split(",") if n.strip())
    chosen = tuple((name, available[name]) for name in order if name in available)
    return InferencePlan(backends=chosen or (("embedded", available["embedded"]),),
                         router=RouterConfig(order=order, attempt_timeout_s=timeout))


def build_backend(name: str, config: Any) -> InferenceBackend:
    """The in-process backend for one plan entry."""
    if isinstance(config, VLLMBackendConfig):
        return VLLMBackend(config)
    if isinstance(config, GeminiConfig):
        return GeminiBackend(config)
    if isinstance(config, XAIConfig):
        return XAIBackend(config)
    if isinstance(config, EmbeddedConfig):
        return EmbeddedBackend(config)
    if isinstance(config, (list, tuple)):
        return ScriptedBackend(list(config), name=name)
    raise TypeError(f"no backend for {name}: {type(config).__name__}")
