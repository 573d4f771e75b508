"""The SRD 5.1 subclass of each class: its features by class level, and the numbers they change.

The SRD holds one subclass per class (Berserker, Lore, Life, Land, Champion, Open Hand, Devotion,
Hunter, Thief, Draconic Bloodline, Fiend, Evocation). Each feature is data (`SubclassFeature`: name,
class level, a one-line summary for the DM); where a feature changes a number, a pure function below
computes it, and the engine calls it (healing spells, speed, AC, hit points, damage riders).
Subclass spell lists are in `game.subclass_spells`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from game.errors import RulesError
from game.subclass_rules import (  # noqa: F401 - re-exported
    bonus_known,
    survivor_regain,
    remarkable_athlete_bonus,
    aura_of_devotion_range,
    blessed_healer,
    character_spell_healing,
    check_natural_recovery,
    colossus_slayer_dice,
    cutting_words,
    dark_ones_blessing,
    DARK_ONES_OWN_LUCK_DIE,
    disciple_of_life_bonus,
    divine_strike_dice,
    draconic_armor_class,
    draconic_resilience_hp,
    DRAGON_ANCESTRY,
    dragon_wings_fly_speed,
    elemental_affinity_bonus,
    empowered_evocation_bonus,
    frenzy_exhaustion,
    HOLY_NIMBUS_DAMAGE,
    HURL_THROUGH_HELL_DAMAGE,
    intimidating_presence_dc,
    MULTIATTACK_DEFENSE_BONUS,
    natural_recovery_budget,
    overchannel_damage,
    potent_cantrip_damage,
    preserve_life,
    preserve_life_pool,
    QUIVERING_PALM_DAMAGE,
    sacred_weapon_bonus,
    sculpt_spells_count,
    sculpted_damage,
    second_story_jump_bonus,
    spell_healing,
    supreme_healing,
    supreme_sneak_advantage,
    tranquility_dc,
    wholeness_of_body,
)

__all__ = [
    "bonus_known",
    "survivor_regain",
    "remarkable_athlete_bonus",
    "dragon_wings_fly_speed",
    "second_story_jump_bonus",
    "aura_of_devotion_range",
    "MULTIATTACK_DEFENSE_BONUS",
    "DARK_ONES_OWN_LUCK_DIE",
    "HOLY_NIMBUS_DAMAGE",
    "HURL_THROUGH_HELL_DAMAGE",
    "QUIVERING_PALM_DAMAGE",
    "tranquility_dc",
    "cutting_words",
    "intimidating_presence_dc",
    "DRAGON_ANCESTRY",
    "HUNTER_CHOICES",
    "SUBCLASSES",
    "Subclass",
    "SubclassFeature",
    "blessed_healer",
    "character_spell_healing",
    "colossus_slayer_dice",
    "dark_ones_blessing",
    "disciple_of_life_bonus",
    "divine_strike_dice",
    "draconic_armor_class",
    "draconic_resilience_hp",
    "elemental_affinity_bonus",
    "empowered_evocation_bonus",
    "frenzy_exhaustion",
    "get_subclass",
    "natural_recovery_budget",
    "check_choices",
    "check_natural_recovery",
    "overchannel_damage",
    "potent_cantrip_damage",
    "preserve_life",
    "preserve_life_pool",
    "resolve_subclass",
    "sacred_weapon_bonus",
    "sculpt_spells_count",
    "sculpted_damage",
    "spell_healing",
    "srd_subclass",
    "subclass_features",
    "subclass_options",
    "supreme_healing",
    "supreme_sneak_advantage",
    "wholeness_of_body",
]


@dataclass(frozen=True, slots=True)
class SubclassFeature:
    name: str
    level: int  # class level that grants it
    summary: str


@dataclass(frozen=True, slots=True)
class Subclass:
    name: str
    class_name: str  # the class key ("barbarian")
    features: tuple[SubclassFeature, ...]

    @property
    def level(self) -> int:
        """The class level at which the subclass is chosen."""
        return min(f.level for f in self.features)

    def features_at(self, class_level: int) -> tuple[str, ...]:
        """Feature names gained by `class_level`, in order."""
        return tuple(f.name for f in self.features if f.level <= class_level)


def _sub(name: str, class_name: str, *rows: tuple[int, str, str]) -> Subclass:
    return Subclass(name, class_name, tuple(SubclassFeature(n, lvl, s) for lvl, n, s in rows))


SUBCLASSES: Final[dict[str, Subclass]] = {
    s.class_name: s
    for s in (
        _sub("Path of the Berserker", "barbarian",
             (3, "Frenzy", "While raging, one melee weapon attack as a bonus action each turn; 1 exhaustion when it ends."),
             (6, "Mindless Rage", "Can't be charmed or frightened while raging."),
             (10, "Intimidating Presence", "Action: frighten a creature (Wis save, DC 8 + prof + Cha)."),
             (14, "Retaliation", "Reaction: melee attack a creature within 5 feet that damaged you.")),
        _sub("College of Lore", "bard",
             (3, "Bonus Proficiencies", "Three skills of your choice."),
             (3, "Cutting Words", "Reaction: subtract a Bardic Inspiration die from a creature's roll."),
             (6, "Additional Magical Secrets", "Two spells from any class."),
             (14, "Peerless Skill", "Add a Bardic Inspiration die to your own ability check.")),
        _sub("Life Domain", "cleric",
             (1, "Bonus Proficiency", "Heavy armor."),
             (1, "Disciple of Life", "Healing spells of 1st level+ heal 2 + spell level more."),
             (2, "Channel Divinity: Preserve Life", "Split 5 x cleric level HP, each to at most half its maximum."),
             (6, "Blessed Healer", "Healing another with a 1st+ spell heals you 2 + spell level."),
             (8, "Divine Strike", "Once a turn, +1d8 radiant on a weapon hit (2d8 at 14th)."),
             (17, "Supreme Healing", "Healing dice of spells count as their maximum.")),
        _sub("Circle of the Land", "druid",
             (2, "Bonus Cantrip", "One more druid cantrip."),
             (2, "Natural Recovery", "Short rest: recover slots totalling half druid level (rounded up), none 6th+."),
             (3, "Circle Spells", "Always-prepared spells of your land."),
             (6, "Land's Stride", "Nonmagical difficult terrain and plants don't slow or hurt you."),
             (10, "Nature's Ward", "Immune to poison and disease; not charmed or frightened by elementals or fey."),
             (14, "Nature's Sanctuary", "Beasts and plants must pass a Wis save to attack you.")),
        _sub("Champion", "fighter",
             (3, "Improved Critical", "Critical hit on 19-20."),
             (7, "Remarkable Athlete", "Half proficiency to Str/Dex/Con checks without it; longer running jump."),
             (10, "Additional Fighting Style", "A second Fighting Style."),
             (15, "Superior Critical", "Critical hit on 18-20."),
             (18, "Survivor", "Regain 5 + Con mod HP each turn while at or below half HP (and above 0).")),
        _sub("Way of the Open Hand", "monk",
             (3, "Open Hand Technique", "Flurry of Blows hits: prone (Dex save), push 15 ft (Str save) or no reactions."),
             (6, "Wholeness of Body", "Action: regain 3 x monk level HP, once per long rest."),
             (11, "Tranquility", "Sanctuary after a long rest (DC 8 + Wis + prof)."),
             (17, "Quivering Palm", "3 ki: later, Con save or drop to 0 HP; 10d10 necrotic on a success.")),
        _sub("Oath of Devotion", "paladin",
             (3, "Oath Spells", "Always-prepared oath spells."),
             (3, "Channel Divinity: Sacred Weapon", "+Cha (min +1) to attacks with one weapon for 1 minute."),
             (3, "Channel Divinity: Turn the Unholy", "Fiends and undead within 30 ft: Wis save or turned."),
             (7, "Aura of Devotion", "You and allies within 10 ft (30 at 18th) can't be charmed."),
             (15, "Purity of Spirit", "Always under protection from evil and good."),
             (20, "Holy Nimbus", "Sunlight aura: enemies take 10 radiant each turn, once per long rest.")),
        _sub("Hunter", "ranger",
             (3, "Hunter's Prey", "Colossus Slayer, Giant Killer or Horde Breaker."),
             (7, "Defensive Tactics", "Escape the Horde, Multiattack Defense or Steel Will."),
             (11, "Multiattack", "Volley or Whirlwind Attack."),
             (15, "Superior Hunter's Defense", "Evasion, Stand Against the Tide or Uncanny Dodge.")),
        _sub("Thief", "rogue",
             (3, "Fast Hands", "Cunning Action: Sleight of Hand, thieves' tools or Use an Object."),
             (3, "Second-Story Work", "Climbing costs no extra movement; running jump + Dex mod feet."),
             (9, "Supreme Sneak", "Advantage on Stealth if you move no more than half your speed."),
             (13, "Use Magic Device", "Ignore class, race and level requirements of magic items."),
             (17, "Thief's Reflexes", "Two turns in the first round (the second at initiative - 10).")),
        _sub("Draconic Bloodline", "sorcerer",
             (1, "Dragon Ancestor", "Choose a dragon; speak Draconic; double proficiency on Cha checks with dragons."),
             (1, "Draconic Resilience", "+1 HP per sorcerer level; unarmored AC 13 + Dex."),
             (6, "Elemental Affinity", "+Cha mod to one damage roll of your ancestry's type."),
             (14, "Dragon Wings", "A flying speed equal to your speed."),
             (18, "Draconic Presence", "5 sorcery points: 60-ft aura of awe or fear.")),
        _sub("The Fiend", "warlock",
             (1, "Expanded Spell List", "Fiend spells added to the warlock list."),
             (1, "Dark One's Blessing", "Reduce a hostile creature to 0 HP: temp HP = Cha mod + warlock level."),
             (6, "Dark One's Own Luck", "Add a d10 to an ability check or save, once per rest."),
             (10, "Fiendish Resilience", "Resistance to one chosen damage type."),
             (14, "Hurl Through Hell", "A hit target takes 10d10 psychic (not fiends), once per long rest.")),
        _sub("School of Evocation", "wizard",
             (2, "Evocation Savant", "Copying evocation spells costs half."),
             (2, "Sculpt Spells", "1 + spell level chosen creatures succeed and take no damage from your evocation."),
             (6, "Potent Cantrip", "A creature that saves against your cantrip still takes half damage."),
             (10, "Empowered Evocation", "+Int mod to one damage roll of a wizard evocation spell."),
             (14, "Overchannel", "Maximum damage for a 1st-5th wizard spell; necrotic backlash after the first use.")),
    )
}

HUNTER_CHOICES: Final[dict[int, tuple[str, ...]]] = {
    3: ("colossus slayer", "giant killer", "horde breaker"),
    7: ("escape the horde", "multiattack defense", "steel will"),
    11: ("volley", "whirlwind attack"),
    15: ("evasion", "stand against the tide", "uncanny dodge"),
}


# --- lookup ---------------------------------------------------------------------------------------


def srd_subclass(class_name: str) -> Subclass:
    """The SRD's subclass of a class (the only option, so the default)."""
    sub = SUBCLASSES.get(class_name.strip().lower())
    if sub is None:
        raise RulesError(f"{class_name!r} is not a class.")
    return sub


def subclass_options(class_name: str, class_level: int) -> tuple[str, ...]:
    """The subclasses to offer when a class reaches `class_level`: the SRD's one at its subclass level, else ()."""
    sub = srd_subclass(class_name)
    return (sub.name,) if class_level == sub.level else ()


def get_subclass(class_name: str, name: str) -> Subclass:
    """The subclass of that name for the class (case-insensitive; "Berserker" finds "Path of the Berserker").

    Raises:
        RulesError: not the class's SRD subclass, naming the one it has.
    """
    sub = srd_subclass(class_name)
    wanted = " ".join(name.lower().split())
    if wanted and (wanted == sub.name.lower() or wanted in sub.name.lower().split(" of the ")
                   or sub.name.lower().endswith(wanted)):
        return sub
    raise RulesError(f"{name!r} is not a {class_name.title()} subclass here; the SRD offers {sub.name}.")


def resolve_subclass(class_name: str, class_level: int, chosen: str | None) -> str | None:
    """The subclass to record at a class level: None before the subclass level, else the chosen one
    (checked) or the SRD default."""
    sub = srd_subclass(class_name)
    if class_level < sub.level:
        if chosen:
            raise RulesError(f"A {class_name.title()} chooses a subclass at level {sub.level}, not {class_level}.")
        return None
    return get_subclass(class_name, chosen).name if chosen else sub.name


def subclass_features(class_name: str, subclass: str | None, class_level: int) -> tuple[str, ...]:
    """Feature names of the subclass gained by `class_level` (() without a subclass)."""
    if not subclass:
        return ()
    return get_subclass(class_name, subclass).features_at(class_level)


_HUNTER_KEYS: Final[dict[str, int]] = {
    "hunter's prey": 3, "defensive tactics": 7, "multiattack": 11, "superior hunter's defense": 15,
}


def check_choices(choices: dict[str, str]) -> dict[str, str]:
    """Normalise and check subclass choices ("dragon ancestor": a dragon colour, "land": a circle land,
    "hunter's prey" / "defensive tactics" / "multiattack" / "superior hunter's defense": that option).

    Raises:
        RulesError: an unknown choice or option, naming the options.
    """
    from game.subclass_spells import LAND_TERRAINS

    options: dict[str, tuple[str, ...]] = {
        "dragon ancestor": tuple(DRAGON_ANCESTRY), "land": LAND_TERRAINS,
        **{key: HUNTER_CHOICES[level] for key, level in _HUNTER_KEYS.items()},
    }
    out: dict[str, str] = {}
    for key, value in choices.items():
        k, v = " ".join(key.lower().split()), " ".join(str(value).lower().split())
        if k not in options:
            raise RulesError(f"{key!r} is not a subclass choice. The choices are: {', '.join(options)}.")
        if v not in options[k]:
            raise RulesError(f"{value!r} is not an option for {k}. The options are: {', '.join(options[k])}.")
        out[k] = v
    return out
