"""Text for class features (`!use_feature`)."""

from __future__ import annotations

from dm.commands.features import FeatureUsed
from gateway.render.text import renders
from gateway.render.text_dice import dice_line

__all__: list[str] = []


def _left(r: FeatureUsed) -> str:
    if r.unlimited:
        return "unlimited uses"
    if r.remaining is None or r.maximum is None:
        return ""
    unit = "points" if r.key in ("ki", "sorcery_points", "lay_on_hands") else "uses"
    return f"{r.remaining}/{r.maximum} {unit} left"


@renders(FeatureUsed)
def _feature(r: FeatureUsed) -> str:
    if r.ended:
        tired = f" The frenzy leaves {r.who} at exhaustion level {r.exhaustion}." if r.exhaustion else ""
        return f"{r.who}'s {r.feature} ends.{tired}"
    spent = f" ({r.spent})" if r.spent > 1 else ""
    line = f"{r.who} uses {r.feature}{spent}" + (f" for {r.option}" if r.option else "")
    if r.key == "rage":
        line += " and flies into a frenzied rage" if r.option == "Frenzy" else " and flies into a rage"
    if r.healed is not None and r.target:
        heal = f" ({dice_line(r.roll)})" if r.roll else ""
        line += f": {r.target} regains {r.healed} hit points{heal}"
    elif r.die and r.target:
        line += f": {r.target} gains a Bardic Inspiration die ({r.die})"
    left = _left(r)
    lines = [line + (f". {left[0].upper()}{left[1:]}." if left else ".")]
    if r.key in ("arcane_recovery", "font_of_magic", "relentless_endurance"):
        lines += list(r.summaries)
    return "\n".join(lines)
