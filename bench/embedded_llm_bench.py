"""Benchmark the embedded CPU model: tokens/s and time to first token on DM-like prompts.

Run: `.venv/bin/python bench/embedded_llm_bench.py [--runs N] [--threads T] [--max-tokens M] [--no-quantize]`
Prints the load time, one line per run, then p50/p10 tokens/s, overall tokens/s, and TTFT/latency
percentiles. "tokens" are output tokens; "passes" are model forward calls after the prompt
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
    args = parser.parse_args()
    started = time.perf_counter()
    engine = get_engine(threads=args.threads, quantize=not args.no_quantize)
    print(f"load (incl. warm-up): {time.perf_counter() - started:.1f} s, threads={args.threads}, "
          f"int8={not args.no_quantize}")
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
    print(f"ttft ms             p50 {statistics.median(ttfts) * 1000:.0f}   p90 {pct(ttfts, 0.9) * 1000:.0f}")
    print(f"latency s           p50 {statistics.median(latencies):.2f}   p90 {pct(latencies, 0.9):.2f}")


if __name__ == "__main__":
    main()
