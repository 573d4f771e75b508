"""Errors of the AI DM layer and its command table.

DMError
 ├── MalformedReply    the model's reply is not JSON of the reply schema, even after repair
 └── CommandError      a `!command` could not run as typed (nothing changed)
      ├── UnknownCommand     no such command (close names suggested)
      ├── BadArguments       the arguments don't fit (usage shown)
      ├── OwnerOnly          only the owner (OWNER_ID) may run it
      ├── NoCharacter        the caller (or the named player) has no character here
      ├── NoCampaign         the channel plays no campaign yet
      └── Unavailable        a service the command needs is not running (the model router, ...)

Every error carries `.user_message`, a sentence safe to show a player.
"""

from __future__ import annotations

__all__ = [
    "BadArguments",
    "CommandError",
    "DMError",
    "MalformedReply",
    "NoCampaign",
    "NoCharacter",
    "OwnerOnly",
    "Unavailable",
    "UnknownCommand",
]


class DMError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class MalformedReply(DMError):
    def __init__(self, reason: str, raw: str) -> None:
        super().__init__("The Dungeon Master lost the thread for a moment; your message is kept and will be answered.")
        self.reason = reason
        self.raw = raw[:2000]


class CommandError(DMError):
    """A command that could not run; nothing was changed."""


class UnknownCommand(CommandError):
    def __init__(self, name: str, suggestions: list[str] | None = None) -> None:
        hint = f" Did you mean {', '.join('!' + s for s in suggestions)}?" if suggestions else ""
        super().__init__(f"I don't know the command !{name}.{hint} Type !help for the list.")
        self.name = name
        self.suggestions = suggestions or []


class BadArguments(CommandError):
    def __init__(self, problem: str, usage: str) -> None:
        super().__init__(f"{problem} Usage: {usage}")
        self.problem = problem
        self.usage = usage


class OwnerOnly(CommandError):
    def __init__(self, command: str) -> None:
        super().__init__(f"Only the game's owner can use !{command}; nothing was changed.")
        self.command = command


class NoCharacter(CommandError):
    def __init__(self, who: str | None = None) -> None:
        if who is None:
            super().__init__("You have no character in this campaign yet: try !create_character.")
        else:
            super().__init__(f"{who} has no character in this campaign.")
        self.who = who


class NoCampaign(CommandError):
    def __init__(self) -> None:
        super().__init__("No campaign is being played here yet: the owner can start one with !load_campaign NAME.")


class Unavailable(CommandError):
    def __init__(self, what: str, reason: str | None = None) -> None:
        why = f": {reason}" if reason else " right now"
        super().__init__(f"{what} is not available{why}; nothing was changed.")
        self.what = what
        self.reason = reason
