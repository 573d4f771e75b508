"""Spells parsed from the SRD PDF, checked field by field against the PDF's own text."""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz

# Bookmarks the SRD lacks for some spells (the headings are there, the bookmarks are not)
UNBOOKMARKED_SPELLS = {"Antipathy/Sympathy", "Divination", "Forbiddance", "Globe of Invulnerability", "Knock", "Levitate"}


def test_spell_count_is_every_casting_time_block(srd_records, srd_plain):
    # independent count: "Casting Time:" lines in the Spell Descriptions pages (114-194)
    text = "\n".join(srd_plain[p] for p in range(114, 195))
    assert len(re.findall(r"^Casting Time:", text, re.M)) == 319
    assert len(srd_records.spells) == 319


def test_every_spell_bookmark_is_a_parsed_spell(srd_records, bookmarks_under):
    marks = bookmarks_under("Spell Descriptions", 4)
    names = [s.name for s in srd_records.spells]
    assert len(marks) == 313
    # bookmarks carry typos ("Magic Missle", "Wall of Forct"): each still names exactly one spell
    matched = set()
    for mark in marks:
        best = max(names, key=lambda n: fuzz.ratio(mark, n))
        assert fuzz.ratio(mark, best) >= 85, mark
        matched.add(best)
    assert len(matched) == 313
    assert set(names) - matched == UNBOOKMARKED_SPELLS


def test_spell_levels_distribution(srd_records):
    assert Counter(s.level for s in srd_records.spells) == {
        0: 24, 1: 49, 2: 54, 3: 42, 4: 31, 5: 37, 6: 31, 7: 20, 8: 16, 9: 15
    }


def test_names_are_unique_and_in_book_order(srd_records):
    names = [s.name for s in srd_records.spells]
    assert len(set(names)) == len(names)
    assert names[0] == "Acid Arrow" and names[-1] == "Zone of Truth"
    assert [n[0] for n in names] == sorted(n[0] for n in names)  # alphabetical by first letter


def test_acid_arrow_every_field(srd_by_name):
    s = srd_by_name["spells"]["Acid Arrow"]
    assert s.level == 2
    assert s.school == "evocation"
    assert s.casting_time == "1 action"
    assert s.range == "90 feet"
    assert s.components == ["V", "S", "M"]
    assert s.material == "powdered rhubarb leaf and an adder's stomach"
    assert s.duration == "Instantaneous"
    assert s.concentration is False and s.ritual is False
    assert s.description == (
        "A shimmering green arrow streaks toward a target within range and bursts in a spray of acid. "
        "Make a ranged spell attack against the target. On a hit, the target takes 4d4 acid damage "
        "immediately and 2d4 acid damage at the end of its next turn. On a miss, the arrow splashes the "
        "target with acid for half as much of the initial damage and no damage at the end of its next turn."
    )
    assert s.higher_levels == (
        "When you cast this spell using a spell slot of 3rd level or higher, the damage (both initial and "
        "later) increases by 1d4 for each slot level above 2nd."
    )
    assert s.classes == ["wizard"]
    assert s.page == 114


def test_aid_higher_levels_continues_in_the_next_column(srd_by_name):
    s = srd_by_name["spells"]["Aid"]
    assert (s.level, s.school, s.range, s.duration) == (2, "abjuration", "30 feet", "8 hours")
    assert s.material == "a tiny strip of white cloth"
    assert s.higher_levels == (
        "When you cast this spell using a spell slot of 3rd level or higher, a target's hit points "
        "increase by an additional 5 for each slot level above 2nd."
    )
    assert s.classes == ["cleric", "paladin"]


def test_alarm_is_a_ritual_with_a_wrapped_material(srd_by_name):
    s = srd_by_name["spells"]["Alarm"]
    assert (s.level, s.school, s.ritual, s.casting_time) == (1, "abjuration", True, "1 minute")
    assert s.material == "a tiny bell and a piece of fine silver wire"
    assert s.description.count("\n") == 2  # three paragraphs
    assert s.description.splitlines()[1].startswith("A mental alarm alerts you with a ping in your mind")


def test_cantrip_school_line(srd_by_name):
    s = srd_by_name["spells"]["Acid Splash"]
    assert (s.level, s.school, s.components, s.material) == (0, "conjuration", ["V", "S"], None)
    assert s.higher_levels is None
    assert s.description.endswith("11th level (3d6), and 17th level (4d6).")


def test_contagion_component_label_typo(srd_by_name):
    # the SRD prints "Component: V, S" for this one spell
    s = srd_by_name["spells"]["Contagion"]
    assert (s.level, s.school, s.range, s.components, s.duration) == (5, "necromancy", "Touch", ["V", "S"], "7 days")


def test_heroes_feast_odd_spacing_in_components(srd_by_name):
    s = srd_by_name["spells"]["Heroes' Feast"]
    assert s.components == ["V", "S", "M"]
    assert s.material == "a gem-encrusted bowl worth at least 1,000 gp, which the spell consumes"
    assert (s.casting_time, s.range) == ("10 minutes", "30 feet")


def test_reaction_casting_time_wraps(srd_by_name):
    s = srd_by_name["spells"]["Counterspell"]
    assert s.casting_time == "1 reaction, which you take when you see a creature within 60 feet of you casting a spell"
    assert (s.range, s.components, s.material) == ("60 feet", ["S"], None)
    assert s.classes == ["sorcerer", "warlock", "wizard"]


def test_concentration_and_classes(srd_by_name):
    s = srd_by_name["spells"]["Alter Self"]
    assert s.duration == "Concentration, up to 1 hour" and s.concentration is True
    cure = srd_by_name["spells"]["Cure Wounds"]
    assert cure.classes == ["bard", "cleric", "druid", "paladin", "ranger"]
    assert srd_by_name["spells"]["Eldritch Blast"].classes == ["warlock"]
    assert srd_by_name["spells"]["Zone of Truth"].classes == ["bard", "cleric", "paladin"]


def test_names_with_slash_and_apostrophe(srd_by_name):
    bd = srd_by_name["spells"]["Blindness/Deafness"]
    assert (bd.level, bd.school, bd.components, bd.duration) == (2, "necromancy", ["V"], "1 minute")
    aura = srd_by_name["spells"]["Arcanist's Magic Aura"]
    assert (aura.level, aura.school, aura.material, aura.duration) == (2, "illusion", "a small square of silk", "24 hours")


def test_wish_bullets_keep_their_wrapped_lines(srd_by_name):
    s = srd_by_name["spells"]["Wish"]
    bullets = [p for p in s.description.split("\n") if p.startswith("\u2022")]
    assert len(bullets) == 5
    assert bullets[0] == (
        "\u2022 You create one object of up to 25,000 gp in value that isn't a magic item. The object can be "
        "no more than 300 feet in any dimension, and it appears in an unoccupied space you can see on the ground."
    )
    assert s.description.split("\n")[-1].startswith("The stress of casting this spell")


def test_prismatic_spray_numbered_rays_are_paragraphs(srd_by_name):
    s = srd_by_name["spells"]["Prismatic Spray"]
    rays = [p for p in s.description.split("\n") if re.match(r"^\d\. ", p)]
    assert [r.split(".")[1].strip() for r in rays] == [
        "Red", "Orange", "Yellow", "Green", "Blue", "Indigo", "Violet", "Special"
    ]
    assert s.range == "Self (60-foot cone)"


def test_fireball(srd_by_name):
    s = srd_by_name["spells"]["Fireball"]
    assert (s.level, s.school, s.range, s.material) == (3, "evocation", "150 feet", "a tiny ball of bat guano and sulfur")
    assert "8d6 fire damage" in s.description
    assert s.higher_levels.endswith("the damage increases by 1d6 for each slot level above 3rd.")
    assert s.page == 144


def test_every_spell_is_consistent(srd_records):
    for s in srd_records.spells:
        assert s.description and not s.description.startswith(" ")
        assert ("M" in s.components) == (s.material is not None), s.name
        assert s.concentration == s.duration.startswith("Concentration"), s.name
        assert s.classes, s.name
        assert "  " not in s.description, s.name
        assert "Reference Document" not in s.description, s.name
        assert "\u2010" not in s.description and "\xad" not in s.description, s.name


def test_class_lists_match_the_spell_lists_chapter(srd_records, srd_plain):
    # independent count: spell-name lines under each "<Class> Spells" heading of pages 105-113
    text = "\n".join(srd_plain[p] for p in range(105, 114))
    expected: Counter[str] = Counter()
    cls = None
    for line in text.split("\n"):
        line = line.strip()
        m = re.match(r"^(\w+) Spells$", line)
        if m:
            cls = m.group(1).lower()
        elif cls and line and not re.match(r"^(Cantrips \(0 Level\)|\d+(st|nd|rd|th) Level|\d+|System Reference Document 5\.1|Spell Descriptions)$", line):
            expected[cls] += 1
    got = Counter(c for s in srd_records.spells for c in s.classes)
    assert got == expected
    assert got["wizard"] == 204 and got["paladin"] == 31


def test_levels_agree_with_the_spell_lists_chapter(srd_by_name, srd_plain):
    # the Spell Lists chapter groups names under "Cantrips (0 Level)" / "Nth Level": an independent level
    text = "\n".join("\n".join(srd_plain[p].split("\n")[2:]) for p in range(105, 114))
    level = None
    checked = 0
    for line in (l.strip() for l in text.split("\n")):
        if line == "Cantrips (0 Level)":
            level = 0
        elif m := re.fullmatch(r"(\d)(?:st|nd|rd|th) Level", line):
            level = int(m.group(1))
        elif re.fullmatch(r"\w+ Spells|Spell Lists|Spell Descriptions|", line):
            continue
        elif level is not None and line in srd_by_name["spells"]:
            assert srd_by_name["spells"][line].level == level, line
            checked += 1
    assert checked > 600  # every (class, spell) line of the chapter
