"""The one registry of `!` commands, and the one parser of `!name args`.

Each command is declared once with its typed arguments, help text and rules of use (owner-only,
needs a character, allowed out of turn in combat); the console, `!help` and the Discord bot
(prefix and slash commands) are all generated from it. A handler takes a `CommandContext` and
the bound arguments and returns a typed `CommandResult`, never a string.

    @command("roll", args=(Arg("what", ArgKind.TEXT),), aliases=("r",), help="Roll dice or a check.")
    async def roll(ctx: CommandContext, what: str) -> RollDone: ...
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rapidfuzz import process

from dm.errors import BadArguments, UnknownCommand

__all__ = [
    "AREAS",
    "Arg",
    "ArgKind",
    "CommandSpec",
    "Invocation",
    "PlayerRef",
    "REGISTRY",
    "Registry",
    "command",
    "bind_arguments",
    "parse_invocation",
    "split_command",
]

AREAS = ("character", "dice", "combat", "rules", "campaign", "admin", "system")
MAX_ARGS_LENGTH = 1500
_MENTION = re.compile(r"^<@!?(\d{1,20})>$")


class ArgKind(StrEnum):
    WORD = "word"  # one token
    INT = "int"  # a whole number
    SIGNED = "signed"  # a number that may carry a sign: 12, +5, -3 (the sign is kept)
    PLAYER = "player"  # @name, a Discord mention <@123>, or a character's name
    CHOICE = "choice"  # one of `choices` (case-insensitive; a unique prefix is enough)
    TEXT = "text"  # the rest of the line, as typed


@dataclass(frozen=True)
class PlayerRef:
    """A reference to a player or their character, resolved against the state by the handler."""

    raw: str
    user_id: int | None = None  # from a Discord mention

    @property
    def name(self) -> str:
        return self.raw.lstrip("@").strip()


@dataclass(frozen=True)
class Arg:
    name: str
    kind: ArgKind = ArgKind.WORD
    required: bool = True
    choices: tuple[str, ...] = ()
    help: str = ""
    default: Any = None

    def label(self) -> str:
        shown = "|".join(self.choices) if self.kind is ArgKind.CHOICE and self.choices else self.name.upper()
        if self.kind is ArgKind.PLAYER:
            shown = "@" + self.name
        if self.kind is ArgKind.TEXT:
            shown += "…"
        return shown if self.required else f"[{shown}]"


Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    area: str = "system"
    owner_only: bool = False
    needs_character: bool = False
    needs_campaign: bool = False
    out_of_turn: bool = True  # False: in combat only the combatant whose turn it is may use it
    examples: tuple[str, ...] = ()
    details: str = ""

    @property
    def usage(self) -> str:
        return " ".join([f"!{self.name}", *(a.label() for a in self.args)])


@dataclass(frozen=True)
class Invocation:
    spec: CommandSpec
    args: dict[str, Any]
    raw: str = ""


@dataclass
class Registry:
    _commands: dict[str, CommandSpec] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    def add(self, spec: CommandSpec) -> CommandSpec:
        for name in (spec.name, *spec.aliases):
            if name in self._commands or name in self._aliases:
                raise ValueError(f"command name !{name} is registered twice")
        self._commands[spec.name] = spec
        self._aliases.update({alias: spec.name for alias in spec.aliases})
        return spec

    def get(self, name: str) -> CommandSpec | None:
        key = name.lower().replace("-", "_")
        return self._commands.get(key) or self._commands.get(self._aliases.get(key, ""))

    def require(self, name: str) -> CommandSpec:
        spec = self.get(name)
        if spec is None:
            raise UnknownCommand(name, self.suggest(name))
        return spec

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        names = [*self._commands, *self._aliases]
        found = process.extract(name.lower(), names, limit=limit, score_cutoff=60)
        return list(dict.fromkeys(self._aliases.get(n, n) for n, _, _ in found))

    def all(self) -> list[CommandSpec]:
        return sorted(self._commands.values(), key=lambda s: (AREAS.index(s.area) if s.area in AREAS else 99, s.name))

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._commands)


REGISTRY = Registry()


def command(
    name: str,
    *,
    help: str,  # noqa: A002 - the word players see
    args: Iterable[Arg] = (),
    aliases: Iterable[str] = (),
    area: str = "system",
    owner_only: bool = False,
    needs_character: bool = False,
    needs_campaign: bool | None = None,  # None: owner-only commands need one too; False: never (!load_campaign)
    out_of_turn: bool = True,
    examples: Iterable[str] = (),
    details: str = "",
    registry: Registry | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as `!name` (see the module docstring)."""

    def decorate(handler: Handler) -> Handler:
        (registry or REGISTRY).add(
            CommandSpec(
                name=name, help=help, handler=handler, args=tuple(args), aliases=tuple(aliases), area=area,
                owner_only=owner_only, needs_character=needs_character or not out_of_turn,
                needs_campaign=bool(needs_campaign) or needs_character or not out_of_turn
                or (owner_only and needs_campaign is None),
                out_of_turn=out_of_turn, examples=tuple(examples), details=details,
            )
        )  # fmt: skip
        return handler

    return decorate


def split_command(text: str) -> tuple[str, str] | None:
    """`"!roll 1d20"` → `("roll", "1d20")`; None when the text is not a command."""
    text = text.strip()
    if not text.startswith("!") or len(text) < 2 or text[1].isspace() or text[1] == "!":
        return None
    name, *rest = text[1:].split(None, 1)  # the name ends at any whitespace ("!roll\n1d20" from a chat box)
    return name, rest[0].strip() if rest else ""


def _first_token(raw: str, usage: str) -> tuple[str | None, str]:
    """The first token of `raw` and the rest of it exactly as typed (a TEXT argument takes that rest)."""
    try:
        lexer = shlex.shlex(raw, posix=True)
        lexer.whitespace_split = True
        lexer.quotes = '"'  # apostrophes belong to words ("thieves' tools", "Sir Bob's")
        lexer.commenters = ""
        token = lexer.get_token()
        return token, lexer.instream.read().strip()
    except ValueError:
        raise BadArguments("A quotation mark is not closed.", usage) from None


def _player(token: str) -> PlayerRef:
    mention = _MENTION.match(token)
    return PlayerRef(token, int(mention.group(1))) if mention else PlayerRef(token)


def _bind_one(arg: Arg, token: str, usage: str) -> Any:
    if arg.kind is ArgKind.INT:
        if not re.fullmatch(r"\d{1,9}", token):
            raise BadArguments(f"{arg.name.upper()} must be a whole number, not {token!r}.", usage)
        return int(token)
    if arg.kind is ArgKind.SIGNED:
        if not re.fullmatch(r"[+-]?\d{1,9}", token):
            raise BadArguments(f"{arg.name.upper()} must be a number like 12, +5 or -3, not {token!r}.", usage)
        return token
    if arg.kind is ArgKind.PLAYER:
        return _player(token)
    if arg.kind is ArgKind.CHOICE:
        key = token.lower()
        exact = [c for c in arg.choices if c.lower() == key]
        matches = exact or [c for c in arg.choices if c.lower().startswith(key)]
        if len(matches) != 1:
            raise BadArguments(f"{arg.name.upper()} is one of {', '.join(arg.choices)}, not {token!r}.", usage)
        return matches[0]
    return token


def bind_arguments(spec: CommandSpec, raw: str) -> dict[str, Any]:
    """Typed arguments for `spec` from the text after the command name.

    Raises:
        BadArguments: missing, extra or mistyped arguments, with the usage line.
    """
    usage = spec.usage
    if len(raw) > MAX_ARGS_LENGTH:
        raise BadArguments(f"That is too long ({len(raw)} characters; at most {MAX_ARGS_LENGTH}).", usage)
    bound: dict[str, Any] = {}
    rest = raw.strip()
    for arg in spec.args:
        if arg.kind is ArgKind.TEXT:  # the rest of the line, whatever it holds
            if not rest and arg.required:
                raise BadArguments(f"{arg.name.upper()} is missing.", usage)
            bound[arg.name] = rest or arg.default
            rest = ""
            continue
        token, after = _first_token(rest, usage) if rest else (None, "")
        if token is None:
            if arg.required:
                raise BadArguments(f"{arg.name.upper()} is missing.", usage)
            bound[arg.name] = arg.default
            continue
        bound[arg.name] = _bind_one(arg, token, usage)
        rest = after
    if rest:
        raise BadArguments(f"I don't know what to do with {rest!r}.", usage)
    return bound


def parse_invocation(text: str, registry: Registry | None = None) -> Invocation | None:
    """The command a line invokes, with typed arguments; None when the line is not a command.

    Raises:
        UnknownCommand: no such command (with close names).
        BadArguments: the arguments don't fit.
    """
    split = split_command(text)
    if split is None:
        return None
    name, raw = split
    spec = (registry or REGISTRY).require(name)
    return Invocation(spec, bind_arguments(spec, raw), raw)
