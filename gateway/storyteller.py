"""The storyteller's model for `--llm`, as `lorekeeper play` (in-process or in a session actor) builds it.

    backend = storyteller_backend("auto")        # the router over what this machine has
    backend = storyteller_backend("scripted:replies.jsonl")

The embedded model is wrapped so it loads on the first plain-talk turn (not at start) and says so once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WAKING", "storyteller_backend"]


WAKING = "The storyteller is waking: the embedded model loads once, about 30 seconds..."


class _AnnouncedLoad:
    """The embedded backend, saying once on the console that its model is loading. The router calls `load()`
    before the first request, so the model loads on the first plain-talk turn, not at start."""

    def __init__(self, inner: Any, say: Any = None) -> None:
        self.inner, self.name, self._say, self._said = inner, inner.name, say or _print, False

    @property
    def context_window(self) -> int:
        return int(self.inner.context_window)

    async def load(self) -> None:
        if not self._said and not getattr(self.inner, "loaded", False):
            self._said = True
            self._say(WAKING)
        await self.inner.load()

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        await self.load()
        return await self.inner.generate(*args, **kwargs)

    async def health(self) -> bool:
        return bool(await self.inner.health())

    async def close(self) -> None:
        await self.inner.close()


def _print(text: str) -> None:
    print(text, flush=True)


def storyteller_backend(llm: str, settings: Any = None, say: Any = None) -> Any:
    """The storyteller's model for `--llm`: canned replies for `scripted:PATH`; for `auto` the router over what
    this machine has (vLLM with a GPU, Gemini/xAI with keys, the embedded CPU model last); a name: that one alone.

    Raises:
        BackendNotConfigured: the named backend is not available here (no key, no GPU).
    """
    if llm.startswith("scripted:"):
        from inference.scripted import ScriptedBackend

        return ScriptedBackend.from_file(llm.removeprefix("scripted:"))
    from gateway.settings import get_settings
    from inference.errors import BackendNotConfigured
    from inference.factory import build_backend, inference_plan
    from inference.router import Router

    plan = inference_plan(settings or get_settings())
    chosen = {name: config for name, config in plan.backends if llm in ("auto", name)}
    if not chosen:
        raise BackendNotConfigured(llm, plan.names)
    backends = {name: build_backend(name, config) for name, config in chosen.items()}
    if "embedded" in backends:
        backends["embedded"] = _AnnouncedLoad(backends["embedded"], say)
    return Router(backends, plan.router)
