"""The reader tier's pure parts: prose checks, passages, the scene's enums and the pick → effects mapping."""

from __future__ import annotations

import pytest

from dm.reader import Pick, compose, reader_schema, resolve, scene_for
from dm.reader_text import mechanics_free, passage_text, reads_as_prose, trim_sentences, vocabulary_of
from game.effects import GameState, LocationChange, NpcIntroduce, NpcRecord
from persistence.interfaces import CampaignWorld, WorldLocation, WorldNpc

EEL = WorldLocation(
    id=2, name="The Gutted Eel", key="A2", chapter="Chapter 1: Gullhaven",
    description="Warmth and noise spill from the low doorway of a tavern. Inside, fishermen crowd benches.",
    text="A2. The Gutted Eel\n\nRead aloud: Warmth and noise spill from the low doorway of a tavern. Inside, "
         "fishermen crowd benches.\n\nThe regulars fall quiet when strangers enter. A loose board behind the bar "
         "hides a purse (area B3 has more). A DC 12 Wisdom (Perception) check spots it.",
)  # fmt: skip
GATE = WorldLocation(id=1, name="Harbor Gate", key="A1", chapter="Chapter 1: Gullhaven",
                     description="A squat gatehouse of gray stone straddles the road.", text="")  # fmt: skip
COTTAGE = WorldLocation(id=3, name="Keeper's Cottage", key="B2", chapter="Chapter 2: Crow Point",
                        description="The cottage door hangs open on one hinge.", connections=("The Wreckers' Cellar",))
CELLAR = WorldLocation(id=4, name="The Wreckers' Cellar", key="B3", chapter="Chapter 2: Crow Point",
                       description="Lamplight and the smell of stolen brandy fill a cellar.",
                       connections=("Keeper's Cottage", "The Sea Stair"))  # fmt: skip
STAIR = WorldLocation(id=5, name="The Sea Stair", key="B7", chapter="Chapter 3: Vault",
                      description="Worn steps spiral down through the rock.", connections=("The Wreckers' Cellar",))
GRELL = WorldNpc(id=1, name="Mother Grell", role="Proprietor of the Gutted Eel.", location="The Gutted Eel",
                 personality="Loud, generous with food, stingy with praise.",
                 knows="Jory Flint drank here every night and paid in new silver.")  # fmt: skip
WORLD = CampaignWorld(1, (GATE, EEL, COTTAGE, CELLAR, STAIR), (GRELL,),
                      {"Chapter 1: Gullhaven": "Chapter 1: Gullhaven\n\nRead aloud: The road bends and the sea opens "
                                               "below you."})  # fmt: skip


@pytest.mark.parametrize("text", ["false", "1.2", "1976-02-30", "john leahy", "True", "null", "42",
                                  "The gate opens at 9 o'clock.", "Where do you go next?", "!!! ??? ...",
                                  "the door opens onto the quay."])  # fmt: skip
def test_what_is_not_prose_is_refused(text: str) -> None:
    assert not reads_as_prose(text, ["Harbor Gate"])


def test_a_linking_sentence_names_nothing_unknown() -> None:
    vocabulary = vocabulary_of([EEL.text, GATE.description])
    names = ["Mother Grell", "The Gutted Eel", "Mira"]
    assert reads_as_prose("You step through the noise toward the benches.", names, vocabulary)
    assert reads_as_prose("Mother Grell waves Mira inside.", names, vocabulary)
    assert not reads_as_prose("John Leahy waves you inside.", names, vocabulary)  # a name nobody knows
    assert not reads_as_prose("The party meets john leahy at the bar.", names, vocabulary)  # lower-case, still
    assert not reads_as_prose("You " + "walk along the quay and " * 8 + "stop.", names)  # over 160 characters


def test_passages_are_read_aloud_text_cut_at_sentence_ends_without_dm_mechanics() -> None:
    assert passage_text(EEL.text) == EEL.description
    notes = mechanics_free(passage_text(EEL.text, notes=True), WORLD)
    assert notes == ("The regulars fall quiet when strangers enter. A loose board behind the bar hides a purse "
                     "(The Wreckers' Cellar has more).")  # the DC sentence is DM-only; "area B3" is named
    assert mechanics_free("A trapdoor leads down to area B3.", WORLD) == "A trapdoor leads down to The Wreckers' Cellar."
    long = "The wind rises. " * 60
    cut = trim_sentences(long, 100)
    assert len(cut) <= 100 and cut.endswith("rises.")


def test_the_schema_enums_are_the_scenes_known_names() -> None:
    scene = scene_for(GameState(location="The Gutted Eel"), WORLD)
    schema = reader_schema(scene)["properties"]
    assert schema["location"]["enum"] == ["none", "Harbor Gate", "Keeper's Cottage"]  # chapter + next chapter's entry
    assert schema["npc"]["enum"] == ["none", "Mother Grell"]
    assert {"here", "search here", "meet Mother Grell", "ask Mother Grell", "go to Harbor Gate"} <= set(
        schema["passage"]["enum"])
    assert schema["link"]["maxLength"] == 160
    below = reader_schema(scene_for(GameState(location="The Wreckers' Cellar"), WORLD))["properties"]
    # connected places first; the vault's stair is entered by a connection, town by its first place
    assert below["location"]["enum"] == ["none", "Keeper's Cottage", "The Sea Stair", "Harbor Gate"]


def test_a_move_becomes_a_location_change_to_a_connected_place_and_its_read_aloud() -> None:
    state = GameState(location="The Gutted Eel", known_locations=("The Gutted Eel",))
    scene = scene_for(state, WORLD)
    passage, effects, intent = resolve(scene, Pick("move", location="Harbor Gate"), state, "we leave")
    assert intent == "move" and passage is not None and passage.text == GATE.description
    assert effects == [LocationChange(destination="Harbor Gate", discovered=True)]
    # a place the scene does not reach is never proposed, whatever the model says
    passage, effects, intent = resolve(scene, Pick("move", location="The Sea Stair"), state, "we go")
    assert effects == [] and passage is not None and passage.id == "here"


def test_talking_introduces_the_npc_once_and_asking_reads_what_they_know() -> None:
    state = GameState(location="The Gutted Eel")
    scene = scene_for(state, WORLD)
    passage, effects, intent = resolve(scene, Pick("talk", npc="Mother Grell"), state, "hello there")
    assert intent == "talk" and effects == [NpcIntroduce(name="Mother Grell", description="Proprietor of the Gutted Eel.")]
    assert passage is not None and "stingy with praise" in passage.text
    met = state.model_copy(update={"npcs": {"mother grell": NpcRecord(name="Mother Grell")}})
    passage, effects, intent = resolve(scene_for(met, WORLD), Pick("ask", npc="Mother Grell"), met, "about Jory?")
    assert effects == [] and passage is not None and "paid in new silver" in passage.text


def test_the_players_words_fill_a_weak_pick_and_an_unknown_intent_falls_back() -> None:
    state = GameState(location="The Gutted Eel")
    scene = scene_for(state, WORLD)
    passage, effects, intent = resolve(scene, Pick.from_data({"intent": "dance", "passage": "nonsense"}), state,
                                       "I walk back to the harbor gate")  # fmt: skip
    assert intent == "move" and effects == [LocationChange(destination="Harbor Gate", discovered=True)]
    passage, effects, intent = resolve(scene, Pick.from_data(None), state, "I search behind the bar")
    assert intent == "search" and passage is not None and passage.id == "search here" and effects == []
    passage, _, intent = resolve(scene, Pick("attack"), state, "I attack!")
    assert "!attack" in compose(passage, "", intent) and compose(passage, "", intent).startswith("Warmth and noise")


def test_no_place_yet_reads_the_opening_and_offers_the_first_chapter() -> None:
    scene = scene_for(GameState(), WORLD)
    assert scene.passage("here") is not None and scene.passage("here").text == "The road bends and the sea opens below you."
    assert [loc.name for loc in scene.destinations] == ["Harbor Gate", "The Gutted Eel"]


def test_no_world_rows_read_the_retrieved_passages() -> None:
    class Chunk:
        id, page, heading_path = 9, 4, ("Gullhaven",)
        text = "Gullhaven\n\nRead aloud: Gulls wheel over wet slate roofs. The harbor bell tolls once."

    scene = scene_for(GameState(), CampaignWorld(1), [Chunk()])
    assert [p.id for p in scene.passages] == ["passage 1"]
    passage, effects, intent = resolve(scene, Pick("look", passage="passage 1"), GameState(), "I look")
    assert passage is not None and passage.text.startswith("Gulls wheel") and effects == []
    assert passage.source == {"kind": "chunk", "chunk_id": 9, "page": 4, "heading": ["Gullhaven"]}
    assert compose(None, "", "other")  # nothing to read still answers


def test_the_model_alone_never_moves_the_party() -> None:
    """Measured: the 135M model answers "move" to most things. A move needs the players' words behind it."""
    state = GameState(location="The Gutted Eel")
    scene = scene_for(state, WORLD)
    wrong = Pick("move", location="Keeper's Cottage", npc="Mother Grell", passage="go to Keeper's Cottage")
    passage, effects, intent = resolve(scene, wrong, state, "What does she know about Jory Flint?")
    assert intent == "ask" and effects == [NpcIntroduce(name="Mother Grell", description="Proprietor of the Gutted Eel.")]
    assert passage is not None and "paid in new silver" in passage.text
    passage, effects, intent = resolve(scene, wrong, state, "I search the room.")
    assert effects == [] and intent == "search" and passage is not None and passage.id == "search here"
    passage, effects, intent = resolve(scene, wrong, state, "We walk on.")  # the words go, the model says where
    assert effects == [LocationChange(destination="Keeper's Cottage", discovered=True)]


def test_a_generic_word_names_no_place() -> None:
    stair = WorldLocation(id=9, name="The Lamp Room", chapter="Chapter 1: Gullhaven", description="Wind moans.")
    world = CampaignWorld(1, (GATE, EEL, stair), ())
    state = GameState(location="The Gutted Eel")
    _, effects, intent = resolve(scene_for(state, world), Pick("search"), state, "I search the room.")
    assert effects == [] and intent == "search"
    _, effects, _ = resolve(scene_for(state, world), Pick("look"), state, "We climb to the lamp room.")
    assert effects == [LocationChange(destination="The Lamp Room", discovered=True)]


def test_the_link_is_the_dms_voice_never_the_players_words_echoed() -> None:
    from dm.reader import keep_link

    scene = scene_for(GameState(location="The Gutted Eel"), WORLD)
    assert keep_link("You step through the noise toward the benches.", scene, "I go in")
    assert not keep_link("I search the benches.", scene, "I search the benches.")  # the DM is not the player
    assert not keep_link("The regulars fall quiet when strangers enter.", scene,
                         "the regulars fall quiet when strangers enter")  # an echo  # fmt: skip
    assert not keep_link("", scene, "anything")


def test_someone_who_is_not_here_is_sought_where_the_book_puts_them() -> None:
    pellam = WorldNpc(id=2, name="Pellam", location="Harbor Gate")
    osric = WorldNpc(id=3, name="Osric Tallow", location="The Tidal Cages")
    world = CampaignWorld(1, WORLD.locations, (GRELL, pellam, osric), WORLD.intros)
    state = GameState(location="Harbor Gate")
    scene = scene_for(state, world)
    passage, effects, intent = resolve(scene, Pick("talk", npc="Pellam"), state, "I talk to Mother Grell.")
    assert intent == "move" and effects == [LocationChange(destination="The Gutted Eel", discovered=True)]
    assert passage is not None and passage.text == EEL.description  # not Pellam standing in for her
    passage, effects, intent = resolve(scene, Pick("talk", npc="Pellam"), state, "Where is Osric Tallow?")
    assert effects == [] and passage is not None and passage.id == "here"  # his cage is not within reach


def test_a_place_without_read_aloud_text_is_read_without_its_dm_mechanics() -> None:
    spiral = WorldLocation(id=8, name="The Spiral Stair", key="B5", chapter="Chapter 2: Crow Point",
                           description="Iron steps climb to the lamp room. A character who climbs without a light "
                                       "must succeed on a DC 12 Dexterity saving throw or fall. It ends at area B3.",
                           text="B5. The Spiral Stair\n\nIron steps climb to the lamp room.")  # fmt: skip
    world = CampaignWorld(1, (COTTAGE, CELLAR, spiral), ())
    scene = scene_for(GameState(location="The Spiral Stair"), world)
    assert scene.passage("here").text == "Iron steps climb to the lamp room. It ends at The Wreckers' Cellar."
    assert scene_for(GameState(location="Keeper's Cottage"), WORLD).passage("here").text == COTTAGE.description


@pytest.mark.parametrize(("said", "intent"), [
    ("Hello, good woman. A bowl of stew, please.", "talk"), ('"Evening," I mutter to the crowd.', "talk"),
    ("Has anyone seen the keeper?", "ask"), ("We rest by the gate until morning.", "rest"),
    ("I attack the barman!", "attack"), ("I search the room.", "search"), ("We head for the causeway.", "move"),
    ("Quietly now.", None),
])  # fmt: skip
def test_the_players_words_give_the_intent_when_they_are_clear(said: str, intent: str | None) -> None:
    from dm.reader_text import said_intent_of

    assert said_intent_of(said) == intent


def test_with_no_place_yet_the_party_arrives_at_the_modules_first_place() -> None:
    from dm.reader import arrive

    scene = scene_for(GameState(), WORLD)
    moved = arrive(scene, [])
    assert len(moved) == 1 and isinstance(moved[0], LocationChange) and moved[0].destination == "Harbor Gate"
    chosen = [LocationChange(destination="The Gutted Eel", discovered=True)]
    assert arrive(scene, chosen) == chosen  # the players' own move stands
    assert arrive(scene_for(GameState(location="The Gutted Eel"), WORLD), []) == []  # already somewhere


async def test_the_reader_does_not_read_the_same_passage_twice_running() -> None:
    from dm.context import ChatLine
    from dm.turn import DMTurn
    from inference.scripted import ScriptedBackend

    class _World:
        async def world(self, campaign_id: int) -> CampaignWorld:
            return WORLD

    pick = {"intent": "look", "location": "none", "npc": "none", "passage": "here", "link": ""}
    turn = DMTurn(ScriptedBackend([pick]), world=_World(), reader_backends=("scripted",))
    state = GameState(location="The Gutted Eel")
    look = [ChatLine("ann", "Mira", "I look around.")]
    first = await turn.think(state, look, campaign_id=1)
    assert "Warmth and noise spill" in first.final.narrative
    again = await turn.think(state, look, campaign_id=1)
    assert again.final.narrative == "Nothing at The Gutted Eel has changed in the last few moments."
    search = await turn.think(state, [ChatLine("ann", "Mira", "I search the room.")], campaign_id=1)
    assert "regulars fall quiet" in search.final.narrative  # new words from the book: read them
    twice = await turn.think(state, [ChatLine("ann", "Mira", "I search the room.")], campaign_id=1)
    assert twice.final.narrative == "Mira searches The Gutted Eel with care, but finds nothing more."
    other = await turn.think(state, look, campaign_id=2)  # another campaign keeps its own memory
    assert "Warmth and noise spill" in other.final.narrative


def test_a_walk_on_npc_is_read_from_the_sentences_that_name_them() -> None:
    gate = WorldLocation(id=1, name="Harbor Gate", key="A1", chapter="Chapter 1: Gullhaven",
                         description="A squat gatehouse straddles the road.",
                         text="A1. Harbor Gate\n\nRead aloud: A squat gatehouse straddles the road.\n\nThe guards, Hode "
                              "and Pellam (use the guard stat block), are tired and frightened. They talk of the "
                              "drowned, whom Pellam saw from the gate tower a week ago. A DC 13 Charisma "
                              "(Persuasion) check makes Pellam talk.")  # fmt: skip
    pellam = WorldNpc(id=9, name="Pellam", location="Harbor Gate",
                      description="The guards, Hode and Pellam (use the guard stat block), are tired and frightened.")
    world = CampaignWorld(1, (gate,), (pellam,))
    meet = scene_for(GameState(location="Harbor Gate"), world).passage("meet Pellam")
    assert meet is not None
    assert meet.text == ("Pellam. The guards, Hode and Pellam, are tired and frightened. They talk of the drowned, "
                         "whom Pellam saw from the gate tower a week ago.")  # no stat block, no DC


async def test_a_search_where_the_book_hides_nothing_finds_nothing_more() -> None:
    from dm.context import ChatLine
    from dm.turn import DMTurn
    from inference.scripted import ScriptedBackend

    class _World:
        async def world(self, campaign_id: int) -> CampaignWorld:
            return WORLD

    pick = {"intent": "search", "location": "none", "npc": "none", "passage": "here", "link": ""}
    turn = DMTurn(ScriptedBackend([pick]), world=_World(), reader_backends=("scripted",))
    thought = await turn.think(GameState(location="Harbor Gate"), [ChatLine("bob", "Brakka", "I search the gate.")],
                               campaign_id=1)  # fmt: skip
    assert thought.final.narrative == "Brakka searches Harbor Gate with care, but finds nothing more."
