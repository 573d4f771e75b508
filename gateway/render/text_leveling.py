"""Text for levelling up (`!level_up`)."""

from __future__ import annotations

from dm.commands.leveling import CHOICE_WORDS, LevelledUp
from gateway.render.text import renders, signed

__all__: list[str] = []


@renders(LevelledUp)
def _levelled(r: LevelledUp) -> str:
    into = f"is now a level {r.class_level} {r.class_name}"
    if r.multiclass:
        into = f"takes a first level of {r.class_name}"
    sub = f" ({r.subclass})" if r.subclass else ""
    lines = [f"{r.who} reaches character level {r.level} and {into}{sub}.",
             f"Hit points +{r.hp_gained} (maximum {r.max_hp}); proficiency bonus {signed(r.proficiency_bonus)}."]
    if r.new_features:
        lines.append("New features: " + ", ".join(r.new_features) + ".")
    for key, value in r.choices.items():
        how = f" (chosen for you; name another with {CHOICE_WORDS.get(key, key)}=...)" if key in r.defaulted else ""
        lines.append(f"{key.capitalize()}: {value}{how}.")
    if r.next_xp is not None:
        lines.append(f"XP {r.xp}; the next level comes at {r.next_xp} XP.")
    return "\n".join(lines)
