"""Errors of the storage layer; the only module family that sees psycopg's exceptions.

PersistenceError
 ├── DatabaseUnavailable   cannot connect, connection dropped, or a query timed out
 ├── DuplicateMessage      a message id was already stored (exactly-once replay)
 ├── StaleState            a campaign's state changed since it was read (a stale writer is refused)
 ├── UnknownCampaign       no campaign by that name or id
 ├── MigrationError        a migration failed or an applied one was edited
 └── EmbeddedServerError   the embedded PostgreSQL could not start

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
