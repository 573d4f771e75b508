"""Subclass features wired into play (issue 15): Frenzy ends with exhaustion, on a hand-built context."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import parse_invocation
from game.character import Character
from game.creation import create_character, standard_array
from game.effects import GameState, HpChange
from game.errors import RulesError
from game.leveling import level_up
from game.rests import long_rest
from gateway.render.text import render_text

load_all()


def _barbarian(subclass: str | None = "Path of the Berserker", level: int = 3) -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Grog", "human", "barbarian", scores, ["athletics", "survival"], player_id=1)
    who.id = "pc-1"
    while who.level < level:
        level_up(who, subclass=subclass if who.level == 2 else None, milestone=True)
    return who


def _ctx(state: GameState, player: int = 1) -> CommandContext:
    return CommandContext(caller=Caller(player, f"p{player}"), channel_id=-1, campaign=CampaignInfo(1, "T", -1),
                          state=state, rng=random.Random(4))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


# --- Frenzy (Path of the Berserker 3) ---------------------------------------------------------------


async def test_a_frenzy_ended_by_command_leaves_one_level_of_exhaustion() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian()}))
    started = await run(ctx, "!use_feature rage frenzy")
    grog = ctx.state.characters["pc-1"]
    assert started.option == "Frenzy" and set(grog.active_features) == {"rage", "frenzy"}
    assert grog.resources["rage"].remaining == 2  # 3 rages at barbarian 3, one spent
    ended = await run(ctx, "!use_feature rage end")
    grog = ctx.state.characters["pc-1"]
    assert grog.active_features == [] and grog.exhaustion == 1
    assert "exhaustion level 1" in render_text(ended)
    await run(ctx, "!use_feature rage")  # a plain rage costs nothing when it ends
    await run(ctx, "!use_feature rage end")
    assert ctx.state.characters["pc-1"].exhaustion == 1


async def test_a_frenzy_ends_with_exhaustion_when_the_barbarian_drops_or_rests() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian()}))
    await run(ctx, "!use_feature frenzy")
    ctx.apply([HpChange(target="pc-1", amount=-200, source="ogre")])
    grog = ctx.state.characters["pc-1"]
    assert "rage" not in grog.active_features and grog.exhaustion == 1
    rested = _barbarian()
    rested.active_features = ["rage", "frenzy"]
    long_rest(rested)  # the frenzy's level comes first, then the rest removes one
    assert rested.exhaustion == 0 and rested.active_features == []


async def test_frenzy_needs_a_berserker_of_level_3() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian(level=2)}))
    before = ctx.state
    with pytest.raises(RulesError, match="no Frenzy"):
        await run(ctx, "!use_feature rage frenzy")
    assert ctx.state == before


# --- !attack: Divine Strike, Colossus Slayer, Dark One's Blessing ------------------------------------

from game.combat import Combatant, CombatState  # noqa: E402
from game.dice import seeded  # noqa: E402
from game.effects import Creature, TurnAdvance  # noqa: E402


def _pc(name: str, cls: str, skills: list[str], level: int, player: int = 1, race: str = "human",
        choices: dict[str, str] | None = None, scores: dict[str, int] | None = None) -> Character:  # fmt: skip
    scores = scores or {"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}
    who = create_character(name, race, cls, standard_array(scores), skills, player_id=player)
    who.id = f"pc-{player}"
    while who.level < level:
        level_up(who, choices=choices if who.level + 1 == 3 else None, milestone=True)
    return who


def _ogre(hp: int = 59, cid: str = "ogre") -> Creature:
    return Creature(id=cid, name=cid.title(), hp=hp, max_hp=59, armor_class=1, dexterity=8)


def _in_fight(state: GameState, order: list[str]) -> GameState:
    rows = tuple(Combatant(id=c, name=c, initiative=20 - i, is_player=c in state.characters) for i, c in enumerate(order))
    return state.model_copy(update={"combat": CombatState(combatants=rows)})


async def _hit(state: GameState, line: str, want: Any = lambda r: r.hit and not r.critical) -> tuple[Any, CommandContext]:
    for seed in range(300):
        ctx = _ctx(state)
        with seeded(seed):
            result = await run(ctx, line)
        if want(result):
            return result, ctx
    raise AssertionError("no seed gave the attack wanted")


async def test_divine_strike_adds_1d8_radiant_once_a_turn_at_cleric_8() -> None:
    cleric = _pc("Tova", "cleric", ["insight", "medicine"], 8, scores={"wis": 15, "str": 14, "con": 13, "dex": 12,
                                                                          "cha": 10, "int": 8})  # fmt: skip
    assert cleric.subclass_of("cleric") == "Life Domain"
    state = _in_fight(GameState(characters={"pc-1": cleric}, creatures={"ogre": _ogre()}), ["pc-1", "ogre"])
    first, ctx = await _hit(state, "!attack ogre")
    (strike,) = first.extras
    assert strike["feature"] == "Divine Strike" and strike["damage_type"] == "radiant"
    assert strike["roll"]["expression"].startswith("1d8") and 1 <= strike["damage"] <= 8
    assert first.damage_dealt == first.damage + strike["damage"]
    assert ctx.state.creatures["ogre"].hp == 59 - first.damage_dealt
    assert "Divine Strike: " in render_text(first) and "radiant" in render_text(first)
    for seed in range(300):  # the same turn: no second strike
        with seeded(seed):
            again = await run(ctx, "!attack ogre")
        if again.hit:
            break
    assert again.hit and again.extras == ()
    ctx.apply([TurnAdvance(actor="pc-1"), TurnAdvance(actor="ogre")])  # the ogre's turn, then the cleric's again
    assert ctx.state.combat is not None and ctx.state.combat.once_per_turn == ()
    for seed in range(300):
        with seeded(seed):
            third = await run(ctx, "!attack ogre")
        if third.hit and not third.dead:
            break
    assert [x["feature"] for x in third.extras] == ["Divine Strike"]


async def test_divine_strike_is_2d8_at_14_and_absent_before_8() -> None:
    for level, dice in ((7, None), (14, "2d8")):
        cleric = _pc("Tova", "cleric", ["insight", "medicine"], level)
        result, _ = await _hit(GameState(characters={"pc-1": cleric}, creatures={"ogre": _ogre()}), "!attack ogre")
        assert [x["roll"]["expression"][:3] for x in result.extras] == ([dice] if dice else [])


async def test_colossus_slayer_needs_a_wounded_target_and_the_choice() -> None:
    ranger = _pc("Wren", "ranger", ["perception", "stealth", "survival"], 3,
                 choices={"hunter's prey": "colossus slayer"})  # fmt: skip
    fresh, _ = await _hit(GameState(characters={"pc-1": ranger}, creatures={"ogre": _ogre()}), "!attack ogre")
    assert fresh.extras == ()  # at its maximum: no extra die
    hurt, ctx = await _hit(GameState(characters={"pc-1": ranger}, creatures={"ogre": _ogre(40)}), "!attack ogre")
    (slayer,) = hurt.extras
    assert slayer["feature"] == "Colossus Slayer" and slayer["damage_type"] == hurt.damage_type
    assert 1 <= slayer["damage"] <= 8 and ctx.state.creatures["ogre"].hp == 40 - hurt.damage - slayer["damage"]
    other = _pc("Wren", "ranger", ["perception", "stealth", "survival"], 3, choices={"hunter's prey": "horde breaker"})
    plain, _ = await _hit(GameState(characters={"pc-1": other}, creatures={"ogre": _ogre(40)}), "!attack ogre")
    assert plain.extras == ()


async def test_dark_ones_blessing_on_dropping_a_hostile_with_an_attack() -> None:
    warlock = _pc("Zed", "warlock", ["arcana", "deception"], 3, scores={"cha": 15, "con": 14, "dex": 13, "str": 12,
                                                                       "wis": 10, "int": 8})  # fmt: skip
    assert warlock.subclass_of("warlock") == "The Fiend"
    dropped, ctx = await _hit(GameState(characters={"pc-1": warlock}, creatures={"ogre": _ogre(1)}), "!attack ogre")
    assert dropped.dead and dropped.temp_hp_gained == 3 + 3  # Cha 16 (+3) + warlock level 3
    assert ctx.state.characters["pc-1"].temp_hp == 6
    assert "Dark One's Blessing: Zed gains 6 temporary hit points." in render_text(dropped)
    standing, ctx = await _hit(GameState(characters={"pc-1": warlock}, creatures={"ogre": _ogre()}), "!attack ogre")
    assert standing.temp_hp_gained is None and ctx.state.characters["pc-1"].temp_hp == 0


# --- !cast: Sculpt Spells, Potent Cantrip, Empowered Evocation, Blessed Healer, Lucky, Dark One's Blessing --

from dataclasses import dataclass  # noqa: E402

from dm.errors import BadArguments  # noqa: E402
from dm.commands.spells import SpellCast  # noqa: E402
from dm.commands.spell_features import split_sculpt  # noqa: E402

# fmt: off
SPELLS: dict[str, dict[str, Any]] = {s["name"].lower(): s for s in [
    {'name': 'Fireball', 'level': 3, 'school': 'evocation', 'concentration': False, 'description': "A bright streak flashes from your pointing finger to a point you choose within range and then blossoms with a low roar into an explosion of flame. Each creature in a 20-foot-radius sphere centered on that point must make a Dexterity saving throw. A target takes 8d6 fire damage on a failed save, or half as much damage on a successful one.", 'higher_levels': 'When you cast this spell using a spell slot of 4th level or higher, the damage increases by 1d6 for each slot level above 3rd.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Thunderwave', 'level': 1, 'school': 'evocation', 'concentration': False, 'description': "A wave of thunderous force sweeps out from you. Each creature in a 15-foot cube originating from you must make a Constitution saving throw. On a failed save, a creature takes 2d8 thunder damage and is pushed 10 feet away from you. On a successful save, the creature takes half as much damage and isn't pushed.", 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the damage increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'druid', 'sorcerer', 'wizard']},
    {'name': 'Poison Spray', 'level': 0, 'school': 'conjuration', 'concentration': False, 'description': "You extend your hand toward a creature you can see within range and project a puff of noxious gas from your palm. The creature must succeed on a Constitution saving throw or take 1d12 poison damage.\nThis spell's damage increases by 1d12 when you reach 5th level (2d12), 11th level (3d12), and 17th level (4d12).", 'higher_levels': None, 'classes': ['druid', 'sorcerer', 'warlock', 'wizard']},
    {'name': 'Fire Bolt', 'level': 0, 'school': 'evocation', 'concentration': False, 'description': "You hurl a mote of fire at a creature or object within range. Make a ranged spell attack against the target. On a hit, the target takes 1d10 fire damage. A flammable object hit by this spell ignites if it isn't being worn or carried.\nThis spell's damage increases by 1d10 when you reach 5th level (2d10), 11th level (3d10), and 17th level (4d10).", 'higher_levels': None, 'classes': ['sorcerer', 'wizard']},
    {'name': 'Magic Missile', 'level': 1, 'school': 'evocation', 'concentration': False, 'description': 'You create three glowing darts of magical force. Each dart hits a creature of your choice that you can see within range. A dart deals 1d4 + 1 force damage to its target. The darts all strike simultaneously, and you can direct them to hit one creature or several.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the spell creates one more dart for each slot level above 1st.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Cure Wounds', 'level': 1, 'school': 'evocation', 'concentration': False, 'description': 'A creature you touch regains a number of hit points equal to 1d8 + your spellcasting ability modifier. This spell has no effect on undead or constructs.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the healing increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'cleric', 'druid', 'paladin', 'ranger']},
    {'name': 'Eldritch Blast', 'level': 0, 'school': 'evocation', 'concentration': False, 'description': "A beam of crackling energy streaks toward a creature within range. Make a ranged spell attack against the target. On a hit, the target takes 1d10 force damage.", 'higher_levels': None, 'classes': ['warlock']},
]}
# fmt: on


@dataclass(frozen=True)
class _Match:
    record: dict[str, Any]


class SpellBook:
    async def lookup(self, kind: str, name: str) -> _Match:
        return _Match(dict(SPELLS[name.lower()]))

    async def search(self, text: str, limit: int = 10) -> list[Any]:
        return []


INT_FIRST = {"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8}
WIS_FIRST = {"wis": 15, "con": 14, "str": 13, "dex": 12, "cha": 10, "int": 8}


def _table(caster: Character, *allies: Character, ogres: int = 2, hp: int = 59) -> GameState:
    chars = {c.id: c for c in (caster, *allies) if c.id}
    ogre_map = {f"ogre-{i}": _ogre(hp, f"ogre-{i}") for i in range(1, ogres + 1)}
    return GameState(characters=chars, creatures=ogre_map)


def _allies() -> list[Character]:
    return [_pc("Brom", "fighter", ["athletics", "perception"], 1, player=3),
            _pc("Tova", "fighter", ["athletics", "perception"], 1, player=4),
            _pc("Kip", "fighter", ["athletics", "perception"], 1, player=5)]  # fmt: skip


async def _cast(state: GameState, line: str, seed: int, player: int = 1) -> tuple[SpellCast, CommandContext]:
    ctx = CommandContext(caller=Caller(player, "p"), channel_id=-1, campaign=CampaignInfo(1, "T", -1), state=state,
                         rules=SpellBook(), rng=random.Random(seed))  # fmt: skip
    with seeded(seed):
        return await run(ctx, line), ctx


def test_sculpt_words_split_from_the_targets() -> None:
    assert split_sculpt("fireball on goblin 1, goblin 2 sculpt Mira, Bram") == (
        "fireball on goblin 1, goblin 2", ["Mira", "Bram"])
    assert split_sculpt("thunderwave on ogre sparing Kip and Tova") == ("thunderwave on ogre", ["Kip", "Tova"])
    assert split_sculpt("fireball on goblin 1") == ("fireball on goblin 1", [])


async def test_sculpt_spells_spares_chosen_allies_of_an_evocation() -> None:
    wizard = _pc("Mira", "wizard", ["arcana", "history"], 5, scores=INT_FIRST)
    assert wizard.subclass_of("wizard") == "School of Evocation"
    state = _table(wizard, *_allies())
    done, ctx = await _cast(state, "!cast fireball on ogre-1, ogre-2 sculpt Brom, Tova", seed=2)
    spared = {t.name: t for t in done.targets if t.sculpted}
    assert set(spared) == {"Brom", "Tova"} and all(t.saved and t.damage == 0 for t in spared.values())
    assert ctx.state.characters["pc-3"].hp == ctx.state.characters["pc-3"].max_hp
    ogre = next(t for t in done.targets if t.id == "ogre-1")
    assert ogre.damage in (done.damage_roll["total"], done.damage_roll["total"] // 2)
    assert ctx.state.creatures["ogre-1"].hp == 59 - ogre.damage_dealt
    assert "spared by Sculpt Spells" in render_text(done)


async def test_sculpt_spells_is_refused_beyond_one_plus_the_spell_level_or_without_the_school() -> None:
    wizard = _pc("Mira", "wizard", ["arcana", "history"], 5, scores=INT_FIRST)
    state = _table(wizard, *_allies())
    with pytest.raises(RulesError, match="at most 2 creatures"):  # Thunderwave at 1st: 1 + 1
        await _cast(state, "!cast thunderwave on ogre-1 sparing Brom, Tova, Kip", seed=1)
    done, _ = await _cast(state, "!cast thunderwave at 2 on ogre-1 sparing Brom, Tova, Kip", seed=1)  # 1 + 2
    assert sum(t.sculpted for t in done.targets) == 3
    novice = _pc("Mira", "wizard", ["arcana", "history"], 1, scores=INT_FIRST)
    with pytest.raises(RulesError, match="can't sculpt"):
        await _cast(_table(novice, *_allies()), "!cast thunderwave on ogre-1 sculpt Brom", seed=1)
    with pytest.raises(RulesError, match="saving throw"):
        await _cast(state, "!cast fire bolt on ogre-1 sculpt Brom", seed=1)
    with pytest.raises(BadArguments):
        await _cast(state, "!cast thunderwave on ogre-1 sculpt Nobody", seed=1)


async def _saved(state: GameState, line: str, want_saved: bool) -> SpellCast:
    for seed in range(300):
        done, _ = await _cast(state, line, seed)
        if done.targets[0].saved is want_saved:
            return done
    raise AssertionError("no seed")


async def test_potent_cantrip_halves_a_saved_cantrip_from_wizard_6() -> None:
    for level, half in ((5, False), (6, True)):
        wizard = _pc("Mira", "wizard", ["arcana", "history"], level, scores=INT_FIRST)
        done = await _saved(_table(wizard), "!cast poison spray on ogre-1", True)
        assert done.dice == "2d12" and done.potent_cantrip is half
        assert done.targets[0].damage == (done.damage_roll["total"] // 2 if half else 0)
        failed = await _saved(_table(wizard), "!cast poison spray on ogre-1", False)
        assert failed.targets[0].damage == failed.damage_roll["total"]


async def test_empowered_evocation_adds_the_int_modifier_to_one_damage_roll_from_wizard_10() -> None:
    wizard = _pc("Mira", "wizard", ["arcana", "history"], 10, scores=INT_FIRST)
    assert wizard.modifier("intelligence") == 3
    failed = await _saved(_table(wizard), "!cast fireball on ogre-1", False)
    assert failed.empowered == 3 and failed.targets[0].damage == failed.damage_roll["total"] + 3
    darts, _ = await _cast(_table(wizard), "!cast magic missile on ogre-1, ogre-2", seed=3)
    assert [t.damage - t.damage_roll["total"] for t in darts.targets] == [3, 0]
    assert "Empowered Evocation: +3" in render_text(darts)
    toxic, _ = await _cast(_table(wizard), "!cast poison spray on ogre-1", seed=3)  # conjuration: nothing
    assert toxic.empowered is None
    nine = _pc("Mira", "wizard", ["arcana", "history"], 9, scores=INT_FIRST)
    assert (await _saved(_table(nine), "!cast fireball on ogre-1", False)).empowered is None


async def test_blessed_healer_heals_the_life_cleric_who_heals_another() -> None:
    for level, gain in ((6, 3), (5, None)):
        cleric = _pc("Tova", "cleric", ["insight", "medicine"], level, player=1, scores=WIS_FIRST)
        cleric.hp = 5
        brom = _allies()[0]
        brom.hp = 1
        done, ctx = await _cast(_table(cleric, brom), "!cast cure wounds on Brom", seed=4)
        assert done.blessed_healer == gain  # 2 + spell level 1
        assert ctx.state.characters["pc-1"].hp == 5 + (gain or 0)
    cleric = _pc("Tova", "cleric", ["insight", "medicine"], 6, player=1, scores=WIS_FIRST)
    cleric.hp = 5
    own, _ = await _cast(_table(cleric), "!cast cure wounds on me", seed=4)
    assert own.blessed_healer is None
    upcast, ctx = await _cast(_table(cleric, _allies()[0]), "!cast cure wounds at 2 on Brom", seed=4)
    assert upcast.blessed_healer == 4 and "Blessed Healer: Tova regains 4 hit points." in render_text(upcast)


async def test_a_halfling_caster_rerolls_a_natural_1_on_a_spell_attack_and_a_halfling_target_on_a_save() -> None:
    wizard = _pc("Pip", "wizard", ["arcana", "history"], 1, race="halfling", scores=INT_FIRST)
    rerolled = 0
    for seed in range(200):
        done, _ = await _cast(_table(wizard), "!cast fire bolt on ogre-1", seed)
        faces = done.targets[0].attack_rolls[0]["rolls"]
        assert "1d20ro1" in done.targets[0].attack_rolls[0]["breakdown"]  # rolled as Lucky
        rerolled += any(d["value"] == 1 and not d["kept"] for d in faces)
    assert rerolled > 0
    caster = _pc("Mira", "wizard", ["arcana", "history"], 5, scores=INT_FIRST)
    halfling = _pc("Pip", "fighter", ["athletics", "perception"], 1, player=3, race="halfling")
    halfling.max_hp = 500
    halfling.hp = 500
    saves = 0
    for seed in range(200):
        done, _ = await _cast(_table(caster, halfling), "!cast thunderwave on Pip", seed)
        faces = done.targets[0].save_roll["rolls"]
        assert "1d20ro1" in done.targets[0].save_roll["breakdown"]  # the halfling target's Lucky
        saves += any(d["value"] == 1 and not d["kept"] for d in faces)
    assert saves > 0


async def test_dark_ones_blessing_on_dropping_a_hostile_with_a_spell() -> None:
    warlock = _pc("Zed", "warlock", ["arcana", "deception"], 1, scores={"cha": 15, "con": 14, "dex": 13, "str": 12,
                                                                       "wis": 10, "int": 8})  # fmt: skip
    for seed in range(300):
        done, ctx = await _cast(_table(warlock, ogres=1, hp=1), "!cast eldritch blast on ogre-1", seed)
        if done.targets[0].hits:
            break
    assert done.targets[0].dead and done.temp_hp_gained == 3 + 1  # Cha +3, warlock level 1
    assert ctx.state.characters["pc-1"].temp_hp == 4
    assert "Dark One's Blessing: Zed gains 4 temporary hit points." in render_text(done)


# --- !level_up ---------------------------------------------------------------------------------------

from dm.commands.leveling import LevelledUp, parse_level_up  # noqa: E402
from dm.commands.registry import REGISTRY  # noqa: E402


def _with_xp(who: Character, xp: int) -> GameState:
    who.xp = xp
    return GameState(characters={"pc-1": who})


def test_level_up_is_a_character_command() -> None:
    spec = REGISTRY.require("level_up")
    assert spec.area == "character" and spec.needs_character and not spec.owner_only
    assert REGISTRY.get("levelup") is spec


async def test_level_up_with_enough_xp_takes_average_hit_points() -> None:
    fighter = _pc("Brom", "fighter", ["athletics", "perception"], 1)
    ctx = _ctx(_with_xp(fighter, 300))
    done = await run(ctx, "!level_up")
    assert isinstance(done, LevelledUp) and (done.level, done.class_name, done.class_level) == (2, "Fighter", 2)
    assert done.hp_gained == 6 + 2 and done.max_hp == 12 + 8  # d10 average 6, Con 14 (+2)
    assert "Action Surge (one use)" in done.new_features and done.next_xp == 900
    brom = ctx.state.characters["pc-1"]
    assert brom.level == 2 and brom.max_hp == 20 and "action_surge" in brom.resources
    text = render_text(done)
    assert "reaches character level 2" in text and "Hit points +8 (maximum 20)" in text and "900 XP" in text


async def test_level_up_without_the_xp_is_refused_naming_the_xp_needed() -> None:
    ctx = _ctx(_with_xp(_pc("Brom", "fighter", ["athletics", "perception"], 1), 299))
    before = ctx.state
    with pytest.raises(RulesError, match="needs 300 XP for level 2") as refused:
        await run(ctx, "!level_up")
    assert "nothing was changed" in str(refused.value).lower() and ctx.state == before


async def test_level_up_into_another_class_checks_the_multiclass_prerequisites() -> None:
    ctx = _ctx(_with_xp(_pc("Brom", "fighter", ["athletics", "perception"], 1), 300))
    before = ctx.state
    with pytest.raises(RulesError, match="(?i)intelligence") as refused:  # Int 8: a wizard needs 13
        await run(ctx, "!level_up wizard")
    assert "nothing was changed" in str(refused.value).lower() and ctx.state == before
    smart = _pc("Brom", "fighter", ["athletics", "perception"], 1, scores={"str": 15, "int": 14, "con": 13, "dex": 12,
                                                                          "wis": 10, "cha": 8})  # fmt: skip
    ctx = _ctx(_with_xp(smart, 300))
    done = await run(ctx, "!level_up wizard")
    assert done.multiclass and (done.class_name, done.class_level, done.level) == ("Wizard", 1, 2)
    assert done.hp_gained == 4 + 2  # d6 average 4, Con 13 + 1 (human) = 14: +2
    assert ctx.state.characters["pc-1"].class_level("wizard") == 1
    assert "takes a first level of Wizard" in render_text(done)


async def test_a_druid_2_chooses_the_land_or_gets_a_default_and_is_told() -> None:
    druid = _pc("Fen", "druid", ["nature", "insight"], 1, scores=WIS_FIRST)
    ctx = _ctx(_with_xp(druid, 300))
    done = await run(ctx, "!level_up druid land=arctic")
    assert done.subclass == "Circle of the Land" and done.choices == {"land": "arctic"} and done.defaulted == ()
    assert ctx.state.characters["pc-1"].choices["land"] == "arctic"
    ctx = _ctx(_with_xp(_pc("Fen", "druid", ["nature", "insight"], 1, scores=WIS_FIRST), 300))
    plain = await run(ctx, "!level_up")
    assert plain.choices == {"land": "forest"} and plain.defaulted == ("land",)
    assert "Land: forest (chosen for you; name another with land=...)" in render_text(plain)


async def test_a_ranger_3_gets_hunters_prey_from_the_command() -> None:
    ranger = _pc("Wren", "ranger", ["perception", "stealth", "survival"], 2)
    ctx = _ctx(_with_xp(ranger, 900))
    done = await run(ctx, "!level_up ranger hunter prey=horde_breaker")
    assert done.subclass == "Hunter" and ctx.state.characters["pc-1"].choices["hunter's prey"] == "horde breaker"


@pytest.mark.parametrize("line", ["!level_up wizzard", "!level_up druid colour=red", "!level_up druid land="])
async def test_level_up_refuses_bad_arguments(line: str) -> None:
    ctx = _ctx(_with_xp(_pc("Fen", "druid", ["nature", "insight"], 1), 300))
    with pytest.raises(BadArguments):
        await run(ctx, line)


async def test_level_up_refuses_an_unknown_land_or_subclass() -> None:
    ctx = _ctx(_with_xp(_pc("Fen", "druid", ["nature", "insight"], 1), 300))
    before = ctx.state
    with pytest.raises(RulesError, match="not an option for land"):
        await run(ctx, "!level_up land=moon")
    with pytest.raises(RulesError, match="Circle of the Land"):
        await run(ctx, "!level_up druid moon")
    assert ctx.state == before


def test_parse_level_up() -> None:
    assert parse_level_up("wizard evocation") == ("wizard", "evocation", {}, [])
    assert parse_level_up("ranger prey=colossus_slayer skill=stealth") == (
        "ranger", None, {"hunter's prey": "colossus slayer"}, ["stealth"])
    assert parse_level_up(None) == (None, None, {}, [])


# --- creation: the Draconic Bloodline's dragon ancestor --------------------------------------------------

from dm.commands.creation import CharacterCreated, CreationStep  # noqa: E402


async def test_the_guided_flow_asks_a_sorcerer_for_the_dragon_ancestor() -> None:
    ctx = CommandContext(Caller(7, "p7"), 1, CampaignInfo(1, "Keep", 1), GameState())
    step = await run(ctx, "!create_character")
    answers = {"race": "human", "class": "sorcerer", "method": "standard", "scores": "recommended",
               "skills": "arcana, insight", "equipment": "a", "name": "Vyra"}  # fmt: skip
    asked = None
    for _ in range(20):
        assert isinstance(step, CreationStep) and not step.problem, step
        if step.step == "dragon_ancestor":
            asked = step
            assert len(step.choices) == 10 and "dragon is your ancestor" in step.question
            text = "blue"
        else:
            text = answers.get(step.step, "1")
        step = await run(ctx, f"!choose {text}")
        if isinstance(step, CharacterCreated):
            break
    assert asked is not None and isinstance(step, CharacterCreated)
    vyra = ctx.state.characters["pc-7"]
    assert vyra.subclass == "Draconic Bloodline" and vyra.choices["dragon ancestor"] == "blue"
    assert "Draconic" in vyra.proficiencies.languages


async def test_the_quick_form_gives_a_sorcerer_a_red_dragon_ancestor() -> None:
    ctx = CommandContext(Caller(8, "p8"), 1, CampaignInfo(1, "Keep", 1), GameState())
    done = await run(ctx, "!create_character Ember human sorcerer")
    assert isinstance(done, CharacterCreated)
    ember = ctx.state.characters["pc-8"]
    assert ember.choices["dragon ancestor"] == "red" and ember.subclass == "Draconic Bloodline"
    fighter = CommandContext(Caller(9, "p9"), 1, CampaignInfo(1, "Keep", 1), GameState())
    await run(fighter, "!create_character Brom human fighter")
    assert "dragon ancestor" not in fighter.state.characters["pc-9"].choices
