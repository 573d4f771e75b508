"""Benchmark `game.validation.validate_effects`: calls/s and per-call latency percentiles.

Run: `.venv/bin/python bench/validation_bench.py [--calls N] [--effects K] [--seed S]`
Each call validates one AI reply's worth of effects (K effects, a realistic mix of accepted and
refused: damage, healing, an absurd heal, items, a condition, a slot, a turn advance) against a
four-character party in a fight. Beside it (interleaved, same replies) `apply_effects`, which also
builds the new state, with the ratio. Prints calls/s, effects/s and p50/p90/p99/max latency in µs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.character import Character  # noqa: E402
from game.combat import Combat, Entrant  # noqa: E402
from game.effects import Creature, GameState  # noqa: E402
from game.inventory import Currency, make_item  # noqa: E402
from game.slots import slots_for  # noqa: E402
from game.validation import apply_effects, validate_effects  # noqa: E402

PARTY = (("aria", "Aria", "Elf", "Wizard", 27), ("bram", "Bram", "Dwarf", "Fighter", 44),
         ("cel", "Cel", "Halfling", "Rogue", 33), ("dov", "Dov", "Human", "Cleric", 38))  # fmt: skip


def make_state() -> GameState:
    characters = {}
    for cid, name, race, cls, hp in PARTY:
        c = Character(name=name, race=race, class_name=cls, level=5, hp=hp, max_hp=hp,
                      spell_slots=slots_for("full", 5), currency=Currency(gp=50))  # fmt: skip
        c.add_item(make_item("Potion of healing", 2))
        c.add_item(make_item("Dagger"))
        characters[cid] = c
    creatures = {f"gob{i}": Creature(id=f"gob{i}", name=f"Goblin {i}", hp=7, max_hp=7, dexterity=14) for i in range(4)}
    order = [Entrant(id=cid, name=name, initiative=20 - i) for i, (cid, name, *_rest) in enumerate(PARTY)]
    order += [Entrant(id=g, name=c.name, initiative=5) for g, c in creatures.items()]
    combat = Combat.start(order, random.Random(0))
    return GameState(characters=characters, creatures=creatures, combat=combat.state(), location="Saltmere",
                     known_locations=("Saltmere", "The Drowned Lantern"))  # fmt: skip


def reply(rng: random.Random, size: int) -> list[dict[str, Any]]:
    pool: list[dict[str, Any]] = [
        {"kind": "hp_change", "target": "gob1", "amount": -rng.randint(1, 12), "damage_type": "slashing"},
        {"kind": "hp_change", "target": "bram", "amount": -rng.randint(1, 9), "damage_type": "poison"},
        {"kind": "hp_change", "target": "Aria", "amount": rng.randint(1, 12)},
        {"kind": "hp_change", "target": "aria", "amount": 48769},
        {"kind": "item_remove", "target": "cel", "item": "potion of healing"},
        {"kind": "item_remove", "target": "cel", "item": "vorpal sword"},
        {"kind": "condition_set", "target": "gob2", "condition": rng.choice(["prone", "frightened", "sleepy"])},
        {"kind": "slot_spend", "target": "dov", "level": rng.randint(1, 3), "spell": "Cure Wounds"},
        {"kind": "turn_advance", "actor": rng.choice(["aria", "bram"])},
        {"kind": "currency_change", "target": "aria", "gp": -rng.randint(1, 60)},
        {"kind": "npc_introduce", "name": f"Villager {rng.randint(1, 99)}"},
    ]
    return [rng.choice(pool) for _ in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--effects", type=int, default=5, help="effects per call (one AI reply)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    state = make_state()
    rng = random.Random(args.seed)
    replies = [reply(rng, args.effects) for _ in range(args.calls)]
    for r in replies[:50]:  # warm up
        validate_effects(state, r, rng=random.Random(0))

    latencies: list[float] = []
    applied: list[float] = []
    accepted = refused = 0
    elapsed = 0.0
    for r in replies:  # interleaved with apply_effects on the same reply: the same moment of a busy machine
        t0 = time.perf_counter()
        outcomes = validate_effects(state, r, rng=random.Random(0))
        t1 = time.perf_counter()
        apply_effects(state, r, rng=random.Random(0))
        applied.append(time.perf_counter() - t1)
        latencies.append(t1 - t0)
        elapsed += t1 - t0
        accepted += sum(o.accepted for o in outcomes)
        refused += sum(not o.accepted for o in outcomes)

    latencies.sort()
    applied.sort()
    q = statistics.quantiles(latencies, n=100)
    print(f"validate_effects: {args.calls} calls × {args.effects} effects in {elapsed:.2f} s")
    print(f"  calls/s   {args.calls / elapsed:10.0f}")
    print(f"  effects/s {args.calls * args.effects / elapsed:10.0f}  (accepted {accepted}, refused {refused})")
    p50, p90, p99, worst = q[49] * 1e6, q[89] * 1e6, q[98] * 1e6, latencies[-1] * 1e6
    print(f"  latency µs p50 {p50:.0f}  p90 {p90:.0f}  p99 {p99:.0f}  max {worst:.0f}")
    qa = statistics.quantiles(applied, n=100)
    print(f"apply_effects (judge + build the new state), same replies: calls/s {len(applied) / sum(applied):.0f}, "
          f"latency µs p50 {qa[49] * 1e6:.0f}  p99 {qa[98] * 1e6:.0f}; x{qa[49] / q[49]:.2f} validation's p50")


if __name__ == "__main__":
    main()
