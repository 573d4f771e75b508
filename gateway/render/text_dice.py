"""Text for dice results."""

from __future__ import annotations

import re

from dm.commands.dice import RollDone
from gateway.render.text import renders, signed

__all__: list[str] = []


def dice_line(roll: dict) -> str:  # type: ignore[type-arg]
    """`2d20kh1 (14, 3 dropped) + 5 = 19`: every die and whether it counted, no Markdown."""
    return re.sub(r"~~(-?\d+)~~", r"\1 dropped", str(roll.get("breakdown", roll.get("total", ""))))


@renders(RollDone)
def _roll(r: RollDone) -> str:
    if r.auto_fail:
        return f"{r.who}: {r.label} fails automatically. {r.comment}".strip()
    mod = f" ({signed(r.modifier)})" if r.modifier is not None else ""
    adv = f", {r.advantage}" if r.advantage != "none" else ""
    text = f"{r.who} rolls {r.label}{mod}{adv}: {dice_line(r.roll)}"
    if r.roll.get("crit"):
        text += " (natural 20!)"
    elif r.roll.get("fumble"):
        text += " (natural 1)"
    if r.dc is not None:
        text += f" vs DC {r.dc}: " + ("success" if r.success else "failure")
    if r.comment:
        text += f" — {r.comment}"
    return text
