"""System commands: `!help` (from the registry itself), `!model_status` and `!system_stats`.

`!help` lists every command by area with its usage and one line of help (owner-only ones marked);
`!help COMMAND` gives one command's usage, help, aliases, examples and rules of use. The status
commands ask `ctx.services` (wired in `gateway/wiring.py`), which reports only what is safe to show:
never a key, a token or a password.
"""

from __future__ import annotations

from typing import Any

from dm.commands.context import CommandContext
from dm.commands.registry import AREAS, REGISTRY, Arg, CommandSpec, command
from dm.commands.results import CommandResult

__all__ = ["HelpCommand", "HelpIndex", "ModelStatus", "SystemStats", "command_help"]


class HelpIndex(CommandResult):
    """Every command, by area: [{area, commands: [{name, usage, help, owner_only}]}]."""

    type: str = "help_index"
    areas: tuple[dict[str, Any], ...] = ()
    is_owner: bool = False


class HelpCommand(CommandResult):
    """One command in full."""

    type: str = "help_command"
    name: str
    usage: str
    help: str
    area: str
    aliases: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    arguments: tuple[dict[str, str], ...] = ()  # [{label, help}]
    details: str = ""
    owner_only: bool = False
    needs_character: bool = False
    only_on_your_turn: bool = False


class ModelStatus(CommandResult):
    """The inference side as `TableServices.model_status()` reports it (see gateway/wiring.py)."""

    type: str = "model_status"
    status: dict[str, Any]


class SystemStats(CommandResult):
    """Host CPU/RAM, GPUs, sessions, as `TableServices.system_stats()` reports it."""

    type: str = "system_stats"
    stats: dict[str, Any]


def _entry(spec: CommandSpec) -> dict[str, Any]:
    return {"name": spec.name, "usage": spec.usage, "help": spec.help, "owner_only": spec.owner_only}


def command_help(spec: CommandSpec) -> HelpCommand:
    return HelpCommand(
        name=spec.name, usage=spec.usage, help=spec.help, area=spec.area, aliases=spec.aliases,
        examples=spec.examples, details=spec.details, owner_only=spec.owner_only,
        needs_character=spec.needs_character, only_on_your_turn=not spec.out_of_turn,
        arguments=tuple({"label": a.label(), "help": a.help} for a in spec.args if a.help),
    )  # fmt: skip


@command(
    "help",
    aliases=("commands",),
    area="system",
    args=(Arg("command", required=False, help="a command's name, with or without the !"),),
    help="List the commands, or explain one: !help roll.",
    examples=("!help", "!help roll", "!help !cast"),
)
async def help_command(ctx: CommandContext, command: str | None = None) -> CommandResult:
    if command:
        return command_help(REGISTRY.require(command.lstrip("!")))
    by_area: dict[str, list[dict[str, Any]]] = {}
    for spec in REGISTRY.all():
        by_area.setdefault(spec.area, []).append(_entry(spec))
    order = [a for a in AREAS if a in by_area] + sorted(a for a in by_area if a not in AREAS)
    return HelpIndex(areas=tuple({"area": a, "commands": tuple(by_area[a])} for a in order),
                     is_owner=ctx.caller.is_owner)  # fmt: skip


@command(
    "model_status",
    area="system",
    help="Which language model answers, whether it is healthy, and the fallbacks' state.",
    examples=("!model_status",),
)
async def model_status(ctx: CommandContext) -> ModelStatus:
    return ModelStatus(status=await ctx.require_services("The model status").model_status())


@command(
    "system_stats",
    aliases=("stats",),
    area="system",
    help="The host's CPU, memory and GPU, and how many tables are in play.",
    examples=("!system_stats",),
)
async def system_stats(ctx: CommandContext) -> SystemStats:
    return SystemStats(stats=await ctx.require_services("The system statistics").system_stats())
