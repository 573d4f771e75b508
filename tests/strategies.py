"""Shared Hypothesis strategies for the rules engine (import as `from strategies import ...`).

`tests/` is on `sys.path` because `tests/conftest.py` lives there (pytest's default import mode).
"""

from __future__ import annotations

from hypothesis import strategies as st

from game.abilities import ABILITIES, SKILLS, AbilityScores
from game.character import Character
from game.classes import CLASSES
from game.creation import create_character
from game.inventory import Currency
from game.races import RACES

__all__ = [
    "STANDARD_SIDES",
    "ability_scores",
    "characters",
    "currencies",
    "damage_expressions",
    "dice_expressions",
    "levels",
]

STANDARD_SIDES = (4, 6, 8, 10, 12, 20, 100)

levels = st.integers(min_value=1, max_value=20)

ability_scores = st.builds(
    AbilityScores,
    **{ability: st.integers(min_value=3, max_value=18) for ability in ABILITIES},
)

currencies = st.builds(
    Currency,
    cp=st.integers(0, 500),
    sp=st.integers(0, 500),
    ep=st.integers(0, 50),
    gp=st.integers(0, 500),
    pp=st.integers(0, 50),
)


@st.composite
def damage_expressions(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """`NdS+M` with its parts: (expression, count, sides, modifier)."""
    count = draw(st.integers(min_value=1, max_value=10))
    sides = draw(st.sampled_from(STANDARD_SIDES))
    modifier = draw(st.integers(min_value=-5, max_value=10))
    return f"{count}d{sides}{modifier:+d}", count, sides, modifier


@st.composite
def dice_expressions(draw: st.DrawFn) -> str:
    """Grammar-shaped expressions: sums of dice terms with keep/drop/reroll ops, numbers, words."""
    terms = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if draw(st.booleans()):
            count = draw(st.integers(min_value=1, max_value=8))
            sides = draw(st.sampled_from(STANDARD_SIDES))
            op = draw(st.sampled_from(["", f"kh{max(1, count - 1)}", f"kl{max(1, count - 1)}", "ro<2", "pl1", "mi2"]))
            terms.append(f"{count}d{sides}{op}")
        else:
            terms.append(str(draw(st.integers(min_value=0, max_value=20))))
    expression = terms[0] + "".join(f"{draw(st.sampled_from(['+', '-']))}{t}" for t in terms[1:])
    return expression


@st.composite
def characters(draw: st.DrawFn) -> Character:
    """A valid 1st-level character of any SRD class and race, with some state changed."""
    class_info = draw(st.sampled_from(sorted(CLASSES.values(), key=lambda c: c.name)))
    race = draw(st.sampled_from(sorted(RACES.values(), key=lambda r: r.name)))
    scores = draw(st.builds(AbilityScores, **{a: st.integers(min_value=8, max_value=15) for a in ABILITIES}))
    bonus_choices = [a for a in ABILITIES if a not in race.ability_bonuses][: race.choice_bonuses]
    pool = list(class_info.skill_options or SKILLS)
    skills = draw(st.permutations(pool))[: class_info.skill_count]
    extra = [s for s in SKILLS if s not in skills][: race.skill_choices]
    character = create_character(
        draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=20).filter(str.strip)),
        race.name,
        class_info.name,
        scores,
        [*skills, *extra],
        player_id=draw(st.none() | st.integers(0, 2**63 - 1)),
        bonus_choices=bonus_choices,
    )
    character.take_damage(draw(st.integers(min_value=0, max_value=character.max_hp - 1)))
    character.grant_temp_hp(draw(st.integers(min_value=0, max_value=10)))
    for condition in draw(st.lists(st.sampled_from(["poisoned", "prone", "frightened"]), unique=True)):
        character.add_condition(condition)
    character.receive(draw(currencies))
    return character


# --- game states and AI-proposed effects (appended for game/validation) ----------------------------

from game.effects import EFFECT_KINDS, Creature, GameState  # noqa: E402

__all__ += ["game_states", "proposed_effects"]


@st.composite
def game_states(draw: st.DrawFn) -> GameState:
    """1–3 characters with ids `pc0`… and 0–2 goblins `gob0`…, no fight, at Saltmere."""
    party = draw(st.lists(characters(), min_size=1, max_size=3))
    goblins = draw(st.integers(0, 2))
    return GameState(
        characters={f"pc{i}": c for i, c in enumerate(party)},
        creatures={f"gob{i}": Creature(id=f"gob{i}", name=f"Goblin {i}", hp=7, max_hp=7, dexterity=14)
                   for i in range(goblins)},  # fmt: skip
        location="Saltmere",
        known_locations=("Saltmere", "The Drowned Lantern"),
    )


def proposed_effects(targets: list[str]) -> st.SearchStrategy[object]:
    """Effects as an AI might propose them, plausible and absurd, plus malformed dicts and non-dicts.

    `targets` are ids/names that exist; unknown and empty names are mixed in.
    """
    names = st.sampled_from([*targets, *targets, "zed", ""])
    amounts = st.one_of(st.integers(-30, 30), st.integers(1, 5), st.integers(-(10**6), 10**6))
    items = st.sampled_from(["Dagger", "potion of healing", "Rope", "nothing"]) | st.text(max_size=130)
    entrants = st.lists(
        st.fixed_dictionaries({"id": names}, optional={"initiative": st.integers(-5, 30), "hit_points": amounts}),
        min_size=1, max_size=4,
    )  # fmt: skip
    return st.one_of(
        st.fixed_dictionaries({"kind": st.just("hp_change"), "target": names, "amount": amounts,
                               "critical": st.booleans(),
                               "damage_type": st.sampled_from([None, "fire", "poison", "psychic", "sonic"])}),
        st.fixed_dictionaries({"kind": st.just("temp_hp"), "target": names, "amount": amounts}),
        st.fixed_dictionaries({"kind": st.just("item_add"), "target": names, "item": items, "quantity": amounts}),
        st.fixed_dictionaries({"kind": st.just("item_remove"), "target": names, "item": items, "quantity": amounts}),
        st.fixed_dictionaries({"kind": st.sampled_from(["condition_set", "condition_clear"]), "target": names,
                               "condition": st.sampled_from(["prone", "Unconscious", "exhaustion", "sleepy"]),
                               "level": st.none() | st.integers(-2, 8)}),
        st.fixed_dictionaries({"kind": st.just("slot_spend"), "target": names,
                               "level": st.integers(1, 3) | st.integers(-1, 11)}),
        st.fixed_dictionaries({"kind": st.just("location_change"), "discovered": st.booleans(),
                               "destination": st.sampled_from(["The Drowned Lantern", "Mordor"]) | st.text()}),
        st.fixed_dictionaries({"kind": st.just("xp_award"), "targets": st.lists(names, max_size=3),
                               "amount": amounts}),
        st.fixed_dictionaries({"kind": st.just("combat_start"), "combatants": entrants}),
        st.fixed_dictionaries({"kind": st.just("combat_end")}),
        st.fixed_dictionaries({"kind": st.just("turn_advance"), "actor": names}),
        st.fixed_dictionaries({"kind": st.just("npc_introduce"), "name": st.text(max_size=120)}),
        st.fixed_dictionaries({"kind": st.just("plot_advance"), "thread": st.text(max_size=20),
                               "progress": st.text(max_size=20), "resolved": st.booleans()}),
        st.fixed_dictionaries({"kind": st.just("currency_change"), "target": names, "gp": amounts, "sp": amounts}),
        st.dictionaries(st.sampled_from(["kind", "target", "amount", "x"]),
                        st.none() | st.integers() | st.text(max_size=5) | st.sampled_from(EFFECT_KINDS),
                        max_size=4),
        st.none() | st.text(max_size=10) | st.integers(),
    )  # fmt: skip
