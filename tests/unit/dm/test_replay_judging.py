"""dm.replay's pure judging: numbers not from the engine, question endings, comparing without a logged state."""

from __future__ import annotations

import json
from typing import Any

from dm.replay import LoggedTurn, compare, ends_on_question, judge, stray_numbers
from game.effects import Creature, GameState


def _answer(narrative: str, *effects: dict[str, Any]) -> str:
    return json.dumps({"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": list(effects)})


def test_numbers_the_engine_or_the_module_gave_are_not_stray() -> None:
    engine = "Goblin takes 5 slashing damage (7 → 2 HP)."
    assert stray_numbers("The goblin reels from 5 wounds and 2 more.", engine) == []
    assert stray_numbers("It has 12 HP left, 1976-02-30.", engine) == ["12", "1976", "02", "30"]
    assert stray_numbers("The door is 10 feet high.", engine, quoted=["a 10 feet high door"]) == []
    assert stray_numbers("1.2", "") == ["1.2"]


def test_a_closing_question_to_the_players_is_flagged_but_an_npc_asking_is_not() -> None:
    assert ends_on_question("The hall is quiet. What do you do next?")
    assert ends_on_question("The hall is quiet. Will you open the door?")
    assert not ends_on_question('The innkeeper squints. "Who sent you?"')
    assert not ends_on_question("The hall is quiet.")


def test_without_a_logged_state_the_proposed_kinds_and_targets_are_compared() -> None:
    row = {"id": 9, "backend": "scripted", "reply": {"narrative": "x"},
           "prompt": [{"role": "user", "content": "hi"},
                      {"role": "assistant", "content": _answer("Rain.", {"kind": "condition_set", "target": "mira",
                                                                         "condition": "prone"})}],
           "effects": [{"kind": "condition_set", "target": "mira", "accepted": True, "summary": "Prone."}]}  # fmt: skip
    turn = LoggedTurn.from_row(row)
    assert turn.request() == [{"role": "user", "content": "hi"}] and turn.state_before() is None
    same = compare(turn, _answer("Rain again.", {"kind": "condition_set", "target": "mira", "condition": "prone"}))
    assert same.same and same.logged.accepted == (("condition_set", "mira"),) and not same.new.judged
    other = compare(turn, _answer("Rain.", {"kind": "hp_change", "target": "mira", "amount": -1}))
    assert other.changes == ("proposed: -condition_set(mira) +hp_change(mira)",)


def test_a_logged_state_is_judged_by_todays_engine() -> None:
    state = GameState(creatures={"rat": Creature(id="rat", name="Rat", hp=1, max_hp=1)})
    verdict = judge(_answer("The rat squeaks.", {"kind": "hp_change", "target": "rat", "amount": -1},
                            {"kind": "hp_change", "target": "ghost", "amount": -1}), state)  # fmt: skip
    assert verdict.judged and verdict.accepted == (("hp_change", "rat"),)
    assert verdict.refused == (("hp_change", "ghost"),)
    assert not judge("{not json", state).parsed and judge(None).problem == "no reply"


async def test_a_reader_tier_turn_is_replayed_with_its_own_schema_and_its_pick_compared() -> None:
    from dm.context import ChatLine
    from dm.replay import replay_turn
    from dm.turn import DMTurn
    from inference.scripted import ScriptedBackend
    from persistence.interfaces import CampaignWorld, WorldLocation, WorldNpc

    quay = WorldLocation(id=1, name="Saltmere Quay", description="Grey water slaps the pilings.",
                         connections=("The Drowned Lantern Inn",))  # fmt: skip
    inn = WorldLocation(id=2, name="The Drowned Lantern Inn", description="Nets hang from the beams.",
                        connections=("Saltmere Quay",))  # fmt: skip
    world = CampaignWorld(campaign_id=1, locations=(quay, inn),
                          npcs=(WorldNpc(id=1, name="Osric", location="Saltmere Quay", description="A thin man."),))

    class Atlas:  # the campaign's world, as WorldRepository would read it
        async def world(self, campaign_id: int) -> CampaignWorld:
            return world

    state = GameState(location="Saltmere Quay", known_locations=("Saltmere Quay", "The Drowned Lantern Inn"))
    played = ScriptedBackend([{"intent": "look", "location": "none", "npc": "none", "passage": "here", "link": ""}])
    thought = await DMTurn(played, world=Atlas(), reader_backends=("scripted",)).think(
        state, [ChatLine(author="bob", character="Brakka", text="We go to the inn.")], campaign_id=1)
    assert thought.raw is not None and thought.raw["tier"] == "reader"
    turn = LoggedTurn.from_row({"id": 4, "backend": "scripted", "prompt": thought.prompt, "reply": thought.raw})
    assert turn.tier == "reader"
    other = ScriptedBackend([{"intent": "move", "location": "The Drowned Lantern Inn", "npc": "none",
                              "passage": "go to The Drowned Lantern Inn", "link": "You push through the door."}])
    diff = await replay_turn(turn, other)
    assert other.requests[0].schema == played.requests[0].schema  # the scene's enums, rebuilt from the prompt
    (change,) = diff.changes
    assert change == ("pick: -intent(look) -location(none) -passage(here) +intent(move) "
                      "+location(The Drowned Lantern Inn) +passage(go to The Drowned Lantern Inn)")
    assert (await replay_turn(turn, played)).same


async def test_a_replay_judges_gains_against_the_logged_prompts_campaign_text() -> None:
    # found in review: replay judged every gain as held (no evidence), so a turn whose chest coins were earned
    # live showed as refused, and a new answer conjuring 1000 gp looked "the same" as one taking the chest's 30
    from dm.context import ChatLine, build_context
    from dm.replay import replay_turn
    from game.creation import create_character, standard_array
    from inference.scripted import ScriptedBackend
    from persistence.interfaces import RetrievedChunk

    mira = create_character("Mira", "human", "rogue",
                            standard_array({"dex": 15, "con": 14, "int": 13, "wis": 12, "cha": 10, "str": 8}),
                            ["stealth", "perception", "investigation", "insight"], player_id=7)  # fmt: skip
    mira.id = "pc-7"
    state = GameState(characters={"pc-7": mira})
    chest = RetrievedChunk(id=3, heading_path=("Cellar",), page=4, kind="text", tags=(), score=1.0,
                           text="An iron-bound chest sits on a shelf. The chest holds 30 gp and a silver locket.")
    built = build_context(state, [ChatLine("ann", "Mira", "I open the chest.")], chunks=[chest])
    earned = _answer("The lid gives.", {"kind": "currency_change", "target": "Mira", "gp": 30})
    row = {"id": 5, "backend": "scripted", "reply": json.loads(earned),
           "prompt": [*built.messages, {"role": "assistant", "content": earned}],
           "context": {"state_before": state.to_dict()},
           "effects": [{"kind": "currency_change", "target": "Mira", "accepted": True, "summary": "+30 gp"}]}
    turn = LoggedTurn.from_row(row)
    same = await replay_turn(turn, ScriptedBackend([json.loads(earned)]))
    assert same.same and same.logged.accepted == (("currency_change", "Mira"),)
    conjured = _answer("Gold rains down.", {"kind": "currency_change", "target": "Mira", "gp": 1000})
    worse = await replay_turn(turn, ScriptedBackend([json.loads(conjured)]))
    assert not worse.same and worse.new.refused == (("currency_change", "Mira"),)
