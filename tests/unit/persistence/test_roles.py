"""Role questions find the NPC whose title answers them (pure: no database)."""

from __future__ import annotations

import pytest

from persistence.retrieval import is_stop_word
from persistence.roles import rank_roles, role_question

NPCS = [(1, "Proprietor of the Gutted Eel; widow of a fisherman lost at sea twenty years ago."),
        (2, "Harbormaster of Gullhaven and member of the town council."),
        (3, "Priest of the Chapel of the Tide and keeper of the saint's relics."),
        (4, "The keeper's fifteen-year-old daughter."),
        (5, "Leader of the Brine Hand's wreckers on Crow Point."),
        (6, "Keeper of the Crow Point light for thirty-one years.")]


@pytest.mark.parametrize(("query", "first"), [
    ("who runs the lighthouse?", 6), ("who keeps the light?", 6), ("Who is the keeper of the light", 6),
    ("who leads the wrecker gang?", 5), ("who looks after the relics?", 3), ("who's the innkeeper?", 1),
])
def test_the_title_that_answers_comes_first(query: str, first: int) -> None:
    question = role_question(query, is_stop_word)
    assert question is not None
    assert rank_roles(question, NPCS)[0] == first


def test_a_possessive_title_is_not_the_role() -> None:
    question = role_question("who keeps the light?", is_stop_word)
    assert 4 not in rank_roles(question, NPCS)


@pytest.mark.parametrize("query", ["where is the old lighthouse keeper being held?", "what does the lamp do?",
                                   "who are the smugglers?"])
def test_other_questions_are_not_role_questions(query: str) -> None:
    assert role_question(query, is_stop_word) is None
