"""The guided creation flow as data: the draft, its steps and their choices, the answers.

Pure logic (no context, no scratch memory): `dm/commands/creation.py` keeps drafts and turns them into
results. A step's choices are `Choice(value, label, description)`; `apply_answer` records one answer
in a draft or raises `BadAnswer` with a sentence for the player.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from game.abilities import ABILITIES, ABILITY_ABBREVIATIONS, SKILLS, AbilityScores
from game.character import Character
from game.classes import CLASSES, ClassInfo, get_class
from game.creation import POINT_BUY_BUDGET, STANDARD_ARRAY, create_character, point_buy, roll_ability_scores
from game.creation import standard_array as standard_array_scores
from game.equipment import WEAPONS
from game.errors import RulesError
from game.races import RACES, Race, get_race
from game.subclass_rules import DRAGON_ANCESTRY

__all__ = [
    "PRIORITIES",
    "BadAnswer",
    "Choice",
    "Draft",
    "apply_answer",
    "build",
    "check_name",
    "choices_for",
    "class_skill_options",
    "extra_skill_options",
    "match_choices",
    "next_step",
    "norm",
    "parse_scores",
    "question_text",
    "recommended_scores",
    "settle",
    "so_far",
]


class BadAnswer(Exception):
    """An answer that fits no choice (nothing changed); `problem` is a sentence for the player."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


# --- defaults and lookups -----------------------------------------------------------------------

# The order a class wants its scores in (its main ability first), for the recommended and quick scores.
PRIORITIES: dict[str, tuple[str, ...]] = {
    "barbarian": ("strength", "constitution", "dexterity", "wisdom", "charisma", "intelligence"),
    "bard": ("charisma", "dexterity", "constitution", "wisdom", "intelligence", "strength"),
    "cleric": ("wisdom", "constitution", "strength", "dexterity", "charisma", "intelligence"),
    "druid": ("wisdom", "constitution", "dexterity", "intelligence", "charisma", "strength"),
    "fighter": ("strength", "constitution", "dexterity", "wisdom", "charisma", "intelligence"),
    "monk": ("dexterity", "wisdom", "constitution", "strength", "intelligence", "charisma"),
    "paladin": ("strength", "charisma", "constitution", "wisdom", "dexterity", "intelligence"),
    "ranger": ("dexterity", "wisdom", "constitution", "strength", "intelligence", "charisma"),
    "rogue": ("dexterity", "constitution", "wisdom", "intelligence", "charisma", "strength"),
    "sorcerer": ("charisma", "constitution", "dexterity", "wisdom", "intelligence", "strength"),
    "warlock": ("charisma", "constitution", "dexterity", "wisdom", "intelligence", "strength"),
    "wizard": ("intelligence", "constitution", "dexterity", "wisdom", "charisma", "strength"),
}
POINT_BUY_SPREAD = (15, 15, 13, 10, 10, 8)  # 9 + 9 + 5 + 2 + 2 + 0 = 27 points
INSTRUMENTS = ("Bagpipes", "Drum", "Dulcimer", "Flute", "Lute", "Lyre", "Horn", "Pan flute", "Shawm", "Viol")


def bonus_text(bonuses: dict[str, int]) -> str:
    """`{"constitution": 2}` → `"+2 CON"`."""
    return ", ".join(f"{v:+d} {a[:3].upper()}" for a, v in bonuses.items())


def skill_label(skill: str) -> str:
    return skill.replace("_", " ").title().replace(" Of ", " of ")


def recommended_scores(class_key: str, method: str, pool: list[int]) -> dict[str, int]:
    """The scores placed by the class's priorities: highest on its main ability."""
    values = {"standard": STANDARD_ARRAY, "pointbuy": POINT_BUY_SPREAD}.get(method) or tuple(pool)
    return dict(zip(PRIORITIES[class_key], sorted(values, reverse=True)))


class Choice(BaseModel):
    """One answer to a creation question: `value` is what `!choose` takes, `label` what a menu shows."""

    model_config = ConfigDict(frozen=True)

    value: str
    label: str
    description: str = ""


# --- the draft --------------------------------------------------------------------------------


@dataclass
class Draft:
    """A character being made, answer by answer (kept in the table's scratch memory, not the database)."""

    race: str | None = None
    subrace: str | None = None
    subrace_done: bool = False
    class_name: str | None = None
    method: str | None = None
    pool: list[int] = field(default_factory=list)
    rolls: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, int] | None = None
    bonus: list[str] | None = None
    skills: list[str] | None = None
    extra_skills: list[str] | None = None
    equipment: list[int] = field(default_factory=list)
    pick_slots: list[tuple[str, int]] = field(default_factory=list)  # ("any martial weapon", 2) of chosen options
    picks: list[str] = field(default_factory=list)
    dragon_ancestor: str | None = None  # a sorcerer's Draconic Bloodline (SRD "Dragon Ancestor")
    name: str | None = None
    answered: int = 0

    @property
    def race_info(self) -> Race:
        return get_race(self.race or "")

    @property
    def class_info(self) -> ClassInfo:
        return get_class(self.class_name or "")


def next_step(d: Draft) -> str | None:
    """The next unanswered step, or None when the draft is complete."""
    if d.race is None:
        return "race"
    race = d.race_info
    if race.subraces and not d.subrace_done:
        return "subrace"
    if d.class_name is None:
        return "class"
    if d.method is None:
        return "method"
    if d.scores is None:
        return "scores"
    if race.choice_bonuses and d.bonus is None:
        return "bonus"
    if d.skills is None:
        return "skills"
    if race.skill_choices and d.extra_skills is None:
        return "extra_skills"
    if d.class_info.key == "sorcerer" and d.dragon_ancestor is None:
        return "dragon_ancestor"
    if len(d.picks) < len(d.pick_slots):
        return "equipment_pick"
    if len(d.equipment) < len(d.class_info.starting_equipment):
        return "equipment"
    return "name" if d.name is None else None


def _take_equipment(d: Draft, index: int) -> None:
    line = d.class_info.starting_equipment[len(d.equipment)]
    d.equipment.append(index)
    d.pick_slots.extend((name, qty) for name, qty in line[index] if name.startswith("any "))


def settle(d: Draft) -> None:
    """Take every starting-equipment line that offers only one option (nothing to ask)."""
    while next_step(d) == "equipment" and len(d.class_info.starting_equipment[len(d.equipment)]) == 1:
        _take_equipment(d, 0)


# --- questions ----------------------------------------------------------------------------------


def _item_label(option: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{name} ×{qty}" if qty > 1 else name for name, qty in option)


def _pick_choices(slot: str) -> list[Choice]:
    if slot == "any musical instrument":
        return [Choice(value=i.lower(), label=i) for i in INSTRUMENTS]
    category = "martial" if "martial" in slot else "simple"
    return [
        Choice(value=w.name.lower(), label=w.name, description=f"{w.damage or '-'} {w.damage_type or ''}".strip())
        for w in WEAPONS.values()
        if w.category == category and ("melee" not in slot or w.kind == "melee")
    ]


def _skill_choices(skills: list[str]) -> list[Choice]:
    return [Choice(value=s, label=skill_label(s), description=SKILLS[s][:3].upper()) for s in skills]


def class_skill_options(d: Draft) -> list[str]:
    info, race = d.class_info, d.race_info
    return [s for s in (info.skill_options or tuple(SKILLS)) if s not in race.skills]


def extra_skill_options(d: Draft) -> list[str]:
    taken = set(d.race_info.skills) | set(d.skills or ())
    return [s for s in SKILLS if s not in taken]


def choices_for(d: Draft, step: str) -> tuple[list[Choice], int]:
    """The choices of a step and how many to pick."""
    if step == "race":
        return [Choice(value=r.key, label=r.name, description=f"{bonus_text(r.ability_bonuses)}, speed {r.speed}")
                for r in RACES.values()], 1  # fmt: skip
    if step == "subrace":
        return [Choice(value=s.name.lower(), label=s.name, description=bonus_text(s.ability_bonuses) or ", ".join(s.traits))
                for s in d.race_info.subraces.values()], 1  # fmt: skip
    if step == "class":
        return [Choice(value=c.key, label=c.name, description=f"d{c.hit_die} hit die, saves "
                       + "/".join(a[:3].upper() for a in c.saving_throws)) for c in CLASSES.values()], 1  # fmt: skip
    if step == "method":
        return [Choice(value="standard", label="Standard array", description="15, 14, 13, 12, 10, 8"),
                Choice(value="pointbuy", label="Point buy", description=f"{POINT_BUY_BUDGET} points, scores 8 to 15"),
                Choice(value="roll", label="Roll", description="4d6, drop the lowest, six times")], 1  # fmt: skip
    if step == "scores":
        best = recommended_scores(d.class_info.key, d.method or "standard", d.pool)
        shown = " ".join(f"{a[:3].upper()} {best[a]}" for a in ABILITIES)
        return [Choice(value="recommended", label=f"Recommended for a {d.class_info.name}", description=shown)], 1
    if step == "bonus":
        race = d.race_info
        return [Choice(value=a, label=a.capitalize()) for a in ABILITIES if a not in race.ability_bonuses], \
            race.choice_bonuses  # fmt: skip
    if step == "skills":
        return _skill_choices(class_skill_options(d)), d.class_info.skill_count
    if step == "extra_skills":
        return _skill_choices(extra_skill_options(d)), d.race_info.skill_choices
    if step == "equipment":
        line = d.class_info.starting_equipment[len(d.equipment)]
        return [Choice(value=chr(ord("a") + i), label=_item_label(option)) for i, option in enumerate(line)], 1
    if step == "equipment_pick":
        return _pick_choices(d.pick_slots[len(d.picks)][0]), 1
    if step == "dragon_ancestor":
        return [Choice(value=colour, label=f"{colour.capitalize()} dragon", description=f"{kind} damage")
                for colour, kind in DRAGON_ANCESTRY.items()], 1  # fmt: skip
    return [], 0


def question_text(d: Draft, step: str) -> str:
    if step == "subrace" and d.race_info.key == "dragonborn":
        return "Which draconic ancestry?"
    if step == "scores":
        how = {"standard": "Place the standard array 15, 14, 13, 12, 10, 8",
               "pointbuy": f"Buy your scores with {POINT_BUY_BUDGET} points (each 8 to 15)",
               "roll": "Place your rolled scores"}[d.method or "standard"]  # fmt: skip
        return f"{how} on STR, DEX, CON, INT, WIS, CHA (or take the recommended ones)."
    if step == "equipment":
        return f"Starting equipment, choice {len(d.equipment) + 1}: which do you take?"
    if step == "dragon_ancestor":
        return "Draconic Bloodline: which kind of dragon is your ancestor?"
    if step == "equipment_pick":
        slot, qty = d.pick_slots[len(d.picks)]
        return f"Which {slot[4:]}?" + (f" (you get {qty})" if qty > 1 else "")
    if step in ("race", "class", "method", "name"):
        return {
            "race": "Which race is your character?",
            "class": "Which class?",
            "method": "How do you want to get your ability scores?",
            "name": "Last step: what is your character's name?",
        }[step]
    race, info = d.race_info, d.class_info if d.class_name else None
    if step == "subrace":
        return f"Which {race.name} subrace?"
    if step == "bonus":
        return f"A {race.name} adds +1 to {race.choice_bonuses} different abilities: which?"
    if step == "extra_skills":
        return f"Skill Versatility: choose {race.skill_choices} more skills."
    assert info is not None and step == "skills", step
    return f"Choose {info.skill_count} {info.name} skills."


def so_far(d: Draft) -> dict[str, str]:
    sub = d.race_info.subraces.get(d.subrace) if d.race and d.subrace else None
    out = {"race": d.race_info.name if d.race else "", "subrace": sub.name if sub else "",
           "class": d.class_info.name if d.class_name else "", "method": d.method or ""}  # fmt: skip
    if d.scores:
        out["scores"] = " ".join(f"{a[:3].upper()} {d.scores[a]}" for a in ABILITIES)
    if d.skills:
        out["skills"] = ", ".join(skill_label(s) for s in [*d.skills, *(d.extra_skills or ())])
    if d.dragon_ancestor:
        out["dragon ancestor"] = d.dragon_ancestor.capitalize()
    return {k: v for k, v in out.items() if v}


# --- answers ------------------------------------------------------------------------------------


def norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def _candidates(part: str, choices: list[Choice]) -> list[Choice]:
    """The choices a piece of an answer could mean: by number, exact value or label, else by prefix."""
    key = norm(part)
    if not key:
        return []
    if key.isdigit():
        n = int(key)
        return [choices[n - 1]] if 1 <= n <= len(choices) else []
    exact = [c for c in choices if key in (norm(c.value), norm(c.label))]
    return exact[:1] or [c for c in choices if norm(c.value).startswith(key) or norm(c.label).startswith(key)]


def _match_one(part: str, choices: list[Choice]) -> Choice | None:
    found = _candidates(part, choices)
    return found[0] if len(found) == 1 else None


def _unknown(word: str, choices: list[Choice]) -> BadAnswer:
    several = _candidates(word, choices)
    if len(several) > 1:
        return BadAnswer(f"{word!r} could be {' or '.join(c.label for c in several[:4])}; say which.")
    return BadAnswer(f"{word!r} is not one of the choices.")


def _strict(answer: str, choices: list[Choice]) -> list[Choice]:
    """Every piece of the answer names a choice (a number, a value, a label or a unique prefix)."""
    found: list[Choice] = []
    for part in (p for p in re.split(r"[,;]|\band\b", answer) if p.strip()):
        whole = _match_one(part, choices)
        if whole is not None:
            found.append(whole)
            continue
        words = part.split()
        i = 0
        while i < len(words):  # the longest run of words that names a choice ("sleight of hand")
            for j in range(len(words), i, -1):
                hit = _match_one(" ".join(words[i:j]), choices)
                if hit is not None:
                    found.append(hit)
                    i = j
                    break
            else:
                raise _unknown(words[i], choices)
    return found


_PUNCTUATION = re.compile(r"[^\w\s-]")


def _mentioned(answer: str, choices: list[Choice]) -> list[Choice]:
    """The choices whose label appears as whole words in a sentence ("I'd like a half-elf, please"),
    leaving out one that is part of another named too ("elf" in "half elf")."""
    text = " " + norm(_PUNCTUATION.sub(" ", answer)) + " "
    named = [c for c in choices if f" {norm(c.label)} " in text]
    return [c for c in named if not any(o is not c and f" {norm(c.label)} " in f" {norm(o.label)} " for o in named)]


def match_choices(answer: str, choices: list[Choice], pick: int) -> list[str]:
    """The values an answer names: numbers, values or labels (any case, a unique prefix is enough),
    several separated by commas or spaces for a multi-pick; failing that, the labels a sentence mentions.

    Raises:
        BadAnswer: something fits no choice, or not exactly `pick` different choices.
    """
    try:
        found = _strict(answer, choices)
    except BadAnswer:
        found = _mentioned(answer, choices)
        if len(found) != pick:
            raise
    values = list(dict.fromkeys(c.value for c in found))
    if len(values) != pick or len(found) != pick:
        what = "one choice" if pick == 1 else f"{pick} different choices"
        raise BadAnswer(f"Please pick {what} (you gave {len(found)}).")
    return values


_PAIR = re.compile(r"([a-z]+)\s*[:=]?\s*(\d{1,2})\b")


def parse_scores(answer: str) -> dict[str, int]:
    """`"str 15 dex 14 ..."` (any order) or `"15 14 13 12 10 8"` (STR..CHA) → ability → score.

    Raises:
        BadAnswer: not six scores, one per ability.
    """
    text = answer.lower()
    pairs = _PAIR.findall(text)
    named = [(ABILITY_ABBREVIATIONS.get(a[:3]), int(v)) for a, v in pairs if a[:3] in ABILITY_ABBREVIATIONS]
    if named:
        scores = {a: v for a, v in named if a}
        if len(named) != 6 or sorted(scores) != sorted(ABILITIES):
            raise BadAnswer("Name each of the six abilities once, e.g. str 15 dex 14 con 13 int 12 wis 10 cha 8.")
        return scores
    numbers = re.findall(r"\d+", text)
    if len(numbers) != 6 or re.search(r"[a-z]", text):
        raise BadAnswer("Give six scores in the order STR DEX CON INT WIS CHA, e.g. 15 14 13 12 10 8.")
    return dict(zip(ABILITIES, (int(n) for n in numbers)))


def _scores_answer(d: Draft, answer: str) -> dict[str, int]:
    choices, _ = choices_for(d, "scores")
    if _match_one(answer, choices) is not None:
        return recommended_scores(d.class_info.key, d.method or "standard", d.pool)
    scores = parse_scores(answer)
    try:
        if d.method == "pointbuy":
            point_buy(scores)
        elif d.method == "standard":
            standard_array_scores(scores)
        elif sorted(scores.values()) != sorted(d.pool):
            raise BadAnswer(f"Use each of your rolled scores once: {', '.join(map(str, d.pool))}.")
    except RulesError as exc:
        raise BadAnswer(exc.user_message) from None
    return scores


def check_name(name: str, taken: Iterable[str] = ()) -> str:
    """A clean character name, not one of `taken` (the names of the living at this table, any case).

    Raises:
        BadAnswer: empty, too long, looks like a command, or taken.
    """
    name = " ".join(name.strip().strip('"').split())
    if not 1 <= len(name) <= 64:
        raise BadAnswer("A character's name is 1 to 64 characters long.")
    if name.startswith("!"):
        raise BadAnswer("A name cannot start with '!'.")
    clash = [t for t in taken if t.lower() == name.lower()]
    if clash:
        raise BadAnswer(f"Someone at this table already plays {clash[0]}; choose another name.")
    return name


def _named_pick(d: Draft, answer: str) -> tuple[int, str] | None:
    """(option, item) when the answer names what fills the one "any ..." slot of exactly one option of the
    current equipment line (and names no option itself)."""
    choices, _ = choices_for(d, "equipment")
    if _candidates(answer, choices):
        return None
    fits = []
    for index, option in enumerate(d.class_info.starting_equipment[len(d.equipment)]):
        slots = [name for name, _ in option if name.startswith("any ")]
        hit = _match_one(answer, _pick_choices(slots[0])) if len(slots) == 1 else None
        if hit is not None:
            fits.append((index, hit.label))
    return fits[0] if len(fits) == 1 else None


def apply_answer(d: Draft, step: str, answer: str, taken: Iterable[str] = ()) -> None:
    """Record one answer to `step` in `d` (change a copy: a refused answer may leave it half-changed).

    Raises:
        BadAnswer: the answer fits no choice, breaks a rule (point buy over 27), or the name is taken.
    """
    if step == "scores":
        d.scores = _scores_answer(d, answer)
    elif step == "name":
        d.name = check_name(answer, taken)
    elif step == "equipment" and (shortcut := _named_pick(d, answer)) is not None:
        _take_equipment(d, shortcut[0])  # "flute" for "(b) any musical instrument": the option and its pick
        d.picks.append(shortcut[1])
    else:
        choices, pick = choices_for(d, step)
        values = match_choices(answer, choices, pick)
        if step == "race":
            d.race, d.subrace, d.subrace_done = values[0], None, False
        elif step == "subrace":
            d.subrace, d.subrace_done = values[0], True
        elif step == "class":
            d.class_name = values[0]
        elif step == "method":
            d.method = values[0]
            if d.method == "roll":
                scores, rolls = roll_ability_scores()
                d.pool, d.rolls = scores, [r.to_dict() for r in rolls]
            else:
                d.pool = list(STANDARD_ARRAY) if d.method == "standard" else []
        elif step == "bonus":
            d.bonus = values
        elif step == "skills":
            d.skills = values
        elif step == "extra_skills":
            d.extra_skills = values
        elif step == "equipment":
            _take_equipment(d, ord(values[0]) - ord("a"))
        elif step == "equipment_pick":
            label = next(c.label for c in choices if c.value == values[0])
            d.picks.append(label)
        elif step == "dragon_ancestor":
            d.dragon_ancestor = values[0]
    d.answered += 1


# --- building and the quick form ----------------------------------------------------------------


def build(d: Draft, player_id: int) -> Character:
    """The character a complete draft describes (the rules engine checks it all again).

    Raises:
        RulesError: the engine refuses the draft.
    """
    return create_character(
        d.name or "", d.race or "", d.class_name or "", AbilityScores(**(d.scores or {})),
        [*(d.skills or ()), *(d.extra_skills or ())], subrace=d.subrace, player_id=player_id,
        bonus_choices=d.bonus or (), equipment_choices=d.equipment or None, equipment_picks=d.picks or None,
        choices={"dragon ancestor": d.dragon_ancestor} if d.dragon_ancestor else None,
    )  # fmt: skip
