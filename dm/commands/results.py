"""Typed command results: what a handler returns, what the table stores for replay, what renderers draw.

Every result is a frozen pydantic model with a `type` tag; subclasses register themselves, so
`load_result(result.dump())` rebuilds any of them (a redelivered message replays its stored
result instead of running again). Renderers in `gateway/render/` turn them into text or embeds.
Results carry numbers and names, never pre-formatted prose, except where the rules engine already
wrote a sentence (an effect's `summary`, a refusal's `reason`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ChangeApplied",
    "CommandResult",
    "Info",
    "Refusal",
    "RESULT_TYPES",
    "load_result",
]

RESULT_TYPES: dict[str, type[CommandResult]] = {}


class CommandResult(BaseModel):
    """Base of every result. `type` names the subclass; `reply_kind` is the transcript's kind for it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = "result"
    transcript_kind: ClassVar[str] = "command_result"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        tag = cls.model_fields["type"].default
        if not isinstance(tag, str) or tag == "result":
            raise TypeError(f"{cls.__name__} needs its own default `type` tag")
        if tag in RESULT_TYPES and RESULT_TYPES[tag] is not cls:
            raise TypeError(f"result type {tag!r} is defined twice")
        RESULT_TYPES[tag] = cls

    @property
    def reply_kind(self) -> str:
        """The transcript's kind for this result (command_result, denial, error)."""
        return self.transcript_kind

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Info(CommandResult):
    """A plain message from the table (a campaign loaded, a draft cancelled)."""

    type: str = "info"
    title: str = ""
    lines: tuple[str, ...] = ()


class Refusal(CommandResult):
    """The command could not run; nothing changed. `denial` for an out-of-turn action, else `error`."""

    type: str = "refusal"
    command: str = ""
    reason: str
    error: str = ""
    denial: bool = False

    @property
    def reply_kind(self) -> str:
        return "denial" if self.denial else "error"


class ChangeApplied(CommandResult):
    """An owner's change (or any change made through the rules' effects): one summary per effect."""

    type: str = "change"
    command: str = ""
    applied: tuple[dict[str, Any], ...] = ()  # {"kind", "target", "summary"}
    refused: tuple[dict[str, Any], ...] = ()


def load_result(data: dict[str, Any]) -> CommandResult:
    """Rebuild a stored result; an unknown type (from an older version) becomes an Info with its text."""
    cls = RESULT_TYPES.get(str(data.get("type")))
    if cls is None:
        return Info(title="(an earlier answer)", lines=(str(data.get("text", "")),))
    return cls.model_validate(data)
