"""Inference errors cross Ray actor boundaries, so each must survive pickling with its attributes."""

from __future__ import annotations

import pickle

from inference.errors import (
    AllBackendsFailed,
    BackendOverloaded,
    BackendUnavailable,
    BadReply,
    InferenceTimeout,
    PromptTooLong,
)


def roundtrip(err):
    return pickle.loads(pickle.dumps(err))


def test_prompt_too_long_survives_pickling() -> None:
    err = roundtrip(PromptTooLong(backend="vllm", prompt_tokens=5000, max_tokens=512, context_window=4096))
    assert isinstance(err, PromptTooLong)
    assert (err.backend, err.prompt_tokens, err.max_tokens, err.context_window) == ("vllm", 5000, 512, 4096)
    assert err.reason == "prompt_too_long" and "4096-token" in err.detail


def test_all_backends_failed_survives_pickling_with_its_failures() -> None:
    original = AllBackendsFailed({"vllm": BackendOverloaded("busy", backend="vllm", status=429),
                                  "gemini": InferenceTimeout("slow", backend="gemini", timeout_s=30.0)})
    err = roundtrip(original)
    assert isinstance(err, AllBackendsFailed)
    assert {name: e.reason for name, e in err.failures.items()} == {"vllm": "overloaded", "gemini": "timeout"}
    assert err.failures["vllm"].status == 429 and err.user_message == original.user_message
    assert err.detail == original.detail


def test_the_other_errors_keep_their_attributes() -> None:
    assert roundtrip(BackendUnavailable("down", backend="xai", status=500)).status == 500
    assert roundtrip(BadReply("garbled", backend="embedded", text="{")).text == "{"
    timeout = roundtrip(InferenceTimeout("slow", backend="gemini", timeout_s=12.5))
    assert (timeout.backend, timeout.timeout_s) == ("gemini", 12.5)
