"""Every `!` command of the registry as a slash command, generated from the registry (never written twice).

`setup_commands(bot)` adds one `app_commands.Command` per `CommandSpec`: its name, its help as the description
(cut to Discord's 100 characters), and one option per `Arg` — INT → integer (0 and up), CHOICE → fixed choices,
WORD/SIGNED/TEXT → a string, SRD names with autocomplete (`gateway/discord/autocomplete.py`), PLAYER → a string
with the channel's characters (and `party` where it is taken) as autocomplete: a Discord user option could name
neither a character nor the party, which the typed form allows — required or optional as declared. Owner-only
commands are listed like any other: the table refuses them to anyone but OWNER_ID (its check is the only one).

A slash command is not run here. Its options are written back as the canonical line (`/save ability:dex dc:15`
→ `!save dex 15`, quoted so that the registry's parser reads the same arguments) and sent, as a
`PlayerMessage` whose message id is the interaction's id, through the bot's `SessionHub` — the very path of a
typed `!save dex 15` (exactly-once by id, owner checks, the combat gate). The interaction is deferred at once
(privately for `/whisper`) and answered with followups built by `gateway.discord.render.message_parts`; a
private part is an ephemeral followup.

    setup_commands(bot)         # in setup_hook; synced to each guild once the bot is ready, and on joining one
"""

from __future__ import annotations

import inspect
import logging
import re
from types import SimpleNamespace
from typing import Any

import discord
from discord import app_commands

from dm.commands import load_all
from dm.commands.registry import REGISTRY, Arg, ArgKind, CommandSpec, Registry
from dm.commands.results import Refusal
from dm.errors import BadArguments
from dm.table import PlayerMessage, TableReply
from gateway.discord.autocomplete import (
    AUTOCOMPLETE, CAST_TAIL, name_completer, own_items, player_completer, rules_book_for,
)  # fmt: skip
from gateway.discord.render import message_parts
from gateway.discord.splitting import split_message
from gateway.errors import friendly_message

__all__ = [
    "BINDING_COMMANDS",
    "MAX_DESCRIPTION",
    "PRIVATE_COMMANDS",
    "answer_interaction",
    "canonical_line",
    "setup_commands",
    "slash_command",
    "sync_commands",
]

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 100  # Discord's limit for a command's or an option's description
MAX_INT = 999_999_999  # the registry's INT is at most 9 digits
PRIVATE_COMMANDS = ("whisper",)  # answered privately: the interaction is deferred as ephemeral
BINDING_COMMANDS = ("load_campaign", "new_campaign")  # taken in any channel of a guild (they bind one)
_PARTY = ("party",)
_NEEDS_QUOTES = re.compile(r'[\s"\\]')


def _describe(text: str, fallback: str) -> str:
    text = " ".join((text or fallback).split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1].rstrip() + "…"


def _annotation(arg: Arg) -> Any:
    if arg.kind is ArgKind.INT:
        return app_commands.Range[int, 0, MAX_INT]
    return str  # PLAYER too: a name, a mention or "party", as after `!` (autocomplete offers the characters)


# --- from options back to the canonical line ------------------------------------------------------------


def _quoted(token: str) -> str:
    """A WORD as the registry's parser (shlex, double quotes only) reads it back unchanged."""
    if token and not _NEEDS_QUOTES.search(token):
        return token
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _token(arg: Arg, value: Any) -> str:
    if arg.kind is ArgKind.PLAYER and getattr(value, "id", None) is not None:  # a discord.User / Member
        return f"<@{value.id}>"
    if arg.kind is ArgKind.TEXT:
        return " ".join(str(value).split())
    return _quoted(str(value).strip())


def canonical_line(spec: CommandSpec, values: dict[str, Any]) -> str:
    """The `!name args` line a slash command's option values stand for.

    Raises:
        BadArguments: a required value is missing, or an optional one is given after one left out (the typed
            form could not say which is which).
    """
    tokens: list[str] = []
    left_out: Arg | None = None
    for arg in spec.args:
        value = values.get(arg.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if arg.required:
                raise BadArguments(f"{arg.name.upper()} is missing.", spec.usage)
            left_out = left_out or arg
            continue
        if left_out is not None:
            raise BadArguments(f"Give {left_out.name.upper()} too when you give {arg.name.upper()}.", spec.usage)
        tokens.append(_token(arg, value))
    return " ".join([f"!{spec.name}", *tokens])


# --- answering -----------------------------------------------------------------------------------------


async def _followup(interaction: discord.Interaction, content: str, embeds: list[discord.Embed],
                    ephemeral: bool) -> int:  # fmt: skip
    pieces = split_message(content) if content else []
    sent = 0
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        await interaction.followup.send(content=piece, embeds=embeds if last else [], ephemeral=ephemeral)
        sent += 1
    if not pieces and embeds:
        await interaction.followup.send(embeds=embeds, ephemeral=ephemeral)
        sent += 1
    return sent


async def answer_interaction(bot: Any, interaction: discord.Interaction, replies: list[TableReply], *,
                             private: bool = False) -> int:  # fmt: skip
    """Post the table's replies as the interaction's followups; returns how many messages were sent.

    A reply a bot hook posts itself (a creation menu, an NPC's voice) goes through the hook, with the interaction
    standing in for the message it came from; a private reply is an ephemeral followup, never a hook's. An
    interaction left with nothing to say (a repeated id, a hooked reply) loses its "thinking" note.
    """
    sent = 0
    hooked = getattr(bot, "_hooked", None)
    origin = SimpleNamespace(id=interaction.id, author=interaction.user, channel=interaction.channel)  # as a message
    for reply in replies:
        parts = message_parts(reply)
        secret = private or any(p.ephemeral for p in parts)  # answered here, ephemerally: never through a hook
        if not secret and hooked is not None and interaction.channel is not None and await hooked(
                interaction.channel, reply, origin):  # fmt: skip
            continue
        for part in parts:
            sent += await _followup(interaction, part.content, list(part.embeds), private or part.ephemeral)
    if not sent:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.info("could not remove the thinking note", extra={"status": exc.status})
    return sent


async def _refuse(interaction: discord.Interaction, text: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def _player_message(interaction: discord.Interaction, line: str) -> PlayerMessage:
    user = interaction.user
    name = getattr(user, "display_name", None) or user.name
    return PlayerMessage(int(interaction.channel_id or 0), interaction.id, user.id, str(name), line)


async def run_slash(bot: Any, interaction: discord.Interaction, spec: CommandSpec, values: dict[str, Any]) -> None:
    """One slash command: the canonical line through the hub, the replies as followups."""
    try:
        line = canonical_line(spec, values)
    except BadArguments as exc:
        await _refuse(interaction, f"{exc.user_message} Nothing was changed.")
        return
    channel_id = interaction.channel_id or 0
    watches = getattr(bot, "watches", None)
    if interaction.guild_id is None or (watches is not None and not watches(channel_id)
                                        and spec.name not in BINDING_COMMANDS):  # fmt: skip
        await _refuse(interaction, "I don't play in this channel: use the game's channel, or bind this one to a "
                                   "campaign with /load_campaign. Nothing was changed.")  # fmt: skip
        return
    private = spec.name in PRIVATE_COMMANDS
    await interaction.response.defer(thinking=True, ephemeral=private)
    receive = getattr(bot, "receive", None) or bot.hub.receive  # the bot's door: its channel's messages in order
    try:
        replies = await receive(_player_message(interaction, line))
    except Exception as exc:  # noqa: BLE001 - the database dropped, a bug: one friendly line, the bot goes on
        log.exception("slash command failed", extra={"channel_id": channel_id, "command": spec.name})
        replies = [TableReply("error", Refusal(command=spec.name, reason=friendly_message(exc, context="the table")))]
    if spec.name in BINDING_COMMANDS and hasattr(bot, "refresh_bound"):
        await bot.refresh_bound()  # before the answer: the channel is watched from then on
    await answer_interaction(bot, interaction, replies, private=private)


async def _on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """An option Discord's client should have checked (a wrong type, a number out of range), in plain words."""
    command = interaction.command
    spec = REGISTRY.get(command.name) if command is not None else None
    usage = f" Usage: {spec.usage}" if spec is not None else ""
    if isinstance(error, app_commands.TransformerError):
        text = f"{error.value!r} does not fit that option.{usage} Nothing was changed."
    elif isinstance(error, app_commands.CommandSignatureMismatch):  # a required option missing: an outdated client
        text = f"An option is missing (or Discord shows an older /{getattr(command, 'name', '?')}).{usage} " \
               "Nothing was changed."
    else:
        log.error("slash command error", exc_info=error)
        text = friendly_message(getattr(error, "original", error), context="the command")
    try:
        await _refuse(interaction, text)
    except discord.HTTPException as exc:
        log.info("could not say what went wrong", extra={"status": exc.status})


# --- building the commands -----------------------------------------------------------------------------


def slash_command(bot: Any, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """The slash command for one registry entry (see the module docstring)."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run_slash(bot, interaction, spec, values)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]  # fmt: skip
    for arg in spec.args:
        default = inspect.Parameter.empty if arg.required else None
        parameters.append(inspect.Parameter(arg.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=_annotation(arg)))  # fmt: skip
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{spec.name}"
    described = {a.name: _describe(a.help, a.label()) for a in spec.args}
    app_commands.describe(**described)(callback)
    choices = {a.name: [app_commands.Choice(name=c, value=c) for c in a.choices[:25]]
               for a in spec.args if a.kind is ArgKind.CHOICE and a.choices}  # fmt: skip
    if choices:
        app_commands.choices(**choices)(callback)
    completers = {a.name: name_completer(lambda: rules_book_for(bot), AUTOCOMPLETE[(spec.name, a.name)],
                                         own_items(bot) if spec.name == "use_item" else None,
                                         CAST_TAIL if spec.name == "cast" else None)
                  for a in spec.args if (spec.name, a.name) in AUTOCOMPLETE}  # fmt: skip
    completers.update({a.name: player_completer(bot, _PARTY if "party" in a.help else ())
                       for a in spec.args if a.kind is ArgKind.PLAYER})  # fmt: skip
    if completers:
        app_commands.autocomplete(**completers)(callback)
    app_commands.guild_only()(callback)
    slash = app_commands.Command(name=spec.name, description=_describe(spec.help, spec.name), callback=callback)
    slash.on_error = _on_error  # type: ignore[assignment]
    return slash


def setup_commands(bot: Any, registry: Registry | None = None) -> list[app_commands.Command[Any, ..., None]]:
    """Add every registry command to `bot.tree` as a slash command; sync them to each guild once ready."""
    load_all()
    added = [slash_command(bot, spec) for spec in (registry or REGISTRY).all()]
    for slash in added:
        bot.tree.add_command(slash, override=True)
    if not getattr(bot, "_slash_sync_listener", False):
        bot._slash_sync_listener = True

        async def sync_on_ready() -> None:
            if getattr(bot, "_slash_synced", False):
                return
            bot._slash_synced = True
            await sync_commands(bot)

        async def sync_on_join(guild: discord.Guild) -> None:
            await sync_commands(bot, [guild])

        bot.add_listener(sync_on_ready, "on_ready")
        bot.add_listener(sync_on_join, "on_guild_join")
    return added


async def sync_commands(bot: Any, guilds: list[Any] | None = None) -> int:
    """Register the slash commands with Discord for each guild the bot is in, or `guilds` (instant, unlike a
    global sync). Returns how many guilds were synced; a failure is logged and the `!` commands still work."""
    synced = 0
    for guild in list(guilds if guilds is not None else getattr(bot, "guilds", ())):
        try:
            bot.tree.copy_global_to(guild=guild)
            await bot.tree.sync(guild=guild)
            synced += 1
        except discord.HTTPException as exc:
            log.warning("slash commands not synced", extra={"guild_id": guild.id, "status": exc.status})
    return synced
