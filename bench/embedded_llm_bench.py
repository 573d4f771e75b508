"""Benchmark the embedded CPU model: tokens/s and time to first token on DM-like prompts.

Run: `.venv/bin/python bench/embedded_llm_bench.py [--runs N] [--threads T] [--max-tokens M] [--no-quantize]`
Prints load time, per-run numbers, then p50/p90 of decode tokens/s, TTFT and latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.embedded import EmbeddedBackend, EmbeddedConfig  # noqa: E402

SYSTEM = ("You are the Dungeon Master of a Dungeons & Dragons 5e campaign set in the drowned town of "
          "Saltmere. Answer every player message in JSON with a vivid narrative (second person, present "
          "tense), the dice rolls the engine should make and the effects on the game state. Never end "
          "with a question.")

SCHEMA = {
    "type": "object",
    "properties": {
        "narrative": {"type": "string", "maxLength": 400},
        "rolls": {"type": "array", "maxItems": 2, "items": {
            "type": "object",
            "properties": {"kind": {"type": "string", "enum": ["attack", "check", "save", "damage"]},
                           "expression": {"type": "string", "maxLength": 16}},
            "required": ["kind", "expression"]}},
        "effects": {"type": "array", "maxItems": 2, "items": {
            "type": "object",
            "properties": {"type": {"type": "string", "enum": ["hp_change", "item_added", "item_removed",
                                                               "condition_set", "location_change"]},
                           "target": {"type": "string", "maxLength": 24},
                           "value": {"type": "string", "maxLength": 24}},
            "required": ["type", "target", "value"]}},
    },
    "required": ["narrative", "rolls", "effects"],
}

PROMPTS = [
    "I push open the tavern door and look for the innkeeper.",
    "Mira swings her longsword at the drowned ghoul.",
    "I search the flooded cellar for anything valuable.",
    "Can I persuade the harbour master to lend us his boat?",
    "Tomas casts cure wounds on Mira.",
    "We take a long rest in the lighthouse.",
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--no-quantize", action="store_true")
    args = parser.parse_args()
    backend = EmbeddedBackend(EmbeddedConfig(threads=args.threads, quantize=not args.no_quantize))
    started = time.perf_counter()
    await backend.load()
    print(f"load: {time.perf_counter() - started:.1f} s")
    speeds, ttfts, latencies = [], [], []
    for i in range(args.runs):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]
        gen = await backend.generate(messages, SCHEMA, max_tokens=args.max_tokens, temperature=args.temperature)
        speed = gen.completion_tokens / gen.latency_s
        speeds.append(speed)
        ttfts.append(gen.ttft_s)
        latencies.append(gen.latency_s)
        print(f"run {i}: {gen.completion_tokens} tokens in {gen.latency_s:.2f} s = {speed:.1f} tok/s "
              f"(decode {gen.tokens_per_s:.1f} tok/s), ttft {gen.ttft_s * 1000:.0f} ms, "
              f"prompt {gen.prompt_tokens} tokens; valid JSON keys={sorted(gen.data)}")
        if i == 0:
            print("  sample:", json.dumps(gen.data)[:300])

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=10)[int(q * 10) - 1] if len(values) > 1 else values[0]

    print(f"tokens/s (whole call)   p50 {statistics.median(speeds):.1f}  p90-low {min(speeds):.1f}")
    print(f"ttft ms                 p50 {statistics.median(ttfts) * 1000:.0f}  p90 {pct(ttfts, 0.9) * 1000:.0f}")
    print(f"latency s               p50 {statistics.median(latencies):.2f}  p90 {pct(latencies, 0.9):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
