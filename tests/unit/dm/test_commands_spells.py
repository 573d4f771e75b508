"""`!cast` on a hand-built context: the slot spent through the engine, the dice read from the SRD text.

Spell records are copied from `lorekeeper rules export spells` (the SRD 5.1 PDF); the real fuzzy
RulesBook on PostgreSQL is exercised in tests/integration/test_table_combat.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.spells import SpellCast, parse_cast
from dm.errors import BadArguments, Unavailable
from game.character import Character
from game.creation import create_character, standard_array
from game.dice import seeded
from game.effects import Creature, GameState
from game.errors import NoSpellSlot, RulesError, UnknownSpell
from game.slots import slots_for
from gateway.render.text import render_text

load_all()

# fmt: off
SRD_SPELLS: dict[str, dict[str, Any]] = {s["name"].lower(): s for s in [
    {'name': 'Fire Bolt', 'level': 0, 'concentration': False, 'description': "You hurl a mote of fire at a creature or object within range. Make a ranged spell attack against the target. On a hit, the target takes 1d10 fire damage. A flammable object hit by this spell ignites if it isn't being worn or carried.\nThis spell's damage increases by 1d10 when you reach 5th level (2d10), 11th level (3d10), and 17th level (4d10).", 'higher_levels': None, 'classes': ['sorcerer', 'wizard']},
    {'name': 'Magic Missile', 'level': 1, 'concentration': False, 'description': 'You create three glowing darts of magical force. Each dart hits a creature of your choice that you can see within range. A dart deals 1d4 + 1 force damage to its target. The darts all strike simultaneously, and you can direct them to hit one creature or several.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the spell creates one more dart for each slot level above 1st.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Fireball', 'level': 3, 'concentration': False, 'description': "A bright streak flashes from your pointing finger to a point you choose within range and then blossoms with a low roar into an explosion of flame. Each creature in a 20-foot-radius sphere centered on that point must make a Dexterity saving throw. A target takes 8d6 fire damage on a failed save, or half as much damage on a successful one.\nThe fire spreads around corners. It ignites flammable objects in the area that aren't being worn or carried.", 'higher_levels': 'When you cast this spell using a spell slot of 4th level or higher, the damage increases by 1d6 for each slot level above 3rd.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Sacred Flame', 'level': 0, 'concentration': False, 'description': "Flame-like radiance descends on a creature that you can see within range. The target must succeed on a Dexterity saving throw or take 1d8 radiant damage. The target gains no benefit from cover for this saving throw.\nThe spell's damage increases by 1d8 when you reach 5th level (2d8), 11th level (3d8), and 17th level (4d8).", 'higher_levels': None, 'classes': ['cleric']},
    {'name': 'Cure Wounds', 'level': 1, 'concentration': False, 'description': 'A creature you touch regains a number of hit points equal to 1d8 + your spellcasting ability modifier. This spell has no effect on undead or constructs.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the healing increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'cleric', 'druid', 'paladin', 'ranger']},
    {'name': 'Healing Word', 'level': 1, 'concentration': False, 'description': 'A creature of your choice that you can see within range regains hit points equal to 1d4 + your spellcasting ability modifier. This spell has no effect on undead or constructs.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the healing increases by 1d4 for each slot level above 1st.', 'classes': ['bard', 'cleric', 'druid']},
    {'name': 'Haste', 'level': 3, 'concentration': True, 'description': "Choose a willing creature that you can see within range. Until the spell ends, the target's speed is doubled, it gains a +2 bonus to AC, it has advantage on Dexterity saving throws, and it gains an additional action on each of its turns. That action can be used only to take the Attack (one weapon attack only), Dash, Disengage, Hide, or Use an Object action.\nWhen the spell ends, the target can't move or take actions until after its next turn, as a wave of lethargy sweeps over it.", 'higher_levels': None, 'classes': ['sorcerer', 'wizard']},
    {'name': 'Thunderwave', 'level': 1, 'concentration': False, 'description': "A wave of thunderous force sweeps out from you. Each creature in a 15-foot cube originating from you must make a Constitution saving throw. On a failed save, a creature takes 2d8 thunder damage and is pushed 10 feet away from you. On a successful save, the creature takes half as much damage and isn't pushed.\nIn addition, unsecured objects that are completely within the area of effect are automatically pushed 10 feet away from you by the spell's effect, and the spell emits a thunderous boom audible out to 300 feet.", 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the damage increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'druid', 'sorcerer', 'wizard']},
]}
# fmt: on


@dataclass(frozen=True)
class _Match:
    record: dict[str, Any]


class SpellBook:
    """A RulesSource over the copied SRD spell records (exact names only)."""

    async def lookup(self, kind: str, name: str) -> _Match:
        if kind != "spell" or name.lower() not in SRD_SPELLS:
            raise Miss(f"The SRD has no spell called {name!r}.")
        return _Match(dict(SRD_SPELLS[name.lower()]))

    async def search(self, text: str, limit: int = 10) -> list[Any]:
        return []


class Miss(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


MIRA, TESSA, BROM = Caller(2, "mira"), Caller(4, "tessa"), Caller(3, "brom")


def _wizard(level: int = 7) -> Character:
    scores = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    who = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf", player_id=2)
    who.id, who.level, who.spell_slots = "pc-2", level, slots_for("full", level)  # INT 16: +3, prof +3: DC 14, attack +6
    return who


def _cleric(level: int = 5) -> Character:
    scores = standard_array({"wis": 15, "con": 14, "str": 13, "dex": 12, "cha": 10, "int": 8})
    who = create_character("Tessa", "human", "cleric", scores, ["medicine", "religion"], player_id=4)
    who.id, who.level, who.spell_slots = "pc-4", level, slots_for("full", level)  # WIS 16: +3
    return who


def _fighter() -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=3)
    who.id = "pc-3"
    return who


def _ogre(cid: str, name: str, **kw: Any) -> Creature:
    return Creature(**{"id": cid, "name": name, "hp": 59, "max_hp": 59, "armor_class": 11, "dexterity": 8, **kw})


def _state(**creatures: Creature) -> GameState:
    creatures = creatures or {"ogre-1": _ogre("ogre-1", "Ogre 1"), "ogre-2": _ogre("ogre-2", "Ogre 2")}
    return GameState(characters={"pc-2": _wizard(), "pc-4": _cleric(), "pc-3": _fighter()}, creatures=creatures)


def _ctx(state: GameState, caller: Caller = MIRA, rules: Any = "book") -> CommandContext:
    return CommandContext(caller=caller, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                          rules=SpellBook() if rules == "book" else rules, rng=random.Random(3))  # fmt: skip


async def cast(state: GameState, line: str, caller: Caller = MIRA, seed: int = 1) -> tuple[SpellCast, GameState]:
    ctx = _ctx(state, caller)
    invocation = parse_invocation(line)
    assert invocation is not None
    with seeded(seed):
        result = await invocation.spec.handler(ctx, **invocation.args)
    return result, ctx.state


def test_cast_is_a_combat_command_used_on_your_turn() -> None:
    spec = REGISTRY.require("cast")
    assert spec.area == "combat" and not spec.out_of_turn and spec.needs_character


@pytest.mark.parametrize(("text", "parsed"), [
    ("fireball", ("fireball", None, [])),
    ("fireball at 4 on ogre 1, ogre 2", ("fireball", 4, ["ogre 1", "ogre 2"])),
    ("fireball at 4th level on ogre 1 and ogre 2", ("fireball", 4, ["ogre 1", "ogre 2"])),
    ("Protection from Evil and Good on Brom", ("Protection from Evil and Good", None, ["Brom"])),
    ("magic missile at level 2 on ogre-1", ("magic missile", 2, ["ogre-1"])),
])  # fmt: skip
def test_parse_cast(text: str, parsed: tuple[str, int | None, list[str]]) -> None:
    assert parse_cast(text) == parsed


async def test_fire_bolt_is_a_spell_attack_that_spends_nothing_and_grows_with_level() -> None:
    state = _state(target=_ogre("target", "Target", armor_class=1))
    result, after = await cast(state, "!cast fire bolt on target")
    hit = result.targets[0]
    assert (result.kind, result.slot_level, result.dice, result.attack_bonus) == ("attack", None, "2d10", 6)
    assert after.characters["pc-2"].spell_slots == state.characters["pc-2"].spell_slots
    assert hit.attack_rolls[0]["total"] == hit.attack_rolls[0]["rolls"][0]["value"] + 6
    if hit.hits:
        assert 2 <= hit.damage <= 40 and after.creatures["target"].hp == 59 - hit.damage == hit.hp_after
    assert "Mira casts Fire Bolt (a cantrip)." in render_text(result)


async def test_a_critical_fire_bolt_rolls_its_dice_twice() -> None:
    for seed in range(200):
        result, after = await cast(_state(), "!cast fire bolt on ogre 1", seed=seed)
        if result.targets[0].critical:
            break
    else:
        raise AssertionError("no critical hit in 200 seeds")
    target = result.targets[0]
    assert target.attack_rolls[0]["rolls"][0]["value"] == 20 and 4 <= target.damage <= 80  # 4d10
    assert after.creatures["ogre-1"].hp == 59 - target.damage


async def test_fireball_at_4th_rolls_9d6_once_and_each_target_saves_for_half() -> None:
    result, after = await cast(_state(), "!cast fireball at 4 on ogre 1, ogre 2")
    assert (result.slot_level, result.upcast, result.dice, result.slots_left) == (4, True, "9d6", 0)
    assert (result.save_ability, result.save_dc) == ("dexterity", 14)
    assert len(result.damage_roll["rolls"]) == 9 and after.characters["pc-2"].spell_slots.available(4) == 0
    total = result.damage_roll["total"]
    for target in result.targets:
        assert target.save_modifier == -1  # an ogre's Dex 8
        assert target.save_roll["total"] == target.save_roll["rolls"][0]["value"] - 1
        assert target.saved == (target.save_roll["total"] >= 14)
        assert target.damage == (total // 2 if target.saved else total)
        assert after.creatures[target.id].hp == max(0, 59 - target.damage)
    assert "9d6" in render_text(result) and "Dexterity save DC 14" in render_text(result)


async def test_fireball_without_a_level_takes_the_lowest_slot_left() -> None:
    state = _state()
    mira = state.characters["pc-2"].model_copy(deep=True)
    mira.spell_slots.current = {**mira.spell_slots.current, 3: 0}
    result, after = await cast(state.replace("pc-2", mira), "!cast fireball on ogre 1")
    assert result.slot_level == 4 and result.dice == "9d6"


async def test_no_slot_left_of_the_level_asked_is_refused_and_nothing_is_spent() -> None:
    state = _state()
    mira = state.characters["pc-2"].model_copy(deep=True)
    mira.spell_slots.current = {**mira.spell_slots.current, 3: 0}
    state = state.replace("pc-2", mira)
    ctx = _ctx(state)
    invocation = parse_invocation("!cast fireball at 3 on ogre 1")
    with pytest.raises(NoSpellSlot, match="no 3rd-level spell slots left"):
        await invocation.spec.handler(ctx, **invocation.args)
    assert ctx.state == state


async def test_magic_missile_at_2nd_shares_four_darts_that_always_hit() -> None:
    result, after = await cast(_state(), "!cast magic missile at 2 on ogre 1, ogre 2")
    assert (result.kind, result.slot_level, result.dice) == ("auto", 2, "1d4+1")
    assert [t.darts for t in result.targets] == [2, 2]
    for target in result.targets:
        assert 4 <= target.damage <= 10 and len(target.damage_roll["rolls"]) == 2
        assert after.creatures[target.id].hp == 59 - target.damage
    three, _ = await cast(_state(), "!cast magic missile on ogre 1, ogre 1, ogre 2")
    assert [(t.name, t.darts) for t in three.targets] == [("Ogre 1", 2), ("Ogre 2", 1)]


async def test_sacred_flame_deals_nothing_on_a_save_and_a_paralyzed_target_fails_it() -> None:
    state = _state(stiff=_ogre("stiff", "Stiff Ogre", conditions=("paralyzed",)))
    result, after = await cast(state, "!cast sacred flame on stiff ogre", caller=TESSA)
    target = result.targets[0]
    assert (result.kind, result.dice, result.save_dc, result.half_on_save) == ("save", "2d8", 14, False)
    assert target.auto_fail and target.saved is False and target.save_roll is None
    assert after.creatures["stiff"].hp == 59 - result.damage_roll["total"]
    for seed in range(100):
        saved, after = await cast(_state(), "!cast sacred flame on ogre 2", caller=TESSA, seed=seed)
        if saved.targets[0].saved:
            assert saved.targets[0].damage == 0 and after.creatures["ogre-2"].hp == 59
            break
    else:
        raise AssertionError("no successful save in 100 seeds")


async def test_cure_wounds_upcast_heals_2d8_plus_the_modifier() -> None:
    state = _state()
    brom = state.characters["pc-3"].model_copy(deep=True)
    brom.hp = 1
    result, after = await cast(state.replace("pc-3", brom), "!cast cure wounds at 2 on brom", caller=TESSA)
    target = result.targets[0]
    # Tessa is a Life Domain cleric (the SRD's domain, set at creation): Disciple of Life adds 2 + 2.
    assert (result.kind, result.dice, result.slot_level) == ("heal", "2d8+3+4", 2)
    rolled = result.damage_roll["total"]
    assert 9 <= rolled <= 23 and target.healed == min(rolled, brom.max_hp - 1)
    assert after.characters["pc-3"].hp == 1 + target.healed == target.hp_after
    assert "regains" in render_text(result)


async def test_healing_word_with_no_target_heals_the_caster() -> None:
    state = _state()
    tessa = state.characters["pc-4"].model_copy(deep=True)
    tessa.hp = 2
    result, after = await cast(state.replace("pc-4", tessa), "!cast healing word", caller=TESSA)
    assert result.dice == "1d4+3+3" and result.targets[0].id == "pc-4"  # + Disciple of Life (2 + 1)
    assert after.characters["pc-4"].hp == 2 + result.damage_roll["total"]


async def test_a_spell_it_cannot_read_is_cast_for_the_dm_to_narrate_and_starts_concentration() -> None:
    state = _state()
    mira = state.characters["pc-2"].model_copy(deep=True)
    mira.concentration = "Fly"
    result, after = await cast(state.replace("pc-2", mira), "!cast haste on brom")
    assert (result.resolved, result.slot_level, result.concentration, result.ended_concentration) == (
        False, 3, True, "Fly")
    assert after.characters["pc-2"].concentration == "Haste" and result.target_names == ("Brom",)
    assert after.characters["pc-2"].spell_slots.available(3) == 2
    assert "for the DM to narrate" in render_text(result)


@pytest.mark.parametrize(("line", "caller", "error"), [
    ("!cast cure wounds on brom", MIRA, UnknownSpell),  # not a wizard spell
    ("!cast fire bolt", MIRA, BadArguments),  # no target
    ("!cast fire bolt on ogre 1, ogre 2", MIRA, BadArguments),  # one target only
    ("!cast fireball on nobody", MIRA, BadArguments),
    ("!cast magic missile on ogre 1, ogre 2, ogre 1, ogre 2", MIRA, BadArguments),  # 3 darts at 1st level
    ("!cast fire bolt at 2 on ogre 1", MIRA, RulesError),  # cantrips take no slot
    ("!cast fireball at 10 on ogre 1", MIRA, NoSpellSlot),
    ("!cast fireball on ogre 1", BROM, RulesError),  # a fighter casts nothing
    ("!cast wish", MIRA, Exception),  # not in the book
])  # fmt: skip
async def test_cast_refusals_change_nothing(line: str, caller: Caller, error: type[Exception]) -> None:
    state = _state()
    ctx = _ctx(state, caller)
    invocation = parse_invocation(line)
    with pytest.raises(error):
        await invocation.spec.handler(ctx, **invocation.args)
    assert ctx.state == state


async def test_a_level_1_wizard_cannot_cast_fireball() -> None:
    state = _state().replace("pc-2", _wizard(level=1))
    with pytest.raises(NoSpellSlot, match="cannot yet cast 3rd-level"):
        await cast(state, "!cast fireball on ogre 1")


async def test_without_a_rules_database_casting_is_unavailable() -> None:
    ctx = _ctx(_state(), MIRA, rules=None)
    invocation = parse_invocation("!cast fire bolt on ogre 1")
    with pytest.raises(Unavailable):
        await invocation.spec.handler(ctx, **invocation.args)


def test_cast_needs_a_spell() -> None:
    with pytest.raises(BadArguments):
        parse_invocation("!cast")


async def test_a_character_saves_with_their_own_modifier_and_must_keep_concentrating() -> None:
    state = _state()
    brom = state.characters["pc-3"].model_copy(deep=True)
    brom.max_hp, brom.hp, brom.concentration = 100, 100, "Bless"
    result, after = await cast(state.replace("pc-3", brom), "!cast fireball on brom, ogre 1")
    hurt = next(t for t in result.targets if t.id == "pc-3")
    assert hurt.save_modifier == 1  # Dex 13, no Dexterity save proficiency
    assert after.characters["pc-3"].hp == 100 - hurt.damage_dealt
    assert hurt.concentration_dc == max(10, hurt.damage_dealt // 2)
    assert "Constitution save to keep concentrating" in render_text(result)


async def test_a_stored_spell_result_replays_as_it_was() -> None:
    from dm.commands.results import load_result

    result, _ = await cast(_state(), "!cast magic missile at 2 on ogre 1, ogre 2")
    assert load_result(result.dump()) == result
