"""GPU serving: aggregate tokens/s with 1, 5 and 20 campaigns asking vLLM at once (skipped without GPU + vLLM).

Run: `.venv/bin/python bench/gpu_bench.py [--url http://127.0.0.1:8000] [--requests N] [--max-tokens M]
[--concurrency 1,5,20] [--quick] [--json]`
Each "campaign" has its own system prompt (a different campaign text, so no shared prefix beyond the
rules) and sends `--requests` DM turns one after the other with the DM's reply schema, through the
real client (inference.vllm_backend.VLLMBackend); all campaigns run at once. Prints, per level, the
aggregate completion tokens/s, the per-request latency p50/p95, and the speed-up over one campaign.
Without a GPU (NVML sees none) and no `--url`, or with no vLLM answering, it says so and exits 0.
`--url` runs it against any OpenAI-compatible server that answers there, GPU or not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitoring.gpu import read_gpus  # noqa: E402  (the client is imported only when there is a server)

PLACES = ("the drowned town of Saltmere", "the frozen pass of Kharn", "the glass desert of Ith", "the sunken abbey",
          "the river city of Vell", "the ash woods", "the lantern coast", "the mines under Greyhold")
ACTIONS = ("I push open the tavern door and look for the innkeeper.", "Mira swings her longsword at the ghoul.",
           "I search the cellar for anything valuable.", "Can I persuade the harbour master to lend us his boat?")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def served_model(url: str) -> str | None:
    """The first model id the server at `url` lists, or None when nothing answers there."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/v1/models", timeout=5) as response:
            data = json.loads(response.read())
        return str(data["data"][0]["id"])
    except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError):
        return None


def _campaign_prompt(n: int) -> str:
    place = PLACES[n % len(PLACES)]
    return (f"You are the Dungeon Master of campaign {n}, a D&D 5e adventure set in {place}. Answer every player "
            "message in JSON: a vivid narrative (second person, present tense), the dice rolls the engine should "
            f"make and the effects on the game state. Campaign notes: {place} hides a secret in chapter {n}.")


async def _campaign(backend: Any, n: int, requests: int, max_tokens: int, schema: dict) -> list[tuple]:
    out = []
    for i in range(requests):
        messages = [{"role": "system", "content": _campaign_prompt(n)},
                    {"role": "user", "content": ACTIONS[(n + i) % len(ACTIONS)]}]
        result = await backend.generate(messages, schema, max_tokens, 0.7)
        out.append((result.completion_tokens, result.latency_s))
    return out


async def bench(url: str, model: str, levels: list[int], requests: int, max_tokens: int) -> dict[str, Any]:
    from dm.reply import reply_json_schema
    from inference.vllm_backend import VLLMBackend, VLLMBackendConfig

    host, port = url.split("://", 1)[-1].rstrip("/").rsplit(":", 1)
    backend = VLLMBackend(VLLMBackendConfig(host=host, port=int(port), served_model=model, context_window=4096,
                                            timeout_s=300.0))
    schema = reply_json_schema()
    results: dict[str, Any] = {"url": url, "model": model, "levels": {}}
    try:
        await _campaign(backend, 0, 1, max_tokens, schema)  # warm-up
        for level in levels:
            started = time.perf_counter()
            runs = await asyncio.gather(*(_campaign(backend, n, requests, max_tokens, schema) for n in range(level)))
            wall = time.perf_counter() - started
            calls = [call for run in runs for call in run]
            tokens = sum(t for t, _ in calls)
            latencies = [s for _, s in calls]
            results["levels"][level] = {"requests": len(calls), "tokens": tokens, "wall_s": round(wall, 3),
                                        "tok_s": round(tokens / wall, 1),
                                        "latency_p50_s": round(_pct(latencies, 0.5), 3),
                                        "latency_p95_s": round(_pct(latencies, 0.95), 3)}
    finally:
        await backend.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the vLLM (OpenAI-compatible) server; default: VLLM_HOST:VLLM_PORT when a GPU")
    parser.add_argument("--concurrency", default="1,5,20")
    parser.add_argument("--requests", type=int, default=4, help="turns per campaign at each level")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="one turn per campaign, short replies")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = args.url
    if url is None:
        gpus = read_gpus()
        if not gpus:
            print("GPU benchmark skipped: no GPU here (NVML sees none), so no vLLM to measure. "
                  "Run it on a GPU host with `lorekeeper llm serve` running, or give --url.")
            return 0
        from gateway.settings import get_settings

        settings = get_settings()
        url = f"http://{settings.vllm_host}:{settings.vllm_port}"
        print(f"GPU: {', '.join(f'{g.name} ({g.total_gib:.0f} GiB)' for g in gpus)}")
    model = served_model(url)
    if model is None:
        print(f"GPU benchmark skipped: no vLLM server answers at {url} (start one with `lorekeeper llm serve`).")
        return 0
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    requests, max_tokens = (1, 64) if args.quick else (args.requests, args.max_tokens)
    result = asyncio.run(bench(url, model, levels, requests, max_tokens))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"vLLM at {url} serving {model}; {requests} turn(s) per campaign, max {max_tokens} tokens each")
    base = result["levels"][levels[0]]["tok_s"] or 1e-9
    for level in levels:
        r = result["levels"][level]
        print(f"  {level:>3} campaign(s) at once: {r['tok_s']:>8.1f} tok/s aggregate ({r['tokens']} tokens in "
              f"{r['wall_s']:.2f} s), latency p50 {r['latency_p50_s']:.2f} s / p95 {r['latency_p95_s']:.2f} s, "
              f"x{r['tok_s'] / base:.1f} the tok/s of {levels[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
