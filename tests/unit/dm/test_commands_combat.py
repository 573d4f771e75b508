"""Combat commands on a hand-built context (no database): initiative, attacks, turns, the end of a fight.

The turn check itself (an out-of-turn `!attack` refused, naming whose turn it is) and `!skip` refused to a
non-owner are the table's: see tests/integration/test_table_combat.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.combat import AttackDone, CombatEnded, CombatStatus, TurnOrder, TurnPassed
from dm.commands.combat_support import NotInRules
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import REGISTRY, parse_invocation
from dm.errors import BadArguments, OwnerOnly, Unavailable
from game.character import Character
from game.combat import Combatant, CombatState
from game.creation import create_character, standard_array
from game.dice import seeded
from game.effects import Creature, GameState
from game.errors import RulesError
from gateway.render.text import render_text

load_all()

OWNER = Caller(1, "dm", is_owner=True)
BROM = Caller(3, "brom")
MIRA = Caller(2, "mira")
# copied from `lorekeeper rules export monsters` (SRD 5.1)
GOBLIN = {"name": "Goblin", "armor_class": 15, "hit_points": 7, "dex": 14, "damage_resistances": None,
          "damage_vulnerabilities": None, "damage_immunities": None, "condition_immunities": None}  # fmt: skip
SKELETON = {"name": "Skeleton", "armor_class": 13, "hit_points": 13, "dex": 14, "damage_resistances": None,
            "damage_vulnerabilities": "bludgeoning", "damage_immunities": "poison",
            "condition_immunities": "exhaustion, poisoned"}  # fmt: skip


@dataclass(frozen=True)
class _Match:
    record: dict[str, Any]


class MonsterBook:
    """A RulesSource over a few SRD monster records (exact names only); the real book is tested on PostgreSQL."""

    async def lookup(self, kind: str, name: str) -> _Match:
        records = {"goblin": GOBLIN, "skeleton": SKELETON}
        if kind != "monster" or name.lower() not in records:
            raise LookupMiss(f"The SRD has no monster called {name!r}.")
        return _Match(records[name.lower()])

    async def search(self, text: str, limit: int = 10) -> list[Any]:
        return []


class LookupMiss(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def _fighter() -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=3)
    who.id = "pc-3"
    return who


def _wizard() -> Character:
    scores = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    who = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf", player_id=2)
    who.id = "pc-2"
    return who


def _party(**creatures: Creature) -> GameState:
    return GameState(characters={"pc-3": _fighter(), "pc-2": _wizard()}, creatures=creatures)


def _goblin(cid: str = "goblin-1", name: str = "Goblin 1", **kw: Any) -> Creature:
    return Creature(**{"id": cid, "name": name, "hp": 7, "max_hp": 7, "armor_class": 15, "dexterity": 14, **kw})


def _fight(state: GameState, order: list[str], turn: int = 0, round_: int = 1) -> GameState:
    rows = []
    for i, cid in enumerate(order):
        who = state.characters.get(cid) or state.creatures[cid]
        rows.append(Combatant(id=cid, name=who.name, initiative=20 - i, is_player=cid in state.characters))
    return state.model_copy(update={"combat": CombatState(combatants=tuple(rows), round=round_, turn_index=turn)})


def _ctx(state: GameState, caller: Caller = BROM, rules: Any = None) -> CommandContext:
    return CommandContext(caller=caller, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                          rules=rules, rng=random.Random(3))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


# --- the registry ---------------------------------------------------------------------------------


def test_the_combat_commands_and_their_rules_of_use() -> None:
    spec = {name: REGISTRY.require(name) for name in ("initiative", "attack", "next", "skip", "turn_order",
                                                      "end_combat")}  # fmt: skip
    assert REGISTRY.require("init") is spec["initiative"] and REGISTRY.require("order") is spec["turn_order"]
    assert REGISTRY.require("end_turn") is spec["next"] is REGISTRY.require("pass")
    assert not spec["attack"].out_of_turn and not spec["next"].out_of_turn and spec["initiative"].out_of_turn
    assert spec["skip"].owner_only and not spec["end_combat"].owner_only
    assert all(s.area == "combat" and s.needs_campaign for s in spec.values())


# --- !initiative ----------------------------------------------------------------------------------


async def test_initiative_starts_a_fight_with_the_living_party_and_the_scene() -> None:
    dead = _goblin("goblin-9", "Goblin 9", hp=0, dead=True)
    ctx = _ctx(_party(**{"goblin-1": _goblin(), "goblin-9": dead}))
    result = await run(ctx, "!initiative")
    assert isinstance(result, CombatStatus) and result.event == "started" and result.round == 1
    assert {r["id"] for r in result.order} == {"pc-3", "pc-2", "goblin-1"}  # the dead goblin stays out
    assert [r["initiative"] for r in result.order] == sorted((r["initiative"] for r in result.order), reverse=True)
    assert result.current == result.order[0]["id"] and ctx.state.combat is not None
    goblin = next(r for r in result.order if r["id"] == "goblin-1")
    assert (goblin["hp"], goblin["max_hp"], goblin["ac"], goblin["is_player"]) == (7, 7, 15, False)
    assert "Goblin 1" in render_text(result)


async def test_initiative_in_a_fight_rolls_in_a_latecomer_once() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["goblin-1", "pc-2"])
    ctx = _ctx(state)
    joined = await run(ctx, "!init")
    assert joined.event == "joined" and "pc-3" in {r["id"] for r in joined.order}
    assert joined.current == "goblin-1"  # the current combatant keeps the turn
    again = await run(ctx, "!initiative")
    assert again.event == "already_in" and len(again.order) == 3


async def test_the_owner_adds_numbered_monsters_from_the_srd() -> None:
    ctx = _ctx(_party(), OWNER, MonsterBook())
    started = await run(ctx, "!initiative add goblin 3")
    assert started.event == "started" and set(started.joined) == {"Goblin 1", "Goblin 2", "Goblin 3"}
    assert {r["id"] for r in started.order} == {"pc-2", "pc-3", "goblin-1", "goblin-2", "goblin-3"}
    assert ctx.state.creatures["goblin-2"].armor_class == 15 and ctx.state.creatures["goblin-2"].hp == 7
    more = await run(ctx, "!initiative add goblin")
    assert more.event == "added" and more.joined == ("Goblin 4",) and len(more.order) == 6
    bones = await run(ctx, "!initiative add skeleton")
    skeleton = ctx.state.creatures["skeleton"]
    assert bones.joined == ("Skeleton",)
    assert (skeleton.vulnerabilities, skeleton.immunities, skeleton.condition_immunities) == (
        ("bludgeoning",), ("poison",), ("exhaustion", "poisoned"))


async def test_adding_monsters_is_for_the_owner_only() -> None:
    ctx = _ctx(_party(), BROM, MonsterBook())
    with pytest.raises(OwnerOnly):
        await run(ctx, "!initiative add goblin 2")
    assert ctx.state.combat is None and not ctx.state.creatures


@pytest.mark.parametrize("line", ["!initiative add goblin 21", "!initiative add goblin 0", "!initiative add",
                                  "!initiative goblins"])  # fmt: skip
async def test_initiative_refuses_bad_arguments(line: str) -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(_party(), OWNER, MonsterBook()), line)


async def test_an_unknown_monster_or_no_rules_database_is_a_friendly_refusal() -> None:
    with pytest.raises(NotInRules) as missing:
        await run(_ctx(_party(), OWNER, MonsterBook()), "!initiative add tarrasquee")
    assert "tarrasquee" in missing.value.user_message and "Nothing was changed" in missing.value.user_message
    with pytest.raises(Unavailable):
        await run(_ctx(_party(), OWNER, None), "!initiative add goblin")


# --- !attack --------------------------------------------------------------------------------------


async def _attack_until(state: GameState, line: str, want: Any, tries: int = 300) -> tuple[AttackDone, GameState]:
    for seed in range(tries):
        ctx = _ctx(state)
        with seeded(seed):
            result = await run(ctx, line)
        if want(result):
            return result, ctx.state
    raise AssertionError(f"no seed in {tries} gave the attack wanted")


async def test_a_hit_rolls_damage_and_the_engine_applies_it() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["pc-3", "goblin-1", "pc-2"])
    result, after = await _attack_until(state, "!attack goblin 1", lambda r: r.hit and not r.critical)
    assert result.weapon == "Longsword" and result.target_ac == 15 and result.attack_bonus == 4  # +2 Str +2 prof
    assert result.attack_roll["total"] >= 15 and result.attack_roll["total"] == result.attack_roll["rolls"][0][
        "value"] + 4
    assert len(result.damage_roll["rolls"]) == 1 and 1 + 2 <= result.damage <= 8 + 2
    assert result.hp_after == after.creatures["goblin-1"].hp == max(0, 7 - result.damage)
    assert result.summary.startswith("Goblin 1 takes") and result.dead == (result.hp_after == 0)
    assert "Brom attacks Goblin 1 with Longsword (+4)" in render_text(result)


async def test_a_miss_changes_nothing() -> None:
    state = _party(**{"goblin-1": _goblin()})
    result, after = await _attack_until(state, "!attack goblin-1", lambda r: not r.hit)
    assert result.damage == 0 and result.damage_roll is None and after == state
    assert result.attack_roll["rolls"][0]["value"] == 1 or result.attack_roll["total"] < 15
    assert "a miss" in render_text(result)


async def test_a_critical_hit_doubles_the_dice() -> None:
    state = _party(**{"ogre": Creature(id="ogre", name="Ogre", hp=59, max_hp=59, armor_class=11, dexterity=8)})
    result, after = await _attack_until(state, "!attack OGRE", lambda r: r.critical)
    assert result.hit and result.attack_roll["rolls"][0]["value"] == 20
    assert len(result.damage_roll["rolls"]) == 2 and result.damage == sum(
        d["value"] for d in result.damage_roll["rolls"]) + 2
    assert after.creatures["ogre"].hp == 59 - result.damage and "critical hit" in render_text(result)


async def test_a_named_weapon_from_the_end_and_resistance_from_the_stat_block() -> None:
    skeleton = Creature(id="skeleton", name="Skeleton Archer", hp=13, max_hp=13, armor_class=1,
                        vulnerabilities=("piercing",))  # fmt: skip
    state = _party(skeleton=skeleton)
    result, after = await _attack_until(state, "!attack skeleton archer light crossbow", lambda r: r.hit)
    assert result.weapon == "Crossbow, light" and result.damage_type == "piercing"
    assert result.damage_dealt == 2 * result.damage or after.creatures["skeleton"].hp == 0


async def test_a_restrained_target_gives_advantage() -> None:
    state = _party(**{"goblin-1": _goblin(conditions=("restrained",))})
    result, _ = await _attack_until(state, "!attack goblin 1", lambda r: True, tries=1)
    assert result.advantage == "advantage" and len(result.attack_roll["rolls"]) == 2


@pytest.mark.parametrize(("line", "error"), [
    ("!attack nobody", BadArguments), ("!attack goblin 1 greataxe", BadArguments), ("!attack brom", BadArguments),
    ("!attack goblin 2", RulesError),
])  # fmt: skip
async def test_attack_refusals(line: str, error: type[Exception]) -> None:
    state = _party(**{"goblin-1": _goblin(), "goblin-2": _goblin("goblin-2", "Goblin 2", hp=0, dead=True)})
    ctx = _ctx(state)
    with pytest.raises(error):
        await run(ctx, line)
    assert ctx.state == state


async def test_an_ambiguous_target_asks_which() -> None:
    state = _party(**{"goblin-1": _goblin(), "goblin-2": _goblin("goblin-2", "Goblin 2")})
    with pytest.raises(BadArguments, match="Goblin 1, Goblin 2"):
        await run(_ctx(state), "!attack goblin")


async def test_in_a_fight_only_combatants_can_be_attacked() -> None:
    state = _fight(_party(**{"goblin-1": _goblin(), "wolf": _goblin("wolf", "Wolf")}), ["pc-3", "goblin-1"])
    with pytest.raises(RulesError, match="not in the fight"):
        await run(_ctx(state), "!attack wolf")


# --- turns ----------------------------------------------------------------------------------------


async def test_next_passes_the_turn_and_a_new_round_begins_after_the_last() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["goblin-1", "pc-2", "pc-3"], turn=2)
    result = await run(_ctx(state), "!next")
    assert isinstance(result, TurnPassed) and (result.ended, result.current, result.round) == ("Brom", "goblin-1", 2)
    assert result.new_round and "Round 2 begins" in render_text(result)


async def test_next_outside_a_fight_is_refused() -> None:
    with pytest.raises(RulesError, match="No fight"):
        await run(_ctx(_party()), "!next")


async def test_skip_ends_a_monsters_turn_and_dead_ones_are_passed_over() -> None:
    dead = _goblin("goblin-2", "Goblin 2", hp=0, dead=True)
    state = _fight(_party(**{"goblin-1": _goblin(), "goblin-2": dead}), ["goblin-1", "goblin-2", "pc-3"])
    result = await run(_ctx(state, OWNER), "!skip")
    assert (result.ended, result.by_owner, result.current, result.skipped) == ("Goblin 1", True, "pc-3", ("Goblin 2",))


async def test_skip_is_refused_to_a_player_and_changes_nothing() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["goblin-1", "pc-3"])
    ctx = _ctx(state, BROM)
    with pytest.raises(OwnerOnly):
        await run(ctx, "!skip")
    assert ctx.state == state


async def test_turn_order_shows_the_round_and_whose_turn() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["goblin-1", "pc-3", "pc-2"], turn=1, round_=3)
    result = await run(_ctx(state), "!order")
    assert isinstance(result, TurnOrder) and (result.round, result.current_name) == (3, "Brom")
    text = render_text(result)
    assert "> " in text and "Round 3: it is Brom's turn." in text
    assert "No fight" in render_text(await run(_ctx(_party()), "!turn_order"))
    with pytest.raises(BadArguments):
        await run(_ctx(state), "!turn_order now")


# --- !end_combat ----------------------------------------------------------------------------------


async def test_a_player_cannot_end_a_fight_while_a_foe_stands() -> None:
    state = _fight(_party(**{"goblin-1": _goblin()}), ["goblin-1", "pc-3"])
    ctx = _ctx(state, BROM)
    with pytest.raises(RulesError, match="Goblin 1 still stands"):
        await run(ctx, "!end_combat")
    assert ctx.state == state


async def test_anyone_ends_a_won_fight_and_the_wounded_and_dead_stay_in_the_scene() -> None:
    dead = _goblin(hp=0, dead=True)
    wounded_foe = _goblin("goblin-2", "Goblin 2", hp=0, conditions=("unconscious",))  # knocked out, not standing
    state = _fight(_party(**{"goblin-1": dead, "goblin-2": wounded_foe}), ["goblin-1", "goblin-2", "pc-3"])
    ctx = _ctx(state, BROM)
    result = await run(ctx, "!end_combat")
    assert isinstance(result, CombatEnded) and not result.by_owner and ctx.state.combat is None
    assert set(ctx.state.creatures) == {"goblin-1", "goblin-2"}


async def test_the_owner_ends_a_fight_any_time() -> None:
    state = _fight(_party(**{"goblin-1": _goblin(hp=3)}), ["goblin-1", "pc-3"], round_=4)
    ctx = _ctx(state, OWNER)
    result = await run(ctx, "!end_combat")
    assert (result.by_owner, result.standing, result.rounds) == (True, ("Goblin 1",), 4)
    assert ctx.state.creatures["goblin-1"].hp == 3 and "still stand" in render_text(result)
    with pytest.raises(RulesError):
        await run(ctx, "!end_combat")
    with pytest.raises(BadArguments):
        await run(ctx, "!end_combat now")


async def test_stored_combat_results_replay_as_they_were() -> None:
    from dm.commands.results import load_result

    state = _fight(_party(**{"goblin-1": _goblin()}), ["pc-3", "goblin-1", "pc-2"])
    hit, _ = await _attack_until(state, "!attack goblin 1", lambda r: r.hit)
    shown = await run(_ctx(state), "!turn_order")
    assert load_result(hit.dump()) == hit and load_result(shown.dump()) == shown
    assert type(load_result(shown.dump())) is TurnOrder
