"""Encounters (SRD XP by CR, DMG thresholds), loot, weather and names — reproducible from a seed."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.errors import RulesError
from game.generators import (
    DIFFICULTIES,
    XP_BY_CR,
    encounter_difficulty,
    encounter_multiplier,
    generate_encounter,
    generate_loot,
    generate_npc_name,
    generate_weather,
    parse_cr,
    party_thresholds,
    xp_for_cr,
)

MONSTERS = [
    {"name": "Goblin", "challenge_rating": "1/4", "type": "humanoid"},
    {"name": "Wolf", "challenge_rating": "1/4", "type": "beast"},
    {"name": "Brown Bear", "challenge_rating": "1", "type": "beast"},
    {"name": "Owlbear", "challenge_rating": "3", "type": "monstrosity"},
    {"name": "Dryad", "challenge_rating": "1", "type": "fey"},
    {"name": "Ghoul", "challenge_rating": "1", "type": "undead"},
    {"name": "Young Green Dragon", "challenge_rating": "8", "type": "dragon", "environments": ["forest"]},
    {"name": "Gelatinous Cube", "challenge_rating": "2", "type": "ooze"},
]
ITEMS = [
    {"name": "Potion of Healing", "rarity": "common"},
    {"name": "Bag of Holding", "rarity": "uncommon"},
    {"name": "Cloak of Protection", "rarity": "uncommon"},
    {"name": "Flame Tongue", "rarity": "rare"},
    {"name": "Staff of Power", "rarity": "very rare"},
    {"name": "Vorpal Sword", "rarity": "legendary"},
]


def test_srd_xp_by_challenge_rating() -> None:
    assert len(XP_BY_CR) == 34
    assert xp_for_cr("1/8") == 25
    assert xp_for_cr("1/4") == 50
    assert xp_for_cr(0.5) == 100
    assert xp_for_cr(2) == 450
    assert xp_for_cr("10") == 5_900
    assert xp_for_cr(30) == 155_000
    assert xp_for_cr(0) == 10
    assert xp_for_cr(0, has_attacks=False) == 0
    assert parse_cr("1/2") == Fraction(1, 2)
    with pytest.raises(RulesError):
        parse_cr("31")
    with pytest.raises(RulesError):
        parse_cr("lots")


def test_party_thresholds_sum_each_character() -> None:
    # DMG example: a party of three 3rd-level and one 2nd-level characters → hard threshold 225 × 3 + 150 = 825.
    assert party_thresholds([3, 3, 3, 2])["hard"] == 825
    assert party_thresholds([1])["deadly"] == 100
    assert party_thresholds([20])["easy"] == 2_800
    with pytest.raises(RulesError):
        party_thresholds([21])
    with pytest.raises(RulesError):
        party_thresholds([])


def test_encounter_multipliers() -> None:
    assert [encounter_multiplier(n) for n in (1, 2, 3, 6, 7, 10, 11, 14, 15, 30)] == [
        1.0, 1.5, 2.0, 2.0, 2.5, 2.5, 3.0, 3.0, 4.0, 4.0]  # fmt: skip
    assert encounter_multiplier(1, party_size=2) == 1.5
    assert encounter_multiplier(1, party_size=6) == 0.5
    assert encounter_multiplier(15, party_size=2) == 5.0


def test_difficulty_classification() -> None:
    levels = [3, 3, 3, 3]  # easy 300, medium 600, hard 900, deadly 1600
    assert encounter_difficulty(299, levels) == "trivial"
    assert encounter_difficulty(300, levels) == "easy"
    assert encounter_difficulty(900, levels) == "hard"
    assert encounter_difficulty(1600, levels) == "deadly"


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_encounter_reaches_the_requested_difficulty(difficulty: str) -> None:
    encounter = generate_encounter([3, 3, 3, 3], "forest", MONSTERS, difficulty=difficulty, seed=11)
    assert encounter.difficulty == difficulty
    names = {g.name for g in encounter.groups}
    assert names <= {"Goblin", "Wolf", "Brown Bear", "Owlbear", "Dryad", "Young Green Dragon"}
    assert "Ghoul" not in names and "Gelatinous Cube" not in names  # undead/ooze don't live in forests
    assert encounter.total_xp == sum(g.xp_each * g.count for g in encounter.groups)
    assert encounter.adjusted_xp == int(encounter.total_xp * encounter_multiplier(encounter.monster_count))


def test_same_seed_same_encounter_and_different_seeds_vary() -> None:
    a = generate_encounter([5, 5, 5, 5], "forest", MONSTERS, seed=3)
    b = generate_encounter([5, 5, 5, 5], "forest", MONSTERS, seed=3)
    assert a == b
    others = {generate_encounter([5, 5, 5, 5], "forest", MONSTERS, seed=s).groups for s in range(20)}
    assert len(others) > 1


def test_no_monster_for_the_environment_is_refused() -> None:
    with pytest.raises(RulesError):
        generate_encounter([3], "underwater", [{"name": "Ghoul", "challenge_rating": "1", "type": "undead"}], seed=1)
    with pytest.raises(RulesError):
        generate_encounter([3], "forest", MONSTERS, difficulty="apocalyptic", seed=1)


@settings(max_examples=60)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=6), st.sampled_from(DIFFICULTIES), st.integers(0, 10**6))
def test_encounters_never_exceed_the_band(levels: list[int], difficulty: str, seed: int) -> None:
    monsters = [
        {"name": f"M{cr}", "challenge_rating": cr, "type": "beast"} for cr in ("1/8", "1/2", "2", "5", "9", "13", "17")
    ]
    try:
        encounter = generate_encounter(levels, "forest", monsters, difficulty=difficulty, seed=seed)
    except RulesError:
        return
    order = ("trivial", *DIFFICULTIES)
    assert order.index(encounter.difficulty) <= order.index(difficulty)
    assert encounter.monster_count <= 15


def test_loot_is_reproducible_and_draws_from_the_list() -> None:
    assert generate_loot(5, ITEMS, seed=8) == generate_loot(5, ITEMS, seed=8)
    loots = [generate_loot(20, ITEMS, seed=s) for s in range(60)]
    found = {name for loot in loots for name in loot.items}
    assert found and found <= {i["name"] for i in ITEMS}
    assert "Potion of Healing" not in found  # CR 17+ never rolls common items
    low = [generate_loot("1/4", ITEMS, seed=s) for s in range(60)]
    assert all(r in ("common", "uncommon", "rare") for loot in low for r in loot.rarities)
    assert all(loot.coins.pp == 0 for loot in low)  # CR 0–4 coins are cp/sp/gp only
    assert all(loot.coins.total_cp > 0 for loot in low)


def test_weather_is_reproducible_and_sane() -> None:
    assert generate_weather("summer", seed=5) == generate_weather("summer", seed=5)
    days = [generate_weather("winter", "arctic", seed=s) for s in range(40)]
    assert all(d.precipitation in ("none", "light", "heavy") for d in days)
    assert all(d.wind in ("none", "light", "strong") for d in days)
    assert any("snow" in d.description for d in days if d.precipitation != "none")
    assert all(-50 <= d.temperature_f <= 20 for d in days)
    with pytest.raises(RulesError):
        generate_weather("monsoon")


def test_npc_names_are_reproducible() -> None:
    assert generate_npc_name("dwarf", seed=1) == generate_npc_name("dwarf", seed=1)
    names = {generate_npc_name("elf", seed=s) for s in range(30)}
    assert len(names) > 10
    assert all(n and n[0].isupper() for n in names)


def test_xp_table_matches_the_srd_pdf() -> None:
    """Cross-check XP_BY_CR against the SRD's own table (p. 258), read from the shipped PDF."""
    import re
    from pathlib import Path

    import pymupdf

    pdf = Path(__file__).resolve().parents[3] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
    with pymupdf.open(pdf) as doc:
        text = doc[257].get_text()
    words = re.sub(r"[\t\r\xa0 ]+", " ", text)
    table = words[words.index("Experience Points by Challenge Rating") : words.index("Special Traits")]
    cells = [c.strip() for c in table.splitlines()[1:] if c.strip() and c.strip() not in ("Challenge", "XP")]
    pairs = dict(zip(cells[0::2], cells[1::2], strict=True))
    assert len(pairs) == 34
    assert pairs["0"] == "0 or 10"
    for cr, xp in pairs.items():
        if cr != "0":
            assert xp_for_cr(cr) == int(xp.replace(",", "")), cr


def test_a_malformed_monster_is_a_rules_error() -> None:
    from game.errors import RulesError
    from game.generators import generate_encounter

    with pytest.raises(RulesError):
        generate_encounter([1, 1], "forest", [{"name": "Wolf", "challenge_rating": "1/4", "xp": "lots"}])
    with pytest.raises(RulesError):
        generate_encounter([1, 1], "forest", [{"challenge_rating": "1/4"}])


def test_loot_purses_grow_with_challenge_rating() -> None:
    def mean_gp(cr: str | int) -> float:
        return sum(generate_loot(cr, seed=s).coins.total_cp for s in range(400)) / 400 / 100

    goblin, ogre_mage, giant, dragon = mean_gp("1/4"), mean_gp(7), mean_gp(13), mean_gp(20)
    assert 5 < goblin < 25  # a few gold pieces, not a hundred
    assert goblin < ogre_mage < giant < dragon
    assert dragon > 2_000
