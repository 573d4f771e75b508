"""Inference: backends behind one async interface, the router, vLLM management, model fit.

`dm/` uses only `inference.interfaces` and `inference.errors`; `actors/` and `gateway/` build
the concrete backends. Heavy imports (torch, transformers) happen only in the embedded engine.
"""

from inference.errors import (
    AllBackendsFailed,
    BackendOverloaded,
    BackendUnavailable,
    BadReply,
    InferenceError,
    InferenceTimeout,
    PromptTooLong,
)
from inference.interfaces import Generation, InferenceBackend, Message

__all__ = [
    "AllBackendsFailed",
    "BackendOverloaded",
    "BackendUnavailable",
    "BadReply",
    "Generation",
    "InferenceBackend",
    "InferenceError",
    "InferenceTimeout",
    "Message",
    "PromptTooLong",
]
