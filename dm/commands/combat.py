"""Combat: `!initiative` (start, join, add monsters), `!attack`, `!next`, `!skip`, `!turn_order`, `!end_combat`.

Every change goes through the rules engine (`ctx.apply` with `game.effects`): initiative is rolled by
`CombatStart`/`CombatJoin`, turns pass with `TurnAdvance`, damage lands with `HpChange` (resistances,
dropping to 0, death). The table checks whose turn it is before an `out_of_turn=False` command runs.
No positions are tracked: a melee attack is made from 5 feet, a ranged one from within its normal range
and not in close combat.
"""

from __future__ import annotations

import re
from typing import Any

from dm.commands.combat_support import (
    ATTACK_USAGE,
    apply_one,
    attack_roll_dict,
    combat_rows,
    condition_names,
    damage_roll_dict,
    damage_types,
    lookup_rules,
    newcomer_names,
    target_and_weapon,
)
from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import ChangeApplied, CommandResult
from dm.commands.subclass_play import attack_extras, grant_dark_ones_blessing
from dm.errors import BadArguments, OwnerOnly
from game.attacks import character_attack_profile, make_attack
from game.combat import is_dodging
from game.effects import CombatEnd, CombatEntrant, CombatJoin, CombatStart, Dodge, GameState, HpChange, TurnAdvance
from game.errors import RulesError

__all__ = ["AttackDone", "CombatEnded", "CombatStatus", "TurnOrder", "TurnPassed"]

INIT_USAGE = "!initiative [add MONSTER [COUNT]]"
MAX_ADD = 20


class CombatStatus(CommandResult):
    """The fight after `!initiative`: `event` is started, joined, added, already_in or shown."""

    type: str = "combat_status"
    event: str = "shown"
    round: int = 0
    current: str | None = None  # combatant id
    current_name: str | None = None
    order: tuple[dict[str, Any], ...] = ()  # {id, name, initiative, hp, max_hp, ac, is_player, dead}
    joined: tuple[str, ...] = ()  # names that entered the fight now
    summary: str = ""  # the engine's sentence


class TurnOrder(CombatStatus):
    """`!turn_order`: the order, the round and whose turn it is (no fight: `order` is empty)."""

    type: str = "turn_order"


class AttackDone(CommandResult):
    type: str = "attack"
    attacker: str
    attacker_id: str
    target: str
    target_id: str
    weapon: str
    attack_roll: dict[str, Any]  # {"expression", "total", "rolls", "crit", "fumble", "breakdown"}
    attack_bonus: int
    advantage: str = "none"
    target_ac: int
    hit: bool
    critical: bool = False
    fumble: bool = False
    damage_roll: dict[str, Any] | None = None
    damage: int = 0  # as rolled
    damage_type: str | None = None
    damage_dealt: int = 0  # after resistances, as the engine applied it
    hp_before: int
    hp_after: int
    max_hp: int
    summary: str = ""  # the engine's sentence about the damage
    dropped: bool = False
    dead: bool = False
    concentration_dc: int | None = None  # the target must make a Constitution save to keep concentrating
    in_combat: bool = False
    extras: tuple[dict[str, Any], ...] = ()  # subclass dice on the hit: {feature, damage_type, damage, roll}
    temp_hp_gained: int | None = None  # Dark One's Blessing when the attack dropped a hostile creature


class TurnPassed(CommandResult):
    type: str = "turn_passed"
    ended: str  # whose turn ended
    by_owner: bool = False  # `!skip`
    round: int
    current: str
    current_name: str
    new_round: bool = False
    skipped: tuple[str, ...] = ()  # dead combatants passed over
    death_save_due: bool = False
    current_is_player: bool = False
    summary: str = ""


class CombatEnded(CommandResult):
    type: str = "combat_ended"
    rounds: int
    by_owner: bool = False
    standing: tuple[str, ...] = ()  # hostile creatures still up when the owner ended it
    summary: str = ""


def _status(state: GameState, event: str, summary: str = "", joined: tuple[str, ...] = (),
            cls: type[CombatStatus] = CombatStatus) -> CombatStatus:  # fmt: skip
    combat = state.combat
    if combat is None or not combat.combatants:
        return cls(event=event, summary=summary)
    current = combat.combatants[combat.turn_index]
    return cls(event=event, round=combat.round, current=current.id, current_name=current.name,
               order=combat_rows(state), joined=joined, summary=summary)  # fmt: skip


def _standing_hostiles(state: GameState) -> list[str]:
    if state.combat is None:
        return []
    out = []
    for c in state.combat.combatants:
        who = state.creatures.get(c.id)
        if who is not None and not who.dead and who.hp > 0:
            out.append(who.name)
    return out


# --- !initiative ----------------------------------------------------------------------------------


def _party_and_scene(state: GameState) -> list[CombatEntrant]:
    entrants = [CombatEntrant(id=cid) for cid, who in state.characters.items() if not who.dead]
    entrants += [CombatEntrant(id=cid) for cid, who in state.creatures.items() if not who.dead]
    return entrants


def _words_list(text: str | None) -> list[str]:
    return (text or "").split()


async def _add_monsters(ctx: CommandContext, words: list[str]) -> CombatStatus:
    if not ctx.caller.is_owner:
        raise OwnerOnly("initiative add")
    count = 1
    if words and words[-1].isdigit():
        count = int(words.pop())
    elif words and words[0].isdigit():
        count = int(words.pop(0))
    if not words:
        raise BadArguments("Which monster?", INIT_USAGE)
    if not 1 <= count <= MAX_ADD:
        raise BadArguments(f"Add 1 to {MAX_ADD} monsters at a time, not {count}.", INIT_USAGE)
    record = await lookup_rules(ctx, "monster", " ".join(words))
    name = str(record["name"])
    entrants = [
        CombatEntrant(id=cid, name=label, dexterity=int(record.get("dex") or 10),
                      hit_points=int(record["hit_points"]), armor_class=int(record.get("armor_class") or 10))
        for cid, label in newcomer_names(ctx.state, name, count)
    ]  # fmt: skip
    before = set(ctx.state.creatures)
    event = "started" if ctx.state.combat is None else "added"
    if ctx.state.combat is None:
        outcome = apply_one(ctx, CombatStart(combatants=[*_party_and_scene(ctx.state), *entrants]))
    else:
        outcome = apply_one(ctx, CombatJoin(combatants=entrants))
    extra = {
        "resistances": damage_types(record.get("damage_resistances")),
        "vulnerabilities": damage_types(record.get("damage_vulnerabilities")),
        "immunities": damage_types(record.get("damage_immunities")),
        "condition_immunities": condition_names(record.get("condition_immunities")),
    }
    new = [cid for cid in ctx.state.creatures if cid not in before]
    for cid in new:  # the stat block's defenses, which a combat entrant cannot carry
        ctx.state = ctx.state.replace(cid, ctx.state.creatures[cid].model_copy(update=extra))
    joined = tuple(ctx.state.creatures[cid].name for cid in new)
    return _status(ctx.state, event, outcome.summary, joined)


@command(
    "initiative",
    aliases=("init",),
    area="combat",
    needs_campaign=True,
    args=(Arg("what", ArgKind.TEXT, required=False, help="add MONSTER [COUNT] (owner)"),),
    help="Roll initiative: start a fight with everyone here, or join the one under way.",
    details="The owner adds monsters from the SRD with !initiative add goblin 3 (numbered Goblin 1, 2, 3).",
    examples=("!initiative", "!init add goblin 3", "!initiative add giant spider"),
)
async def initiative(ctx: CommandContext, what: str | None = None) -> CombatStatus:
    words = _words_list(what)
    if words and words[0].lower() == "add":
        return await _add_monsters(ctx, words[1:])
    if words:
        raise BadArguments(f"I don't know what to do with {what!r}.", INIT_USAGE)
    if ctx.state.combat is None:
        outcome = apply_one(ctx, CombatStart(combatants=_party_and_scene(ctx.state)))
        names = tuple(c["name"] for c in combat_rows(ctx.state))
        return _status(ctx.state, "started", outcome.summary, names)
    found = ctx.state.character_of(ctx.caller.player_id)
    if found is None:
        return _status(ctx.state, "shown")
    cid, who = found
    if any(c.id == cid for c in ctx.state.combat.combatants):
        return _status(ctx.state, "already_in", joined=(who.name,))
    outcome = apply_one(ctx, CombatJoin(combatants=[CombatEntrant(id=cid)]))
    return _status(ctx.state, "joined", outcome.summary, (who.name,))


# --- !attack --------------------------------------------------------------------------------------


@command(
    "attack",
    area="combat",
    out_of_turn=False,
    args=(Arg("what", ArgKind.TEXT, help="the target, then optionally the weapon"),),
    help="Attack a creature with a weapon you carry (default: the one in hand, else your fists).",
    examples=("!attack goblin 1", "!attack goblin-2 longsword", "!attack ogre light crossbow"),
)
async def attack(ctx: CommandContext, what: str) -> AttackDone:
    my_id, me = ctx.my_character()
    if me.dead:
        raise RulesError(f"{me.name} is dead and cannot attack.")
    tid, target, weapon = target_and_weapon(ctx.state, me, what)
    if tid == my_id:
        raise BadArguments(f"{me.name} cannot attack themselves.", ATTACK_USAGE)
    if target.dead:
        raise RulesError(f"{target.name} is already dead; nothing was changed.")
    combat = ctx.state.combat
    if combat is not None and not any(c.id == tid for c in combat.combatants):
        raise RulesError(f"{target.name} is not in the fight; nothing was changed.")
    profile = character_attack_profile(me, weapon)
    distance = min(profile.normal_range or 30, 30) if profile.ranged else 5
    result = make_attack(profile, target.armor_class, attacker_conditions=me.conditions,
                         target_conditions=target.conditions, attacker_exhaustion=me.exhaustion,
                         distance=distance, target_dodging=is_dodging(ctx.state.combat, tid),
                         target_exhaustion=target.exhaustion)  # fmt: skip
    hp_before = target.hp
    done: dict[str, Any] = {}
    if result.hit and result.damage > 0:
        done = _land_hit(ctx, my_id, me, tid, target, result, profile.weapon)
    after = ctx.state.characters.get(tid) or ctx.state.creatures[tid]
    return AttackDone(
        attacker=me.name, attacker_id=my_id, target=target.name, target_id=tid, weapon=profile.weapon,
        attack_roll=attack_roll_dict(result, profile.attack_bonus), attack_bonus=profile.attack_bonus,
        advantage=result.mode.name.lower(), target_ac=target.armor_class, hit=result.hit, critical=result.critical,
        fumble=result.fumble, damage_roll=damage_roll_dict(result, profile.damage_dice, profile.damage_bonus)
        if result.hit else None, damage=result.damage, damage_type=result.damage_type, hp_before=hp_before,
        hp_after=after.hp, max_hp=after.max_hp, in_combat=combat is not None, **done,
    )  # fmt: skip


def _land_hit(
    ctx: CommandContext, my_id: str, me: Any, tid: str, target: Any, result: Any, weapon: str
) -> dict[str, Any]:
    """Apply a hit through the engine: the weapon's damage (with Colossus Slayer, same type) in one `HpChange`,
    then a Divine Strike's radiant unless the target already dropped; Dark One's Blessing if a hostile fell."""
    extras = attack_extras(ctx, my_id, me, target, result.damage_type, result.critical)
    same = sum(x["damage"] for x in extras if x["damage_type"] == result.damage_type)
    hit = HpChange(target=tid, amount=-(result.damage + same), damage_type=result.damage_type,
                   critical=result.critical, source=f"{me.name}'s {weapon}")  # fmt: skip
    outcome = apply_one(ctx, hit)
    ch = outcome.changes
    dealt, summaries = ch.get("damage_taken", 0), [outcome.summary]
    dropped, dead = bool(ch.get("dropped_to_zero")), bool(ch.get("dead"))
    for extra in (x for x in extras if x["damage_type"] != result.damage_type):
        if dropped or dead:
            break  # one hit: nothing more lands on a creature already down
        more = apply_one(ctx, HpChange(target=tid, amount=-extra["damage"], damage_type=extra["damage_type"],
                                       critical=result.critical, source=f"{me.name}'s {extra['feature']}"))
        dealt += more.changes.get("damage_taken", 0)
        summaries.append(more.summary)
        dropped, dead = bool(more.changes.get("dropped_to_zero")), bool(more.changes.get("dead"))
        ch = {**ch, **{k: v for k, v in more.changes.items() if v is not None}}
    hostile = tid in ctx.state.creatures
    return {"damage_dealt": dealt, "summary": " ".join(summaries), "dropped": dropped, "dead": dead,
            "concentration_dc": ch.get("concentration_save_dc"), "extras": tuple(extras),
            "temp_hp_gained": grant_dark_ones_blessing(ctx, my_id, me, hostile and (dropped or dead))}  # fmt: skip


# --- turns and the end of a fight -----------------------------------------------------------------


def _pass_turn(ctx: CommandContext, actor: str, ended: str, by_owner: bool) -> TurnPassed:
    outcome = apply_one(ctx, TurnAdvance(actor=actor))
    ch = outcome.changes
    rows = {r["id"]: r for r in combat_rows(ctx.state)}
    current = rows.get(ch["current"], {"name": ch["current"], "is_player": False})
    return TurnPassed(
        ended=ended, by_owner=by_owner, round=ch["round"], current=ch["current"], current_name=current["name"],
        new_round=bool(ch.get("new_round")), skipped=tuple(rows[s]["name"] for s in ch.get("skipped", ()) if s in rows),
        death_save_due=bool(ch.get("death_save_due")), current_is_player=bool(current["is_player"]),
        summary=outcome.summary,
    )  # fmt: skip


def _require_fight(ctx: CommandContext) -> Any:
    combat = ctx.state.combat
    if combat is None or not combat.combatants:
        raise RulesError("No fight is going on; start one with !initiative.")
    return combat


@command(
    "next",
    aliases=("end_turn", "pass"),
    area="combat",
    out_of_turn=False,
    help="End your turn in combat; the next in initiative order is up.",
    examples=("!next",),
)
async def next_turn(ctx: CommandContext) -> TurnPassed:
    _require_fight(ctx)
    cid, me = ctx.my_character()
    return _pass_turn(ctx, cid, me.name, by_owner=False)


@command(
    "dodge",
    area="combat",
    out_of_turn=False,
    needs_character=True,
    help="Take the Dodge action: until your next turn, attacks against you have disadvantage and your Dexterity "
         "saves advantage.",
    examples=("!dodge",),
)
async def dodge(ctx: CommandContext) -> ChangeApplied:
    _require_fight(ctx)
    cid, me = ctx.my_character()
    (outcome,) = ctx.apply([Dodge(actor=cid)])
    if not outcome.accepted:
        raise RulesError(f"{(outcome.reason or outcome.summary).rstrip('.')}; nothing was changed.")
    return ChangeApplied(command="dodge", applied=({"kind": "dodge", "target": me.name, "summary": outcome.summary},))


@command(
    "skip",
    area="combat",
    owner_only=True,
    help="End whoever's turn it is (a monster's turn, or an absent player's).",
    examples=("!skip",),
)
async def skip_turn(ctx: CommandContext) -> TurnPassed:
    if not ctx.caller.is_owner:
        raise OwnerOnly("skip")
    combat = _require_fight(ctx)
    current = combat.combatants[combat.turn_index]
    return _pass_turn(ctx, current.id, current.name, by_owner=True)


@command(
    "turn_order",
    aliases=("order",),
    area="combat",
    needs_campaign=True,
    help="Show the initiative order, the round and whose turn it is.",
    examples=("!turn_order",),
)
async def turn_order(ctx: CommandContext) -> TurnOrder:
    return _status(ctx.state, "shown", cls=TurnOrder)  # type: ignore[return-value]


@command(
    "end_combat",
    area="combat",
    needs_campaign=True,
    help="End the fight: anyone may once no hostile creature stands; the owner any time.",
    examples=("!end_combat",),
)
async def end_combat(ctx: CommandContext) -> CombatEnded:
    combat = _require_fight(ctx)
    standing = _standing_hostiles(ctx.state)
    if standing and not ctx.caller.is_owner:
        raise RulesError(f"The fight goes on: {', '.join(standing)} still stand{'s' if len(standing) == 1 else ''}. "
                         "Nothing was changed (the owner can end it anyway).")  # fmt: skip
    outcome = apply_one(ctx, CombatEnd(reason="ended by the owner" if standing else "no foe left standing"))
    return CombatEnded(rounds=combat.round, by_owner=ctx.caller.is_owner, standing=tuple(standing),
                       summary=outcome.summary)  # fmt: skip
