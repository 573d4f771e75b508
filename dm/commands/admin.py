"""Owner-only commands: the game's owner (OWNER_ID) fixes the table by hand.

`!add_item`, `!set_condition`, `!hp`, `!award_xp` and `!advance_plot` go through the rules engine's
effects (`ctx.apply`), so the engine's limits hold for the owner too; `!resync_character` and
`!trigger_event` have no effect kind and change a copy, then put it back; with a storyteller, `!advance_plot`
and `!trigger_event` add a short narrative of the change (`story.narrate_change`; if it fails, the change
stands and the result says the narration is unavailable). `!switch_model` and
`!fallback_api` reach the model router through `ctx.services`. Anyone else is refused (the table checks
`owner_only`) and nothing changes. A change the rules refuse raises, so nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from dm.commands.context import CommandContext
from dm.commands.registry import REGISTRY, Arg, ArgKind, PlayerRef, command
from dm.commands.results import ChangeApplied, CommandResult
from dm.commands.resync import resync
from dm.commands.story import narrate_change
from dm.errors import BadArguments, CommandError, NoCharacter
from game.conditions import Condition, parse_condition
from game.creation import level_for_xp, level_up
from game.effects import (
    ConditionClear,
    ConditionSet,
    EffectOutcome,
    HpChange,
    ItemAdd,
    PlotAdvance,
    WorldEvent,
    XpAward,
)
from game.errors import RulesError

__all__ = [
    "EventNarrated", "EventTriggered", "PlotNarrated", "PlotThreads", "ResyncDone", "ServiceDone", "XpAwarded",
]  # fmt: skip

MAX_FALLBACK_MINUTES = 24 * 60
DEFAULT_FALLBACK_MINUTES = 30
_PARTY_WORDS = ("party", "all", "everyone")
_QTY = re.compile(r"^(?P<item>.+?)\s+(?:x\s*)?(?P<qty>\d{1,6})$", re.IGNORECASE)


class XpAwarded(ChangeApplied):
    """XP given; `level_ups` lists who reached a new level: {name, level, hp_gained, max_hp, hp, slots, new_features}."""

    type: str = "xp_awarded"
    amount: int = 0
    level_ups: tuple[dict[str, Any], ...] = ()


class ResyncDone(CommandResult):
    """What `!resync_character` recomputed: `changes` is [{field, before, after}] (empty: all was right)."""

    type: str = "resync"
    who: str
    changes: tuple[dict[str, Any], ...] = ()


class PlotThreads(CommandResult):
    """The open plot threads: [{name, notes, last}] (`!advance_plot` with no thread)."""

    type: str = "plot_threads"
    threads: tuple[dict[str, Any], ...] = ()
    resolved: int = 0


class EventTriggered(CommandResult):
    type: str = "event_triggered"
    name: str
    description: str = ""
    new: bool = False


class EventNarrated(EventTriggered):
    """An event triggered, with the storyteller's `narration` (empty and `narration_unavailable` when it failed)."""

    type: str = "event_narrated"
    narration: str = ""
    narration_unavailable: bool = False


class PlotNarrated(ChangeApplied):
    """A plot thread moved on, with the storyteller's `narration` (as for `EventNarrated`)."""

    type: str = "plot_narrated"
    narration: str = ""
    narration_unavailable: bool = False


class ServiceDone(CommandResult):
    """A service's answer to an owner command (`!switch_model`, `!fallback_api`)."""

    type: str = "service_done"
    action: str
    detail: str = ""
    minutes: int | None = None


# --- helpers ----------------------------------------------------------------------------------------


def _entries(outcomes: list[EffectOutcome], targets: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    applied, refused = [], []
    for outcome, target in zip(outcomes, targets, strict=True):
        entry = {"kind": outcome.kind, "target": target, "summary": outcome.summary}
        (applied if outcome.accepted else refused).append(entry)
    return applied, refused


def _change(ctx: CommandContext, effects: list[Any], targets: list[str]) -> ChangeApplied:
    """Apply effects; if the rules refuse them all, raise so nothing is saved."""
    applied, refused = _entries(ctx.apply(effects), targets)
    if not applied:
        raise CommandError(" ".join(e["summary"] for e in refused) + " Nothing was changed.")
    return ChangeApplied(command=ctx.command, applied=tuple(applied), refused=tuple(refused))


def _usage(ctx: CommandContext) -> str:
    """The command's usage line, as the registry (and `!help`) shows it."""
    spec = REGISTRY.get(ctx.command) if ctx.command else None
    return spec.usage if spec else ""


# --- characters ------------------------------------------------------------------------------------


@command(
    "add_item",
    area="admin",
    owner_only=True,
    args=(Arg("player", ArgKind.PLAYER), Arg("item", ArgKind.TEXT, help="the item, then an optional quantity")),
    help="Give a player's character an item (and how many).",
    examples=("!add_item @Aria potion of healing 2", '!add_item @Bram "rope, hempen (50 feet)"'),
)
async def add_item(ctx: CommandContext, player: PlayerRef, item: str) -> ChangeApplied:
    usage = _usage(ctx)
    text = item.strip()
    quantity = 1
    match = _QTY.match(text)
    if match:
        text, quantity = match.group("item"), int(match.group("qty"))
    text = text.strip().strip('"').strip()
    if not text:
        raise BadArguments("Which item?", usage)
    if quantity < 1:
        raise BadArguments("The quantity must be at least 1.", usage)
    cid, _ = ctx.character_for(player)
    return _change(ctx, [ItemAdd(target=cid, item=text, quantity=quantity)], [cid])


@command(
    "set_condition",
    area="admin",
    owner_only=True,
    args=(Arg("player", ArgKind.PLAYER), Arg("condition", help="poisoned, prone, exhaustion, …"),
          Arg("switch", ArgKind.CHOICE, required=False, choices=("on", "off"), default="on")),
    help="Put a condition on a player's character, or take it off with `off`.",
    examples=("!set_condition @Aria poisoned", "!set_condition @Aria poisoned off", "!set_condition @Bram exhaustion"),
)
async def set_condition(ctx: CommandContext, player: PlayerRef, condition: str, switch: str = "on") -> ChangeApplied:
    try:
        key = parse_condition(condition).value
    except RulesError:
        raise BadArguments(f"{condition!r} is not a condition (one of: {', '.join(c.value for c in Condition)}).",
                           _usage(ctx)) from None
    cid, _ = ctx.character_for(player)
    effect = ConditionClear(target=cid, condition=key) if switch == "off" else ConditionSet(target=cid, condition=key)
    return _change(ctx, [effect], [cid])


@command(
    "hp",
    area="admin",
    owner_only=True,
    args=(Arg("player", ArgKind.PLAYER), Arg("value", ArgKind.SIGNED, help="12 sets, +5 heals, -3 damages")),
    help="Set a character's hit points (12), heal them (+5) or damage them (-3).",
    examples=("!hp @Aria 12", "!hp @Aria +5", "!hp @Aria -3"),
)
async def hp(ctx: CommandContext, player: PlayerRef, value: str) -> ChangeApplied:
    usage = _usage(ctx)
    cid, who = ctx.character_for(player)
    number = int(value)
    if value[0] in "+-":
        if number == 0:
            raise BadArguments("A change of 0 hit points does nothing.", usage)
        amount = number
    else:
        if number > who.max_hp:
            raise BadArguments(f"{who.name}'s maximum is {who.max_hp} hit points, so not {number}.", usage)
        if number == who.hp:
            raise BadArguments(f"{who.name} already has {number} hit points; nothing was changed.", usage)
        amount = number - who.hp
        if amount < 0:
            amount -= who.temp_hp  # temporary hit points go first, so HP lands exactly on the value
    return _change(ctx, [HpChange(target=cid, amount=amount, source="the owner")], [cid])


@command(
    "resync_character",
    area="admin",
    owner_only=True,
    args=(Arg("player", ArgKind.PLAYER),),
    help="Recompute a character's AC, max HP, spell slots and proficiencies from the sheet and the rules.",
    examples=("!resync_character @Aria",),
    details="Hit points keep the damage taken (they drop only if above the new maximum); spent slots stay spent.",
)
async def resync_character(ctx: CommandContext, player: PlayerRef) -> ResyncDone:
    cid, who = ctx.character_for(player)
    changes = resync(who)
    if changes:
        ctx.put(cid, who)
    return ResyncDone(who=who.name, changes=tuple(changes))


@command(
    "award_xp",
    area="admin",
    owner_only=True,
    args=(Arg("who", ArgKind.PLAYER, help="@player or party"), Arg("amount", ArgKind.INT)),
    help="Award XP to one character or the whole party; whoever crosses a threshold levels up.",
    examples=("!award_xp party 300", "!award_xp @Aria 50"),
    details="A level-up goes to the character's first class with the fixed hit points; ability score "
            "improvements are left for the player to choose.",
)
async def award_xp(ctx: CommandContext, who: PlayerRef, amount: int) -> XpAwarded:
    if amount < 1:
        raise BadArguments("Award at least 1 XP.", _usage(ctx))
    if who.user_id is None and who.name.lower() in _PARTY_WORDS:
        targets = [cid for cid, c in ctx.state.characters.items() if not c.dead]
        if not targets:
            raise NoCharacter("The party")
    else:
        targets = [ctx.character_for(who)[0]]
    change = _change(ctx, [XpAward(targets=targets, amount=amount)], [",".join(targets)])
    level_ups = []
    for cid in targets:
        character = ctx.state.characters[cid].model_copy(deep=True)
        while character.level < 20 and level_for_xp(character.xp) > character.level:
            done = level_up(character)
            level_ups.append({
                "name": character.name, "level": done.level, "hp_gained": done.hp_gained, "max_hp": character.max_hp,
                "hp": character.hp, "new_features": list(done.new_features),
                "slots": {str(k): v for k, v in sorted(character.spell_slots.maximum.items()) if v},
            })  # fmt: skip
        ctx.put(cid, character)
    return XpAwarded(command=ctx.command, applied=change.applied, refused=change.refused, amount=amount,
                     level_ups=tuple(level_ups))  # fmt: skip


# --- the story -------------------------------------------------------------------------------------


def _open_threads(ctx: CommandContext) -> PlotThreads:
    threads = [t for t in ctx.state.plot_threads.values() if not t.resolved]
    return PlotThreads(
        threads=tuple({"name": t.name, "notes": len(t.progress), "last": t.progress[-1] if t.progress else ""}
                      for t in threads),
        resolved=len(ctx.state.plot_threads) - len(threads),
    )  # fmt: skip


def _split_thread(ctx: CommandContext, text: str) -> tuple[str, str]:
    """The longest known thread name the text starts with, else its first word (quotes kept together)."""
    lowered = text.lower()
    for thread in sorted(ctx.state.plot_threads.values(), key=lambda t: -len(t.name)):
        name = thread.name.lower()
        if lowered == name or lowered.startswith(name + " "):
            return thread.name, text[len(name):].strip()
    return "", text


@command(
    "advance_plot",
    area="admin",
    owner_only=True,
    args=(Arg("thread", required=False, help="a thread's name (quote it if it has spaces)"),
          Arg("note", ArgKind.TEXT, required=False, help="what happened; start with `resolved` to close it")),
    help="Move a plot thread on with a note (or start a new one); with no thread, list the open ones.",
    examples=("!advance_plot", '!advance_plot "The Drowned Lantern" The keeper is found.',
              "!advance_plot Smugglers resolved The ring is broken."),
)
async def advance_plot(ctx: CommandContext, thread: str | None = None, note: str | None = None) -> CommandResult:
    if not thread:
        return _open_threads(ctx)
    name, rest = _split_thread(ctx, f"{thread} {note or ''}".strip())
    if not name:
        name, rest = thread, (note or "")
    resolved = False
    if rest.lower().split(" ", 1)[0] in ("resolved", "resolve", "done"):
        resolved, rest = True, rest.partition(" ")[2].strip()
    change = _change(ctx, [PlotAdvance(thread=name, progress=rest, resolved=resolved)], [name])
    text, missing = await narrate_change(ctx, " ".join([*(e["summary"] for e in change.applied), rest]))
    if not (text or missing):
        return change
    return PlotNarrated(**change.model_dump(exclude={"type"}), narration=text, narration_unavailable=missing)


@command(
    "trigger_event",
    area="admin",
    owner_only=True,
    args=(Arg("event", ArgKind.TEXT, help="the event's name; `new NAME` records one that is not in the campaign"),),
    help="Mark a campaign event as triggered (or record a new one with `new NAME`).",
    examples=("!trigger_event The tide turns", "!trigger_event new A storm breaks"),
)
async def trigger_event(ctx: CommandContext, event: str) -> EventTriggered:
    usage = _usage(ctx)
    name = " ".join(event.split()).strip('"')
    force_new = name.lower().startswith("new ")
    if force_new:
        name = name[4:].strip()
    if not name or len(name) > 100:
        raise BadArguments("An event needs a name of 1 to 100 characters.", usage)
    key = name.lower()
    events = ctx.state.events
    if key in events:
        found = events[key]
        if found.status != "pending":
            raise CommandError(f"The event {found.name!r} has already been {found.status}; nothing was changed.")
        updated, new = found.model_copy(update={"status": "triggered"}), False
    else:
        close = [m for m, _, _ in process.extract(key, list(events), scorer=fuzz.WRatio, limit=3, score_cutoff=80)]
        if close and not force_new:
            names = ", ".join(repr(events[k].name) for k in close)
            raise CommandError(f"There is no event called {name!r}; did you mean {names}? Nothing was changed. "
                               f"To record it as a new event: !trigger_event new {name}")
        updated, new = WorldEvent(name=name, status="triggered"), True
    ctx.state = ctx.state.model_copy(update={"events": {**events, key: updated}})
    text, missing = await narrate_change(ctx, f"The event {updated.name!r} happens. {updated.description}")
    if not (text or missing):
        return EventTriggered(name=updated.name, description=updated.description, new=new)
    return EventNarrated(name=updated.name, description=updated.description, new=new, narration=text,
                         narration_unavailable=missing)  # fmt: skip


# --- the model -------------------------------------------------------------------------------------


@command(
    "switch_model",
    area="admin",
    owner_only=True,
    needs_campaign=False,
    args=(Arg("name", help="a model's alias or repo id (see !model_status)"),),
    help="Restart the local model server with another model.",
    examples=("!switch_model llama-3.1-8b-awq",),
)
async def switch_model(ctx: CommandContext, name: str) -> ServiceDone:
    detail = await ctx.require_services("The model router").switch_model(name)
    return ServiceDone(action="switch_model", detail=str(detail))


@command(
    "fallback_api",
    area="admin",
    owner_only=True,
    needs_campaign=False,
    args=(Arg("minutes", ArgKind.INT, required=False, default=DEFAULT_FALLBACK_MINUTES),),
    help=f"Answer through the API fallbacks (Gemini, xAI) instead of the local model for a while "
         f"(default {DEFAULT_FALLBACK_MINUTES} minutes).",
    examples=("!fallback_api", "!fallback_api 60"),
)
async def fallback_api(ctx: CommandContext, minutes: int = DEFAULT_FALLBACK_MINUTES) -> ServiceDone:
    if not 1 <= minutes <= MAX_FALLBACK_MINUTES:
        raise BadArguments(f"MINUTES goes from 1 to {MAX_FALLBACK_MINUTES}, not {minutes}.", _usage(ctx))
    detail = await ctx.require_services("The model router").force_api(float(minutes))
    return ServiceDone(action="fallback_api", detail=str(detail), minutes=minutes)
