"""The engine resolves the combat actions the model proposes, with the code `!attack` and `!cast` run.

    rolls, done = await resolve_actions(state, reply.rolls, rules=table.rules, seed=7)

An "attack" request with a `target` is a whole attack: a character's is the `!attack` handler (the real
attack bonus with the weapon named, or their best; advantage from conditions; a natural 20 doubles the
dice; the damage applied through the rules engine); a creature's uses the first attack action of its SRD
stat block (or the one the `weapon` names). A "spell" request is the `!cast` handler (the slot checked
and spent, attack rolls, saves, darts or healing resolved and applied). In a fight only the combatant
whose turn it is acts. What could not happen (no slot left, nobody by that name, not their turn) is an
in-world refusal: "Mira's Magic Missile fizzles — no 1st-level spell slots left".

Everything runs on a recording `CommandContext` over the turn's state: `Resolution` keeps the state
after, and each effect applied with its verdict, so `replay` can lay the same changes on the state the
turn is finally saved against (the very state: the recorded result; a fresher one after a concurrent
save: the recorded effects again, through `game.validation`). The SRD records the handlers need are
fetched before the dice are rolled, so a seeded roll never spans real I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from dm.commands.combat import AttackDone, attack
from dm.commands.combat_support import carried_weapon, default_weapon, find_target
from dm.commands.context import Caller, CommandContext
from dm.commands.spells import SpellCast, cast
from dm.errors import BadArguments, DMError
from dm.grounding import effect_target
from dm.mechanics import EngineRoll, attack_line, spell_line
from dm.reply import RollRequest
from game.attacks import AttackProfile, character_attack_profile, make_attack
from game.character import Character
from game.combat import is_dodging
from game.effects import Creature, EffectOutcome, GameState, HpChange
from game.errors import GameError, NoSpellSlot
from game.multiclass import attacks_per_action
from game.validation import apply_effects
from persistence.interfaces import RulesMatch

__all__ = ["Prefetched", "Resolution", "best_weapon", "engine_first", "is_action", "monster_attacks", "prefetch",
           "replay", "resolve_action"]

_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
_TO_HIT = re.compile(r"(Melee|Ranged)(?: or Ranged)? Weapon Attack:\s*([+-]\d+) to hit", re.I)
_HIT_DICE = re.compile(r"Hit:\s*\d+\s*\((\d+d\d+)(?:\s*([+-])\s*(\d+))?\)\s*(\w+) damage", re.I)
_HIT_FLAT = re.compile(r"Hit:\s*(\d+)\s+(\w+) damage", re.I)
_RANGE = re.compile(r"range (\d+)(?:/(\d+))? ft", re.I)
_NUMBERED = re.compile(r"\s+\d+$")


def is_action(request: RollRequest) -> bool:
    """An attack at a named target or a spell: the engine resolves it whole."""
    return request.kind == "spell" or (request.kind == "attack" and bool(request.target))


@dataclass
class Resolution:
    """What the engine's actions did this turn, from `base`: the state `after`, each effect with its verdict
    (and each character it replaced outside an effect), the targets hit, the refusals, the SRD records used."""

    base: GameState
    after: GameState
    ops: list[tuple[Any, ...]] = field(default_factory=list)  # ("effect", effect, outcome) | ("put", cid, old, new)
    targets: set[str] = field(default_factory=set)
    refused: list[dict[str, Any]] = field(default_factory=list)
    records: list[RulesMatch] = field(default_factory=list)
    acted: dict[str, list[str]] = field(default_factory=dict)  # character id → its actions ("attack", "spell")


class Prefetched:
    """A rules source answering from matches fetched before the dice (the handlers' `ctx.rules`)."""

    def __init__(self, found: dict[tuple[str, str], RulesMatch | Exception]) -> None:
        self.found = found

    async def lookup(self, kind: str, name: str) -> RulesMatch:
        hit = self.found.get((kind, _key(name)))
        if hit is None:
            raise DMError(f"There is no {kind} called {name!r} in the rules at hand; nothing was changed.")
        if isinstance(hit, Exception):
            raise hit
        return hit


def _key(name: str) -> str:
    return " ".join(name.lower().split())


async def prefetch(state: GameState, requests: Sequence[RollRequest], rules: Any) -> Prefetched:
    """The SRD records the actions will need: each spell, and each acting creature's stat block."""
    found: dict[tuple[str, str], RulesMatch | Exception] = {}
    wanted: list[tuple[str, str]] = []
    for request in requests:
        if request.kind == "spell" and request.spell:
            wanted.append(("spell", request.spell))
        elif is_action(request):
            who = _find(state, request.who)
            if who is not None and isinstance(who[1], Creature):
                wanted.append(("monster", _NUMBERED.sub("", who[1].name)))
            elif who is not None and isinstance(who[1], Character):  # for its page, when cited
                wanted.append(("equipment", _weapon_of(who[1], request)))
    for kind, name in wanted:
        if rules is None:
            continue
        try:
            found[(kind, _key(name))] = await rules.lookup(kind, name)
        except Exception as exc:  # noqa: BLE001 - a miss is the action's refusal, told in-world
            found[(kind, _key(name))] = exc
    return Prefetched(found)


@dataclass
class _Recording(CommandContext):
    """A command context for one actor that remembers every change it makes."""

    actor: str = ""
    ops: list[tuple[Any, ...]] = field(default_factory=list)

    def my_character(self) -> tuple[str, Character]:
        return self.actor, self.state.characters[self.actor].model_copy(deep=True)

    def apply(self, effects: list[Any]) -> list[EffectOutcome]:
        outcomes = super().apply(effects)
        self.ops += [("effect", e, o) for e, o in zip(effects, outcomes, strict=True)]
        return outcomes

    def put(self, cid: str, who: Character) -> None:
        self.ops.append(("put", cid, self.state.characters.get(cid), who.model_copy(deep=True)))
        super().put(cid, who)


def _find(state: GameState, text: str) -> tuple[str, Character | Creature] | None:
    text = _ARTICLE.sub("", text.strip())
    try:
        return find_target(state, text)
    except BadArguments:
        return None


def _refuse(done: Resolution, who: str, label: str, why: str, target: str = "") -> EngineRoll:
    done.refused.append({"kind": label, "target": target or who, "summary": why, "accepted": False, "by": "engine"})
    return EngineRoll(who=who, label=label, total=None, problem=why, target=target, refused=True)


async def resolve_action(done: Resolution, request: RollRequest, rules: Prefetched,
                         actors: Collection[str] | None = None) -> EngineRoll:  # fmt: skip
    """Resolve one attack or spell on `done.after` (which it advances); its roll for the model. A player's
    character acts only when named in `actors` (the characters whose players spoke; None: anyone)."""
    actor = _find(done.after, request.who)
    label = "spell" if request.kind == "spell" else "attack"
    if actor is None:
        return _refuse(done, request.who, label, f"nobody called {request.who!r} is here to act")
    aid, who = actor
    if who.dead or who.hp <= 0:
        return _refuse(done, who.name, label, f"{who.name} is in no state to act")
    combat = done.after.combat
    if combat is not None and combat.combatants and combat.combatants[combat.turn_index].id != aid:
        current = combat.combatants[combat.turn_index].name
        return _refuse(done, who.name, label, f"it is {current}'s turn in the fight, not {who.name}'s")
    if isinstance(who, Character) and actors is not None and not {aid.lower(), who.name.lower()} & {
            a.lower() for a in actors}:  # fmt: skip
        return _refuse(done, who.name, label, f"{who.name} acts only when their player says so")
    if isinstance(who, Character) and _action_spent(who, done.acted.get(aid, []), label):
        return _refuse(done, who.name, label, f"{who.name} has already taken their action this turn")
    names = _target_names(request)
    targets = [_find(done.after, name) for name in names]
    missing = [name for name, found in zip(names, targets, strict=True) if found is None]
    if missing:
        return _refuse(done, who.name, label, f"{who.name} sees nobody called {missing[0]!r} here")
    target = targets[0] if targets else None
    ctx = _Recording(caller=Caller(player_id=getattr(who, "player_id", None) or 0, name=who.name), channel_id=0,
                     campaign=None, state=done.after, rules=rules, actor=aid)  # fmt: skip
    try:
        if request.kind == "spell":
            roll = await _spell(ctx, who, request, [t[0] for t in targets if t is not None])
        elif isinstance(who, Character):
            roll = await _character_attack(ctx, who, request, target)  # type: ignore[arg-type]
        else:
            roll = _creature_attack(ctx, who, request, target, rules)  # type: ignore[arg-type]
    except (DMError, GameError) as exc:
        why = _why(exc, who.name, request)
        return _refuse(done, who.name, label, why, target[1].name if target else "")
    done.after, done.ops = ctx.state, done.ops + ctx.ops
    done.acted.setdefault(aid, []).append(label)
    done.records += _used(rules, request, who, roll)
    done.targets.update([*(t[0] for t in targets if t is not None), *roll.detail.get("struck", ())])
    return roll


def _action_spent(who: Character, taken: Sequence[str], label: str) -> bool:
    """One action a reply per character (the model may not multiply a turn): a spell, or the Attack action's
    attacks (two or more with Extra Attack)."""
    if not taken:
        return False
    return label == "spell" or "spell" in taken or len(taken) >= attacks_per_action(who.classes)


def _target_names(request: RollRequest) -> list[str]:
    """The target of an attack; a spell's may be several ("goblin 1, goblin 2 and the ogre")."""
    if not request.target:
        return []
    if request.kind != "spell":
        return [request.target]
    return [t.strip() for t in re.split(r",|\s+and\s+", request.target) if t.strip()]


def _why(exc: Exception, name: str, request: RollRequest) -> str:
    if isinstance(exc, NoSpellSlot):
        reason = re.sub(r"\s*\(slots left:.*\)$", "", exc.reason)
        reason = re.sub(rf"^{re.escape(exc.caster)} has ", "", reason)
        return f"{name}'s {exc.spell} fizzles — {reason}"
    text = getattr(exc, "problem", None) or getattr(exc, "user_message", None) or str(exc)
    text = str(text).rstrip(". ").removesuffix("; nothing was changed").removesuffix(". Nothing was changed")
    return f"{name}'s spell fizzles — {text}" if request.kind == "spell" and isinstance(exc, GameError) else text


# --- a character's attack: the `!attack` handler ---------------------------------------------------------


def best_weapon(me: Character) -> str:
    """The carried weapon with the best expected hit (bonus + average damage); the one in hand on a tie."""
    names = [default_weapon(me)] + [i.name for i in me.inventory.items if carried_weapon(me, i.name) == i.name]
    best, score = default_weapon(me), -99.0
    for name in dict.fromkeys(names):
        try:
            p = character_attack_profile(me, name)
        except GameError:
            continue
        count, _, sides = p.damage_dice.partition("d")
        average = int(count) * (int(sides) + 1) / 2 if sides else float(count or 0)
        if p.attack_bonus + average + p.damage_bonus > score:
            best, score = name, p.attack_bonus + average + p.damage_bonus
    return best


async def _character_attack(ctx: _Recording, me: Character, request: RollRequest,
                            target: tuple[str, Any] | None) -> EngineRoll:  # fmt: skip
    if target is None:
        raise DMError("An attack needs a target.")
    weapon = _weapon_of(me, request)
    done: AttackDone = await attack(ctx, f"{target[0]} {weapon}")
    return attack_line(done.attacker, done.target, done.weapon, done.attack_roll, done.attack_bonus,
                       done.target_ac, done.hit, done.critical, done.fumble, done.advantage,
                       done.damage_roll, done.damage_dealt, done.damage_type, done.hp_before, done.hp_after,
                       done.dropped, done.dead, done.target_id in ctx.state.creatures)  # fmt: skip


def _weapon_of(me: Character, request: RollRequest) -> str:
    return (carried_weapon(me, request.weapon) if request.weapon else None) or best_weapon(me)


def _used(rules: Prefetched, request: RollRequest, who: Character | Creature, roll: EngineRoll) -> list[RulesMatch]:
    """The SRD entries the action applied: the spell, the creature's stat block, or the character's weapon."""
    if request.kind == "spell":
        keys = [("spell", _key(request.spell or ""))]
    elif isinstance(who, Creature):
        keys = [("monster", _key(_NUMBERED.sub("", who.name)))]
    else:
        keys = [("equipment", _key(roll.label.removeprefix("attack with ")))]
    return [m for k in keys if isinstance(m := rules.found.get(k), RulesMatch)]


# --- a creature's attack: its stat block's action ----------------------------------------------------------


def monster_attacks(record: dict[str, Any]) -> list[AttackProfile]:
    """The weapon attacks of an SRD stat block ("Scimitar. Melee Weapon Attack: +4 to hit ... Hit: 5 (1d6 + 2)
    slashing damage."), as attack profiles; actions without a to-hit bonus and a damage roll are left out."""
    out = []
    for action in record.get("actions") or ():
        text = str(action.get("description") or action.get("text") or "")
        to_hit, dice, flat = _TO_HIT.search(text), _HIT_DICE.search(text), _HIT_FLAT.search(text)
        if to_hit is None or (dice is None and flat is None):
            continue
        if dice is not None:
            bonus = int(dice.group(3) or 0) * (-1 if dice.group(2) == "-" else 1)
            damage, damage_type = dice.group(1), dice.group(4).lower()
        else:
            bonus, damage, damage_type = 0, flat.group(1), flat.group(2).lower()  # type: ignore[union-attr]
        ranged = to_hit.group(1).lower() == "ranged"
        span = _RANGE.search(text) if ranged else None
        out.append(AttackProfile(
            weapon=str(action.get("name") or "attack"), ability="strength", attack_bonus=int(to_hit.group(2)),
            damage_dice=damage, damage_bonus=bonus, damage_type=damage_type, ranged=ranged,
            normal_range=int(span.group(1)) if span else None,
            long_range=int(span.group(2)) if span and span.group(2) else None,
        ))  # fmt: skip
    return out


def _creature_attack(ctx: _Recording, me: Creature, request: RollRequest, target: tuple[str, Any] | None,
                     rules: Prefetched) -> EngineRoll:  # fmt: skip
    if target is None:
        raise DMError("An attack needs a target.")
    tid, victim = target
    if victim.dead:
        raise GameError(f"{victim.name} is already dead")
    match = rules.found.get(("monster", _key(_NUMBERED.sub("", me.name))))
    if not isinstance(match, RulesMatch):
        raise DMError(f"{me.name} has no stat block in the rules at hand to attack with")
    profiles = monster_attacks(match.record)
    if not profiles:
        raise DMError(f"{me.name}'s stat block has no weapon attack")
    wanted = _key(request.weapon or "")
    profile = next((p for p in profiles if wanted and wanted in _key(p.weapon)), profiles[0])
    distance = min(profile.normal_range or 30, 30) if profile.ranged else 5
    result = make_attack(profile, victim.armor_class, attacker_conditions=me.conditions,
                         target_conditions=victim.conditions, attacker_exhaustion=me.exhaustion,
                         distance=distance, target_dodging=is_dodging(ctx.state.combat, tid),
                         target_exhaustion=victim.exhaustion)  # fmt: skip
    before, changes = victim.hp, {}
    if result.hit and result.damage > 0:
        outcome = ctx.apply([HpChange(target=tid, amount=-result.damage, damage_type=result.damage_type,
                                      critical=result.critical, source=f"{me.name}'s {profile.weapon}")])[0]
        if not outcome.accepted:
            raise GameError(outcome.reason or outcome.summary)
        changes = outcome.changes
    after = ctx.state.characters.get(tid) or ctx.state.creatures[tid]
    bonus = profile.attack_bonus
    attack_roll = {"total": result.attack_total, "rolls": [{"value": r} for r in result.rolls]}
    damage_roll = {"rolls": [{"value": r} for r in result.damage_rolls], "total": result.damage} if result.hit else None
    return attack_line(me.name, victim.name, profile.weapon, attack_roll, bonus, victim.armor_class, result.hit,
                       result.critical, result.fumble, result.mode.name.lower(), damage_roll,
                       int(changes.get("damage_taken", 0)), result.damage_type, before, after.hp,
                       bool(changes.get("dropped_to_zero")), after.dead, isinstance(after, Creature))  # fmt: skip


# --- a spell: the `!cast` handler ------------------------------------------------------------------------


async def _spell(ctx: _Recording, me: Character | Creature, request: RollRequest,
                 targets: list[str]) -> EngineRoll:  # fmt: skip
    if not isinstance(me, Character):
        raise DMError(f"{me.name}'s spells are not in the engine's hands; the DM narrates them")
    if not request.spell:
        raise DMError("which spell was not said")
    match = ctx.rules.found.get(("spell", _key(request.spell)))
    name = match.name if isinstance(match, RulesMatch) else request.spell
    if isinstance(match, RulesMatch):  # the handler looks it up again by its exact name
        ctx.rules.found[("spell", _key(name))] = match
    text = name + (f" at {request.slot_level}" if request.slot_level else "") + (" on " + ", ".join(targets)
                                                                                 if targets else "")
    done: SpellCast = await cast(ctx, text)
    return EngineRoll(who=done.caster, label=f"casts {done.spell}", total=None, target=", ".join(done.target_names),
                      line=spell_line(done), success=True, crit=any(t.critical for t in done.targets),
                      detail={"dice": {"damage": [int(d.get("value", 0)) for d in (done.damage_roll or {})
                                                  .get("rolls", []) if isinstance(d, dict)]},
                              "struck": [t.id for t in done.targets]})  # fmt: skip


# --- laying the engine's changes on the state the turn is saved against ----------------------------------


def replay(state: GameState, done: Resolution | None) -> tuple[GameState, list[dict[str, Any]], list[dict[str, Any]]]:
    """(state after the engine's actions, their applied entries, their refused entries) from `state`.

    On the state they were resolved against the recorded result is used as it is; on a fresher one
    (another save came first) each recorded effect is judged again by `game.validation`, and a character
    replaced outside an effect (concentration) only if it is still as it was.
    """
    if done is None or not done.ops and not done.refused:
        return state, [], []
    refused = [dict(r) for r in done.refused]
    if state is done.base or state == done.base:
        applied = [_entry(op[1], op[2]) for op in done.ops if op[0] == "effect" and op[2].accepted]
        return done.after, applied, refused
    applied = []
    for op in done.ops:
        if op[0] == "put":
            _, cid, old, new = op
            if state.characters.get(cid) == old:
                state = state.replace(cid, new)
            continue
        state, (outcome,) = apply_effects(state, [op[1]])
        (applied if outcome.accepted else refused).append(_entry(op[1], outcome))
    return state, applied, refused


def _entry(effect: Any, outcome: EffectOutcome) -> dict[str, Any]:
    return {"kind": outcome.kind, "target": effect_target(effect), "summary": outcome.summary,
            "accepted": outcome.accepted, "by": "engine"}  # fmt: skip


def engine_first(state: GameState, done: Resolution | None, effects: Sequence[Any]) -> tuple[
        GameState, list[dict[str, Any]], list[dict[str, Any]], list[Any]]:  # fmt: skip
    """The engine's actions laid on `state` (`replay`), then the model's effects that are left: an `hp_change`
    on a creature an engine-resolved attack or spell already struck this turn is refused ("already
    resolved by the dice"), so the damage is never counted twice.

    Returns (state, engine applied, engine and duplicate refusals, the model's effects still to judge).
    """
    state, applied, refused = replay(state, done)
    struck = done.targets if done is not None else set()
    kept = []
    for effect in effects:
        found = _find(state, effect.target) if getattr(effect, "kind", "") == "hp_change" else None
        if found is not None and found[0] in struck:
            refused.append({"kind": "hp_change", "target": effect.target, "accepted": False,
                            "summary": f"the blow on {_name(state, effect.target)} was already resolved by the dice"})
            continue
        kept.append(effect)
    return state, applied, refused, kept


def _name(state: GameState, cid: str) -> str:
    who = state.characters.get(cid) or state.creatures.get(cid)
    return who.name if who is not None else cid
