"""An independent audit of the SRD records against the PDF pages, read by hand.

Each test names a record and the value the SRD prints for it (page numbers are the PDF's,
1-based). They were written from the page text and images, not from the parser's output.
"""

from __future__ import annotations


def test_plate_description_stops_before_the_next_section(srd_by_name):
    # p.64: the Plate paragraph ends "...distribute the weight over the body." and the next text,
    # "The time it takes to don or doff armor ...", belongs to "Getting Into and Out of Armor"
    plate = srd_by_name["equipment"]["Plate"]
    assert plate.description == (
        "Plate consists of shaped, interlocking metal plates to cover the entire body. A suit of plate "
        "includes gauntlets, heavy leather boots, a visored helmet, and thick layers of padding underneath "
        "the armor. Buckles and straps distribute the weight over the body."
    )


def test_torch_description_stops_before_tools(srd_by_name):
    # p.69: the Torch paragraph is the last of Adventuring Gear; "A tool helps you ..." opens "Tools"
    torch = srd_by_name["equipment"]["Torch"]
    assert torch.description == (
        "A torch burns for 1 hour, providing bright light in a 20-foot radius and dim light for an "
        "additional 20 feet. If you make a melee attack with a burning torch and hit, it deals 1 fire damage."
    )


def test_a_bold_name_inside_a_sentence_does_not_split_the_paragraph(srd_by_name):
    # the NPC and creature lore sets the creature's name in bold mid-sentence
    monsters = srd_by_name["monsters"]
    # p.397
    assert monsters["Bandit Captain"].description.split("\n")[0] == (
        "It takes a strong personality, ruthless cunning, and a silver tongue to keep a gang of bandits in "
        "line. The bandit captain has these qualities in spades."
    )
    assert monsters["Berserker"].description == (
        "Hailing from uncivilized lands, unpredictable berserkers come together in war parties and seek "
        "conflict wherever they can find it."
    )
    # p.401
    assert monsters["Noble"].description.split("\n")[1] == (
        "The noble's statistics can also be used to represent courtiers who aren't of noble birth."
    )
    # p.388
    assert monsters["Reef Shark"].description == (
        "Smaller than giant sharks and hunter sharks, reef sharks inhabit shallow waters and coral reefs, "
        "gathering in small packs to hunt. A full-grown specimen measures 6 to 10 feet long."
    )


def test_a_wrapped_stat_line_in_an_item_stays_one_line(srd_by_name):
    items = srd_by_name["magic_items"]
    # p.208: "Speed: 30 ft., swim 30 ft. (or 0 ft. for both if the legs / and tail aren't extended)"
    assert (
        "Speed: 30 ft., swim 30 ft. (or 0 ft. for both if the legs and tail aren't extended)"
        in items["Apparatus of the Crab"].description.split("\n")
    )
    # p.218, the Avatar of Death inside the Deck of Many Things
    lines = items["Deck of Many Things"].description.split("\n")
    assert "Condition Immunities charmed, frightened, paralyzed, petrified, poisoned, unconscious" in lines
    assert "Senses darkvision 60 ft., truesight 60 ft., passive Perception 13" in lines


def test_an_italic_spell_name_in_a_table_cell_keeps_its_words_in_order(srd_by_name):
    # p.231, Necklace of Prayer Beads: "7–12 | Curing | Cure wounds (2nd level) or lesser restoration"
    rows = srd_by_name["magic_items"]["Necklace of Prayer Beads"].description.split("\n")
    assert "7–12 Curing Cure wounds (2nd level) or lesser restoration" in rows


def test_items_described_under_a_plural_or_group_name_get_that_paragraph(srd_by_name):
    eq = srd_by_name["equipment"]
    # p.63 "Shields. A shield is made from wood or metal ..."
    assert eq["Shield"].description == (
        "A shield is made from wood or metal and is carried in one hand. Wielding a shield increases your "
        "Armor Class by 2. You can benefit from only one shield at a time."
    )
    # p.68 "Rope. Rope, whether made of hemp or silk, ..." and "Tent. A simple and portable canvas shelter ..."
    rope = "Rope, whether made of hemp or silk, has 2 hit points and can be burst with a DC 17 Strength check."
    assert eq["Rope, hempen (50 feet)"].description == rope
    assert eq["Rope, silk (50 feet)"].description == rope
    assert eq["Tent, two-person"].description == "A simple and portable canvas shelter, a tent sleeps two."
    # the table's groups: "Arcane Focus.", "Saddles.", "Musical Instrument."
    assert eq["Orb"].description.startswith("An arcane focus is a special item—an orb, a crystal, a rod,")
    assert eq["Exotic"].description.startswith("A military saddle braces the rider")
    assert eq["Lute"].description.startswith("Several of the most common types of musical instruments")
    # but a weapon property or armor category rule is not an item's description
    assert eq["Arrows (20)"].description is None


def test_saving_throw_and_skill_keys_are_lower_case_like_the_score_fields(srd_by_name):
    # models.Monster documents {"con": 6} and {"perception": 10}
    spy = srd_by_name["monsters"]["Spy"]  # p.402 "Skills Deception +5, Insight +4, ..., Sleight of Hand +4, Stealth +4"
    assert spy.skills == {"deception": 5, "insight": 4, "investigation": 5, "perception": 6, "persuasion": 5,
                          "sleight of hand": 4, "stealth": 4}
    balor = srd_by_name["monsters"]["Balor"]  # p.270 "Saving Throws Str +14, Con +12, Wis +9, Cha +12"
    assert balor.saving_throws == {"str": 14, "con": 12, "wis": 9, "cha": 12}


def test_table_ranges_use_the_en_dash_everywhere(srd_by_name):
    # p.228 Iron Flask prints its d100 ranges with figure dashes (U+2012); every other table uses en dashes
    rows = srd_by_name["magic_items"]["Iron Flask"].description.split("\n")
    assert "1–50 Empty" in rows and "97–99 Succubus/incubus" in rows
    for kind in ("spells", "monsters", "magic_items", "equipment", "conditions"):
        for record in srd_by_name[kind].values():
            assert "\u2012" not in record.model_dump_json(), record.name


def test_rarity_varies_items_give_each_variants_rarity(srd_by_name):
    items = srd_by_name["magic_items"]
    # p.234 Potions of Healing table
    assert items["Potion of Healing"].rarities == {
        "Healing": "common", "Greater healing": "uncommon", "Superior healing": "rare", "Supreme healing": "very rare"
    }
    assert items["Potion of Healing"].rarity == "rarity varies"  # the printed line stays as printed
    # p.211 Belt of Giant Strength table
    assert items["Belt of Giant Strength"].rarities == {
        "Hill giant": "rare", "Stone/frost giant": "very rare", "Fire giant": "very rare",
        "Cloud giant": "legendary", "Storm giant": "legendary",
    }
    # p.242-243 Spell Scroll table
    scroll = items["Spell Scroll"].rarities
    assert (scroll["Cantrip"], scroll["1st"], scroll["2nd"], scroll["9th"], len(scroll)) == (
        "common", "common", "uncommon", "legendary", 10)
    # p.227 "Agility (Very Rare)." ... and p.221 "Silver Raven (Uncommon)."
    assert items["Ioun Stone"].rarities["Greater Absorption"] == "legendary"
    assert len(items["Ioun Stone"].rarities) == 14
    assert items["Figurine of Wondrous Power"].rarities["Silver Raven"] == "uncommon"
    assert items["Figurine of Wondrous Power"].rarities["Obsidian Steed"] == "very rare"


def test_teleport_table_keeps_wrapped_first_cells_and_its_two_line_header(srd_by_name):
    # p.186: the header prints "Similar / Off / On" above "Area / Target / Target", and the first
    # cells "Permanent circle", "Associated object", "False destination" wrap onto a second line
    rows = srd_by_name["spells"]["Teleport"].description.split("\n")
    assert "Familiarity Mishap Similar Area Off Target On Target" in rows
    assert "Permanent circle — — — 01–100" in rows
    assert "Associated object — — — 01–100" in rows
    assert "False destination 01–50 51–100 — —" in rows
    assert not {"circle", "object", "destination", "Similar Off On"} & set(rows)


def test_a_paragraph_after_a_bullet_list_is_not_part_of_the_last_bullet(srd_by_name):
    # p.238 Robe of Eyes: the two paragraphs after the bullets are set apart by a paragraph gap
    robe = srd_by_name["magic_items"]["Robe of Eyes"].description.split("\n")
    assert robe[3] == (
        "• You can see invisible creatures and objects, as well as see into the Ethereal Plane, out to a "
        "range of 120 feet."
    )
    assert robe[4].startswith("The eyes on the robe can't be closed or averted.")
    assert robe[5].startswith("A light spell cast on the robe or a daylight spell")
    # p.126 Commune with Nature: "• buildings" ends the list, "For example, ..." is its own paragraph
    commune = srd_by_name["spells"]["Commune with Nature"].description.split("\n")
    assert "• buildings" in commune
    # p.160 Magic Circle and p.171-172 Private Sanctum: the same after their bullets
    assert any(p.startswith("When you cast this spell, you can elect to cause its magic to operate in the reverse")
               for p in srd_by_name["spells"]["Magic Circle"].description.split("\n"))
    assert any(p.startswith("Casting this spell on the same spot every day for a year")
               for p in srd_by_name["spells"]["Private Sanctum"].description.split("\n"))


def test_variant_sidebars_go_to_the_creature_they_vary(srd_by_name):
    monsters = srd_by_name["monsters"]
    # p.378, beside the Giant Rat
    rat = monsters["Giant Rat"].description.split("\n")
    assert rat[0] == "Variant: Diseased Giant Rats"
    assert rat[2].startswith("Bite. Melee Weapon Attack: +4 to hit, reach 5 ft., one target. Hit: 4 (1d4 + 2)")
    # p.391, printed after the Swarm of Ravens but about the Swarm of Insects
    insects = monsters["Swarm of Insects"].description.split("\n")
    assert insects[0] == "Variant: Insect Swarms"
    assert "Swarm of Beetles. A swarm of beetles gains a burrowing speed of 5 feet." in insects
    assert monsters["Swarm of Ravens"].description is None


_KINDS = ("spells", "monsters", "magic_items", "equipment", "conditions")
_NO_ACTIONS = {"Shrieker", "Frog", "Sea Horse"}  # pp.309, 372, 389: traits (and a reaction) only


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_no_record_text_carries_pdf_debris(srd_records):
    debris = ("System Reference Document", "\xad", "\u2010", "\u2011", "\u2012", "\u2212", "\t", "\xa0", "  ",
              "\ufb01", "\ufb02", " \n", "\n ", "\n\n")
    found = []
    for kind in _KINDS:
        for record in getattr(srd_records, kind):
            for text in _strings(record.model_dump()):
                found += [(kind, record.name, d) for d in debris if d in text]
                if text != text.strip():
                    found.append((kind, record.name, "untrimmed"))
    assert not found, found[:10]


def test_whole_corpus_invariants(srd_records):
    assert [len(getattr(srd_records, k)) for k in _KINDS] == [319, 317, 240, 220, 15]
    assert {m.name for m in srd_records.monsters if not m.actions} == _NO_ACTIONS
    for s in srd_records.spells:
        assert s.classes and s.classes == sorted(set(s.classes)), s.name
        assert ("M" in s.components) == (s.material is not None), s.name
        assert s.concentration == s.duration.startswith("Concentration"), s.name
    for m in srd_records.monsters:
        assert bool(m.legendary_actions) == (m.legendary_description is not None), m.name
        assert f"passive Perception {m.passive_perception}" in m.senses, m.name
        assert all(k == k.lower() for k in (*m.saving_throws, *m.skills)), m.name
    for i in srd_records.magic_items:
        assert i.attunement == ("requires attunement" in i.type_line), i.name
        if "varies" in i.rarity or "," in i.rarity:
            assert i.rarities, i.name
