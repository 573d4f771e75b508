"""NPC lines told apart from narration (dm.speech), for the front ends that give NPCs their own voice."""

from __future__ import annotations

from dm.speech import npc_names, speech_parts
from game.effects import NpcRecord

NAMES = ["Mirela Voss", "Old Tom"]


def test_a_quoted_line_named_by_its_speaker() -> None:
    text = 'Mirela leans in. "The lamp went dark," she whispers. "Three nights now."'
    assert speech_parts(text, NAMES) == ((None, "Mirela leans in."), ("Mirela Voss", "The lamp went dark. Three nights now."))


def test_a_name_colon_line_and_narration_around_it_keep_their_order() -> None:
    text = 'The wind howls.\n**Mirela Voss:** "Go home."\nYou roll a 12.'
    assert speech_parts(text, NAMES) == ((None, "The wind howls."), ("Mirela Voss", "Go home."), (None, "You roll a 12."))


def test_a_title_alone_does_not_name_anyone_but_a_distinctive_word_does() -> None:
    assert speech_parts('The old man nods. "Sit," he says.', NAMES) == ()
    assert speech_parts('"Sit," says Tom.', NAMES) == (("Old Tom", "Sit."),)


def test_long_narration_between_quotes_stays_narration() -> None:
    text = '"Welcome," says Old Tom, wiping the bar with a rag that has seen better days. "Sit."'
    parts = speech_parts(text, NAMES)
    assert parts[0] == ("Old Tom", "Welcome.") and parts[-1] == ("Old Tom", "Sit.")
    assert parts[1][0] is None and "wiping the bar" in parts[1][1]


def test_unsure_lines_stay_narration() -> None:
    assert speech_parts('Tom and Mirela argue. "No!"', NAMES) == ()  # two speakers named
    assert speech_parts('A stranger says "hello".', NAMES) == ()  # nobody known
    assert speech_parts("Mirela smiles.", NAMES) == ()  # nobody quoted
    assert speech_parts('"Hi," says Mirela.', []) == ()
    assert speech_parts("Stranger: hello", NAMES) == ()


def test_nothing_is_lost() -> None:
    text = 'You enter.\n\nMirela looks up. "Late again," she says, and pours. "Sit."\nRoll: 14.'
    parts = speech_parts(text, NAMES)
    joined = " ".join(said for _, said in parts)
    for piece in ("You enter.", "Mirela looks up.", "Late again", "and pours.", "Sit.", "Roll: 14."):
        assert piece in joined


def test_a_line_naming_a_player_character_too_stays_narration() -> None:
    text = '"Let us go," Mira tells Mirela.'
    assert speech_parts(text, NAMES) == (("Mirela Voss", "Let us go."),)  # without the party's names: wrong mouth
    assert speech_parts(text, NAMES, ["Mira Quickfoot"]) == ()
    assert speech_parts('"Sit," says Mirela.', NAMES, ["Mira Quickfoot"]) == (("Mirela Voss", "Sit."),)


def test_npc_names_skips_the_dead() -> None:
    npcs = [NpcRecord(name="Mirela Voss"), NpcRecord(name="Garrick", alive=False)]
    assert npc_names(npcs) == ["Mirela Voss"]
