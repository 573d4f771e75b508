"""Monster stat blocks parsed from the SRD PDF, checked field by field against the PDF's text."""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz

MONSTER_PAGES = list(range(261, 359)) + list(range(366, 404))
# stat blocks with no bookmark of their own (or under a misspelt one, matched loosely below)
UNBOOKMARKED = {"Behir", "Axe Beak", "Commoner", "Giant Elk", "Giant Goat", "Giant Lizard", "Giant Poisonous Snake",
                "Merrow", "Minotaur Skeleton"}  # fmt: skip


def test_monster_count_is_every_challenge_line(srd_records, srd_plain):
    # independent count: "Challenge X (N XP)" lines in the monster pages of the plain text
    text = "\n".join(srd_plain[p] for p in MONSTER_PAGES)
    assert len(re.findall(r"^Challenge [\d/]+ \([\d,]+ XP\)$", text, re.M)) == 317
    assert len(srd_records.monsters) == 317
    assert Counter(m.section for m in srd_records.monsters) == {
        "Monsters": 201,
        "Appendix MM-A: Miscellaneous Creatures": 95,
        "Appendix MM-B: Nonplayer Characters": 21,
    }


def test_each_challenge_line_belongs_to_a_parsed_monster(srd_records, srd_plain):
    text = "\n".join(srd_plain[p] for p in MONSTER_PAGES)
    printed = Counter(re.findall(r"^Challenge [\d/]+ \([\d,]+ XP\)$", text, re.M))
    parsed = Counter(f"Challenge {m.challenge_rating} ({m.xp:,} XP)" for m in srd_records.monsters)
    assert parsed == printed


def test_leaf_bookmarks_are_parsed_monsters(srd_records, bookmarks_under):
    names = {m.name for m in srd_records.monsters}
    leaves = bookmarks_under("Appendix MM-B: Nonplayer Characters", 3)
    assert set(leaves) <= names and len(leaves) == 20  # Commoner has no bookmark
    creatures = bookmarks_under("Appendix MM-A: Miscellaneous Creatures", 3)
    for mark in creatures:  # "Giant Crap" is the bookmark of the Giant Crab
        assert max(fuzz.ratio(mark, n) for n in names) >= 85, mark
    assert UNBOOKMARKED <= names


def test_aboleth_every_field(srd_by_name):
    m = srd_by_name["monsters"]["Aboleth"]
    assert (m.size, m.type, m.subtype, m.alignment) == ("Large", "aberration", None, "lawful evil")
    assert (m.armor_class, m.armor_class_source) == (17, "natural armor")
    assert (m.hit_points, m.hit_dice) == (135, "18d10 + 36")
    assert m.speed == {"walk": 10, "swim": 40} and m.speed_text == "10 ft., swim 40 ft."
    assert (m.str, m.dex, m.con, m.int, m.wis, m.cha) == (21, 9, 15, 18, 15, 18)
    assert m.saving_throws == {"con": 6, "int": 8, "wis": 6}
    assert m.skills == {"history": 12, "perception": 10}
    assert m.senses == "darkvision 120 ft., passive Perception 20" and m.passive_perception == 20
    assert m.languages == "Deep Speech, telepathy 120 ft."
    assert (m.challenge_rating, m.xp) == ("10", 5900)
    assert [t.name for t in m.traits] == ["Amphibious", "Mucous Cloud", "Probing Telepathy"]
    assert [a.name for a in m.actions] == ["Multiattack", "Tentacle", "Tail", "Enslave (3/Day)"]
    assert [a.name for a in m.legendary_actions] == ["Detect", "Tail Swipe", "Psychic Drain (Costs 2 Actions)"]
    assert m.legendary_description.startswith("The aboleth can take 3 legendary actions")
    # the Tail attack starts the right-hand column; the Enslave action has a second paragraph
    assert m.actions[2].description == (
        "Melee Weapon Attack: +9 to hit, reach 10 ft. one target. Hit: 15 (3d6 + 5) bludgeoning damage."
    )
    assert m.actions[3].description.split("\n")[1].startswith("Whenever the charmed target takes damage")
    assert m.legendary_actions[2].description == (
        "One creature charmed by the aboleth takes 10 (3d6) psychic damage, and the aboleth regains hit "
        "points equal to the damage the creature takes."
    )
    assert (m.reactions, m.group, m.page) == ([], None, 261)


def test_deva_in_the_angels_family(srd_by_name):
    m = srd_by_name["monsters"]["Deva"]
    assert (m.size, m.type, m.alignment, m.group) == ("Medium", "celestial", "lawful good", "Angels")
    assert (m.hit_points, m.hit_dice, m.speed) == (136, "16d8 + 64", {"walk": 30, "fly": 90})
    assert (m.str, m.dex, m.con, m.int, m.wis, m.cha) == (18, 18, 18, 17, 20, 20)
    assert m.saving_throws == {"wis": 9, "cha": 9} and m.skills == {"insight": 9, "perception": 9}
    assert m.damage_resistances == "radiant; bludgeoning, piercing, and slashing from nonmagical attacks"
    assert m.condition_immunities == "charmed, exhaustion, frightened"


def test_ancient_red_dragon_legendary(srd_by_name):
    m = srd_by_name["monsters"]["Ancient Red Dragon"]
    assert (m.size, m.type, m.alignment, m.group) == ("Gargantuan", "dragon", "chaotic evil", "Dragons, Chromatic")
    assert (m.armor_class, m.hit_points, m.hit_dice) == (22, 546, "28d20 + 252")
    assert m.speed == {"walk": 40, "climb": 40, "fly": 80}
    assert (m.str, m.dex, m.con, m.int, m.wis, m.cha) == (30, 10, 29, 18, 15, 23)
    assert m.saving_throws == {"dex": 7, "con": 16, "wis": 9, "cha": 13}
    assert m.skills == {"perception": 16, "stealth": 7}
    assert m.damage_immunities == "fire"
    assert m.senses == "blindsight 60 ft., darkvision 120 ft., passive Perception 26"
    assert (m.challenge_rating, m.xp) == ("24", 62000)
    assert m.actions[1].description == (
        "Melee Weapon Attack: +17 to hit, reach 15 ft., one target. Hit: 21 (2d10 + 10) piercing damage "
        "plus 14 (4d6) fire damage."
    )
    assert [a.name for a in m.legendary_actions] == ["Detect", "Tail Attack", "Wing Attack (Costs 2 Actions)"]


def test_metallic_dragon_breath_options_stay_inside_the_action(srd_by_name):
    m = srd_by_name["monsters"]["Ancient Brass Dragon"]
    breath = next(a for a in m.actions if a.name == "Breath Weapons (Recharge 5–6)")
    paras = breath.description.split("\n")
    assert paras[0] == "The dragon uses one of the following breath weapons:"
    assert paras[1].startswith("Fire Breath. The dragon exhales fire in an 90-foot line that is 10 feet wide.")
    assert paras[2].startswith("Sleep Breath.") and paras[2].endswith("someone uses an action to wake it.")
    assert "Fire Breath" not in [a.name for a in m.actions]


def test_lycanthrope_armor_class_per_form(srd_by_name):
    m = srd_by_name["monsters"]["Werewolf"]
    assert m.armor_class == 11
    assert m.armor_class_text == "11 in humanoid form, 12 (natural armor) in wolf or hybrid form"
    assert m.speed == {"walk": 30} and m.speed_text == "30 ft. (40 ft. in wolf form)"
    assert (m.subtype, m.group) == ("human, shapechanger", "Lycanthropes")
    assert m.damage_immunities == (
        "bludgeoning, piercing, and slashing from nonmagical attacks not made with silvered weapons"
    )
    assert [a.name for a in m.actions][0] == "Multiattack (Humanoid or Hybrid Form Only)"


def test_wereboar_senses_set_on_the_damage_immunities_line(srd_by_name):
    m = srd_by_name["monsters"]["Wereboar"]
    assert m.damage_immunities == (
        "bludgeoning, piercing, and slashing from nonmagical attacks not made with silvered weapons"
    )
    assert m.senses == "passive Perception 12"
    assert m.armor_class_text == "10 in humanoid form, 11 (natural armor) in boar or hybrid form"


def test_swarm_label_without_space_and_cr_fraction(srd_by_name):
    m = srd_by_name["monsters"]["Swarm of Bats"]
    assert (m.size, m.type) == ("Medium", "swarm of Tiny beasts")
    assert m.damage_resistances == "bludgeoning, piercing, slashing"
    assert m.speed == {"walk": 0, "fly": 30}
    assert (m.challenge_rating, m.xp) == ("1/4", 50)


def test_frog_has_no_actions_and_zero_xp(srd_by_name):
    m = srd_by_name["monsters"]["Frog"]
    assert (m.size, m.type, m.hit_points, m.hit_dice) == ("Tiny", "beast", 1, "1d4 - 1")
    assert (m.str, m.dex, m.con, m.int, m.wis, m.cha) == (1, 13, 8, 1, 8, 3)
    assert (m.challenge_rating, m.xp, m.actions) == ("0", 0, [])
    assert [t.name for t in m.traits] == ["Amphibious", "Standing Leap"]
    assert m.description == (
        "A frog has no effective attacks. It feeds on small insects and typically dwells near water, in "
        "trees, or underground. The frog's statistics can also be used to represent a toad."
    )


def test_giant_crab_under_a_misspelt_bookmark(srd_by_name):
    m = srd_by_name["monsters"]["Giant Crab"]
    assert (m.armor_class, m.armor_class_source, m.hit_points, m.hit_dice) == (15, "natural armor", 13, "3d8")
    assert (m.challenge_rating, m.xp, m.skills) == ("1/8", 25, {"stealth": 4})
    assert m.actions[0].description.endswith("The crab has two claws, each of which can grapple only one target.")


def test_npc_bandit_wrapped_alignment(srd_by_name):
    m = srd_by_name["monsters"]["Bandit"]
    assert (m.size, m.type, m.subtype, m.alignment) == ("Medium", "humanoid", "any race", "any non-lawful alignment")
    assert m.section == "Appendix MM-B: Nonplayer Characters" and m.group is None


def test_archmage_spell_list_lines(srd_by_name):
    m = srd_by_name["monsters"]["Archmage"]
    assert m.armor_class_text == "12 (15 with mage armor)" and m.armor_class_source == "15 with mage armor"
    # printed "Damage Resistance" (singular) in this block only
    assert m.damage_resistances == (
        "damage from spells; nonmagical bludgeoning, piercing, and slashing (from stoneskin)"
    )
    spellcasting = next(t for t in m.traits if t.name == "Spellcasting").description.split("\n")
    assert spellcasting[1] == "Cantrips (at will): fire bolt, light, mage hand, prestidigitation, shocking grasp"
    assert spellcasting[2] == "1st level (4 slots): detect magic, identify, mage armor,* magic missile"
    assert spellcasting[-1] == "*The archmage casts these spells on itself before combat."
    assert (m.challenge_rating, m.xp) == ("12", 8400)


def test_shadow_skill_with_a_note(srd_by_name):
    m = srd_by_name["monsters"]["Shadow"]
    assert m.skills == {"stealth": 4}


def test_veteran_last_npc_and_wrapped_hit(srd_by_name):
    m = srd_by_name["monsters"]["Veteran"]
    assert (m.armor_class, m.armor_class_source, m.hit_points) == (17, "splint", 58)
    assert m.languages == "any one language (usually Common)"
    assert m.actions[1].description == (
        "Melee Weapon Attack: +5 to hit, reach 5 ft., one target. Hit: 7 (1d8 + 3) slashing damage, or 8 "
        "(1d10 + 3) slashing damage if used with two hands."
    )


def test_tarrasque(srd_by_name):
    m = srd_by_name["monsters"]["Tarrasque"]
    assert (m.subtype, m.armor_class, m.hit_points, m.hit_dice) == ("titan", 25, 676, "33d20 + 330")
    assert (m.challenge_rating, m.xp) == ("30", 155000)
    assert m.condition_immunities == "charmed, frightened, paralyzed, poisoned"
    assert m.saving_throws == {"int": 5, "wis": 9, "cha": 9}


def test_half_red_dragon_veteran_wrapped_senses(srd_by_name):
    m = srd_by_name["monsters"]["Half-Red Dragon Veteran"]
    assert m.senses == "blindsight 10 ft., darkvision 60 ft., passive Perception 12"
    assert (m.armor_class_source, m.challenge_rating, m.xp) == ("plate", "5", 1800)


def test_every_stat_block_is_consistent(srd_records):
    xp_by_cr = {}
    for m in srd_records.monsters:
        assert m.traits or m.actions, m.name
        assert m.passive_perception >= 1
        xp_by_cr.setdefault(m.challenge_rating, set()).add(m.xp)
        for item in (*m.traits, *m.actions, *m.reactions, *m.legendary_actions):
            assert item.name and item.description, (m.name, item.name)
            if "Weapon Attack:" in item.description:
                assert "Hit:" in item.description, (m.name, item.name)
        assert bool(m.legendary_actions) == (m.legendary_description is not None), m.name
    # one XP value per challenge rating, except CR 0 (0 or 10 XP)
    assert all(len(v) == 1 for k, v in xp_by_cr.items() if k != "0")
    assert xp_by_cr["0"] == {0, 10}


XP_BY_CR = {
    "1/8": 25, "1/4": 50, "1/2": 100, "1": 200, "2": 450, "3": 700, "4": 1100, "5": 1800, "6": 2300, "7": 2900,
    "8": 3900, "9": 5000, "10": 5900, "11": 7200, "12": 8400, "13": 10000, "14": 11500, "15": 13000, "16": 15000,
    "17": 18000, "18": 20000, "19": 22000, "20": 25000, "21": 33000, "22": 41000, "23": 50000, "24": 62000,
    "30": 155000,
}  # fmt: skip  (the SRD's "Experience Points by Challenge Rating" table)


def test_hit_points_are_the_average_of_the_hit_dice(srd_records):
    # independent arithmetic check of three parsed fields: HP = avg(XdY) + Z and Z = X * Con modifier
    for m in srd_records.monsters:
        found = re.fullmatch(r"(\d+)d(\d+)(?: ([+-]) (\d+))?", m.hit_dice)
        assert found, (m.name, m.hit_dice)
        count, die = int(found.group(1)), int(found.group(2))
        bonus = int(found.group(4) or 0) * (-1 if found.group(3) == "-" else 1)
        assert m.hit_points == count * (die + 1) // 2 + bonus, m.name
        assert bonus == count * ((m.con - 10) // 2), m.name


def test_xp_follows_the_challenge_rating_table(srd_records):
    for m in srd_records.monsters:
        if m.challenge_rating == "0":
            assert m.xp in (0, 10), m.name
        else:
            assert m.xp == XP_BY_CR[m.challenge_rating], m.name
