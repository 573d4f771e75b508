"""Magic items parsed from the SRD PDF, checked against the PDF's text."""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz

# item headings with no bookmark ("Avatar of Death" is a bookmark for a stat block inside an item)
UNBOOKMARKED_ITEMS = {"Armor of Vulnerability", "Censer of Controlling Air Elementals", "Potion of Speed",
                      "Ring of Shooting Stars", "Talisman of Pure Good"}  # fmt: skip
ITEM_LINE = re.compile(
    r"^(?:Armor|Potion|Ring|Rod|Scroll|Staff|Wand|Weapon|Wondrous item)(?: \([^)]*\))?,\s"
    r"(?:common|uncommon|rare|very\srare|legendary|artifact|rarity|varies)",
    re.M,
)


def test_item_count_is_every_type_line(srd_records, srd_plain):
    text = "\n".join(srd_plain[p] for p in range(207, 254))  # A-Z ends on 251, the Orb of Dragonkind is on 252
    assert len(ITEM_LINE.findall(text)) == 240
    assert len(srd_records.magic_items) == 240
    assert len({i.name for i in srd_records.magic_items}) == 240


def test_the_artifact_is_a_magic_item(srd_by_name):
    orb = srd_by_name["magic_items"]["Orb of Dragonkind"]
    assert (orb.type, orb.rarity, orb.attunement, orb.page) == ("Wondrous item", "artifact", True, 252)
    assert orb.description.startswith("Ages past, elves and humans waged a terrible war against evil dragons.")
    assert "Destroying an Orb." in orb.description


def test_bookmarks_name_parsed_items(srd_records, bookmarks_under):
    names = [i.name for i in srd_records.magic_items]
    matched = set()
    for mark in bookmarks_under("Magic Items A-Z", 4) + bookmarks_under("Artifacts", 3):
        if mark == "Avatar of Death":
            continue
        best = max(names, key=lambda n: fuzz.ratio(mark, n))
        assert fuzz.ratio(mark, best) >= 80, mark  # "Cload of Elvenkind", "Flame Tongue3"
        matched.add(best)
    assert set(names) - matched == UNBOOKMARKED_ITEMS


def test_types_and_rarities(srd_records):
    assert Counter(i.type for i in srd_records.magic_items) == {
        "Wondrous item": 120, "Weapon": 29, "Ring": 22, "Potion": 20, "Armor": 17, "Wand": 13, "Staff": 12,
        "Rod": 6, "Scroll": 1,
    }  # fmt: skip
    assert sum(i.attunement_requirement is not None for i in srd_records.magic_items) == 26
    rarities = Counter(i.rarity for i in srd_records.magic_items)
    assert rarities["rare"] == 80 and rarities["uncommon"] == 70 and rarities["legendary"] == 27
    assert rarities["artifact"] == 1


def test_adamantine_armor(srd_by_name):
    i = srd_by_name["magic_items"]["Adamantine Armor"]
    assert (i.type, i.subtype, i.rarity, i.attunement) == ("Armor", "medium or heavy, but not hide", "uncommon", False)
    assert i.description == (
        "This suit of armor is reinforced with adamantine, one of the hardest substances in existence. "
        "While you're wearing it, any critical hit against you becomes a normal hit."
    )
    assert i.page == 207


def test_variant_rarities(srd_by_name):
    ammo = srd_by_name["magic_items"]["Ammunition, +1, +2, or +3"]
    assert (ammo.type, ammo.subtype) == ("Weapon", "any ammunition")
    assert ammo.rarities == {"+1": "uncommon", "+2": "rare", "+3": "very rare"}
    assert ammo.rarity == "uncommon (+1), rare (+2), or very rare (+3)"
    weapon = srd_by_name["magic_items"]["Weapon, +1, +2, or +3"]
    assert weapon.rarities == {"+1": "uncommon", "+2": "rare", "+3": "very rare"} and weapon.attunement is False
    wand = srd_by_name["magic_items"]["Wand of the War Mage, +1, +2, or +3"]
    assert wand.rarities == {"+1": "uncommon", "+2": "rare", "+3": "very rare"}
    assert (wand.attunement, wand.attunement_requirement) == (True, "by a spellcaster")
    armor = srd_by_name["magic_items"]["Armor, +1, +2, or +3"]
    assert armor.rarities == {"+1": "rare", "+2": "very rare", "+3": "legendary"}


def test_wrapped_name_and_attunement(srd_by_name):
    i = srd_by_name["magic_items"]["Amulet of Proof against Detection and Location"]
    assert (i.type, i.rarity, i.attunement, i.attunement_requirement) == ("Wondrous item", "uncommon", True, None)
    holy = srd_by_name["magic_items"]["Holy Avenger"]
    assert (holy.subtype, holy.rarity, holy.attunement_requirement) == ("any sword", "legendary", "by a paladin")
    withering = srd_by_name["magic_items"]["Staff of Withering"]
    assert withering.attunement_requirement == "by a cleric, druid, or warlock"


def test_unusual_rarity_lines(srd_by_name):
    items = srd_by_name["magic_items"]
    assert items["Crystal Ball"].rarity == "very rare or legendary" and items["Crystal Ball"].attunement
    assert items["Figurine of Wondrous Power"].rarity == "rarity by figurine"
    assert items["Spell Scroll"].rarity == "varies"
    assert items["Potion of Healing"].rarity == "rarity varies"
    assert items["Vorpal Sword"].subtype == "any sword that deals slashing damage"
    assert items["Vorpal Sword"].rarity == "legendary"


def test_tables_and_sub_entries_in_descriptions(srd_by_name):
    healing = srd_by_name["magic_items"]["Potion of Healing"].description.split("\n")
    assert healing[-1] == "Supreme healing Very rare 10d4 + 20"
    figurine = srd_by_name["magic_items"]["Figurine of Wondrous Power"].description.split("\n")
    assert any(p.startswith("Marble Elephant (Rare). This marble statuette") for p in figurine)
    assert sum(p.startswith("\u2022 The goat of") for p in figurine) == 3
    scroll = srd_by_name["magic_items"]["Spell Scroll"].description.split("\n")
    assert "9th Legendary 19 +11" in scroll


def test_every_item_is_consistent(srd_records):
    for i in srd_records.magic_items:
        assert i.description and "Reference Document" not in i.description, i.name
        assert i.type_line.startswith(i.type), i.name
        assert i.attunement == ("requires attunement" in i.type_line), i.name
