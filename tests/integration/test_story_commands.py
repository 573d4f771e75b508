"""The commands that need the model, through the real Table on the real PostgreSQL with the scripted backend:
!new_campaign stores a campaign as rows and binds the channel, !summarize_act keeps an act note,
!introduce_npc brings in a world NPC or a new one, and !advance_plot / !trigger_event are narrated.
Owner only; an answer that does not fit, or no storyteller, changes nothing."""

from __future__ import annotations

from typing import Any

from dm.commands.admin import EventNarrated, EventTriggered, PlotNarrated
from dm.commands.results import Refusal
from dm.commands.story import ActSummarized, CampaignCreated, NpcIntroduced
from dm.state_view import state_view
from dm.table import PlayerMessage, Table
from dm.turn import DMTurn
from game.effects import GameState, WorldEvent
from gateway.render.text import render_text
from inference.scripted import ScriptedBackend
from persistence.campaign_builder import CampaignBuilder
from persistence.interfaces import CampaignBuilderStore
from persistence.messages import MessageLog

OWNER, PLAYER = 1, 31


def campaign(**over: Any) -> dict[str, Any]:
    """A generated campaign as the model would answer (with a repeated name and a way to nowhere)."""
    data: dict[str, Any] = {
        "title": "The Flooded Vaults", "premise": "A heist in a drowned city where the tide keeps the doors.",
        "villains": [{"name": "The Tidecaller", "goal": "drown the city", "description": "a priestess",
                      "location": "Sunken Temple"}],
        "npcs": [{"name": "Captain Vell", "role": "harbourmaster", "personality": "gruff", "description": "one eye",
                  "location": "Harbour"},
                 {"name": "captain vell", "role": "twin", "personality": "", "description": "", "location": ""},
                 {"name": "Pip", "role": "urchin", "personality": "quick", "description": "small",
                  "location": "Nowhere"}],
        "locations": [{"name": "Harbour", "description": "Wet stone and gulls."},
                      {"name": "Sunken Temple", "description": "Under the tide."}],
        "connections": [{"source": "Harbour", "target": "Sunken Temple", "description": "a diving bell"},
                        {"source": "Harbour", "target": "Atlantis", "description": "nowhere"}],
        "threads": [{"title": "The Tide Key", "summary": "Find the key.", "hooks": ["A map in a bottle"]}],
        "acts": [{"title": "Landfall", "summary": "Arrive.", "threads": ["the tide key"]}],
        "opening": {"location": "harbour", "text": "Rain on the docks."},
    }  # fmt: skip
    data.update(over)
    return data


def _table(keep: Any, *entries: dict[str, Any], narrator: bool = True) -> tuple[Table, ScriptedBackend]:
    backend = ScriptedBackend(list(entries) or [{"narrative": "unused"}])
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=OWNER, seed=3,
                  narrator=DMTurn(backend) if narrator else None, world=CampaignBuilder(keep.db))  # fmt: skip
    return table, backend


async def _owner(keep: Any, table: Table, text: str) -> Any:
    return await keep.say(table, text, author=OWNER, name="dm")


async def _count(keep: Any, sql: str, *params: Any) -> int:
    return int(await keep.db.fetch_value(sql, params or None))


async def _state(keep: Any, campaign_id: int) -> GameState:
    return GameState.from_dict((await keep.repo.load(campaign_id)).state)


def test_the_builder_is_the_protocol(keep: Any) -> None:
    assert isinstance(CampaignBuilder(keep.db), CampaignBuilderStore)


# --- !new_campaign ----------------------------------------------------------------------------------


async def test_new_campaign_stores_the_world_as_rows_and_binds_the_channel(keep: Any) -> None:
    table, backend = _table(keep, {"reply": campaign()})
    reply = await _owner(keep, table, "!new_campaign A heist in a flooded city")
    result = reply.result
    assert reply.kind == "command_result" and isinstance(result, CampaignCreated), reply
    assert result.name == "The Flooded Vaults" and result.previous == "Lantern Keep" and not result.from_import
    assert result.locations == ("Harbour", "Sunken Temple") and result.villains == ("The Tidecaller",)
    assert result.npcs == ("Captain Vell", "Pip") and result.connections == 1 and result.hooks == 1
    row = await keep.db.fetch_one("SELECT id, name, channel_id, description, settings FROM campaigns "
                                  "WHERE id = %s", (result.campaign_id,))  # fmt: skip
    assert row["channel_id"] == keep.channel and row["description"] == "A heist in a flooded city"
    assert row["settings"]["premise"].startswith("A heist") and row["settings"]["acts"][0]["title"] == "Landfall"
    assert await keep.repo.campaign_for_channel(keep.channel) is not None
    assert (await keep.repo.campaign_for_channel(keep.channel)).id == result.campaign_id
    new = result.campaign_id
    assert await _count(keep, "SELECT count(*) FROM locations WHERE campaign_id = %s", new) == 2
    assert await _count(keep, "SELECT count(*) FROM location_connections c JOIN locations l ON "
                              "l.id = c.from_location_id WHERE l.campaign_id = %s", new) == 1  # fmt: skip
    npcs = await keep.db.fetch_all("SELECT n.name, n.role, n.met, n.data, l.name AS place FROM npcs n "
                                   "LEFT JOIN locations l ON l.id = n.location_id WHERE n.campaign_id = %s "
                                   "ORDER BY n.id", (new,))  # fmt: skip
    assert [(n["name"], n["met"], n["place"]) for n in npcs] == [
        ("The Tidecaller", False, "Sunken Temple"), ("Captain Vell", True, "Harbour"), ("Pip", False, None)]
    assert npcs[0]["data"]["villain"] and npcs[0]["data"]["goal"] == "drown the city"
    assert await _count(keep, "SELECT count(*) FROM story_hooks h JOIN plot_threads t ON t.id = h.plot_thread_id "
                              "WHERE h.campaign_id = %s AND t.title = 'The Tide Key'", new) == 1  # fmt: skip
    world = await keep.db.fetch_one("SELECT w.location_name, l.name FROM world_state w JOIN locations l "
                                    "ON l.id = w.current_location_id WHERE w.campaign_id = %s", (new,))  # fmt: skip
    assert world == {"location_name": "Harbour", "name": "Harbour"}
    view = state_view(result.name, await _state(keep, new))  # `lorekeeper campaign state NAME --json`
    assert view["location"] == "Harbour" and [n["name"] for n in view["npcs_met"]] == ["Captain Vell"]
    assert [t["name"] for t in view["plot_threads"]] == ["The Tide Key"]
    assert (await table.load_state(keep.channel)).location == "Harbour"  # the table plays the new campaign
    [request] = backend.requests
    assert request.schema is not None and request.schema["properties"]["locations"]["maxItems"] == 8
    assert "<description>\nA heist in a flooded city\n</description>" in request.messages[1]["content"]
    text = render_text(result)
    assert text.startswith("A new campaign: The Flooded Vaults. This channel now plays it (instead of Lantern Keep).")
    assert "The story opens at Harbour. Rain on the docks." in text and "**" not in text


async def test_new_campaign_in_a_channel_with_no_campaign_and_its_replay(keep: Any) -> None:
    table, backend = _table(keep, {"reply": campaign()})
    message = PlayerMessage(-999, 881_001, OWNER, "dm", "!new_campaign A heist in a flooded city")
    [reply] = await table.handle(message)
    assert isinstance(reply.result, CampaignCreated) and reply.result.previous is None, reply
    assert (await keep.repo.campaign_for_channel(-999)).name == "The Flooded Vaults"
    assert (await keep.repo.campaign_for_channel(keep.channel)).id == keep.campaign.id  # the other channel keeps its own
    [again] = await table.handle(message)  # a redelivered message replays the answer: no second campaign
    assert again.replayed and again.result == reply.result and len(backend.requests) == 1
    assert await _count(keep, "SELECT count(*) FROM campaigns") == 2
    [second] = await table.handle(PlayerMessage(-998, 881_002, OWNER, "dm", "!new_campaign Another flooded heist"))
    assert second.result.name == "The Flooded Vaults (2)"  # a taken name gets a number


async def test_new_campaign_builds_on_the_imported_world(keep: Any) -> None:
    cid = keep.campaign.id
    await keep.db.execute("INSERT INTO locations (campaign_id, name, description) VALUES (%s, 'Saltmere', 'a town'), "
                          "(%s, 'Harbour', 'the old harbour')", (cid, cid))  # fmt: skip
    await keep.db.execute("INSERT INTO npcs (campaign_id, name, role, secrets) VALUES (%s, 'Osric Tallow', "
                          "'innkeeper', 'SECRET-smuggler')", (cid,))  # fmt: skip
    await keep.db.execute("INSERT INTO plot_threads (campaign_id, title, summary) VALUES (%s, 'The Drowned "
                          "Lantern', 'lost')", (cid,))  # fmt: skip
    table, backend = _table(keep, {"reply": campaign(opening={"location": "Saltmere", "text": "Bells."})})
    reply = await _owner(keep, table, "!new_campaign The lantern's second act")
    result = reply.result
    assert isinstance(result, CampaignCreated) and result.from_import, reply
    assert result.locations == ("Saltmere", "Harbour", "Sunken Temple") and result.opening_location == "Saltmere"
    assert result.npcs[0] == "Osric Tallow" and result.threads == ("The Drowned Lantern", "The Tide Key")
    prompt = backend.requests[0].messages[1]["content"]
    assert "<world>" in prompt and "Osric Tallow" in prompt and "SECRET" not in prompt
    harbour = await keep.db.fetch_value("SELECT description FROM locations WHERE campaign_id = %s AND name = "
                                        "'Harbour'", (result.campaign_id,))  # fmt: skip
    assert harbour == "the old harbour"
    assert await _count(keep, "SELECT count(*) FROM locations WHERE campaign_id = %s", cid) == 2  # the import is kept


async def test_new_campaign_refuses_a_malformed_answer_and_stores_nothing(keep: Any) -> None:
    too_many = campaign(locations=[{"name": f"P{i}", "description": ""} for i in range(12)])
    table, backend = _table(keep, {"text": "{\"title\": \"The Flooded"}, {"reply": too_many},
                            {"reply": campaign(locations=[], connections=[])})  # fmt: skip
    for _ in range(3):
        reply = await _owner(keep, table, "!new_campaign A heist in a flooded city")
        assert reply.kind == "error" and reply.result.error == "GarbledStory", reply
        assert "nothing was changed" in reply.result.reason
    assert len(backend.requests) == 3
    assert await _count(keep, "SELECT count(*) FROM campaigns") == 1
    assert await _count(keep, "SELECT count(*) FROM locations") == 0
    assert (await keep.repo.campaign_for_channel(keep.channel)).id == keep.campaign.id


async def test_new_campaign_arguments_owner_and_storyteller(keep: Any) -> None:
    table, backend = _table(keep, {"error": "unavailable"})
    missing = await _owner(keep, table, "!new_campaign")
    short = await _owner(keep, table, "!new_campaign hi")
    assert missing.result.error == short.result.error == "BadArguments"
    assert "Usage: !new_campaign DESCRIPTION" in short.result.reason
    player = await keep.say(table, "!new_campaign A heist in a flooded city", author=PLAYER)
    assert isinstance(player.result, Refusal) and player.result.error == "OwnerOnly" and not backend.requests
    down = await _owner(keep, table, "!new_campaign A heist in a flooded city")
    assert down.result.error == "Unavailable" and "could not answer just now" in down.result.reason
    bare, _ = _table(keep, narrator=False)
    none = await _owner(keep, bare, "!new_campaign A heist in a flooded city")
    assert none.result.reason.startswith("The storyteller (the AI DM), which !new_campaign needs, is not available")
    assert await _count(keep, "SELECT count(*) FROM campaigns") == 1


# --- !summarize_act ----------------------------------------------------------------------------------


async def test_summarize_act_keeps_the_summary_as_an_event(keep: Any) -> None:
    turn = {"narrative": "The gate creaks open onto the drowned street.", "rolls": [], "rule_lookups": [],
            "effects": []}  # fmt: skip
    table, backend = _table(keep, {"reply": turn},
                            {"reply": {"title": "The Gate", "summary": "The party opened the drowned gate."}},
                            {"reply": {"title": "Deeper", "summary": "They went on."}})  # fmt: skip
    await keep.say(table, "I push the gate.", author=PLAYER)
    reply = await _owner(keep, table, "!summarize_act")
    result = reply.result
    assert isinstance(result, ActSummarized) and result.act == 1 and result.lines == 2, reply
    assert render_text(result) == "Act 1: The Gate\nThe party opened the drowned gate."
    prompt = backend.requests[1].messages[1]["content"]
    assert prompt.index("bob: I push the gate.") < prompt.index("DM: The gate creaks open")
    event = await keep.db.fetch_one("SELECT name, description, status FROM events WHERE campaign_id = %s",
                                    (keep.campaign.id,))  # fmt: skip
    assert event == {"name": "Act 1: The Gate", "description": "The party opened the drowned gate.",
                     "status": "resolved"}  # fmt: skip
    again = await _owner(keep, table, "!summarize_act")
    assert again.result.act == 2 and "Act 1: The Gate - The party opened" in backend.requests[2].messages[1]["content"]


async def test_summarize_act_refusals_change_nothing(keep: Any) -> None:
    table, backend = _table(keep, {"text": "not json"})
    empty = await _owner(keep, table, "!summarize_act")
    assert empty.result.error == "CommandError" and "Nothing has happened" in empty.result.reason
    assert not backend.requests
    await keep.db.execute("INSERT INTO dm_turns (campaign_id, channel_id, prompt, reply_text, backend) VALUES "
                          "(%s, %s, '[]', 'The rain falls.', 'scripted')", (keep.campaign.id, keep.channel))  # fmt: skip
    garbled = await _owner(keep, table, "!summarize_act")
    assert garbled.result.error == "GarbledStory"
    extra = await _owner(keep, table, "!summarize_act the first act")
    player = await keep.say(table, "!summarize_act", author=PLAYER)
    assert extra.result.error == "BadArguments" and player.result.error == "OwnerOnly"
    assert await _count(keep, "SELECT count(*) FROM events") == 0 and len(backend.requests) == 1


# --- !introduce_npc ----------------------------------------------------------------------------------


async def test_introduce_npc_brings_in_the_worlds_npc_by_a_close_name(keep: Any) -> None:
    await keep.db.execute("INSERT INTO npcs (campaign_id, name, role, description, secrets) VALUES "
                          "(%s, 'Captain Vell', 'harbourmaster', 'One eye, salt-white coat.', 'SECRET-spy')",
                          (keep.campaign.id,))  # fmt: skip
    table, backend = _table(keep, {"narrative": "A one-eyed woman shoulders through the crowd."})
    reply = await _owner(keep, table, "!introduce_npc vell")
    result = reply.result
    assert isinstance(result, NpcIntroduced) and result.from_world and result.name == "Captain Vell", reply
    assert result.narration == "A one-eyed woman shoulders through the crowd."
    assert "SECRET" not in str(backend.requests[0].messages) and "SECRET" not in render_text(result)
    assert await keep.db.fetch_value("SELECT met FROM npcs WHERE name = 'Captain Vell'") is True
    assert "captain vell" in (await keep.stored())[1].npcs
    again = await _owner(keep, table, "!introduce_npc Captain Vell")
    assert again.result.error == "CommandError" and "already been introduced" in again.result.reason


async def test_an_ambiguous_name_asks_which_and_changes_nothing(keep: Any) -> None:
    await keep.db.execute("INSERT INTO npcs (campaign_id, name) VALUES (%s, 'Captain Vell'), (%s, 'Captain Mara')",
                          (keep.campaign.id, keep.campaign.id))  # fmt: skip
    table, backend = _table(keep, {"narrative": "unused"})
    reply = await _owner(keep, table, "!introduce_npc captain")
    assert reply.result.error == "CommandError" and "Captain Vell or Captain Mara" in reply.result.reason
    assert not backend.requests and (await keep.stored())[1].npcs == {}


async def test_introduce_npc_writes_a_new_npc(keep: Any) -> None:
    npc = {"role": "ferryman", "personality": "mournful", "appearance": "grey beard, lantern",
           "voice_line": "Coin first, then the crossing.", "narrative": "A lantern bobs out of the fog."}  # fmt: skip
    table, _ = _table(keep, {"reply": npc})
    reply = await _owner(keep, table, "!introduce_npc Old Marrow")
    result = reply.result
    assert isinstance(result, NpcIntroduced) and not result.from_world and result.voice_line.startswith("Coin"), reply
    row = await keep.db.fetch_one("SELECT description, met FROM npcs WHERE campaign_id = %s AND name = 'Old Marrow'",
                                  (keep.campaign.id,))  # fmt: skip
    assert row["met"] and row["description"] == "ferryman. grey beard, lantern. mournful"
    text = render_text(result)
    assert text.startswith("Old Marrow (ferryman) enters the story.") and 'Old Marrow: "Coin first' in text


async def test_introduce_npc_refusals_change_nothing(keep: Any) -> None:
    table, backend = _table(keep, {"text": "{\"role\": "}, {"error": "timeout"})
    garbled = await _owner(keep, table, "!introduce_npc Old Marrow")
    down = await _owner(keep, table, "!introduce_npc Old Marrow")
    missing = await _owner(keep, table, "!introduce_npc")
    long = await _owner(keep, table, "!introduce_npc " + "x" * 61)
    player = await keep.say(table, "!introduce_npc Old Marrow", author=PLAYER)
    assert [r.result.error for r in (garbled, down, missing, long, player)] == [
        "GarbledStory", "Unavailable", "BadArguments", "BadArguments", "OwnerOnly"]
    assert await _count(keep, "SELECT count(*) FROM npcs") == 0 and len(backend.requests) == 2
    assert (await keep.stored())[1].npcs == {}


async def test_a_world_npc_whose_narration_fails_is_still_introduced(keep: Any) -> None:
    await keep.db.execute("INSERT INTO npcs (campaign_id, name, role) VALUES (%s, 'Captain Vell', 'harbourmaster')",
                          (keep.campaign.id,))  # fmt: skip
    table, _ = _table(keep, {"error": "unavailable"})
    result = (await _owner(keep, table, "!introduce_npc Captain Vell")).result
    assert isinstance(result, NpcIntroduced) and result.narration_unavailable and not result.narration
    assert "could not narrate this just now" in render_text(result)
    assert "captain vell" in (await keep.stored())[1].npcs


# --- !advance_plot / !trigger_event, narrated -------------------------------------------------------


async def _with_event(keep: Any) -> None:
    version, state = await keep.stored()
    after = state.model_copy(update={"events": {"the tide turns": WorldEvent(name="The tide turns")}})
    await keep.repo.save(keep.campaign.id, expected_version=version, before=state.to_dict(), after=after.to_dict())


async def test_advance_plot_and_trigger_event_are_narrated(keep: Any) -> None:
    await _with_event(keep)
    table, backend = _table(keep, {"narrative": "Somewhere below, a key turns in the dark."},
                            {"narrative": "The sea draws back from the harbour wall."})  # fmt: skip
    plot = (await _owner(keep, table, '!advance_plot "The Tide Key" The key is found.')).result
    assert isinstance(plot, PlotNarrated) and plot.narration.startswith("Somewhere below"), plot
    assert render_text(plot) == "The thread 'The Tide Key' begins.\nSomewhere below, a key turns in the dark."
    assert "<change>\nThe thread 'The Tide Key' begins. The key is found.\n</change>" in \
        backend.requests[0].messages[1]["content"]
    event = (await _owner(keep, table, "!trigger_event The tide turns")).result
    assert isinstance(event, EventNarrated) and event.narration.startswith("The sea draws back")
    assert render_text(event) == "Event triggered: The tide turns.\nThe sea draws back from the harbour wall."
    _, state = await keep.stored()
    assert state.plot_threads["the tide key"].progress == ("The key is found.",)
    assert state.events["the tide turns"].status == "triggered"


async def test_a_failed_narration_keeps_the_owners_change(keep: Any) -> None:
    await _with_event(keep)
    table, _ = _table(keep, {"error": "unavailable"}, {"text": "garbage"})
    plot = (await _owner(keep, table, "!advance_plot Smugglers The boat is gone.")).result
    event = (await _owner(keep, table, "!trigger_event The tide turns")).result
    assert isinstance(plot, PlotNarrated) and plot.narration_unavailable and plot.applied
    assert isinstance(event, EventNarrated) and event.narration_unavailable
    assert render_text(plot).endswith("(The storyteller could not narrate this just now; the change is made.)")
    _, state = await keep.stored()
    assert "smugglers" in state.plot_threads and state.events["the tide turns"].status == "triggered"


async def test_without_a_storyteller_the_owners_changes_are_as_before(keep: Any) -> None:
    await _with_event(keep)
    table, _ = _table(keep, narrator=False)
    event = (await _owner(keep, table, "!trigger_event The tide turns")).result
    assert type(event) is EventTriggered
    summary = await _owner(keep, table, "!summarize_act")
    assert summary.result.error == "Unavailable" and "which !summarize_act needs" in summary.result.reason
