"""Equipment, conditions and rules sections parsed from the SRD PDF."""

from __future__ import annotations

from collections import Counter

import pytest


def _eq(srd_records, name, category=None):
    found = [e for e in srd_records.equipment if e.name == name and (category is None or e.category == category)]
    assert len(found) == 1, (name, found)
    return found[0]


def test_equipment_counts_per_table(srd_records):
    assert Counter(e.category for e in srd_records.equipment) == {
        "adventuring gear": 99, "weapon": 37, "tool": 36, "tack, harness, and drawn vehicle": 14, "armor": 13,
        "mount": 8, "equipment pack": 7, "waterborne vehicle": 6,
    }  # fmt: skip
    keys = [(e.category, e.name) for e in srd_records.equipment]
    assert len(set(keys)) == len(keys)


def test_weapons(srd_records):
    longsword = _eq(srd_records, "Longsword")
    assert (longsword.subcategory, longsword.cost, longsword.cost_cp) == ("Martial Melee Weapons", "15 gp", 1500)
    assert (longsword.damage, longsword.damage_type, longsword.weight_lb) == ("1d8", "slashing", 3.0)
    assert longsword.properties == ["versatile (1d10)"]
    heavy = _eq(srd_records, "Crossbow, heavy")
    assert heavy.properties == ["ammunition (range 100/400)", "heavy", "loading", "two-handed"]
    assert (heavy.cost_cp, heavy.weight_lb, heavy.damage) == (5000, 18.0, "1d10")
    net = _eq(srd_records, "Net")
    assert (net.damage, net.damage_type, net.properties) == (None, None, ["special", "thrown (range 5/15)"])
    blowgun = _eq(srd_records, "Blowgun")
    assert (blowgun.damage, blowgun.damage_type) == ("1", "piercing")
    dart = _eq(srd_records, "Dart")
    assert (dart.cost, dart.cost_cp, dart.weight_lb, dart.subcategory) == ("5 cp", 5, 0.25, "Simple Ranged Weapons")
    sling = _eq(srd_records, "Sling")
    assert (sling.weight, sling.weight_lb) == (None, None)
    club = _eq(srd_records, "Club")
    assert (club.cost_cp, club.damage_type, club.properties) == (10, "bludgeoning", ["light"])


def test_armor_table_split_across_columns_and_pages(srd_records):
    padded = _eq(srd_records, "Padded")
    assert (padded.armor_class, padded.strength, padded.stealth_disadvantage) == ("11 + Dex modifier", None, True)
    assert (padded.cost, padded.weight_lb, padded.subcategory) == ("5 gp", 8.0, "Light Armor")
    assert padded.description == "Padded armor consists of quilted layers of cloth and batting."
    plate = _eq(srd_records, "Plate")
    assert (plate.armor_class, plate.strength, plate.stealth_disadvantage) == ("18", 15, True)
    assert (plate.cost_cp, plate.weight_lb) == (150000, 65.0)
    half = _eq(srd_records, "Half plate")
    assert (half.armor_class, half.stealth_disadvantage) == ("15 + Dex modifier (max 2)", True)
    breastplate = _eq(srd_records, "Breastplate")
    assert (breastplate.stealth_disadvantage, breastplate.weight_lb) == (False, 20.0)
    shield = _eq(srd_records, "Shield", "armor")
    assert (shield.armor_class, shield.cost_cp, shield.weight_lb) == ("+2", 1000, 6.0)


def test_adventuring_gear_both_columns(srd_records):
    bolts = _eq(srd_records, "Crossbow bolts (20)")
    assert (bolts.subcategory, bolts.cost_cp, bolts.weight, bolts.weight_lb) == ("Ammunition", 100, "1½ lb.", 1.5)
    waterskin = _eq(srd_records, "Waterskin")  # right column
    assert (waterskin.cost, waterskin.weight, waterskin.weight_lb) == ("2 sp", "5 lb. (full)", 5.0)
    spyglass = _eq(srd_records, "Spyglass")
    assert spyglass.cost_cp == 100000
    acid = _eq(srd_records, "Acid (vial)")
    assert acid.description.startswith("As an action, you can splash the contents of this vial")
    assert _eq(srd_records, "Holy water (flask)").subcategory is None
    assert _eq(srd_records, "Reliquary").subcategory == "Holy symbol"


def test_tools_mounts_vehicles_packs(srd_records):
    assert _eq(srd_records, "Alchemist's supplies").subcategory == "Artisan's tools"
    assert _eq(srd_records, "Disguise kit").subcategory is None
    assert _eq(srd_records, "Lute").cost_cp == 3500
    thieves = _eq(srd_records, "Thieves' tools")
    assert (thieves.cost, thieves.weight_lb) == ("25 gp", 1.0)
    warhorse = _eq(srd_records, "Warhorse")
    assert (warhorse.category, warhorse.cost_cp, warhorse.speed, warhorse.carrying_capacity) == (
        "mount", 40000, "60 ft.", "540 lb."
    )
    galley = _eq(srd_records, "Galley")
    assert (galley.cost_cp, galley.speed) == (3000000, "4 mph")
    barding = _eq(srd_records, "Barding")
    assert (barding.cost, barding.cost_cp, barding.weight, barding.weight_lb) == ("×4", None, "×2", None)
    burglar = _eq(srd_records, "Burglar's Pack")
    assert (burglar.category, burglar.cost_cp) == ("equipment pack", 1600)
    assert burglar.description.startswith("Includes a backpack, a bag of 1,000 ball bearings")


@pytest.mark.parametrize(
    ("cost", "cp"), [("1,500 gp", 150000), ("5 cp", 5), ("2 sp", 20), ("—", None), ("×4", None), (None, None)]
)
def test_cost_in_cp(cost, cp):
    from ingest.srd.equipment import cost_in_cp

    assert cost_in_cp(cost) == cp


def test_the_fifteen_conditions(srd_records):
    names = [c.name for c in srd_records.conditions]
    assert names == [
        "Blinded", "Charmed", "Deafened", "Exhaustion", "Frightened", "Grappled", "Incapacitated", "Invisible",
        "Paralyzed", "Petrified", "Poisoned", "Prone", "Restrained", "Stunned", "Unconscious",
    ]  # fmt: skip
    by = {c.name: c for c in srd_records.conditions}
    assert by["Prone"].description.split("\n") == [
        "\u2022 A prone creature's only movement option is to crawl, unless it stands up and thereby ends the "
        "condition.",
        "\u2022 The creature has disadvantage on attack rolls.",
        "\u2022 An attack roll against the creature has advantage if the attacker is within 5 feet of the "
        "creature. Otherwise, the attack roll has disadvantage.",
    ]
    exhaustion = by["Exhaustion"].description.split("\n")
    assert exhaustion[1:8] == [
        "Level Effect", "1 Disadvantage on ability checks", "2 Speed halved",
        "3 Disadvantage on attack rolls and saving throws", "4 Hit point maximum halved", "5 Speed reduced to 0",
        "6 Death",
    ]  # fmt: skip
    assert by["Petrified"].page == 359 and by["Blinded"].page == 358


def test_rules_sections_cover_the_named_rules(srd_records):
    by_name = {}
    for s in srd_records.rules_sections:
        by_name.setdefault(s.name, s)
    grappling = by_name["Grappling"]
    assert grappling.path == ["Using Ability Scores", "Making an Attack", "Melee Attacks", "Grappling"]
    assert grappling.text.startswith("When you want to grab a creature or wrestle with it")
    assert by_name["Cover"].path == ["Using Ability Scores", "Cover"]
    assert "three degrees of cover" in by_name["Cover"].text
    assert by_name["Concentration"].path == ["Spellcasting", "Casting a Spell", "Duration", "Concentration"]
    assert by_name["Rage"].path == ["Classes", "Barbarian", "Class Features", "Rage"]
    assert by_name["Traps"].path == ["Adventuring", "Traps"]
    assert "Sentient Magic Items" in by_name
    # entry lists are parsed elsewhere and not chunked as rules
    assert "Acid Arrow" not in by_name and "Aboleth" not in by_name and "Bag of Holding" not in by_name
    paths = [tuple(s.path) for s in srd_records.rules_sections]
    assert len(set(paths)) == len(paths)
    for s in srd_records.rules_sections:
        assert s.text and s.level == len(s.path) and s.path[-1] == s.name
