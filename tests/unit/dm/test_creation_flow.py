"""Character creation on a hand-built table: the guided flow step by step, and the one-line quick form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import gateway.render.text_character  # noqa: F401 - registers the character renderers
from dm.commands.context import Caller, CampaignInfo, CommandContext
from dm.commands.creation import AlreadyPlaying, CharacterCreated, CreationStep, NotCreating
from dm.commands.creation_flow import BadAnswer, Choice, match_choices, parse_scores
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.results import Info
from dm.errors import BadArguments
from game.creation import create_character, standard_array
from game.dice import seeded
from game.effects import GameState
from gateway.render.text import render_text

PLAYER = 42


@pytest.fixture(autouse=True)
def _dice() -> Iterator[None]:
    with seeded(99):
        yield


def _ctx(state: GameState | None = None, player: int = PLAYER) -> CommandContext:
    return CommandContext(Caller(player, f"p{player}"), 1, CampaignInfo(1, "Keep", 1), state or GameState())


async def run(ctx: CommandContext, line: str) -> object:
    """Parse a command line with the real registry and run its handler, as the table does."""
    invocation = parse_invocation(line)
    assert invocation is not None
    return await invocation.spec.handler(ctx, **invocation.args)


async def answer(ctx: CommandContext, text: str) -> CreationStep | CharacterCreated:
    result = await run(ctx, f"!choose {text}")
    assert isinstance(result, CreationStep | CharacterCreated), result
    return result


def _drafts(ctx: CommandContext) -> dict[int, object]:
    return ctx.scratch.get("drafts", {})


# --- the guided flow ------------------------------------------------------------------------------


async def test_guided_flow_walks_every_step_to_a_half_elf_fighter() -> None:
    ctx = _ctx()
    first = await run(ctx, "!create_character")
    assert isinstance(first, CreationStep) and first.step == "race" and first.number == 1
    assert PLAYER in _drafts(ctx)  # the table routes this player's plain text to !choose from now on
    assert {"value": "half-elf", "label": "Half-Elf"}.items() <= first.choices[6].model_dump().items()

    seen = []
    for text in ("7", "fighter", "standard", "str 15 dex 13 con 14 int 8 wis 12 cha 10", "dex, con",
                 "athletics, intimidation", "perception and persuasion", "b", "a", "battleaxe", "a", "Explorer"):
        step = await answer(ctx, text)
        assert isinstance(step, CreationStep) and not step.problem, (text, step)
        seen.append(step.step)
    assert seen == ["class", "method", "scores", "bonus", "skills", "extra_skills", "equipment", "equipment",
                    "equipment_pick", "equipment", "equipment", "name"]  # fmt: skip
    assert step.free_text and step.number == 13

    done = await answer(ctx, "Tamsin Reed")
    assert isinstance(done, CharacterCreated)
    assert (done.id, done.name, done.race, done.class_name, done.player_id) == (f"pc-{PLAYER}", "Tamsin Reed",
                                                                                "Half-Elf", "Fighter", PLAYER)  # fmt: skip
    scores = {a.ability: a.score for a in done.abilities}
    assert scores == {"strength": 15, "dexterity": 14, "constitution": 15, "intelligence": 8, "wisdom": 12,
                      "charisma": 12}  # fmt: skip
    assert set(done.skills) == {"athletics", "intimidation", "perception", "persuasion"}
    names = {e["name"]: e["quantity"] for e in done.equipment}
    assert names["Battleaxe"] == 1 and "Shield" in names and "Leather" in names and names["Arrows"] == 20
    assert "Explorer's pack" in names and "Crossbow, light" in names
    assert PLAYER not in _drafts(ctx)  # the flow ended: plain text is talk again
    stored = ctx.state.characters[f"pc-{PLAYER}"]
    assert stored.id == f"pc-{PLAYER}" and stored.player_id == PLAYER and stored.name == "Tamsin Reed"


async def test_a_race_with_subraces_asks_for_one_and_a_bad_answer_repeats_the_question() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    sub = await answer(ctx, "dragonborn")
    assert sub.step == "subrace" and sub.question == "Which draconic ancestry?" and len(sub.choices) == 10
    bad = await answer(ctx, "purple")
    assert isinstance(bad, CreationStep) and bad.step == "subrace" and bad.number == sub.number
    assert "'purple' is not one of the choices" in bad.problem and bad.kind == "error"
    assert bad.choices == sub.choices
    assert "Nothing was changed" in render_text(bad)
    cls = await answer(ctx, "Red")
    assert cls.step == "class" and cls.so_far["subrace"] == "Red" and cls.kind == "command_result"


async def test_dwarf_gets_its_subrace_question_too() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    sub = await answer(ctx, "dwarf")
    assert sub.step == "subrace" and [c.label for c in sub.choices] == ["Hill Dwarf"]
    assert (await answer(ctx, "hill")).step == "class"


async def test_ambiguous_and_wrongly_counted_answers_are_refused() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    half = await answer(ctx, "half")
    assert half.step == "race" and "could be Halfling or Half-Elf or Half-Orc" in half.problem
    await answer(ctx, "human")
    await answer(ctx, "rogue")
    await answer(ctx, "standard")
    await answer(ctx, "recommended")
    too_few = await answer(ctx, "stealth, acrobatics")
    assert too_few.step == "skills" and "Please pick 4 different choices (you gave 2)" in too_few.problem
    same_twice = await answer(ctx, "stealth, stealth, acrobatics, insight")
    assert same_twice.step == "skills" and same_twice.problem
    ok = await answer(ctx, "stealth acrobatics sleight of hand perception")
    assert ok.step == "equipment" and not ok.problem


async def test_point_buy_over_27_points_is_refused_and_within_budget_is_kept() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    for text in ("elf", "high elf", "wizard"):
        await answer(ctx, text)
    scores = await answer(ctx, "point")
    assert scores.step == "scores" and scores.budget == 27 and scores.free_text
    over = await answer(ctx, "str 8 dex 15 con 15 int 15 wis 10 cha 8")
    assert over.step == "scores" and "cost 29 points; point buy has 27" in over.problem
    outside = await answer(ctx, "17 8 8 8 8 8")
    assert outside.step == "scores" and "between 8 and 15" in outside.problem
    kept = await answer(ctx, "8 14 14 15 12 8")
    assert kept.step == "skills" and kept.so_far["scores"] == "STR 8 DEX 14 CON 14 INT 15 WIS 12 CHA 8"


async def test_rolled_scores_are_shown_and_must_be_the_ones_placed() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    await answer(ctx, "human")
    await answer(ctx, "barbarian")
    scores = await answer(ctx, "roll")
    assert scores.step == "scores" and len(scores.rolls) == 6 and len(scores.pool) == 6
    assert [r["total"] for r in scores.rolls] == list(scores.pool)
    assert all(r["expression"] == "4d6kh3" and 3 <= r["total"] <= 18 for r in scores.rolls)
    changed = list(scores.pool)
    changed[0] = 3 if changed[0] != 3 else 4  # one score that was not rolled
    wrong = await answer(ctx, " ".join(map(str, changed)))
    assert wrong.step == "scores" and "Use each of your rolled scores once" in wrong.problem
    assert "Your rolls (4d6, lowest dropped)" in render_text(wrong)
    placed = await answer(ctx, " ".join(str(v) for v in scores.pool))
    assert placed.step == "skills"
    assert placed.so_far["scores"].split()[1::2] == [str(v) for v in scores.pool]  # STR..CHA as typed (base scores)


async def test_cancel_ends_the_draft_and_choose_then_refuses() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    await answer(ctx, "gnome")
    cancelled = await run(ctx, "!create_character cancel")
    assert isinstance(cancelled, Info) and "cancelled" in cancelled.title
    assert PLAYER not in _drafts(ctx) and not ctx.state.characters
    with pytest.raises(NotCreating):
        await run(ctx, "!choose gnome")
    with pytest.raises(NotCreating):
        await run(ctx, "!create_character cancel")


async def test_restart_and_resume() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    await answer(ctx, "tiefling")
    await answer(ctx, "warlock")
    resumed = await run(ctx, "!create_character")
    assert isinstance(resumed, CreationStep) and resumed.resumed and resumed.step == "method"
    again = await answer(ctx, "restart")  # typed as an answer (plain text reaches !choose too)
    assert isinstance(again, CreationStep) and again.step == "race" and again.number == 1 and not again.so_far


async def test_a_name_already_played_here_is_refused() -> None:
    scores = standard_array({"str": 15, "dex": 13, "con": 14, "int": 8, "wis": 12, "cha": 10})
    other = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=1)
    ctx = _ctx(GameState(characters={"pc-1": other}))
    await run(ctx, "!create_character")
    for text in ("halfling", "lightfoot", "rogue", "standard", "1", "1, 2, 3, 4", "a", "a", "a"):
        step = await answer(ctx, text)
    assert isinstance(step, CreationStep) and step.step == "name"
    taken = await answer(ctx, "brom")
    assert isinstance(taken, CreationStep) and "already plays Brom" in taken.problem
    made = await answer(ctx, "Pip")
    assert isinstance(made, CharacterCreated) and made.race == "Halfling" and made.subrace == "Lightfoot"


async def test_naming_the_instrument_picks_the_any_instrument_option() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character")
    for text in ("human", "bard", "standard", "recommended", "1, 2, 3", "rapier", "diplomat"):
        step = await answer(ctx, text)
    assert isinstance(step, CreationStep) and step.step == "equipment" and "Lute" in step.choices[0].label
    name = await answer(ctx, "flute")  # not an option itself: it fills "(b) any musical instrument"
    assert isinstance(name, CreationStep) and name.step == "name" and not name.problem
    made = await answer(ctx, "Wren")
    assert isinstance(made, CharacterCreated)
    assert {e["name"] for e in made.equipment} >= {"Flute", "Rapier", "Diplomat's pack"}
    assert "Lute" not in {e["name"] for e in made.equipment}


async def test_choose_needs_an_answer_and_a_draft() -> None:
    with pytest.raises(BadArguments, match="ANSWER is missing"):
        await run(_ctx(), "!choose")
    with pytest.raises(NotCreating):
        await run(_ctx(), "!pick dwarf")


async def test_step_text_numbers_the_choices_for_the_console() -> None:
    ctx = _ctx()
    text = render_text(await run(ctx, "!create_character"))
    assert "Step 1: Which race is your character?" in text and "  7. Half-Elf (+2 CHA, speed 30)" in text


# --- the quick form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name", "race", "subrace", "cls", "hp", "skills"),
    [
        ('"Sir Bob" hill dwarf fighter', "Sir Bob", "Dwarf", "Hill Dwarf", "Fighter", 14, {"athletics", "perception"}),
        ("Bob dwarf cleric", "Bob", "Dwarf", "Hill Dwarf", "Cleric", 12, {"insight", "medicine"}),
        ("Ayla half-elf bard", "Ayla", "Half-Elf", None, "Bard", 10,
         {"performance", "persuasion", "deception", "perception", "insight"}),
        ("Mira Vance high elf wizard pointbuy", "Mira Vance", "Elf", "High Elf", "Wizard", 8,
         {"arcana", "investigation", "perception"}),
        ("Grom half orc barbarian", "Grom", "Half-Orc", None, "Barbarian", 14,
         {"athletics", "perception", "intimidation"}),
        ("Ember red dragonborn rogue", "Ember", "Dragonborn", "Red", "Rogue", 10,
         {"stealth", "perception", "acrobatics", "sleight_of_hand"}),
    ],
)  # fmt: skip
async def test_quick_form_makes_a_character_with_sensible_defaults(
    line: str, name: str, race: str, subrace: str | None, cls: str, hp: int, skills: set[str]
) -> None:
    ctx = _ctx()
    made = await run(ctx, f"!create_character {line}")
    assert isinstance(made, CharacterCreated)
    assert (made.name, made.race, made.subrace, made.class_name, made.level) == (name, race, subrace, cls, 1)
    assert made.max_hp == made.hp == hp and set(made.skills) == skills
    main = {"Fighter": "strength", "Cleric": "wisdom", "Bard": "charisma", "Wizard": "intelligence",
            "Barbarian": "strength", "Rogue": "dexterity"}[cls]  # fmt: skip
    scores = {a.ability: a.score for a in made.abilities}
    assert scores[main] >= 15  # the class's main ability got the best score (15 before racial increases)
    assert ctx.state.characters[f"pc-{PLAYER}"].name == name and made.id == f"pc-{PLAYER}"


async def test_quick_form_defaults_a_half_elf_bonus_to_the_class_priorities() -> None:
    made = await run(_ctx(), "!create_character Lia half-elf rogue")
    assert isinstance(made, CharacterCreated)
    scores = {a.ability: a.score for a in made.abilities}
    assert scores == {"dexterity": 16, "constitution": 15, "wisdom": 13, "intelligence": 12, "charisma": 12,
                      "strength": 8}  # fmt: skip


async def test_quick_form_with_roll_keeps_the_rolls() -> None:
    made = await run(_ctx(), "!create_character Kess tiefling warlock roll")
    assert isinstance(made, CharacterCreated) and made.method == "roll" and len(made.rolls) == 6
    base = sorted((r["total"] for r in made.rolls), reverse=True)
    assert {a.ability: a.score for a in made.abilities}["charisma"] == base[0] + 2  # Tiefling +2 CHA
    assert "Rolled scores" in render_text(made)


async def test_quick_form_after_a_dead_character_gets_the_next_id() -> None:
    scores = standard_array({"str": 15, "dex": 13, "con": 14, "int": 8, "wis": 12, "cha": 10})
    fallen = create_character("Old Tom", "human", "fighter", scores, ["athletics", "perception"], player_id=PLAYER)
    fallen.die()
    ctx = _ctx(GameState(characters={f"pc-{PLAYER}": fallen}))
    made = await run(ctx, "!create_character Young Tom human fighter")
    assert isinstance(made, CharacterCreated) and made.id == f"pc-{PLAYER}-2"
    assert ctx.state.character_of(PLAYER) == (f"pc-{PLAYER}-2", ctx.state.characters[f"pc-{PLAYER}-2"])


async def test_a_second_living_character_is_refused_in_both_forms() -> None:
    ctx = _ctx()
    await run(ctx, "!create_character Bob dwarf fighter")
    before = ctx.state
    with pytest.raises(AlreadyPlaying, match="You already play Bob"):
        await run(ctx, "!create_character Rob elf wizard")
    with pytest.raises(AlreadyPlaying):
        await run(ctx, "!create_character")
    assert ctx.state is before and PLAYER not in _drafts(ctx)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Bob dwarf", "Give a name, a race and a class."),
        ("Bob dwarf wizzard", "'wizzard' is not a class"),
        ("Bob orc fighter", "'orc' is not a race I know"),
        ('"Sir Bob hill dwarf fighter', "A quotation mark is not closed."),
        ("dwarf fighter", "Give a name, a race and a class."),
    ],
)
async def test_quick_form_bad_arguments_say_what_is_wrong(line: str, problem: str) -> None:
    ctx = _ctx()
    with pytest.raises(BadArguments, match=problem) as caught:
        await run(ctx, f"!create_character {line}")
    assert "!create_character NAME RACE CLASS" in caught.value.usage
    assert not ctx.state.characters


def test_the_commands_are_in_the_character_area_and_need_a_campaign() -> None:
    for name in ("create_character", "choose", "my_sheet", "inventory", "use_item", "rest"):
        spec = REGISTRY.require(name)
        assert spec.area == "character" and spec.needs_campaign, name
    assert REGISTRY.require("pick").name == "choose" and REGISTRY.require("sheet").name == "my_sheet"
    assert REGISTRY.require("inv").name == "inventory" and REGISTRY.require("use_item").needs_character


# --- answer parsing -------------------------------------------------------------------------------


def test_match_choices_takes_numbers_values_labels_and_unique_prefixes() -> None:
    choices = [Choice(value="sleight_of_hand", label="Sleight of Hand"), Choice(value="stealth", label="Stealth"),
               Choice(value="perception", label="Perception")]  # fmt: skip
    assert match_choices("2", choices, 1) == ["stealth"]
    assert match_choices("SLEIGHT OF HAND, 3", choices, 2) == ["sleight_of_hand", "perception"]
    assert match_choices("sleight of hand perception", choices, 2) == ["sleight_of_hand", "perception"]
    assert match_choices("perc", choices, 1) == ["perception"]
    with pytest.raises(BadAnswer, match="could be Sleight of Hand or Stealth"):
        match_choices("s", choices, 1)
    with pytest.raises(BadAnswer, match="'4' is not one of the choices"):
        match_choices("4", choices, 1)


def test_a_sentence_that_names_the_choices_is_understood() -> None:
    races = [Choice(value="elf", label="Elf"), Choice(value="half-elf", label="Half-Elf"),
             Choice(value="dwarf", label="Dwarf")]  # fmt: skip
    assert match_choices("I'd like to play a half-elf, please", races, 1) == ["half-elf"]
    assert match_choices("an elf", races, 1) == ["elf"]
    with pytest.raises(BadAnswer):
        match_choices("a dwarf or an elf", races, 1)


def test_parse_scores_reads_named_or_ordered_scores() -> None:
    assert parse_scores("cha 8, wis=10 int:12 STR 15 dex 14 con 13")["strength"] == 15
    assert parse_scores("15 14 13 12 10 8") == {"strength": 15, "dexterity": 14, "constitution": 13,
                                                 "intelligence": 12, "wisdom": 10, "charisma": 8}  # fmt: skip
    for bad in ("15 14 13", "str 15 str 14 con 13 int 12 wis 10 cha 8", "fifteen"):
        with pytest.raises(BadAnswer):
            parse_scores(bad)
