"""Errors of the storage layer; the only module family that sees psycopg's exceptions.

PersistenceError
 ├── DatabaseUnavailable   cannot connect, connection dropped, or a query timed out
 ├── DuplicateMessage      a message id was already stored (exactly-once replay)
 ├── StaleState            a campaign's state changed since it was read (a stale writer is refused)
 ├── UnknownCampaign       no campaign by that name or id
 ├── MigrationError        a migration failed or an applied one was edited
 └── EmbeddedServerError   the embedded PostgreSQL could not start

RulesLookupError           the rules have no such thing (the database itself is fine): its own root,
 │                         so "no such spell" never reads like "database down"
 ├── UnknownRulesEntry     no SRD entry of that kind is close to the name (`.suggestions`: the nearest)
 ├── UnknownRulesKind      not an SRD kind (spell, monster, magic item, ...)
 └── RulesDatabaseEmpty    the SRD has not been imported yet

Every error carries `.user_message`, a sentence safe to show a user.
"""

from __future__ import annotations

__all__ = [
    "PersistenceError",
    "DatabaseUnavailable",
    "DuplicateMessage",
    "StaleState",
    "UnknownCampaign",
    "MigrationError",
    "EmbeddedServerError",
    "RulesDatabaseEmpty",
    "RulesLookupError",
    "UnknownRulesEntry",
    "UnknownRulesKind",
]


class PersistenceError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class DatabaseUnavailable(PersistenceError):
    def __init__(self, reason: str = "the database did not answer") -> None:
        super().__init__(f"The game's memory is out of reach right now ({reason}); nothing was changed. Try again.")
        self.reason = reason


class DuplicateMessage(PersistenceError):
    def __init__(self, message_id: int) -> None:
        super().__init__(f"Message {message_id} was already handled.")
        self.message_id = message_id


class StaleState(PersistenceError):
    def __init__(self, campaign_id: int, version: int) -> None:
        super().__init__("The table moved on while that was being decided; nothing was changed. Try again.")
        self.campaign_id = campaign_id
        self.version = version


class UnknownCampaign(PersistenceError):
    def __init__(self, name: str, known: list[str] | None = None) -> None:
        hint = f" Known campaigns: {', '.join(known)}." if known else ""
        super().__init__(f"There is no campaign called {name!r}.{hint}")
        self.name = name
        self.known = known or []


class MigrationError(PersistenceError):
    pass


class EmbeddedServerError(PersistenceError):
    pass


class RulesLookupError(Exception):
    """A rules lookup that found nothing: the question's fault (or a missing import), not the database's."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UnknownRulesKind(RulesLookupError):
    def __init__(self, kind: str, kinds: tuple[str, ...] = ()) -> None:
        hint = f"; try one of: {', '.join(kinds)}" if kinds else ""
        super().__init__(f"I don't know the rules kind {kind!r}{hint}.")
        self.kind = kind


class UnknownRulesEntry(RulesLookupError):
    """No entry of that kind is close enough to the name; ``suggestions`` holds the nearest names."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        label = kind.rstrip("s").replace("_", " ")
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"The SRD has no {label} called {name!r}.{hint}")
        self.kind = kind
        self.name = name
        self.suggestions = suggestions


class RulesDatabaseEmpty(RulesLookupError):
    def __init__(self) -> None:
        super().__init__("The rules database is empty: run `lorekeeper rules import` first.")
