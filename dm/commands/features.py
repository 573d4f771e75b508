"""Class features: `!use_feature NAME [N…] [@target] [end]` spends a class resource through the rules engine.

    !use_feature rage                   start raging (`!use_feature rage end` stops)
    !use_feature rage frenzy            a Berserker's frenzied rage (one level of exhaustion when it ends)
    !use_feature second wind            heal 1d10 + fighter level
    !use_feature lay on hands 5 @Aria   5 hit points from the pool to Aria (yourself without a target)
    !use_feature ki 2                   spend 2 ki points
    !use_feature bardic inspiration @Brom
    !use_feature arcane recovery 2 1    regain a spent 2nd- and a spent 1st-level slot
    !use_feature font of magic 2        sorcery points → a 2nd-level slot (`... convert 2`: the slot → points)
    !use_feature mystic arcanum 6       the 6th-level arcanum

The name is matched loosely ("secnd wind", "LoH" are fine). Every spend is a `resource_spend` effect,
so the engine refuses what the rules forbid ("Grog has no rages left until they finish a long rest")
and nothing changes. In a fight a feature waits for your turn, except the reactions (Relentless
Endurance at 0 hit points, Indomitable's reroll), which you use whenever they happen.
"""

from __future__ import annotations

import re
from typing import Any, Final

from rapidfuzz import fuzz, process

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, PlayerRef, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments
from game.character import Character
from game.dice import roll
from game.effects import EffectOutcome, FeatureEnd, HpChange, ResourceSpend
from game.errors import IllegalEffect, NotYourTurn
from game.resources import RESOURCE_NAMES, class_counters, class_level, resource_key

__all__ = ["FeatureUsed"]

USAGE: Final = "!use_feature NAME [N…] [@target] [end]"
_MENTION = re.compile(r"^(?:<@!?\d{1,20}>|@\S+)$")
_CHOICES: Final[dict[str, str]] = {
    **{name.lower(): key for key, name in RESOURCE_NAMES.items()},
    **{key.replace("_", " "): key for key in RESOURCE_NAMES},
    "font of magic": "font_of_magic",
    "sorcery": "sorcery_points",
    "ki points": "ki",
    "loh": "lay_on_hands",
    "inspiration": "bardic_inspiration",
    "mystic arcanum": "mystic_arcanum",
    "relentless": "relentless_endurance",
    "metamagic": "sorcery_points",
}
# Ways to spend a pool, by the name players use (each costs one use or one point unless a number is given).
_OPTIONS: Final[dict[str, tuple[str, str]]] = {
    "flurry of blows": ("ki", "Flurry of Blows"), "patient defense": ("ki", "Patient Defense"),
    "step of the wind": ("ki", "Step of the Wind"), "stunning strike": ("ki", "Stunning Strike"),
    "turn undead": ("channel_divinity", "Turn Undead"), "preserve life": ("channel_divinity", "Preserve Life"),
    "frenzy": ("rage", "Frenzy"), "rage frenzy": ("rage", "Frenzy"), "frenzied rage": ("rage", "Frenzy"),
    "sacred weapon": ("channel_divinity", "Sacred Weapon"), "turn the unholy": ("channel_divinity", "Turn the Unholy"),
}  # fmt: skip
_CHOICES.update({name: key for name, (key, _) in _OPTIONS.items()})
_REACTIONS: Final = {"relentless_endurance", "indomitable"}  # usable on anyone's turn


class FeatureUsed(CommandResult):
    """A class resource spent (or a rage ended): the pool as it stands and what the feature did."""

    type: str = "feature_used"
    who: str
    feature: str  # display name
    key: str
    spent: int = 0
    remaining: int | None = None
    maximum: int | None = None
    unlimited: bool = False
    target: str | None = None
    healed: int | None = None
    roll: dict[str, Any] | None = None  # the dice of a heal (Second Wind)
    die: str | None = None  # the Bardic Inspiration die the target gets
    option: str | None = None  # how the pool was spent ("Flurry of Blows"), when named
    ended: bool = False
    exhaustion: int | None = None  # the exhaustion level a frenzy left when the rage ended
    summaries: tuple[str, ...] = ()  # the engine's sentences, in order


def _owned(key: str, who: Character) -> bool:
    if key == "font_of_magic":
        return "sorcery_points" in who.resources
    if key == "mystic_arcanum":
        return any(k.startswith("mystic_arcanum") for k in who.resources)
    return key in who.resources


def _match(name: str, who: Character) -> tuple[str, str]:
    """(resource key, the name matched) for a typed name: exact, else the closest of `who`'s own features,
    else of any."""
    text = " ".join(name.lower().split())
    if not text:
        raise BadArguments("Which feature? For example: rage, second wind, ki, lay on hands.", USAGE)
    if text in _CHOICES:
        return _CHOICES[text], text
    own = [choice for choice, key in _CHOICES.items() if _owned(key, who)]
    found = process.extractOne(text, own, scorer=fuzz.ratio, score_cutoff=60) if own else None
    found = found or process.extractOne(text, list(_CHOICES), scorer=fuzz.ratio, score_cutoff=75)
    if found is None:
        raise BadArguments(f"{name!r} is not a class feature I can track.", USAGE)
    return _CHOICES[found[0]], found[0]


def _split(words: str) -> tuple[list[str], list[int], str | None, bool, bool]:
    """(name words, numbers, target token, `end`, `convert`) from the text after the command."""
    name: list[str] = []
    numbers: list[int] = []
    target = None
    end = convert = False
    for token in words.split():
        low = token.lower()
        if _MENTION.match(token):
            if target is not None:
                raise BadArguments("Name one target at a time.", USAGE)
            target = token
        elif re.fullmatch(r"\d{1,4}", token):
            numbers.append(int(token))
        elif low in ("end", "stop", "off"):
            end = True
        elif low in ("convert", "points", "to_points"):
            convert = True
        elif low not in ("to", "for", "slot", "slots", "level"):
            name.append(token)
    return name, numbers, target, end, convert


def _check_turn(ctx: CommandContext, cid: str, who: Character, key: str) -> None:
    combat = ctx.state.combat
    if combat is None or not combat.combatants or key in _REACTIONS:
        return
    current = combat.combatants[combat.turn_index]
    if any(c.id == cid for c in combat.combatants) and current.id != cid:
        raise NotYourTurn(who.name, current.name)


def _apply(ctx: CommandContext, effects: list[Any]) -> list[EffectOutcome]:
    """Apply through the engine; any refusal aborts the whole command (the table saves nothing)."""
    outcomes = ctx.apply(effects)
    for outcome in outcomes:
        if not outcome.accepted:
            reason = outcome.reason or outcome.summary
            raise IllegalEffect(reason if "nothing was changed" in reason.lower() else f"{reason} Nothing was changed.")
    return outcomes


def _result(who: Character, key: str, outcomes: list[EffectOutcome], **extra: Any) -> FeatureUsed:
    spend = outcomes[0].changes
    return FeatureUsed(
        who=who.name, feature=RESOURCE_NAMES.get(key, "Font of Magic"), key=key, spent=int(spend.get("spent", 0)),
        remaining=spend.get("remaining"), maximum=spend.get("max"), unlimited=bool(spend.get("unlimited", False)),
        summaries=tuple(o.summary for o in outcomes), **extra,
    )  # fmt: skip


def _target(ctx: CommandContext, token: str | None, cid: str, who: Character) -> tuple[str, Character]:
    if token is None:
        return cid, who
    mention = re.fullmatch(r"<@!?(\d{1,20})>", token)
    return ctx.character_for(PlayerRef(token, int(mention.group(1))) if mention else PlayerRef(token))


@command(
    "use_feature",
    aliases=("feature", "uf"),
    area="character",
    args=(Arg("what", ArgKind.TEXT, help="the feature, then any number and @target"),),
    help="Use a class feature: rage, second wind, ki, lay on hands, bardic inspiration, …",
    needs_character=True,
    examples=("!use_feature rage", "!use_feature second wind", "!use_feature lay on hands 5 @Aria",
              "!use_feature ki 2", "!use_feature bardic inspiration @Brom", "!use_feature arcane recovery 2 1"),
)  # fmt: skip
async def use_feature(ctx: CommandContext, what: str) -> FeatureUsed:
    words, numbers, target_token, end, convert = _split(what)
    cid, me = ctx.my_character()
    key, matched = _match(" ".join(words), me)
    option = _OPTIONS[matched][1] if matched in _OPTIONS else None
    if key == "mystic_arcanum":
        if len(numbers) != 1 or not 6 <= numbers[0] <= 9:
            raise BadArguments("Which Mystic Arcanum: 6, 7, 8 or 9?", "!use_feature mystic arcanum 6|7|8|9")
        key, numbers = f"mystic_arcanum_{numbers[0]}", []
    if end:
        outcomes = _apply(ctx, [FeatureEnd(target=cid, feature=key)])
        tired = outcomes[0].changes.get("exhaustion")
        return FeatureUsed(who=me.name, feature=RESOURCE_NAMES.get(key, key), key=key, ended=True,
                           exhaustion=tired if tired is not None and tired > me.exhaustion else None,
                           summaries=(outcomes[0].summary,))  # fmt: skip
    _check_turn(ctx, cid, me, key)
    if key in ("arcane_recovery", "font_of_magic"):
        if not numbers:
            raise BadArguments("Name the slot level(s), e.g. 2 1.", USAGE)
        spend = ResourceSpend(target=cid, resource=key, slot_levels=numbers, to_points=convert)
        return _result(me, key, _apply(ctx, [spend]))
    if option == "Frenzy":  # Path of the Berserker: a rage that leaves one level of exhaustion when it ends
        return _result(me, key, _apply(ctx, [ResourceSpend(target=cid, resource="frenzy")]), option=option)
    used = await _spend(ctx, cid, me, key, numbers, target_token)
    return used.model_copy(update={"option": option}) if option else used


async def _spend(
    ctx: CommandContext, cid: str, me: Character, key: str, numbers: list[int], target_token: str | None
) -> FeatureUsed:
    if len(numbers) > 1:
        raise BadArguments(f"One number only, not {', '.join(map(str, numbers))}.", USAGE)
    amount = numbers[0] if numbers else 1
    if amount < 1:
        raise BadArguments("The number must be at least 1.", USAGE)
    if key == "second_wind":
        heal = roll(f"1d10+{max(1, class_level(me, 'fighter'))}")  # SRD "Second Wind": 1d10 + fighter level
        outcomes = _apply(ctx, [ResourceSpend(target=cid, resource=key),
                                HpChange(target=cid, amount=heal.total, source="Second Wind")])  # fmt: skip
        return _result(me, key, outcomes, target=me.name, healed=outcomes[1].changes.get("regained"),
                       roll=heal.to_dict())  # fmt: skip
    if key == "lay_on_hands":
        if not numbers:
            raise BadArguments("How many hit points from the pool?", "!use_feature lay on hands N [@target]")
        tid, target = _target(ctx, target_token, cid, me)
        outcomes = _apply(ctx, [ResourceSpend(target=cid, resource=key, amount=amount),
                                HpChange(target=tid, amount=amount, source="Lay on Hands")])  # fmt: skip
        return _result(me, key, outcomes, target=target.name, healed=outcomes[1].changes.get("regained"))
    if key == "bardic_inspiration":
        if target_token is None:
            raise BadArguments("Who gets the inspiration?", "!use_feature bardic inspiration @target")
        tid, target = _target(ctx, target_token, cid, me)
        if tid == cid:
            raise BadArguments("Bardic Inspiration goes to another creature, not yourself.", USAGE)
        die = class_counters("bard", max(1, class_level(me, "bard"))).bardic_inspiration_die or None
        return _result(me, key, _apply(ctx, [ResourceSpend(target=cid, resource=key)]), target=target.name, die=die)
    if target_token is not None:
        raise BadArguments(f"{RESOURCE_NAMES.get(key, key)} takes no target.", USAGE)
    return _result(me, key, _apply(ctx, [ResourceSpend(target=cid, resource=resource_key(key), amount=amount)]))
