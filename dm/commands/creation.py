"""Character creation: `!create_character` (guided, or the one-line quick form) and `!choose` (alias `!pick`).

Guided: each step is a `CreationStep` — a question with its choices as data (numbered in the console,
select menus in Discord) — answered by `!choose ANSWER` (or, while a draft is open, by plain text: the
table routes it here). The order: race → subrace (when the race has any) → class → ability method →
scores → a Half-Elf's +1s → class skills → a Half-Elf's extra skills → starting equipment (and the
weapon for an "any martial weapon" line) → name. A bad answer repeats the question with the problem
and leaves the draft unchanged. Drafts live in `ctx.scratch["drafts"][player_id]` (the table's memory,
not the database); the entry is removed when the character is made or the flow is cancelled.

Quick: `!create_character NAME RACE CLASS [standard|pointbuy|roll]` fills every other choice with a
sensible default (scores by the class's priorities, the first class skills, equipment option (a)); its
parsing is here, the guided steps and the reading of answers are in `creation_flow.py`.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Iterable
from typing import Any

from pydantic import Field

from dm.commands.character import AbilityLine, ability_lines
from dm.commands.context import CommandContext
from dm.commands.creation_flow import (
    PRIORITIES,
    BadAnswer,
    Choice,
    Draft,
    apply_answer,
    build,
    check_name,
    choices_for,
    class_skill_options,
    extra_skill_options,
    next_step,
    norm,
    question_text,
    recommended_scores,
    settle,
    so_far,
)
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult, Info
from dm.errors import BadArguments, CommandError
from game.character import Character
from game.classes import CLASSES, ClassInfo
from game.creation import POINT_BUY_BUDGET, roll_ability_scores
from game.errors import RulesError
from game.races import RACES, Race, Subrace

__all__ = ["AlreadyPlaying", "CharacterCreated", "CreationStep", "NotCreating", "quick_draft", "resolve_race_phrase"]

_EXAMPLES = {"scores": "str 15 dex 14 con 13 int 12 wis 10 cha 8", "name": "Sir Bob of Millbrook"}


class AlreadyPlaying(CommandError):
    def __init__(self, name: str) -> None:
        super().__init__(f"You already play {name} in this campaign; nothing was changed.")
        self.name = name


class NotCreating(CommandError):
    def __init__(self) -> None:
        super().__init__("You are not creating a character right now: start with !create_character.")


class CreationStep(CommandResult):
    """The next question of a guided creation. `pick` answers are expected; `free_text` accepts typed text.

    With `problem` set the previous answer was refused (nothing changed) and the same question is asked again.
    """

    type: str = "creation_step"
    who: str
    step: str  # race, subrace, class, method, scores, bonus, skills, extra_skills, equipment, equipment_pick, name
    number: int
    question: str
    choices: tuple[Choice, ...] = ()
    pick: int = 1
    free_text: bool = False
    example: str = ""
    problem: str = ""
    so_far: dict[str, str] = Field(default_factory=dict)
    pool: tuple[int, ...] = ()  # the scores to place (standard array or the rolled ones)
    rolls: tuple[dict[str, Any], ...] = ()  # the six 4d6kh3 rolls, when rolling
    budget: int | None = None  # point buy: points to spend
    resumed: bool = False

    @property
    def kind(self) -> str:
        return "error" if self.problem else self.transcript_kind


class CharacterCreated(CommandResult):
    type: str = "character_created"
    id: str
    name: str
    player_id: int | None = None
    race: str
    subrace: str | None = None
    class_name: str
    level: int
    hp: int
    max_hp: int
    armor_class: int
    speed: int
    hit_die: int
    abilities: tuple[AbilityLine, ...]
    skills: tuple[str, ...]
    saving_throws: tuple[str, ...]
    equipment: tuple[dict[str, Any], ...]  # {"name", "quantity", "equipped"}
    method: str
    rolls: tuple[dict[str, Any], ...] = ()


def _question(ctx: CommandContext, d: Draft, problem: str = "", resumed: bool = False) -> CreationStep:
    step = next_step(d) or "name"
    choices, pick = choices_for(d, step)
    scores = step == "scores"
    return CreationStep(
        who=ctx.caller.name, step=step, number=d.answered + 1, question=question_text(d, step),
        choices=tuple(choices), pick=pick, free_text=step in ("scores", "name"), example=_EXAMPLES.get(step, ""),
        problem=problem, so_far=so_far(d), pool=tuple(d.pool) if scores else (),
        rolls=tuple(d.rolls) if scores else (),
        budget=POINT_BUY_BUDGET if scores and d.method == "pointbuy" else None, resumed=resumed,
    )  # fmt: skip


def _living_names(ctx: CommandContext) -> list[str]:
    return [c.name for c in ctx.state.characters.values() if not c.dead]


def _refuse_second(ctx: CommandContext) -> None:
    found = ctx.state.character_of(ctx.caller.player_id)
    if found is not None and not found[1].dead:
        raise AlreadyPlaying(found[1].name)


def _store(ctx: CommandContext, character: Character) -> str:
    """Put the new character in the state as "pc-<player>" ("pc-<player>-2", ... past a dead one)."""
    pid = ctx.caller.player_id
    cid, n = f"pc-{pid}", 1
    while cid in ctx.state.characters:
        n += 1
        cid = f"pc-{pid}-{n}"
    character.id = cid
    ctx.put(cid, character)
    return cid


def _created(cid: str, who: Character, d: Draft) -> CharacterCreated:
    return CharacterCreated(
        id=cid, name=who.name, player_id=who.player_id, race=who.race, subrace=who.subrace,
        class_name=who.class_name, level=who.level, hp=who.hp, max_hp=who.max_hp, armor_class=who.armor_class,
        speed=who.speed, hit_die=who.hit_die, abilities=ability_lines(who), skills=who.proficiencies.skills,
        saving_throws=who.proficiencies.saving_throws,
        equipment=tuple({"name": i.name, "quantity": i.quantity, "equipped": i.equipped} for i in who.inventory.items),
        method=d.method or "standard", rolls=tuple(d.rolls),
    )  # fmt: skip


def _finish(ctx: CommandContext, d: Draft, character: Character) -> CharacterCreated:
    cid = _store(ctx, character)
    ctx.scratch.get("drafts", {}).pop(ctx.caller.player_id, None)  # the flow is over: plain text is talk again
    return _created(cid, character, d)


# --- the quick form -------------------------------------------------------------------------------

QUICK_USAGE = (
    '!create_character NAME RACE CLASS [standard|pointbuy|roll]  (e.g. !create_character "Sir Bob" hill dwarf fighter)'
)
METHOD_WORDS = {
    "standard": "standard",
    "array": "standard",
    "standard array": "standard",
    "pointbuy": "pointbuy",
    "point buy": "pointbuy",
    "points": "pointbuy",
    "roll": "roll",
    "rolled": "roll",
    "4d6": "roll",
}
BARD_SKILLS = ("performance", "persuasion", "deception")  # a Bard picks any three
DEFAULT_EXTRA_SKILLS = ("perception", "persuasion", "insight", "stealth", "athletics", "deception", "acrobatics")


# what each class is usually good at first (the quick form's picks, in order of preference)
SKILL_PRIORITIES = {
    "barbarian": ("athletics", "perception", "survival", "intimidation"),
    "cleric": ("insight", "medicine", "religion", "persuasion"),
    "druid": ("perception", "nature", "survival", "insight"),
    "fighter": ("athletics", "perception", "intimidation", "survival"),
    "monk": ("acrobatics", "stealth", "insight", "athletics"),
    "paladin": ("athletics", "persuasion", "insight", "intimidation"),
    "ranger": ("perception", "stealth", "survival", "nature"),
    "rogue": ("stealth", "perception", "acrobatics", "sleight_of_hand", "deception", "investigation"),
    "sorcerer": ("arcana", "persuasion", "insight", "deception"),
    "warlock": ("arcana", "deception", "intimidation", "investigation"),
    "wizard": ("arcana", "investigation", "history", "insight"),
}


def default_skills(options: list[str], info: ClassInfo) -> list[str]:
    if not info.skill_options:
        return [s for s in BARD_SKILLS if s in options][: info.skill_count]
    preferred = [s for s in SKILL_PRIORITIES.get(info.key, ()) if s in options]
    return list(dict.fromkeys([*preferred, *options]))[: info.skill_count]


def resolve_race_phrase(phrase: str) -> tuple[Race, Subrace | None] | None:
    """The race and subrace a phrase names: "hill dwarf", "high elf", "half elf", "red dragonborn", or just
    "dwarf" (then the race's first subrace); None when it names none."""
    key = norm(phrase)
    for race in RACES.values():
        subs = list(race.subraces.values())
        if key == norm(race.key):
            return race, subs[0] if subs else None
        for sub in subs:
            names = {norm(sub.name), norm(f"{sub.name} {race.key}"), norm(f"{race.key} {sub.name}")}
            if key in names:
                return race, sub
    return None


def _class_of(word: str) -> ClassInfo | None:
    key = word.lower()
    hits = [c for c in CLASSES.values() if c.key == key] or [c for c in CLASSES.values() if c.key.startswith(key)]
    return hits[0] if len(hits) == 1 else None


def _tokens(text: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split, lexer.quotes, lexer.commenters = True, '"', ""
        return list(lexer)
    except ValueError:
        raise BadArguments("A quotation mark is not closed.", QUICK_USAGE) from None


def _parse_quick(text: str) -> tuple[str, Race, Subrace | None, ClassInfo, str]:
    """`NAME RACE CLASS [METHOD]` → name, race, subrace, class, method; the race is the longest phrase
    before the class that names one, the name is whatever comes before it.

    Raises:
        BadArguments: a part is missing or unknown.
    """
    tokens, method = _tokens(text), "standard"
    for size in (2, 1):
        if len(tokens) > size and norm(" ".join(tokens[-size:])) in METHOD_WORDS:
            method, tokens = METHOD_WORDS[norm(" ".join(tokens[-size:]))], tokens[:-size]
            break
    if len(tokens) < 3:
        raise BadArguments("Give a name, a race and a class.", QUICK_USAGE)
    info = _class_of(tokens[-1])
    if info is None:
        raise BadArguments(f"{tokens[-1]!r} is not a class ({', '.join(c.name for c in CLASSES.values())}).",
                           QUICK_USAGE)  # fmt: skip
    rest = tokens[:-1]
    for n in (3, 2, 1):
        found = resolve_race_phrase(" ".join(rest[-n:])) if len(rest) > n else None
        if found is not None:
            return " ".join(rest[:-n]), found[0], found[1], info, method
    races = ", ".join(r.name for r in RACES.values())
    raise BadArguments(f"{rest[-1]!r} is not a race I know ({races}; or a subrace such as hill dwarf).", QUICK_USAGE)


def quick_draft(text: str, taken: Iterable[str] = ()) -> Draft:
    """A complete draft from `NAME RACE CLASS [METHOD]`, every other choice a sensible default: scores by the
    class's priorities, a Half-Elf's +1s on the next priorities, the first class skills, equipment (a).

    Raises:
        BadArguments: a part is missing or unknown, or the name is taken.
    """
    name, race, sub, info, method = _parse_quick(text)
    try:
        name = check_name(name, taken)
    except BadAnswer as bad:
        raise BadArguments(bad.problem, QUICK_USAGE) from None
    d = Draft(race=race.key, subrace=sub.name.lower() if sub else None, subrace_done=True, class_name=info.key,
              method=method, name=name)  # fmt: skip
    if method == "roll":
        scores, rolls = roll_ability_scores()
        d.pool, d.rolls = scores, [r.to_dict() for r in rolls]
    d.scores = recommended_scores(info.key, method, d.pool)
    if race.choice_bonuses:
        d.bonus = [a for a in PRIORITIES[info.key] if a not in race.ability_bonuses][: race.choice_bonuses]
    d.skills = default_skills(class_skill_options(d), info)
    if race.skill_choices:
        d.extra_skills = [s for s in DEFAULT_EXTRA_SKILLS if s in extra_skill_options(d)][: race.skill_choices]
    d.equipment = [0] * len(info.starting_equipment)
    if info.key == "sorcerer":
        d.dragon_ancestor = "red"  # Draconic Bloodline's Dragon Ancestor: red (fire), the classic
    return d


@command(
    "create_character",
    area="character",
    args=(Arg("details", ArgKind.TEXT, required=False,
              help="NAME RACE CLASS [standard|pointbuy|roll], or cancel / restart"),),
    help="Make your character: step by step, or in one line.",
    needs_campaign=True,
    examples=("!create_character", '!create_character "Sir Bob" hill dwarf fighter',
              "!create_character Ayla half-elf bard roll", "!create_character cancel"),
    details="With no arguments each step asks one question; answer with !choose (or just type the answer). "
            "The quick form picks sensible defaults for everything else.",
)  # fmt: skip
async def create_character_command(ctx: CommandContext, details: str | None = None) -> CommandResult:
    pid = ctx.caller.player_id
    drafts: dict[int, Any] = ctx.scratch.setdefault("drafts", {})
    word = norm(details or "")
    if word in ("cancel", "stop", "quit"):
        if pid not in drafts:
            raise NotCreating()
        del drafts[pid]
        return Info(
            title="Character creation cancelled.", lines=("Nothing was saved; !create_character starts again.",)
        )
    _refuse_second(ctx)
    if word == "restart" or (not word and pid not in drafts):
        fresh = Draft()
        drafts[pid] = fresh
        return _question(ctx, fresh)
    if not word:
        return _question(ctx, drafts[pid], resumed=True)
    d = quick_draft(details or "", _living_names(ctx))
    return _finish(ctx, d, build(d, pid))


@command(
    "choose",
    aliases=("pick",),
    area="character",
    args=(Arg("answer", ArgKind.TEXT, help="a choice's number or name; several separated by commas"),),
    help="Answer the current question of !create_character.",
    needs_campaign=True,
    examples=("!choose 3", "!choose dwarf", "!choose athletics, perception",
              "!choose str 15 dex 14 con 13 int 12 wis 10 cha 8"),
)  # fmt: skip
async def choose(ctx: CommandContext, answer: str) -> CommandResult:
    pid = ctx.caller.player_id
    draft = ctx.scratch.get("drafts", {}).get(pid)
    if draft is None:
        raise NotCreating()
    if norm(answer) in ("cancel", "restart"):
        return await create_character_command(ctx, norm(answer))
    new = copy.deepcopy(draft)  # the stored draft changes only once the answer is accepted
    character = None
    try:
        apply_answer(new, next_step(draft) or "name", answer, _living_names(ctx))
        settle(new)
        if next_step(new) is None:
            _refuse_second(ctx)
            character = build(new, pid)
    except BadAnswer as bad:
        return _question(ctx, draft, problem=bad.problem)
    except RulesError as exc:  # the engine refused the finished draft: ask the last question again
        return _question(ctx, draft, problem=exc.user_message)
    if character is not None:
        return _finish(ctx, new, character)
    ctx.scratch["drafts"][pid] = new
    return _question(ctx, new)
