"""System commands (!help, !model_status, !system_stats) and the campaign commands through the registry,
rendered as the console shows them. The services are the real `gateway.wiring.Services` (no database here)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.campaign import CampaignLoaded
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.system import HelpCommand, HelpIndex, ModelStatus, SystemStats
from dm.errors import BadArguments, UnknownCommand, Unavailable
from game.effects import GameState
from gateway.render.text import render_text
from gateway.settings import load_settings
from gateway.wiring import Services
from inference.router import Router
from inference.scripted import ScriptedBackend

load_all()
import gateway.render.text_system  # noqa: E402,F401 - its renderers

SECRETS = {
    "discord_token": "DISCORD-SECRET-token-1",
    "gemini_api_key": "GEMINI-SECRET-key-2",
    "xai_api_key": "XAI-SECRET-key-3",
    "hf_token": "hf_SECRET_token_4",
    "database_url": "postgresql://lorekeeper:PW-SECRET-5@db.example:5432/lore",
}


def _ctx(services: Any = None, *, owner: bool = False, campaign: bool = True) -> CommandContext:
    return CommandContext(caller=Caller(1 if owner else 2, "dm" if owner else "mira", is_owner=owner), channel_id=-1,
                          campaign=CampaignInfo(1, "Test Keep", -1) if campaign else None, state=GameState(),
                          services=services, rng=random.Random(1))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


# --- !help -------------------------------------------------------------------------------------------


async def test_help_lists_every_command_by_area_with_owner_only_marked() -> None:
    result = await run(_ctx(), "!help")
    assert isinstance(result, HelpIndex)
    listed = {c["name"] for area in result.areas for c in area["commands"]}
    assert listed == {spec.name for spec in REGISTRY}
    areas = [a["area"] for a in result.areas]
    assert areas.index("admin") < areas.index("system") and "campaign" in areas
    text = render_text(result)
    assert "!hp @player VALUE [owner] - " in text and "!add_item @player ITEM… [owner]" in text
    assert "!roll WHAT… - Roll dice" in text and "[owner]" not in text.split("!roll", 1)[1].split("\n", 1)[0]
    assert "Admin:" in text and "**" not in text


async def test_help_for_one_command_gives_usage_aliases_examples_and_rules() -> None:
    roll = await run(_ctx(), "!help roll")
    assert isinstance(roll, HelpCommand) and roll.aliases == ("r",) and "!roll perception" in roll.examples
    text = render_text(await run(_ctx(), "!help !hp"))
    assert text.startswith("!hp @player VALUE\n") and "only the game's owner may use it" in text
    assert "Examples: !hp @Aria 12 | !hp @Aria +5 | !hp @Aria -3" in text
    by_alias = await run(_ctx(), "!help commands")
    assert by_alias.name == "help"


async def test_help_marks_on_your_turn_only_commands() -> None:
    in_turn = [s for s in REGISTRY if not s.out_of_turn]
    if not in_turn:
        pytest.skip("no turn-bound command registered yet")
    text = render_text(await run(_ctx(), f"!help {in_turn[0].name}"))
    assert "only on your turn" in text


async def test_help_bad_arguments() -> None:
    with pytest.raises(UnknownCommand, match="Did you mean !roll"):
        await run(_ctx(), "!help rol")
    with pytest.raises(BadArguments, match="I don't know what to do with"):
        await run(_ctx(), "!help roll save")


# --- !model_status / !system_stats -------------------------------------------------------------------


def _services(**kwargs: Any) -> Services:
    settings = load_settings(_env_file=None, vllm_port=1, **SECRETS)
    return Services(settings=settings, **kwargs)


def _no_secret(*texts: str) -> None:
    for text in texts:
        for value in (*SECRETS.values(), "PW-SECRET-5", "SECRET"):
            assert value not in text


async def test_model_status_from_the_plan_shows_what_is_configured_and_never_a_key() -> None:
    result = await run(_ctx(_services()), "!model_status")
    assert isinstance(result, ModelStatus)
    status = result.status
    assert status["configured"]["gemini"] == "key set" and status["configured"]["xai"] == "key set"
    assert status["vllm"]["reachable"] is False and status["router"] is None
    assert status["order"][-1] == "embedded" and status["in_use"] in ("gemini", "vllm")
    text = render_text(result)
    assert "Gemini: key set" in text and "vLLM at 127.0.0.1:1: not running" in text
    _no_secret(text, json.dumps(result.dump()))


async def test_model_status_with_a_live_router_reports_breakers() -> None:
    router = Router({"embedded": ScriptedBackend([{"narrative": "ok"}], name="embedded")})
    router.force_api(600)
    result = await run(_ctx(_services(router=router)), "!model_status")
    assert result.status["router"]["backends"]["embedded"]["breaker"] == "closed"
    assert result.status["in_use"] == "embedded"
    text = render_text(result)
    assert result.status["router"]["health"] == {"embedded": True}
    assert "embedded: healthy, breaker closed" in text and "forced for 10 more minutes" in text
    _no_secret(text)


async def test_system_stats_show_cpu_memory_and_gpu_and_never_a_secret() -> None:
    result = await run(_ctx(_services()), "!stats")
    assert isinstance(result, SystemStats)
    assert result.stats["cpu"]["count"] >= 1 and result.stats["memory"]["total_gib"] > 0
    assert result.stats["database"] == "external"
    text = render_text(result)
    assert text.startswith("CPU: ") and "Memory: " in text and ("GPU: no GPU" in text or "GPU 0:" in text)
    _no_secret(text, json.dumps(result.dump()))


async def test_status_commands_without_services_and_with_bad_arguments() -> None:
    with pytest.raises(Unavailable, match="model status"):
        await run(_ctx(), "!model_status")
    with pytest.raises(Unavailable, match="system statistics"):
        await run(_ctx(), "!system_stats")
    with pytest.raises(BadArguments, match="I don't know what to do with"):
        await run(_ctx(_services()), "!model_status now")
    with pytest.raises(BadArguments, match="I don't know what to do with"):
        await run(_ctx(_services()), "!system_stats all")


# --- campaign commands ---------------------------------------------------------------------------------


def test_campaign_commands_are_registered_for_help() -> None:
    for name in ("load_campaign", "new_campaign", "summarize_act", "introduce_npc"):
        assert REGISTRY.require(name).area == "campaign"
    assert REGISTRY.require("load_campaign").owner_only and not REGISTRY.require("load_campaign").needs_campaign


async def test_storyteller_commands_say_they_need_the_ai_dm() -> None:
    for line in ("!new_campaign A heist in a flooded city", "!summarize_act", "!introduce_npc Captain Vell"):
        with pytest.raises(Unavailable, match=r"The storyteller \(the AI DM\), which !\w+ needs, is not available"):
            await run(_ctx(owner=True), line)


async def test_campaign_commands_bad_arguments() -> None:
    with pytest.raises(BadArguments, match="NAME is missing"):
        await run(_ctx(owner=True), "!load_campaign")
    with pytest.raises(BadArguments, match="DESCRIPTION is missing"):
        await run(_ctx(owner=True), "!new_campaign")
    with pytest.raises(BadArguments, match="NAME is missing"):
        await run(_ctx(owner=True), "!introduce_npc")
    with pytest.raises(BadArguments, match="I don't know what to do with"):
        await run(_ctx(), "!summarize_act the first act")
    with pytest.raises(Unavailable, match="campaign library"):
        await run(_ctx(owner=True, campaign=False), "!load_campaign the-drowned-lantern")


def test_campaign_loaded_renders_the_switch() -> None:
    text = render_text(CampaignLoaded(name="The Drowned Lantern", campaign_id=3, channel_id=-3, previous="Test Keep"))
    assert text == "This channel now plays The Drowned Lantern (instead of Test Keep)."
