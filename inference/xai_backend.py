"""xAI (Grok) through its OpenAI-compatible API, on the `openai` client."""

from __future__ import annotations

from dataclasses import dataclass

from inference.openai_compat import OpenAICompatBackend, OpenAICompatConfig

__all__ = ["XAIBackend", "XAIConfig"]


@dataclass(frozen=True, slots=True)
class XAIConfig:
    """xAI settings; `api_key` is the plain secret and never appears in `repr`."""

    api_key: str
    model: str = "grok-3-mini"
    base_url: str = "https://api.x.ai/v1"
    context_window: int = 131072
    timeout_s: float = 30.0

    def __repr__(self) -> str:
        return f"XAIConfig(model={self.model!r}, base_url={self.base_url!r})"


class XAIBackend(OpenAICompatBackend):
    """`InferenceBackend` for xAI."""

    def __init__(self, config: XAIConfig) -> None:
        super().__init__(OpenAICompatConfig(name="xai", base_url=config.base_url, model=config.model,
                                            api_key=config.api_key, context_window=config.context_window,
                                            timeout_s=config.timeout_s))
