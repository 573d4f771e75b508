"""Command results → plain text for the console (and the transcript).

Each result type has one renderer, registered with `@renders(ResultClass)`; area modules
(`text_<area>.py`) hold them and `render_text` imports them all. Unknown types fall back to
their fields, so a new result is never invisible.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from dm.commands.results import ChangeApplied, CommandResult, Info, Refusal

__all__ = ["render_text", "renders", "signed"]

R = TypeVar("R", bound=CommandResult)
_RENDERERS: dict[type[CommandResult], Callable[[Any], str]] = {}
_AREA_MODULES = (
    "text_dice", "text_character", "text_combat", "text_rules", "text_system", "text_features", "text_leveling",
    "text_story", "text_recap",
)  # fmt: skip


def renders(cls: type[R]) -> Callable[[Callable[[R], str]], Callable[[R], str]]:
    def decorate(fn: Callable[[R], str]) -> Callable[[R], str]:
        _RENDERERS[cls] = fn
        return fn

    return decorate


def signed(value: int) -> str:
    return f"{value:+d}"


_loaded: list[bool] = []  # set once every area module has been imported


def _load() -> None:
    for name in _AREA_MODULES:
        try:
            importlib.import_module(f"gateway.render.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"gateway.render.{name}":
                raise
    _loaded.append(True)


def render_text(result: CommandResult) -> str:
    """The result as a few lines of plain text (no Markdown)."""
    if not _loaded:  # not a count of renderers: importing one area module first must not skip the others
        _load()
    for cls in type(result).__mro__:
        fn = _RENDERERS.get(cls)  # type: ignore[arg-type]
        if fn is not None:
            return fn(result)
    fields = result.model_dump(exclude={"type"})
    return "; ".join(f"{k}: {v}" for k, v in fields.items())


@renders(Info)
def _info(r: Info) -> str:
    return "\n".join([r.title, *r.lines] if r.title else r.lines)


@renders(Refusal)
def _refusal(r: Refusal) -> str:
    return r.reason


@renders(ChangeApplied)
def _change(r: ChangeApplied) -> str:
    lines = [e["summary"] for e in r.applied] + [f"Refused: {e['summary']}" for e in r.refused]
    return "\n".join(lines) or "Nothing changed."
