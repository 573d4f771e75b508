"""Prefix KV reuse in the embedded model: prefill time, TTFT and reuse rate of consecutive DM turns, reuse on vs off.

Run: `.venv/bin/python bench/prefix_reuse_bench.py [--turns N] [--max-tokens M] [--threads T] [--json]`
(or `lorekeeper bench prefix_reuse`). Plays one scene of N consecutive DM turns through the real
embedded engine: each turn's prompt is built by `dm.context.build_context` (the full tier: rules,
campaign, the growing history, passages, state, the new words) counting with the model's tokenizer,
every second turn gets a follow-up pass with the engine's roll results, and the same scene is played
through the reader tier's small prompt (`dm.reader.reader_prompt`). Every pass runs twice, back to
back: without the prefix cache, then with it (greedy, so both must write the same reply). Prints
per tier the prefill and TTFT p50/p95 of both runs, the reuse rate (prompt tokens taken from the
cache / prompt tokens), the prefill and TTFT speed-up ratios and how many replies were identical;
then what a hit's copy of the cached KV costs against the deepcopy the engine used to make.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dm.budget import token_counter  # noqa: E402
from dm.context import ChatLine, build_context  # noqa: E402
from dm.reader import reader_prompt, reader_schema, scene_for  # noqa: E402
from dm.reply import reply_json_schema  # noqa: E402
from game.creation import create_character, standard_array  # noqa: E402
from game.effects import Creature, GameState  # noqa: E402
from inference.base import wire_schema  # noqa: E402
from inference.embedded import EmbeddedBackend, EmbeddedConfig  # noqa: E402
from inference.embedded_model import PREFILL_BLOCK  # noqa: E402
from inference.prefix_cache import chunk_cuts  # noqa: E402
from inference.schema_bounds import bound_schema  # noqa: E402
from persistence.interfaces import HistoryLine, RetrievedChunk  # noqa: E402

CAMPAIGN = "The Drowned Lantern"
PASSAGES = [
    ("Saltmere", "The Harbour", 4, "Black pilings lean out of the grey tide like the ribs of some drowned beast. "
     "Fishing boats lie half sunk along the quay, their nets still hung to dry, and gulls wheel over the broken "
     "lighthouse at the harbour mouth. The air smells of salt, tar and something older, like wet stone in a "
     "cellar. Read aloud: the bell of the drowned chapel tolls once beneath the water as you arrive."),
    ("Saltmere", "Oswin the Lighthouse Keeper", 5, "Oswin is a stooped man of sixty winters with tar-black "
     "fingernails and a voice like gravel. He has kept the lighthouse since the flood and counts the gulls each "
     "dawn. He knows the lantern went dark on the night the chapel sank, and he fears the Tide Priests who now "
     "meet in the flooded crypt. He will trade what he knows for news of his drowned daughter, Wenna."),
    ("Saltmere", "The Drowned Chapel", 6, "At low tide the chapel roof breaks the surface, green with weed. A "
     "narrow stair leads down into water as cold as a grave. Inside, pews float against the ceiling and a "
     "mosaic of a lantern-bearing saint glimmers on the far wall. Creatures: two drowned ghouls lurk among the "
     "pews and attack anyone who disturbs the altar."),
    ("Saltmere", "The Market Square", 7, "Stalls of salted fish, rope and lamp oil crowd the square. The harbour "
     "master, a red-faced woman called Brenna Hale, argues with a cooper over a barrel of spoiled herring. "
     "Townsfolk whisper that the Tide Priests pay in old coins stamped with a drowned moon."),
    ("Saltmere", "The Tide Priests", 9, "The Tide Priests are a cult of six led by Mother Sallow, who believes the "
     "sea will return her drowned congregation if the lantern stays dark. They wear robes of wet sackcloth and "
     "carry hooked knives. They meet in the flooded crypt below the chapel at midnight."),
    ("Saltmere", "The Lighthouse", 10, "The lighthouse tower is 90 feet of cracked stone. Its great lantern is cold; "
     "the lens is cracked and the oil reservoir has been fouled with seawater. A character who studies the "
     "mechanism can tell it was sabotaged. From the gallery one can see the whole bay and the chapel roof."),
]
TURNS = [
    [("ann", "Mira", "I walk along the quay and look for whoever runs this harbour.")],
    [("bob", "Brakka", "I ask the old man by the lighthouse what happened to the lantern.")],
    [("ann", "Mira", "I offer Oswin news of his daughter if he tells us about the Tide Priests."),
     ("cy", "Tam", "I keep watch on the market in case anyone follows us.")],
    [("bob", "Brakka", "We climb the lighthouse and I look at the broken lantern.")],
    [("cy", "Tam", "At low tide I sneak down the chapel stair and peer inside.")],
    [("ann", "Mira", "I cast light on my staff and we wade into the chapel."),
     ("bob", "Brakka", "I go first with my axe ready.")],
    [("bob", "Brakka", "I attack the nearest ghoul with my battleaxe.")],
    [("ann", "Mira", "I search the altar for anything the priests left behind.")],
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def party() -> GameState:
    def make(name: str, race: str, klass: str, first: str, skills: list[str], pid: int, **extra: Any) -> Any:
        order = [first] + [a for a in ("str", "con", "dex", "wis", "cha", "int") if a != first]
        scores = standard_array(dict(zip(order, (15, 14, 13, 12, 10, 8), strict=True)))
        who = create_character(name, race, klass, scores, skills, player_id=pid, **extra)
        who.id = f"pc-{pid}"
        return who

    characters = [make("Brakka", "dwarf", "fighter", "str", ["athletics", "perception"], 3),
                  make("Mira", "elf", "wizard", "int", ["arcana", "history"], 2, subrace="high elf"),
                  make("Tam", "halfling", "rogue", "dex", ["stealth", "perception", "acrobatics", "deception"], 4,
                       subrace="lightfoot")]
    ghoul = Creature(id="ghoul-1", name="Drowned Ghoul", hp=22, max_hp=22, armor_class=12, dexterity=15)
    return GameState(characters={c.id: c for c in characters}, creatures={"ghoul-1": ghoul}, location="Saltmere")


def chunks() -> list[RetrievedChunk]:
    return [RetrievedChunk(id=i, heading_path=(place, title), page=page, kind="text", tags=(), text=text,
                           score=1.0 - i / 10)
            for i, (place, title, page, text) in enumerate(PASSAGES, start=1)]


class Tier:
    """One tier's prompts and figures: each pass runs without reuse, then with it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs: dict[bool, list[Any]] = {False: [], True: []}
        self.first_pass: list[Any] = []
        self.identical = 0
        self.unclosed = 0  # passes whose JSON did not close within the budget (left out of the figures)
        self.last_prompt: list[dict[str, str]] = []

    def play(self, engine: Any, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int,
             first: bool) -> Any:
        self.last_prompt = messages
        try:
            off = engine.generate(messages, schema, max_tokens, 0.0, reuse=False)
            on = engine.generate(messages, schema, max_tokens, 0.0, reuse=True)
        except RuntimeError:
            self.unclosed += 1
            return None
        self.runs[False].append(off)
        self.runs[True].append(on)
        if first:
            self.first_pass.append(on)
        self.identical += off.text == on.text
        return on

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passes": len(self.runs[True]), "identical_replies": self.identical,
                               "unclosed": self.unclosed}
        for reuse, runs in self.runs.items():
            key = "on" if reuse else "off"
            prefill = [r.prefill_s for r in runs]
            ttft = [r.ttft_s for r in runs]
            out[key] = {"prefill_p50_s": statistics.median(prefill), "prefill_p95_s": pct(prefill, 0.95),
                        "ttft_p50_s": statistics.median(ttft), "ttft_p95_s": pct(ttft, 0.95),
                        "prefill_total_s": sum(prefill)}
        prompt = sum(r.prompt_tokens for r in self.runs[True])
        reused = sum(r.reused_tokens for r in self.runs[True])
        firsts = self.first_pass[1:]  # a turn's first pass after the scene's first
        out |= {"prompt_tokens_p50": statistics.median(r.prompt_tokens for r in self.runs[True]),
                "prompt_tokens": prompt, "reused_tokens": reused, "reuse_rate": reused / prompt if prompt else 0.0,
                "reuse_rate_turn_starts": (sum(r.reused_tokens for r in firsts) / sum(r.prompt_tokens for r in firsts)
                                           if firsts else 0.0),
                "prefill_speedup": out["off"]["prefill_total_s"] / max(1e-9, out["on"]["prefill_total_s"]),
                "ttft_p50_speedup": out["off"]["ttft_p50_s"] / max(1e-9, out["on"]["ttft_p50_s"])}
        return out


def play_full(backend: EmbeddedBackend, turns: int, max_tokens: int, budget: int) -> Tier:
    engine, tier, state, history = backend._engine, Tier("full"), party(), []
    schema = bound_schema(wire_schema(reply_json_schema()), max_string_chars=backend.config.max_string_chars,
                          max_array_items=backend.config.max_array_items)
    counter = token_counter(backend)
    for index, said in enumerate(TURNS[:turns]):
        lines = [ChatLine(author, character, text) for author, character, text in said]
        messages = build_context(state, lines, campaign=CAMPAIGN, chunks=chunks(), history=history,
                                 budget_tokens=budget, counter=counter).messages
        reply = tier.play(engine, messages, schema, max_tokens, first=True)
        if reply is not None and index % 2:  # the engine rolled what the model asked for: a second pass narrates it
            rolled = {"kind": "check", "who": lines[0].character, "expression": "1d20+5", "total": 14, "dc": 12,
                      "success": True}
            follow_up = [*messages, {"role": "assistant", "content": reply.text},
                         {"role": "user", "content": "The engine rolled what you asked for:\n" + json.dumps(rolled)
                          + "\nNow narrate these results (ask for no more rolls); your effects must follow from them."}]
            reply = tier.play(engine, follow_up, schema, max_tokens, first=False) or reply
        now = datetime.now(UTC)
        history += [HistoryLine("player", line.author, line.text, now) for line in lines]
        narrative = json.loads(reply.text).get("narrative", "") if reply is not None else ""
        history.append(HistoryLine("dm", "DM", narrative or "The tide turns.", now))
    return tier


def play_reader(backend: EmbeddedBackend, turns: int, max_tokens: int) -> Tier:
    engine, tier, state = backend._engine, Tier("reader"), party()
    scene = scene_for(state, None, chunks())
    schema = bound_schema(wire_schema(reader_schema(scene)), max_string_chars=backend.config.max_string_chars,
                          max_array_items=backend.config.max_array_items)
    for said in TURNS[:turns]:
        lines = [ChatLine(author, character, text) for author, character, text in said]
        tier.play(engine, reader_prompt(scene, lines), schema, max_tokens, first=True)
    return tier


def copy_cost(engine: Any, messages: list[dict[str, str]]) -> dict[str, float]:
    """A hit's copy of the cached KV (the engine's one `cat` of the reused slice) vs a deepcopy of it, for the
    last prompt played (cached: nearly all of it is reused)."""
    ids = engine._encode_prompt(messages)
    hit = engine.prefixes.lookup(ids, chunk_cuts(ids, engine._message_starts, PREFILL_BLOCK))
    if hit is None:
        return {}
    stored, n = hit
    started = time.perf_counter()
    rebuilt = engine._cache_class(ddp_cache_data=[(k[..., :n, :], v[..., :n, :]) for k, v in stored])
    rebuild_s = time.perf_counter() - started
    started = time.perf_counter()
    copy.deepcopy(rebuilt)
    deepcopy_s = time.perf_counter() - started
    kv_bytes = sum(k[..., :n, :].nbytes + v[..., :n, :].nbytes for k, v in stored)
    return {"tokens": n, "rebuild_ms": rebuild_s * 1000, "deepcopy_ms": deepcopy_s * 1000, "kv_mb": kv_bytes / 2**20}


def report(tier: dict[str, Any], name: str) -> None:
    print(f"{name}: {tier['passes']} passes, prompt tokens p50 {tier['prompt_tokens_p50']:.0f}")
    for key in ("off", "on"):
        f = tier[key]
        print(f"  reuse {key:<3}  prefill p50 {f['prefill_p50_s']:.2f} s  p95 {f['prefill_p95_s']:.2f} s   "
              f"ttft p50 {f['ttft_p50_s']:.2f} s  p95 {f['ttft_p95_s']:.2f} s")
    print(f"  reuse rate {tier['reuse_rate']:.1%} ({tier['reused_tokens']} of {tier['prompt_tokens']} prompt tokens);"
          f" at a new turn's first pass {tier['reuse_rate_turn_starts']:.1%}")
    print(f"  speed-up   prefill {tier['prefill_speedup']:.2f}x   ttft p50 {tier['ttft_p50_speedup']:.2f}x   "
          f"identical replies {tier['identical_replies']}/{tier['passes']}"
          + (f"   ({tier['unclosed']} unclosed, left out)" if tier["unclosed"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=6, help=f"consecutive turns, at most {len(TURNS)}")
    parser.add_argument("--max-tokens", type=int, default=96, help="reply budget per pass (decode is not measured)")
    parser.add_argument("--budget", type=int, default=3000, help="the full tier's prompt budget, tokens")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    backend = EmbeddedBackend(EmbeddedConfig(threads=args.threads))
    asyncio.run(backend.load())
    engine = backend._engine
    load_s = time.perf_counter() - started
    full = play_full(backend, args.turns, args.max_tokens, args.budget)
    cost = copy_cost(engine, full.last_prompt)
    engine.prefixes.clear()
    reader = play_reader(backend, args.turns, args.max_tokens)
    result = {"load_s": load_s, "threads": args.threads, "block": PREFILL_BLOCK,
              "cache": {"max_entries": engine.prefixes.max_entries, "max_tokens": engine.prefixes.max_tokens},
              "full": full.figures(), "reader": reader.figures(), "hit_copy": cost}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"embedded SmolLM2-135M int8, {args.threads} thread(s), loaded in {load_s:.1f} s; prefill chunk "
          f"{PREFILL_BLOCK} tokens, cache {engine.prefixes.max_entries} prompts / {engine.prefixes.max_tokens} tokens")
    report(result["full"], f"full tier (build_context, {args.turns} turns + roll follow-ups)")
    report(result["reader"], f"reader tier (reader_prompt, {args.turns} turns)")
    if cost:
        print(f"hit copy: {cost['tokens']} cached tokens ({cost['kv_mb']:.0f} MB of KV) rebuilt in "
              f"{cost['rebuild_ms']:.1f} ms; a deepcopy of them takes {cost['deepcopy_ms']:.1f} ms")


if __name__ == "__main__":
    main()
