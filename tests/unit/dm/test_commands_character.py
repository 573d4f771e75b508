"""The character commands on a hand-built table: !my_sheet, !inventory, !use_item, !rest (no database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import gateway.render.text_character  # noqa: F401 - registers the character renderers
from dm.commands.character import InventoryList, ItemConsumed, RestTaken, Sheet
from dm.commands.context import Caller, CampaignInfo, CommandContext
from dm.commands.registry import parse_invocation
from dm.errors import BadArguments, NoCharacter
from game.character import Character
from game.combat import Combatant, CombatState
from game.creation import create_character, point_buy, standard_array
from game.dice import seeded
from game.effects import GameState
from game.errors import IllegalEffect, ItemNotFound, RestError
from game.inventory import make_item
from game.resources import spend_resource
from gateway.render.text import render_text

PLAYER, OTHER = 7, 8


@pytest.fixture(autouse=True)
def _dice() -> Iterator[None]:
    with seeded(1234):
        yield


def _fighter() -> Character:
    scores = standard_array({"str": 15, "dex": 13, "con": 14, "int": 8, "wis": 12, "cha": 10})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=PLAYER)
    who.id = f"pc-{PLAYER}"
    who.add_item(make_item("Potion of healing", 2))
    return who


def _wizard() -> Character:
    scores = point_buy({"str": 8, "dex": 14, "con": 14, "int": 15, "wis": 12, "cha": 8})
    who = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf",
                           player_id=OTHER)  # fmt: skip
    who.id = f"pc-{OTHER}"
    return who


def _ctx(*characters: Character, player: int = PLAYER, **state: object) -> CommandContext:
    game = GameState(characters={c.id or c.name: c for c in characters}, **state)  # type: ignore[arg-type]
    return CommandContext(Caller(player, f"p{player}"), 1, CampaignInfo(1, "Keep", 1), game,
                          player_names={PLAYER: "brom_player", OTHER: "mira_player"})  # fmt: skip


async def run(ctx: CommandContext, line: str) -> object:
    """Parse a command line with the real registry and run its handler, as the table does."""
    invocation = parse_invocation(line)
    assert invocation is not None
    return await invocation.spec.handler(ctx, **invocation.args)


def _hurt(who: Character, hp: int) -> Character:
    who.take_damage(who.hp - hp)
    return who


# --- !my_sheet ------------------------------------------------------------------------------------


async def test_my_sheet_shows_every_number_of_the_callers_character() -> None:
    sheet = await run(_ctx(_fighter()), "!my_sheet")
    assert isinstance(sheet, Sheet) and sheet.own and sheet.name == "Brom"
    assert (sheet.race, sheet.subrace, sheet.class_name, sheet.level) == ("Dwarf", "Hill Dwarf", "Fighter", 1)
    assert sheet.armor_class == 18 and sheet.speed == 25 and sheet.proficiency_bonus == 2
    assert sheet.hp == sheet.max_hp == 14  # d10 + Con 16 (+3) + Dwarven Toughness 1
    strength = next(a for a in sheet.abilities if a.ability == "strength")
    assert (strength.score, strength.modifier, strength.save, strength.save_proficient) == (15, 2, 4, True)
    assert len(sheet.skills) == 18
    athletics = next(s for s in sheet.skills if s.skill == "athletics")
    stealth = next(s for s in sheet.skills if s.skill == "stealth")
    assert (athletics.modifier, athletics.proficiency) == (4, "proficient")
    assert (stealth.modifier, stealth.proficiency) == (1, "none")
    assert sheet.spell_save_dc is None and sheet.xp_next == 300
    assert sheet.classes == ({"name": "Fighter", "subclass": None, "level": 1},)


async def test_sheet_alias_of_another_player_is_read_only_and_has_spellcasting() -> None:
    sheet = await run(_ctx(_fighter(), _wizard()), "!sheet @mira_player")
    assert isinstance(sheet, Sheet) and sheet.name == "Mira" and not sheet.own
    assert sheet.spell_save_dc == 8 + 2 + 3 and sheet.spell_attack_bonus == 5  # INT 15 + 1 (high elf) = 16
    assert sheet.spell_slots == ({"level": 1, "current": 2, "maximum": 2},)
    text = render_text(sheet)
    assert "read-only" in text and "save DC 13" in text and "**" not in text


async def test_my_sheet_refuses_a_player_without_a_character_and_an_unknown_player() -> None:
    with pytest.raises(NoCharacter):
        await run(_ctx(_wizard()), "!my_sheet")
    with pytest.raises(NoCharacter, match="Nobody"):
        await run(_ctx(_fighter()), "!my_sheet @Nobody")


async def test_my_sheet_rejects_extra_words() -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(_fighter()), "!my_sheet @a @b")


async def test_sheet_text_marks_proficiency_without_markdown() -> None:
    text = render_text(await run(_ctx(_fighter()), "!my_sheet"))
    assert "Athletics +4 (P)" in text and "STR +4 (P)" in text and "Stealth +1," in text
    assert "*" not in text and "HP 14/14" in text


# --- !inventory -----------------------------------------------------------------------------------


async def test_inventory_lists_items_coins_and_weight() -> None:
    who = _fighter()
    who.receive(who.currency.model_copy(update={"gp": 10, "sp": 40}))
    result = await run(_ctx(who), "!inv")
    assert isinstance(result, InventoryList) and result.who == "Brom"
    mail = next(i for i in result.items if i.name == "Chain mail")
    assert mail.equipped and mail.weight == 55 and not mail.attuned
    potion = next(i for i in result.items if i.name == "Potion of healing")
    assert potion.quantity == 2 and potion.total_weight == 1.0 and potion.consumable
    assert result.currency["gp"] == 10 and result.currency_weight == 1.0  # 50 coins weigh a pound
    assert result.carried_weight == pytest.approx(who.inventory.weight + 1.0)
    assert result.capacity == 15 * 15
    text = render_text(result)
    assert "Chain mail [equipped] - 55 lb" in text and "10 gp, 40 sp" in text


async def test_inventory_takes_no_arguments_and_needs_a_character() -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(_fighter()), "!inventory everything")
    with pytest.raises(NoCharacter):
        await run(_ctx(_wizard()), "!inventory")


# --- !use_item ------------------------------------------------------------------------------------


async def test_use_item_drinks_one_potion_and_heals_by_its_roll() -> None:
    ctx = _ctx(_hurt(_fighter(), 3))
    result = await run(ctx, "!use_item potion")
    assert isinstance(result, ItemConsumed) and result.item == "Potion of healing"
    assert result.roll is not None and result.roll["expression"] == "2d4+2"
    assert 4 <= result.roll["total"] <= 10
    assert result.hp_before == 3 and result.hp == min(14, 3 + result.roll["total"]) and result.remaining == 1
    stored = ctx.state.characters["pc-7"]
    assert stored.hp == result.hp and stored.inventory.quantity("Potion of healing") == 1
    text = render_text(result)
    assert f"HP 3 -> {result.hp}/14" in text and "1 left" in text


async def test_use_item_names_the_exact_potion_when_several_fit() -> None:
    who = _hurt(_fighter(), 1)
    who.add_item(make_item("Potion of greater healing"))
    ctx = _ctx(who)
    before = ctx.state
    with pytest.raises(BadArguments, match="Potion of healing, Potion of greater healing"):
        await run(ctx, "!use_item potion")
    assert ctx.state is before
    result = await run(ctx, "!use_item POTION OF GREATER HEALING")
    assert isinstance(result, ItemConsumed) and result.roll and result.roll["expression"] == "4d4+4"
    assert result.remaining == 0 and ctx.state.characters["pc-7"].inventory.find("potion of greater healing") is None


async def test_use_item_refuses_gear_and_missing_items_with_the_engines_sentence() -> None:
    ctx = _ctx(_fighter())
    before = ctx.state
    with pytest.raises(IllegalEffect, match="Longsword is not something Brom can use up"):
        await run(ctx, "!use_item longsword")
    with pytest.raises(ItemNotFound, match="Brom does not have 'wand of wonder'"):
        await run(ctx, "!use_item wand of wonder")
    assert ctx.state is before


async def test_use_item_refuses_a_character_who_cannot_act() -> None:
    down = _hurt(_fighter(), 0)
    stunned = _fighter()
    stunned.add_condition("stunned")
    for who in (down, stunned):
        ctx = _ctx(who)
        before = ctx.state
        with pytest.raises(IllegalEffect, match="cannot act right now"):
            await run(ctx, "!use_item potion")
        assert ctx.state is before


async def test_use_item_needs_an_item_name() -> None:
    with pytest.raises(BadArguments, match="ITEM is missing"):
        await run(_ctx(_fighter()), "!use_item")


# --- !rest ----------------------------------------------------------------------------------------


async def test_short_rest_spends_hit_dice_and_shows_the_roll() -> None:
    ctx = _ctx(_hurt(_fighter(), 2))
    result = await run(ctx, "!rest short 1")
    assert isinstance(result, RestTaken) and result.kind == "short" and result.hit_dice_spent == 1
    assert len(result.rolls) == 1 and result.rolls[0]["expression"] == "1d10+3"
    assert result.hp_before == 2 and result.hp == min(14, 2 + result.rolls[0]["total"])
    assert result.hit_dice_left == 0 and ctx.state.characters["pc-7"].hit_dice == 0
    assert "spending 1 Hit Die" in render_text(result)


async def test_a_short_rest_brings_back_second_wind_and_the_sheet_shows_it() -> None:
    who = _fighter()
    spend_resource(who, "second_wind")
    ctx = _ctx(who)
    spent = await run(ctx, "!sheet")
    assert isinstance(spent, Sheet) and spent.resources[0]["name"] == "Second Wind"
    assert (spent.resources[0]["remaining"], spent.resources[0]["max"]) == (0, 1)
    rested = await run(ctx, "!rest short")
    assert isinstance(rested, RestTaken) and rested.hit_dice_spent == 0 and not rested.rolls
    assert rested.resources_restored == {"Second Wind": 1} and "Back: Second Wind +1." in render_text(rested)
    assert "Uses: Second Wind 1/1" in render_text(await run(ctx, "!sheet"))


async def test_short_rest_refuses_more_hit_dice_than_are_left() -> None:
    ctx = _ctx(_hurt(_fighter(), 2))
    before = ctx.state
    with pytest.raises(RestError, match="has 1 Hit Die left, not 3"):
        await run(ctx, "!rest short 3")
    assert ctx.state is before


async def test_long_rest_restores_hit_points_slots_and_hit_dice() -> None:
    who = _wizard()
    who.spell_slots.spend(1)
    who.spell_slots.spend(1)
    who.hit_dice = 0
    _hurt(who, 1)
    ctx = _ctx(who, player=OTHER)
    result = await run(ctx, "!rest long")
    assert isinstance(result, RestTaken) and result.kind == "long"
    assert (result.hp_before, result.hp, result.healed) == (1, who.max_hp, who.max_hp - 1)
    assert result.slots_restored == 2 and result.hit_dice_regained == 1 and result.hit_dice_left == 1
    stored = ctx.state.characters["pc-8"]
    assert stored.hp == stored.max_hp and stored.spell_slots.current[1] == 2
    assert "2 spell slot(s) restored" in render_text(result)


async def test_rest_refuses_during_combat_and_changes_nothing() -> None:
    fight = CombatState(combatants=(Combatant(id="pc-7", name="Brom", initiative=12, is_player=True),))
    ctx = _ctx(_hurt(_fighter(), 2), combat=fight)
    before = ctx.state
    with pytest.raises(RestError, match="middle of a fight"):
        await run(ctx, "!rest long")
    assert ctx.state is before


@pytest.mark.parametrize("line", ["!rest medium", "!rest long 2", "!rest short two", "!rest"])
async def test_rest_rejects_bad_arguments(line: str) -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(_fighter()), line)
