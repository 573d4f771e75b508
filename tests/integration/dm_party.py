"""The party the DM-turn tests play with: Brakka (player 31, a dwarf fighter) and Mira (player 32, a high-elf
wizard), a canned reply's shape, and saving a state to the `keep` fixture's campaign."""

from __future__ import annotations

from typing import Any

from game.character import Character
from game.creation import create_character, standard_array
from game.effects import Creature, GameState

__all__ = ["brakka_and_mira", "goblin", "reply", "save_state", "saltmere_party"]


def reply(narrative: str, **parts: Any) -> dict[str, Any]:
    """A scripted backend entry: a DM reply with nothing but `narrative` unless `parts` say more."""
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": [], **parts}}


def brakka_and_mira() -> dict[str, Character]:
    brakka = create_character("Brakka", "dwarf", "fighter",
                              standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}),
                              ["athletics", "perception"], player_id=31)  # fmt: skip
    mira = create_character("Mira", "elf", "wizard",
                            standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8}),
                            ["arcana", "history"], subrace="high elf", player_id=32)  # fmt: skip
    brakka.id, mira.id = "brakka", "mira"
    return {"brakka": brakka, "mira": mira}


def goblin() -> Creature:
    return Creature(id="goblin-1", name="Goblin", hp=7, max_hp=7, armor_class=15, dexterity=14)


async def save_state(keep: Any, after: GameState) -> GameState:
    """Save `after` as the keep's campaign state (over whatever was there) and return it."""
    loaded = await keep.repo.load(keep.campaign.id)
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=after.to_dict())  # fmt: skip
    return after


async def saltmere_party(keep: Any) -> GameState:
    """Brakka, Mira and a goblin in Saltmere, saved to the campaign."""
    return await save_state(keep, GameState(characters=brakka_and_mira(), creatures={"goblin-1": goblin()},
                                            location="Saltmere"))  # fmt: skip
