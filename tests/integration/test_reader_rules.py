"""The reader tier answers a rules question from the SRD (looked up on the real rules database), not from
whatever NPC stands nearby; a question to an NPC by name still goes to that NPC."""

from __future__ import annotations

from typing import Any

from dm.context import ChatLine
from dm.turn import DMTurn
from game.effects import GameState
from inference.scripted import ScriptedBackend
from persistence.interfaces import CampaignWorld, WorldLocation, WorldNpc

CAGES = WorldLocation(id=1, name="The Tidal Cages", chapter="Chapter 3", description="Iron cages stand in the surf.")
OSRIC = WorldNpc(id=1, name="Osric Tallow", role="Keeper of the Crow Point light.", location="The Tidal Cages",
                 personality="Gruff, patient.", knows="The hag took the Eye down the sea stair.")  # fmt: skip


class _World:
    async def world(self, campaign_id: int) -> CampaignWorld:
        return CampaignWorld(campaign_id, (CAGES,), (OSRIC,))


def _turn() -> DMTurn:
    pick = {"intent": "ask", "location": "none", "npc": "Osric Tallow", "passage": "meet Osric Tallow", "link": ""}
    return DMTurn(ScriptedBackend([pick]), world=_World(), reader_backends=("scripted",))


async def test_a_rules_question_is_answered_by_the_srd(rules: Any) -> None:
    state = GameState(location="The Tidal Cages")
    thought = await _turn().think(state, [ChatLine("bob", "Brakka", "How does the grappled condition work?")],
                                  rules=rules, campaign_id=1)  # fmt: skip
    narrative = thought.final.narrative
    assert narrative.startswith("Grappled (SRD 5.1):") and "speed becomes 0" in narrative
    assert "Osric" not in narrative and thought.final.effects == ()
    assert thought.sources and thought.sources[0]["kind"] == "srd" and thought.sources[0]["name"] == "Grappled"


async def test_a_question_to_an_npc_by_name_is_still_theirs(rules: Any) -> None:
    state = GameState(location="The Tidal Cages")
    thought = await _turn().think(state, [ChatLine("bob", "Brakka", "Osric Tallow, how did you end up here?")],
                                  rules=rules, campaign_id=1)  # fmt: skip
    assert thought.final.narrative.startswith("Osric Tallow")
