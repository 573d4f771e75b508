"""The engine's dice for the DM turn: the rolls the model asks for, made with the characters' real modifiers.

    engine_roll(state, RollRequest(who="Mira", kind="ability_check", ability_or_skill="stealth", dc=13))

Checks, saves and initiative of a character use the sheet (`dm.commands.dice.check_roll`: ability,
proficiency, expertise, conditions, advantage rules); a creature's use its stat block; anything else
rolls the dice expression the model gave. The model never invents a result.

`engine_rolls` takes a reply's whole list: attacks at a target and spells are resolved and applied by
`dm.actions` (the `!attack` / `!cast` code) on a copy of the state, in order, so a later roll sees the
earlier one's result; the `Resolution` is what `dm.actions.replay` lays on the state the turn saves.
With a `seed` the dice are reproducible (tests, and the table's seeded play).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from typing import Any

from dm.actions import Resolution, is_action, prefetch, resolve_action
from dm.commands.dice import check_roll
from dm.mechanics import EngineRoll
from dm.reply import RollRequest
from game.abilities import ABILITIES, ABILITY_ABBREVIATIONS, ability_modifier, ability_name, skill_name
from game.character import Character
from game.combat import is_dodging
from game.dice import Advantage, roll, roll_d20, seeded
from game.effects import GameState
from game.errors import GameError

__all__ = ["engine_roll", "engine_rolls"]

_ADVANTAGE = {"none": Advantage.NONE, "advantage": Advantage.ADVANTAGE, "disadvantage": Advantage.DISADVANTAGE}


def _check_kind(request: RollRequest) -> tuple[str, str] | None:
    """("save"|"skill"|"check", key) for a check the sheet can roll, else None."""
    if request.kind == "initiative":
        return "check", "dexterity"
    if request.kind not in ("ability_check", "saving_throw") or not request.ability_or_skill:
        return None
    name = request.ability_or_skill.strip().lower()
    with contextlib.suppress(GameError):
        if name in ABILITIES or name in ABILITY_ABBREVIATIONS:
            return ("save" if request.kind == "saving_throw" else "check"), ability_name(name)
        if request.kind == "ability_check":
            return "skill", skill_name(name)
    return None


def engine_roll(state: GameState, request: RollRequest) -> EngineRoll:
    """Roll what the model asked for: checks and saves with the character's real modifiers, dice as given."""
    mode = _ADVANTAGE.get(request.advantage, Advantage.NONE)
    try:
        cid, who = state.find(request.who)
    except GameError:
        cid, who = "", None
    name = who.name if who is not None else request.who
    target = _check_kind(request)
    try:
        if isinstance(who, Character) and target is not None:
            done = check_roll(who, target[0], target[1], mode, request.dc, dodging=is_dodging(state.combat, cid))
            label = "Initiative" if request.kind == "initiative" else done.label
            return EngineRoll(who=name, label=label, total=None if done.auto_fail else done.roll.get("total"),
                              modifier=done.modifier, dc=request.dc, success=done.success, advantage=done.advantage,
                              crit=bool(done.roll.get("crit")), fumble=bool(done.roll.get("fumble")), detail=done.roll,
                              problem=done.comment if done.auto_fail else "")  # fmt: skip
        if who is not None and target is not None and not isinstance(who, Character):
            modifier = ability_modifier(who.dexterity) if target[1] in ("dexterity", "stealth", "acrobatics") else 0
            result = roll_d20(modifier, dc=request.dc, advantage=mode)
            label = "Initiative" if request.kind == "initiative" else target[1].replace("_", " ").capitalize()
            return _from_dice(name, label, result, modifier, request.dc)
        if request.expression:
            result = roll(request.expression, dc=request.dc, advantage=mode)
            label = f"{request.kind.replace('_', ' ')} roll {request.expression}"
            return _from_dice(name, label, result, None, request.dc)
    except GameError as exc:
        return EngineRoll(who=name, label=request.kind.replace("_", " "), total=None, problem=exc.user_message)
    why = "nobody by that name is here" if who is None else "no dice or ability was given"
    return EngineRoll(who=name, label=request.kind.replace("_", " "), total=None, problem=why)


def _from_dice(who: str, label: str, result: Any, modifier: int | None, dc: int | None) -> EngineRoll:
    data = result.to_dict()
    return EngineRoll(who=who, label=label, total=data["total"], modifier=modifier, dc=dc, success=result.success,
                      advantage=result.advantage.name.lower(), crit=bool(data.get("crit")),
                      fumble=bool(data.get("fumble")), detail=data)  # fmt: skip




async def engine_rolls(state: GameState, requests: Sequence[RollRequest], *, rules: Any = None,
                       seed: int | None = None, actors: Collection[str] | None = None,
                       ) -> tuple[list[EngineRoll], Resolution | None]:  # fmt: skip
    """Every roll a reply asked for, in order; the actions' `Resolution` (None when it asked for none).

    `state` is not changed: the actions run on the resolution's own copy. `actors`: the characters (names or
    ids) whose players spoke this turn; another player's character takes no attack or spell (None: anyone).
    """
    actions = [r for r in requests if is_action(r)]
    found = await prefetch(state, actions, rules) if actions else None
    done = Resolution(base=state, after=state) if actions else None
    out: list[EngineRoll] = []
    with seeded(seed) if seed is not None else contextlib.nullcontext():
        for request in requests:
            if done is not None and found is not None and is_action(request):
                out.append(await resolve_action(done, request, found, actors))  # no real I/O: the records are at hand
            else:
                out.append(engine_roll(done.after if done is not None else state, request))
    return out, done
