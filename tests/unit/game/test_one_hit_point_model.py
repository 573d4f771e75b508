"""Characters, monsters and NPCs share one hit-point model: validation never asks which kind it holds."""

from __future__ import annotations

import ast
import random
from pathlib import Path

from game.creation import create_character, standard_array
from game.effects import Creature, GameState, HpChange
from game.validation import apply_effects

GAME = Path(__file__).resolve().parents[3] / "game"


def test_validation_has_no_branch_on_the_kind_of_creature() -> None:
    offenders = []
    for path in sorted(GAME.glob("validation*.py")) + [GAME / "effects.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance" and len(node.args) == 2:
                kinds = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if kinds & {"Character", "Creature"}:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def _party() -> GameState:
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"])
    return GameState(
        characters={"pc": brom},
        creatures={
            "ogre": Creature(id="ogre", name="Ogre", hp=12, max_hp=59),
            "sera": Creature(id="sera", name="Sera", hp=12, max_hp=22, dies_at_zero=False),  # an NPC ally
        },
    )


def test_the_same_blow_drops_a_character_and_an_npc_ally_and_kills_a_monster() -> None:
    state = _party()
    brom_hp = state.characters["pc"].hp
    state, outcomes = apply_effects(state, [
        HpChange(target="Brom", amount=-brom_hp), HpChange(target="Sera", amount=-12), HpChange(target="Ogre", amount=-12),
    ], rng=random.Random(1))  # fmt: skip
    assert all(o.accepted for o in outcomes)
    brom, sera, ogre = state.characters["pc"], state.creatures["sera"], state.creatures["ogre"]
    assert (brom.hp, brom.dead, "unconscious" in brom.conditions) == (0, False, True)
    assert (sera.hp, sera.dead, "unconscious" in sera.conditions) == (0, False, True)
    assert ogre.dead
    # a second blow at 0 hit points is a failed death save for both, the same rule for both
    state, outcomes = apply_effects(state, [HpChange(target="Brom", amount=-1, critical=True),
                                            HpChange(target="Sera", amount=-1, critical=True)])  # fmt: skip
    assert [o.changes["death_saves"]["failures"] for o in outcomes] == [2, 2]


def test_healing_wakes_a_dropped_npc_like_a_character() -> None:
    state, _ = apply_effects(_party(), [HpChange(target="Sera", amount=-12)])
    state, [outcome] = apply_effects(state, [HpChange(target="Sera", amount=5)])
    sera = state.creatures["sera"]
    assert outcome.changes["revived"] and sera.hp == 5 and "unconscious" not in sera.conditions
