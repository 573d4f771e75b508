"""Errors of the AI DM layer.

DMError
 └── MalformedReply   the model's reply is not JSON of the reply schema, even after repair

Every error carries `.user_message`, a sentence safe to show a player.
"""

from __future__ import annotations

__all__ = ["DMError", "MalformedReply"]


class DMError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class MalformedReply(DMError):
    def __init__(self, reason: str, raw: str) -> None:
        super().__init__("The Dungeon Master lost the thread for a moment; your message is kept and will be answered.")
        self.reason = reason
        self.raw = raw[:2000]
