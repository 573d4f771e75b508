"""The `!` commands: one registry (`registry.py`), typed results (`results.py`), and one module of
handlers per area (character, dice, combat, campaign, story, admin, system). `load_all()` imports the area
modules so their commands register; the console, `!help` and the Discord bot all read `REGISTRY`."""

from __future__ import annotations

import importlib

__all__ = ["AREA_MODULES", "load_all"]

AREA_MODULES = (
    "character", "creation", "dice", "combat", "spells", "features", "leveling", "rules", "campaign", "story",
    "recap", "whisper", "admin", "system",
)  # fmt: skip


def load_all() -> None:
    """Import every area module (idempotent), so every command is in the registry."""
    for name in AREA_MODULES:
        importlib.import_module(f"{__name__}.{name}")
