"""Benchmark the embedded CPU model: tokens/s and time to first token on DM-like prompts.

Run: `.venv/bin/python bench/embedded_llm_bench.py [--runs N] [--threads T] [--max-tokens M] [--no-quantize]
[--long-prompt 3000] [--long-runs 3] [--quick]`
Prints the load time (and whether the converted weights came from the model cache or the GGUF), one line
per run, then p50/p10 tokens/s, overall tokens/s, and TTFT/latency percentiles; then the time to first
token on a real-size (~3,000-token) DM prompt, cold and with the prefix cache. "tokens" are output
tokens; "passes" are model forward calls after the prompt
(fewer than tokens because grammar-forced tokens are prefilled together: jump-forward).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dm.reply import reply_json_schema  # noqa: E402
from inference.embedded_model import get_engine  # noqa: E402
from inference.schema_bounds import bound_schema  # noqa: E402

SYSTEM = ("You are the Dungeon Master of a Dungeons & Dragons 5e campaign set in the drowned town of "
          "Saltmere. Answer every player message in JSON with a vivid narrative (second person, present "
          "tense), the dice rolls the engine should make and the effects on the game state. Never end "
          "with a question.")

SCHEMA = reply_json_schema()  # the reply every backend is asked for (dm/reply.py)

SAMPLE_PDF = Path(__file__).resolve().parents[1] / "data" / "campaigns" / "the-drowned-lantern.pdf"

PROMPTS = [
    "I push open the tavern door and look for the innkeeper.",
    "Mira swings her longsword at the drowned ghoul.",
    "I search the flooded cellar for anything valuable.",
    "Can I persuade the harbour master to lend us his boat?",
    "Tomas casts cure wounds on Mira.",
    "We take a long rest in the lighthouse.",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--no-quantize", action="store_true")
    parser.add_argument("--long-prompt", type=int, default=3000, help="tokens of the real-size DM prompt (0: skip)")
    parser.add_argument("--long-runs", type=int, default=3, help="prompts timed at that size")
    parser.add_argument("--quick", action="store_true", help="3 short runs of 64 tokens, 1 long prompt")
    parser.add_argument("--compare-load", action="store_true",
                        help="also load the model from the GGUF and from the model cache, side by side (~1 min)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.max_tokens, args.long_runs = 3, 64, 1
    started = time.perf_counter()
    engine = get_engine(threads=args.threads, quantize=not args.no_quantize)
    print(f"load: {engine.load_s:.1f} s ({engine.load_cpu_s:.1f} s of CPU) from the {engine.load_source} (weights, "
          f"int8 quantisation, warm-up; {time.perf_counter() - started:.1f} s with importing torch/transformers), "
          f"threads={args.threads}, int8={not args.no_quantize}")
    if args.compare_load:
        compare_load(args.threads, not args.no_quantize)
    schema = bound_schema(SCHEMA)
    speeds, ttfts, latencies, tokens, seconds = [], [], [], 0, 0.0
    for i in range(args.runs):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]
        result = engine.generate(messages, schema, args.max_tokens, args.temperature)
        data = json.loads(result.text)
        speed = result.completion_tokens / result.latency_s
        speeds.append(speed)
        ttfts.append(result.ttft_s)
        latencies.append(result.latency_s)
        tokens += result.completion_tokens
        seconds += result.latency_s
        print(f"run {i}: {result.completion_tokens} tokens / {result.forward_passes} passes in {result.latency_s:.2f} s"
              f" = {speed:.1f} tok/s, ttft {result.ttft_s * 1000:.0f} ms, prompt {result.prompt_tokens} tokens, "
              f"prefix cache {'hit' if result.prefix_hit else 'miss'}; keys={sorted(data)}")
        if i == 0:
            print("  sample:", result.text[:240])
    print(f"tokens/s per call   p50 {statistics.median(speeds):.1f}   p10 {pct(speeds, 0.1):.1f}")
    print(f"tokens/s overall    {tokens / seconds:.1f}  ({tokens} tokens in {seconds:.1f} s)")
    print(f"ttft ms             p50 {statistics.median(ttfts) * 1000:.0f}   p90 {pct(ttfts, 0.9) * 1000:.0f}"
          f"   (short prompts, ~{result.prompt_tokens} tokens)")
    print(f"latency s           p50 {statistics.median(latencies):.2f}   p90 {pct(latencies, 0.9):.2f}")
    if args.long_prompt:
        long_prompt_ttft(engine, args.long_prompt, args.long_runs)


def compare_load(threads: int, quantize: bool) -> None:
    """Load the engine again, from the GGUF (model cache off) and from the model cache, one after the other."""
    import os

    from inference import embedded_model
    from inference.embedded_model import EmbeddedEngine, default_gguf_path

    timed = {}
    for label, cache in (("the GGUF", "off"), ("the model cache", os.environ.get("LOREKEEPER_MODEL_CACHE", ""))):
        os.environ["LOREKEEPER_MODEL_CACHE"] = cache
        embedded_model._TOKENIZERS.clear()  # the tokenizer is read again too (from the GGUF: ~5 s)
        engine = EmbeddedEngine(default_gguf_path(), threads=threads, quantize=quantize)
        timed[label] = (engine.load_s, engine.load_cpu_s, engine.load_source)
        del engine
    for label, (wall, cpu, source) in timed.items():
        print(f"  load from {label}: {wall:.1f} s ({cpu:.1f} s of CPU; {source})")
    (gguf, gguf_cpu, _), (cached, cached_cpu, _) = timed.values()
    print(f"  the cache loads x{gguf / max(cached, 1e-9):.1f} faster (CPU x{gguf_cpu / max(cached_cpu, 1e-9):.1f})")


def _campaign_text() -> str:
    """The sample adventure's text (pymupdf), the stand-in for the DM prompt's rules, passages and history."""
    import pymupdf

    with pymupdf.open(SAMPLE_PDF) as doc:
        return "\n".join(page.get_text() for page in doc)


def long_prompt(engine: object, target: int, action: str) -> list[dict[str, str]]:
    """A real-size DM prompt: the system prompt, ~`target` tokens of campaign text, then the player's line."""
    words = _campaign_text().split()
    lo, hi = 0, len(words)
    while lo < hi:  # the most words whose prompt stays within the target
        mid = (lo + hi + 1) // 2
        messages = [{"role": "system", "content": SYSTEM + "\n\nCampaign passages:\n" + " ".join(words[:mid])},
                    {"role": "user", "content": action}]
        lo, hi = (mid, hi) if engine.count_tokens(messages) <= target else (lo, mid - 1)
    return [{"role": "system", "content": SYSTEM + "\n\nCampaign passages:\n" + " ".join(words[:lo])},
            {"role": "user", "content": action}]


def long_prompt_ttft(engine: object, target: int, runs: int) -> None:
    """Time to first token on a ~`target`-token prompt: cold (the whole prompt prefilled) and warm (the same
    campaign text with another player line: the prefix cache spares all but the tail), side by side."""
    cold, warm, size = [], [], 0
    for i in range(runs):
        messages = long_prompt(engine, target, PROMPTS[i % len(PROMPTS)] + f" ({i})")
        size = engine.count_tokens(messages)
        # free text, 8 tokens: only the first one is timed (a schema's JSON would need hundreds to close)
        cold.append(engine.generate(messages, None, 8, 0.0, reuse=False).ttft_s)
        engine.generate(messages, None, 8, 0.0)  # fills the prefix cache with this prompt
        follow = messages[:-1] + [{"role": "user", "content": PROMPTS[(i + 1) % len(PROMPTS)]}]
        warm.append(engine.generate(follow, None, 8, 0.0).ttft_s)
    print(f"ttft ms, {size}-token DM prompt: cold p50 {statistics.median(cold) * 1000:.0f} / max "
          f"{max(cold) * 1000:.0f}; same prompt, new player line (prefix cache) p50 "
          f"{statistics.median(warm) * 1000:.0f} / max {max(warm) * 1000:.0f}; cold/warm "
          f"x{statistics.median(cold) / max(statistics.median(warm), 1e-9):.1f}")


if __name__ == "__main__":
    main()
