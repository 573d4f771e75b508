"""Random encounters, loot, weather and NPC names — reproducible from a seed.

Every generator takes `seed` (an int) or `rng` (a `random.Random`) and draws only from that
instance, so the same seed and inputs always give the same result. Monster and item lists are
passed in (the SRD tables live in the database; `game/` never reads them itself).

Sources of the numbers:
- XP by challenge rating: SRD 5.1 "Experience Points by Challenge Rating" (p. 258). CR 0 is worth
  10 XP if the creature has an attack, else 0.
- Encounter XP thresholds per character level and the multiplier for several monsters: not in
  the SRD 5.1. We use the 5e Dungeon Master's Guide (2014) "Creating a Combat Encounter" values
  (easy/medium/hard/deadly per level; ×1, ×1.5, ×2, ×2.5, ×3, ×4 by number of monsters, one step
  up for parties under 3 characters and one step down for 6 or more).
- Loot rarity weights by CR band and coin dice, weather and names are our own tables, in the
  spirit of the DMG's (documented next to each table); the SRD has no treasure or weather tables.
- Monsters' environments: the SRD stat blocks have none. A monster may carry `environments`;
  when it does not, its creature type decides (`ENVIRONMENT_TYPES`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from game.errors import RulesError
from game.inventory import Currency

__all__ = [
    "DIFFICULTIES",
    "ENCOUNTER_THRESHOLDS",
    "ENVIRONMENT_TYPES",
    "XP_BY_CR",
    "Encounter",
    "EncounterGroup",
    "Loot",
    "MonsterEntry",
    "Weather",
    "encounter_difficulty",
    "encounter_multiplier",
    "generate_encounter",
    "generate_loot",
    "generate_npc_name",
    "generate_weather",
    "parse_cr",
    "party_thresholds",
    "xp_for_cr",
]

# SRD 5.1 p. 258.
XP_BY_CR: Final[dict[Fraction, int]] = {
    Fraction(0): 10,
    Fraction(1, 8): 25,
    Fraction(1, 4): 50,
    Fraction(1, 2): 100,
    **{
        Fraction(cr): xp
        for cr, xp in {
            1: 200, 2: 450, 3: 700, 4: 1_100, 5: 1_800, 6: 2_300, 7: 2_900, 8: 3_900, 9: 5_000, 10: 5_900,
            11: 7_200, 12: 8_400, 13: 10_000, 14: 11_500, 15: 13_000, 16: 15_000, 17: 18_000, 18: 20_000,
            19: 22_000, 20: 25_000, 21: 33_000, 22: 41_000, 23: 50_000, 24: 62_000, 25: 75_000, 26: 90_000,
            27: 105_000, 28: 120_000, 29: 135_000, 30: 155_000,
        }.items()
    },
}  # fmt: skip

DIFFICULTIES: Final = ("easy", "medium", "hard", "deadly")

# DMG (2014) "XP Thresholds by Character Level": level → (easy, medium, hard, deadly).
ENCOUNTER_THRESHOLDS: Final[dict[int, tuple[int, int, int, int]]] = {
    1: (25, 50, 75, 100), 2: (50, 100, 150, 200), 3: (75, 150, 225, 400), 4: (125, 250, 375, 500),
    5: (250, 500, 750, 1_100), 6: (300, 600, 900, 1_400), 7: (350, 750, 1_100, 1_700),
    8: (450, 900, 1_400, 2_100), 9: (550, 1_100, 1_600, 2_400), 10: (600, 1_200, 1_900, 2_800),
    11: (800, 1_600, 2_400, 3_600), 12: (1_000, 2_000, 3_000, 4_500), 13: (1_100, 2_200, 3_400, 5_100),
    14: (1_250, 2_500, 3_800, 5_700), 15: (1_400, 2_800, 4_300, 6_400), 16: (1_600, 3_200, 4_800, 7_200),
    17: (2_000, 3_900, 5_900, 8_800), 18: (2_100, 4_200, 6_300, 9_500), 19: (2_400, 4_900, 7_300, 10_900),
    20: (2_800, 5_700, 8_500, 12_700),
}  # fmt: skip

# DMG "Encounter Multipliers": (minimum number of monsters, multiplier); extra steps for small/large parties.
_MULTIPLIER_STEPS: Final = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
_MULTIPLIER_START: Final = ((15, 6), (11, 5), (7, 4), (3, 3), (2, 2), (1, 1))  # count → index in steps

# Which creature types plausibly live where, for monsters without `environments`.
ENVIRONMENT_TYPES: Final[dict[str, frozenset[str]]] = {
    "arctic": frozenset({"beast", "giant", "elemental", "monstrosity", "undead", "dragon"}),
    "coastal": frozenset({"beast", "humanoid", "monstrosity", "elemental", "dragon"}),
    "desert": frozenset({"beast", "monstrosity", "undead", "elemental", "humanoid", "dragon"}),
    "forest": frozenset({"beast", "fey", "plant", "humanoid", "monstrosity"}),
    "grassland": frozenset({"beast", "humanoid", "monstrosity", "giant"}),
    "hill": frozenset({"beast", "giant", "humanoid", "monstrosity", "dragon"}),
    "mountain": frozenset({"beast", "giant", "dragon", "elemental", "monstrosity"}),
    "swamp": frozenset({"beast", "plant", "undead", "ooze", "monstrosity", "humanoid"}),
    "underdark": frozenset({"aberration", "ooze", "monstrosity", "humanoid", "undead", "construct", "fiend"}),
    "underwater": frozenset({"beast", "monstrosity", "elemental", "humanoid"}),
    "urban": frozenset({"humanoid", "beast", "construct", "undead", "fiend"}),
    "dungeon": frozenset({"undead", "construct", "ooze", "aberration", "monstrosity", "humanoid", "fiend"}),
}

MAX_MONSTERS_PER_ENCOUNTER: Final = 15


def parse_cr(value: str | int | float | Fraction) -> Fraction:
    """`"1/4"` → 1/4, `2` → 2, `0.5` → 1/2.

    Raises:
        RulesError: not a challenge rating the SRD uses (0, 1/8, 1/4, 1/2, 1–30).
    """
    try:
        cr = Fraction(str(value).strip()) if not isinstance(value, Fraction) else value
    except (ValueError, ZeroDivisionError):
        raise RulesError(f"{value!r} is not a challenge rating.") from None
    if cr not in XP_BY_CR:
        raise RulesError(f"{value!r} is not a challenge rating (0, 1/8, 1/4, 1/2 or 1–30).")
    return cr


def xp_for_cr(cr: str | int | float | Fraction, *, has_attacks: bool = True) -> int:
    """XP for one monster of that challenge rating (SRD table; CR 0 without attacks: 0)."""
    value = parse_cr(cr)
    if value == 0 and not has_attacks:
        return 0
    return XP_BY_CR[value]


def party_thresholds(levels: Iterable[int]) -> dict[str, int]:
    """The party's XP threshold per difficulty: the sum of each character's."""
    levels = list(levels)
    if not levels:
        raise RulesError("An encounter needs a party of at least one character.")
    out = dict.fromkeys(DIFFICULTIES, 0)
    for level in levels:
        if level not in ENCOUNTER_THRESHOLDS:
            raise RulesError(f"Character level must be between 1 and 20, not {level}.")
        for name, xp in zip(DIFFICULTIES, ENCOUNTER_THRESHOLDS[level], strict=True):
            out[name] += xp
    return out


def encounter_multiplier(monster_count: int, party_size: int = 4) -> float:
    """DMG multiplier for the number of monsters, shifted one step for parties under 3 or of 6+."""
    if monster_count < 1:
        return 0.0
    index = next(i for minimum, i in _MULTIPLIER_START if monster_count >= minimum)
    if party_size < 3:
        index += 1
    elif party_size >= 6:
        index -= 1
    return _MULTIPLIER_STEPS[index]


def encounter_difficulty(adjusted_xp: int, levels: Iterable[int]) -> str:
    """`trivial`, `easy`, `medium`, `hard` or `deadly` for an adjusted XP total against a party."""
    thresholds = party_thresholds(levels)
    result = "trivial"
    for name in DIFFICULTIES:
        if adjusted_xp >= thresholds[name]:
            result = name
    return result


class MonsterEntry(BaseModel):
    """The part of a monster the encounter generator needs (extra fields are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    challenge_rating: str | int | float
    xp: int | None = None
    type: str | None = None
    environments: tuple[str, ...] = ()

    @property
    def cr(self) -> Fraction:
        return parse_cr(self.challenge_rating)

    @property
    def experience(self) -> int:
        return self.xp if self.xp is not None else xp_for_cr(self.cr)

    def lives_in(self, environment: str) -> bool:
        env = environment.strip().lower()
        if self.environments:
            return env in {e.lower() for e in self.environments}
        kind = (self.type or "").lower().split(" ")[0]
        return kind in ENVIRONMENT_TYPES.get(env, frozenset())


class EncounterGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    count: int
    challenge_rating: str
    xp_each: int


class Encounter(BaseModel):
    """A generated encounter: who, the raw and adjusted XP, and how hard it is for the party."""

    model_config = ConfigDict(frozen=True)

    environment: str
    requested: str
    groups: tuple[EncounterGroup, ...]
    total_xp: int  # what the party earns
    adjusted_xp: int  # with the multiplier, for difficulty
    difficulty: str

    @property
    def monster_count(self) -> int:
        return sum(g.count for g in self.groups)


def _monster(data: MonsterEntry | Mapping[str, Any]) -> MonsterEntry:
    """A `MonsterEntry` from itself or plain data; RulesError (not a pydantic error) when it isn't one."""
    if isinstance(data, MonsterEntry):
        return data
    try:
        return MonsterEntry.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "monster"
        raise RulesError(f"A monster in the list makes no sense ({where}: {first.get('msg', 'invalid')}).") from None


def _rng(seed: int | None, rng: random.Random | None) -> random.Random:
    return rng if rng is not None else random.Random(seed)


def _adjusted(picks: Mapping[str, int], by_name: Mapping[str, MonsterEntry], party_size: int) -> int:
    count = sum(picks.values())
    total = sum(by_name[n].experience * c for n, c in picks.items())
    return int(total * encounter_multiplier(count, party_size))


def generate_encounter(
    party_levels: Sequence[int],
    environment: str,
    monsters: Iterable[MonsterEntry | Mapping[str, Any]],
    *,
    difficulty: str = "medium",
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Encounter:
    """Pick monsters that live in `environment` whose adjusted XP reaches the party's `difficulty`
    threshold without reaching the next one (for deadly: without passing 1.5 × deadly).

    At most two kinds of monster and `MAX_MONSTERS_PER_ENCOUNTER` in all. When no mix lands in the band,
    the closest one below it is returned (its `difficulty` says what it really is).

    Raises:
        RulesError: unknown difficulty, bad party levels, or no monster in the list lives there and fits.
    """
    if difficulty not in DIFFICULTIES:
        raise RulesError(f"Difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}.")
    r = _rng(seed, rng)
    thresholds = party_thresholds(party_levels)
    target = thresholds[difficulty]
    nxt = DIFFICULTIES.index(difficulty) + 1
    ceiling = thresholds[DIFFICULTIES[nxt]] - 1 if nxt < len(DIFFICULTIES) else int(target * 1.5)
    entries = [_monster(m) for m in monsters]
    by_name = {m.name: m for m in entries if m.lives_in(environment) and 0 < m.experience <= ceiling}
    if not by_name:
        raise RulesError(f"No monster in the list lives in the {environment} and suits this party.")
    party_size = len(party_levels)
    names = sorted(by_name)
    best: dict[str, int] = {}
    for _ in range(30):
        kinds = r.sample(names, k=min(len(names), r.choice((1, 1, 2))))
        picks: dict[str, int] = {}
        while sum(picks.values()) < MAX_MONSTERS_PER_ENCOUNTER:
            fitting = [n for n in kinds if _adjusted({**picks, n: picks.get(n, 0) + 1}, by_name, party_size) <= ceiling]
            if not fitting or (picks and _adjusted(picks, by_name, party_size) >= target):
                break
            choice = r.choice(fitting)
            picks[choice] = picks.get(choice, 0) + 1
        if not picks:
            continue
        score = _adjusted(picks, by_name, party_size)
        if score >= target:
            best = picks
            break
        if not best or score > _adjusted(best, by_name, party_size):
            best = picks
    if not best:
        raise RulesError(f"No mix of the monsters given makes a {difficulty} encounter for this party.")
    groups = tuple(
        EncounterGroup(name=n, count=c, challenge_rating=str(by_name[n].cr), xp_each=by_name[n].experience)
        for n, c in sorted(best.items())
    )
    adjusted = _adjusted(best, by_name, party_size)
    return Encounter(
        environment=environment,
        requested=difficulty,
        groups=groups,
        total_xp=sum(g.xp_each * g.count for g in groups),
        adjusted_xp=adjusted,
        difficulty=encounter_difficulty(adjusted, party_levels),
    )


# --- loot ----------------------------------------------------------------------------------------

RARITIES: Final = ("common", "uncommon", "rare", "very rare", "legendary")

# Our table: CR band → (coin dice (count, sides, multiplier) per coin type, chance of a magic item,
# rarity weights). A monster's purse grows about tenfold per band: a CR 1/4 goblin carries a few
# gold pieces' worth (about 12 gp on average), a CR 17+ dragon thousands.
_LOOT_BANDS: Final = (
    (4, {"cp": (5, 6, 1), "sp": (4, 6, 1), "gp": (3, 6, 1)}, 0.15, (60, 35, 5, 0, 0)),
    (10, {"sp": (4, 6, 10), "gp": (6, 6, 10), "pp": (1, 6, 1)}, 0.30, (10, 50, 32, 8, 0)),
    (16, {"gp": (4, 6, 100), "pp": (3, 6, 10)}, 0.45, (0, 20, 45, 30, 5)),
    (30, {"gp": (8, 6, 100), "pp": (6, 6, 100)}, 0.60, (0, 0, 30, 45, 25)),
)  # fmt: skip


class Loot(BaseModel):
    model_config = ConfigDict(frozen=True)

    coins: Currency
    items: tuple[str, ...] = ()
    rarities: tuple[str, ...] = ()


def generate_loot(
    challenge_rating: str | int | float,
    items: Iterable[Mapping[str, Any]] = (),
    *,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Loot:
    """Coins for a defeated monster of this CR and, by chance, one magic item of a CR-fitting rarity
    drawn from `items` (dicts with `name` and `rarity`, as `rules export magic-items` gives them)."""
    r = _rng(seed, rng)
    cr = parse_cr(challenge_rating)
    band = next(b for b in _LOOT_BANDS if cr <= b[0])
    _, coin_dice, chance, weights = band
    coins = {
        coin: sum(r.randint(1, sides) for _ in range(count)) * multiplier
        for coin, (count, sides, multiplier) in coin_dice.items()
    }
    picked: list[str] = []
    rarities: list[str] = []
    pool = [dict(i) for i in items if str(i.get("rarity", "")).lower() in RARITIES and i.get("name")]
    if pool and r.random() < chance:
        rarity = r.choices(RARITIES, weights=weights)[0]
        candidates = [i for i in pool if str(i["rarity"]).lower() == rarity]
        if candidates:
            item = r.choice(sorted(candidates, key=lambda i: i["name"]))
            picked.append(str(item["name"]))
            rarities.append(rarity)
    return Loot(coins=Currency(**coins), items=tuple(picked), rarities=tuple(rarities))


# --- weather -------------------------------------------------------------------------------------

_BASE_TEMPERATURE_F: Final = {"winter": 25, "spring": 55, "summer": 80, "autumn": 55}
_CLIMATE_SHIFT_F: Final = {"arctic": -35, "temperate": 0, "tropical": 20, "desert": 15}


class Weather(BaseModel):
    model_config = ConfigDict(frozen=True)

    temperature_f: int
    wind: str  # none, light, strong
    precipitation: str  # none, light, heavy
    description: str


def generate_weather(
    season: str = "spring", climate: str = "temperate", *, seed: int | None = None, rng: random.Random | None = None
) -> Weather:
    """A day's weather from three d20s (after the DMG's weather procedure): temperature 1–14 normal for
    the season, 15–17 colder and 18–20 warmer by 1d4 × 10 °F; wind and precipitation 1–12 none,
    13–17 light, 18–20 strong/heavy (snow below freezing)."""
    season_key, climate_key = season.strip().lower(), climate.strip().lower()
    if season_key == "fall":
        season_key = "autumn"
    if season_key not in _BASE_TEMPERATURE_F:
        raise RulesError(f"{season!r} is not a season (winter, spring, summer, autumn).")
    if climate_key not in _CLIMATE_SHIFT_F:
        raise RulesError(f"{climate!r} is not a climate ({', '.join(_CLIMATE_SHIFT_F)}).")
    r = _rng(seed, rng)
    temperature = _BASE_TEMPERATURE_F[season_key] + _CLIMATE_SHIFT_F[climate_key]
    t = r.randint(1, 20)
    if t >= 18:
        temperature += r.randint(1, 4) * 10
    elif t >= 15:
        temperature -= r.randint(1, 4) * 10
    w, p = r.randint(1, 20), r.randint(1, 20)
    wind = "none" if w <= 12 else "light" if w <= 17 else "strong"
    precipitation = "none" if p <= 12 else "light" if p <= 17 else "heavy"
    if climate_key == "desert" and precipitation == "heavy":
        precipitation = "light"  # deserts see little rain
    fall = "snow" if temperature <= 32 else "rain"
    sky = {"none": "clear skies", "light": f"light {fall}", "heavy": f"heavy {fall}"}[precipitation]
    air = {"none": "still air", "light": "a light wind", "strong": "a strong wind"}[wind]
    return Weather(
        temperature_f=temperature, wind=wind, precipitation=precipitation, description=f"{temperature} °F, {sky}, {air}"
    )


# --- names ---------------------------------------------------------------------------------------

# Our own syllable lists (the SRD 5.1 gives no name lists); combined as first + second syllable.
_NAME_PARTS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "human": (
        ("Al", "Bren", "Cor", "Da", "El", "Ga", "Hal", "Ior", "Ma", "Ro", "Se", "Tam"),
        ("an", "ric", "wen", "ra", "dra", "lin", "mund", "eth", "ira", "on"),
        ("Ashford", "Brook", "Carrow", "Dunmore", "Fenwick", "Hale", "Marsh", "Thorne"),
    ),
    "dwarf": (
        ("Bal", "Dor", "Gim", "Har", "Kil", "Mor", "Thra", "Bru", "Ris", "Tor"),
        ("in", "ek", "dal", "grim", "nar", "rik", "da", "hild", "unn", "ar"),
        ("Ironfist", "Stonehelm", "Coppervein", "Deepdelver", "Hammerfall", "Graniteborn"),
    ),
    "elf": (
        ("Ae", "Cael", "Ela", "Fen", "Ila", "Lia", "Mie", "Syl", "Tha", "Vae"),
        ("rin", "thil", "nor", "wyn", "lith", "riel", "dan", "ssa", "ion", "ael"),
        ("Moonwhisper", "Starbloom", "Leafsong", "Silverfrond", "Dawnbough"),
    ),
    "halfling": (
        ("Bil", "Cora", "Eddo", "Fin", "Lav", "Merry", "Pip", "Rosi", "Tob", "Wil"),
        ("bo", "lie", "wick", "do", "ender", "an", "pin", "ette", "ias", "ow"),
        ("Goodbarrel", "Underbough", "Tealeaf", "Hilltopple", "Brushgather"),
    ),
    "gnome": (
        ("Al", "Bim", "Fonk", "Nim", "Orry", "Quil", "Tink", "Zook", "Wren", "Sind"),
        ("ston", "ble", "kin", "nibs", "fiz", "wick", "ri", "pock", "a", "en"),
        ("Cogsworth", "Fizzlebang", "Nackle", "Tumblewhistle", "Gearspring"),
    ),
}
_NAME_PARTS["half-elf"] = _NAME_PARTS["elf"]
_NAME_PARTS["half-orc"] = (
    ("Dench", "Gell", "Hol", "Krusk", "Ront", "Sha", "Vol", "Yev", "Bag", "Emen"),
    ("ag", "ug", "ka", "ra", "gar", "ish", "ma", "uk", "a", "ok"),
    ("Skullsplitter", "Bonebreaker", "Grimtusk", "Ashhide"),
)
_NAME_PARTS["dragonborn"] = (
    ("Ar", "Bal", "Don", "Ghe", "Kri", "Med", "Nal", "Pan", "Sor", "Tor"),
    ("jhan", "asar", "aar", "sh", "v", "rash", "dar", "jed", "inn", "inth"),
    ("Clethtinthiallor", "Daardendrian", "Kerrhylon", "Myastan", "Yarjerit"),
)
_NAME_PARTS["tiefling"] = (
    ("Ak", "Bar", "Dam", "Ek", "Kal", "Mor", "Nem", "Ska", "Cri", "Ori"),
    ("menos", "akas", "aia", "emon", "lista", "thos", "eia", "mon", "ella", "anis"),
    (
        "",
        "",
    ),
)


def generate_npc_name(race: str = "human", *, seed: int | None = None, rng: random.Random | None = None) -> str:
    """A plausible name for an NPC of an SRD race (unknown races get a human name)."""
    r = _rng(seed, rng)
    first, second, family = _NAME_PARTS.get(race.strip().lower(), _NAME_PARTS["human"])
    given = r.choice(first) + r.choice(second)
    surname = r.choice(family)
    return f"{given} {surname}".strip()
