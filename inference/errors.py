"""Errors raised by the inference layer.

Every foreign error (HTTP status, timeout, transformers failure) is translated into one of
these where it enters, so callers only ever see this tree::

    InferenceError
     ├── BackendUnavailable      the backend cannot answer now (down, 5xx, circuit open)
     │    └── BackendOverloaded  it answered "busy" (HTTP 429/503, queue too deep)
     ├── BadReply                it answered, but not with what was asked (invalid JSON/schema)
     ├── InferenceTimeout        no complete answer within the configured timeout
     ├── PromptTooLong           the prompt does not fit the model's context window
     ├── AllBackendsFailed       the router tried every backend; carries the in-world apology
 ├── UnknownModel            no registry entry by that name or alias (`inference.registry`; also a KeyError)
 └── SetupError              getting the local model ready failed (`lorekeeper llm setup|serve|fit|ask`)
      ├── DownloadError      a download or checkpoint conversion failed (`.user_message` says what to do)
      ├── NoGpu              the step needs an NVIDIA GPU and none is visible
      ├── BackendNotConfigured  the backend asked for is not in this machine's plan (no key, no GPU)
      └── VllmNotInstalled   the `vllm` executable is missing (the `gpu` extra)

`.user_message` is always safe to show a player: it never holds a key, a URL or a traceback.
`.reason` is a short machine label used for the fallback metric and log line.
"""

from __future__ import annotations

__all__ = [
    "AllBackendsFailed",
    "BackendNotConfigured",
    "BackendOverloaded",
    "BackendUnavailable",
    "BadReply",
    "DownloadError",
    "InferenceError",
    "InferenceTimeout",
    "NoGpu",
    "PromptTooLong",
    "SetupError",
    "VllmNotInstalled",
]


def _rebuild(cls: type[InferenceError], args: tuple[object, ...], state: dict[str, object]) -> InferenceError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class InferenceError(Exception):
    """Root of the inference error tree."""

    reason = "error"

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross Ray actor boundaries. Exception's default pickling calls `cls(*self.args)`, which
        # breaks for subclasses with keyword-only or non-string constructors (PromptTooLong,
        # AllBackendsFailed); rebuild from the attributes instead.
        return _rebuild, (type(self), self.args, dict(self.__dict__))

    def __init__(self, detail: str, *, backend: str = "", user_message: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.backend = backend
        self.user_message = user_message or "The storyteller lost the thread for a moment. Please try again."


class BackendUnavailable(InferenceError):
    """The backend is down, returned a server error, or its circuit breaker is open."""

    reason = "unavailable"

    def __init__(self, detail: str, *, backend: str = "", status: int | None = None) -> None:
        super().__init__(detail, backend=backend,
                         user_message="The language model is unavailable right now. Please try again shortly.")
        self.status = status


class BackendOverloaded(BackendUnavailable):
    """The backend said it is busy (HTTP 429/503) or its queue/latency is over the threshold."""

    reason = "overloaded"


class BadReply(InferenceError):
    """The backend answered with text that is not valid JSON for the requested schema."""

    reason = "bad_reply"

    def __init__(self, detail: str, *, backend: str = "", text: str = "") -> None:
        super().__init__(detail, backend=backend,
                         user_message="The storyteller's answer came out garbled. Please try again.")
        self.text = text


class InferenceTimeout(InferenceError):
    """No complete answer within the timeout (`timeout_s` seconds)."""

    reason = "timeout"

    def __init__(self, detail: str, *, backend: str = "", timeout_s: float = 0.0) -> None:
        super().__init__(detail, backend=backend,
                         user_message="The storyteller is taking too long to answer. Please try again.")
        self.timeout_s = timeout_s


class PromptTooLong(InferenceError):
    """The prompt plus the reply budget exceeds the model's context window (all in tokens)."""

    reason = "prompt_too_long"

    def __init__(self, *, backend: str = "", prompt_tokens: int, max_tokens: int, context_window: int) -> None:
        super().__init__(
            f"prompt of {prompt_tokens} tokens + {max_tokens} reply tokens exceeds the "
            f"{context_window}-token context window",
            backend=backend,
            user_message="That is too much to take in at once. Please say it in fewer words.",
        )
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.context_window = context_window


class AllBackendsFailed(InferenceError):
    """Every backend in the router's order failed; `.failures` maps backend name → error.

    `.user_message` is a short in-world apology: the caller keeps the player's message pending.
    """

    reason = "all_failed"

    def __init__(self, failures: dict[str, InferenceError]) -> None:
        summary = ", ".join(f"{name}: {err.reason}" for name, err in failures.items()) or "no backend configured"
        super().__init__(
            f"every backend failed ({summary})",
            user_message=("The Dungeon Master pauses, staring into the fire as the candles gutter... "
                          "(the storyteller could not answer just now; your message is kept and will be retried)"),
        )
        self.failures = dict(failures)


class SetupError(InferenceError):
    """Getting the local model ready failed; `.user_message` says what to do about it."""

    reason = "setup"

    def __init__(self, detail: str, user_message: str | None = None) -> None:
        super().__init__(detail, user_message=user_message or detail)


class DownloadError(SetupError):
    """A download or conversion step failed (network, gated repo, expired Meta URL, disk)."""

    reason = "download"


class NoGpu(SetupError):
    """The step needs an NVIDIA GPU (or its size) and none is visible."""

    reason = "no_gpu"

    def __init__(self, user_message: str = "No NVIDIA GPU found on this machine.") -> None:
        super().__init__("no GPU", user_message)


class BackendNotConfigured(SetupError):
    """The backend asked for is not in this machine's plan (its key is unset, or no GPU for vLLM)."""

    reason = "not_configured"

    def __init__(self, backend: str, available: list[str] | tuple[str, ...] = ()) -> None:
        hint = f" (available: {', '.join(available)})" if available else ""
        super().__init__(f"backend {backend} not configured",
                         f"Backend {backend!r} is not configured here{hint}.")
        self.backend = backend
        self.available = list(available)


class VllmNotInstalled(SetupError):
    reason = "vllm_missing"

    def __init__(self) -> None:
        super().__init__("vllm not installed", "vLLM is not installed: `pip install 'lorekeeper[gpu]'` on a GPU host.")
