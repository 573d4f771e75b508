"""Owner-only commands through the registry, on a hand-built context (no database).

The owner refusal itself is checked on the real table in tests/integration/test_table_admin.py.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.admin import EventTriggered, PlotThreads, ResyncDone, ServiceDone, XpAwarded
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.results import ChangeApplied
from dm.errors import BadArguments, CommandError, NoCharacter, Unavailable
from game.character import Character
from game.creation import create_character, level_up, standard_array
from game.effects import GameState, PlotThread, WorldEvent
from gateway.render.text import render_text
from gateway.settings import load_settings
from gateway.wiring import Services
from inference.registry import UnknownModel
from inference.router import Router
from inference.scripted import ScriptedBackend

load_all()

OWNER = Caller(1, "dm", is_owner=True)


def _wizard() -> Character:
    scores = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    who = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf", player_id=2)
    who.id = "pc-2"
    return who


def _fighter() -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=3)
    who.id = "pc-3"
    return who


def _ctx(state: GameState | None = None, services: Any = None, caller: Caller = OWNER) -> CommandContext:
    state = state or GameState(characters={"pc-2": _wizard(), "pc-3": _fighter()})
    return CommandContext(caller=caller, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                          services=services, rng=random.Random(3), player_names={2: "mira", 3: "brom"})


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


def test_every_admin_command_is_owner_only_and_in_the_admin_area() -> None:
    names = {s.name for s in REGISTRY if s.area == "admin"}
    assert names >= {"add_item", "set_condition", "hp", "resync_character", "award_xp", "advance_plot",
                     "trigger_event", "switch_model", "fallback_api"}
    assert all(REGISTRY.require(n).owner_only for n in names)
    assert not REGISTRY.require("switch_model").needs_campaign and REGISTRY.require("hp").needs_campaign


# --- !add_item ---------------------------------------------------------------------------------------


async def test_add_item_gives_the_item_and_quantity() -> None:
    ctx = _ctx()
    result = await run(ctx, "!add_item @Mira potion of healing 3")
    assert isinstance(result, ChangeApplied) and result.applied[0]["kind"] == "item_add"
    assert result.applied[0]["target"] == "pc-2"
    assert ctx.state.characters["pc-2"].inventory.quantity("Potion of Healing") == 3


async def test_add_item_by_player_name_and_mention() -> None:
    ctx = _ctx()
    await run(ctx, "!add_item @brom rope")
    await run(ctx, "!add_item <@3> torch 2")
    brom = ctx.state.characters["pc-3"]
    assert brom.inventory.quantity("rope") >= 1 and brom.inventory.quantity("torch") >= 2


async def test_add_item_bad_arguments() -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(), "!add_item @Mira")
    with pytest.raises(BadArguments, match="at least 1"):
        await run(_ctx(), "!add_item @Mira potion 0")
    with pytest.raises(NoCharacter):
        await run(_ctx(), "!add_item @nobody potion")


async def test_add_item_the_rules_refuse_changes_nothing() -> None:
    ctx = _ctx()
    before = ctx.state
    with pytest.raises(CommandError, match="Nothing was changed"):
        await run(ctx, "!add_item @Mira potion 5000")
    assert ctx.state == before


# --- !set_condition ----------------------------------------------------------------------------------


async def test_set_condition_on_and_off() -> None:
    ctx = _ctx()
    result = await run(ctx, "!set_condition @Mira poisoned")
    assert result.applied[0]["kind"] == "condition_set"
    assert "poisoned" in ctx.state.characters["pc-2"].conditions
    await run(ctx, "!set_condition @Mira poisoned off")
    assert "poisoned" not in ctx.state.characters["pc-2"].conditions


async def test_set_condition_bad_arguments_and_refusals() -> None:
    with pytest.raises(BadArguments, match="not a condition"):
        await run(_ctx(), "!set_condition @Mira sleepy")
    with pytest.raises(BadArguments, match="on, off"):
        await run(_ctx(), "!set_condition @Mira prone sideways")
    with pytest.raises(CommandError, match="is not poisoned"):
        await run(_ctx(), "!set_condition @Mira poisoned off")


# --- !hp ---------------------------------------------------------------------------------------------


async def test_hp_damage_heal_and_set() -> None:
    ctx = _ctx()
    full = ctx.state.characters["pc-3"].max_hp
    await run(ctx, "!hp @Brom -5")
    assert ctx.state.characters["pc-3"].hp == full - 5
    await run(ctx, "!hp @Brom +2")
    assert ctx.state.characters["pc-3"].hp == full - 3
    result = await run(ctx, "!hp @Brom 4")
    assert ctx.state.characters["pc-3"].hp == 4 and result.applied[0]["kind"] == "hp_change"
    await run(ctx, f"!hp @Brom {full}")
    assert ctx.state.characters["pc-3"].hp == full


async def test_hp_set_lands_exactly_even_with_temporary_hit_points() -> None:
    ctx = _ctx()
    brom = ctx.state.characters["pc-3"].model_copy(deep=True)
    brom.grant_temp_hp(5)
    ctx.put("pc-3", brom)
    await run(ctx, "!hp @Brom 3")
    assert ctx.state.characters["pc-3"].hp == 3


async def test_hp_bad_arguments() -> None:
    with pytest.raises(BadArguments, match="like 12, \\+5 or -3"):
        await run(_ctx(), "!hp @Brom lots")
    with pytest.raises(BadArguments, match="maximum"):
        await run(_ctx(), "!hp @Brom 500")
    with pytest.raises(BadArguments, match="does nothing"):
        await run(_ctx(), "!hp @Brom +0")


# --- !resync_character -------------------------------------------------------------------------------


async def test_resync_recomputes_ac_max_hp_and_slots_and_keeps_damage_and_spent_slots() -> None:
    mira = _wizard()
    right_ac, right_max = mira.armor_class, mira.max_hp
    mira.level = 3
    mira.hit_dice = 3
    mira.armor_class = 19
    mira.max_hp = 40
    mira.hp = 30
    mira.spell_slots.spend(1)  # level-1 slots: 2 → 1 left, one spent
    ctx = _ctx(GameState(characters={"pc-2": mira}))
    result = await run(ctx, "!resync_character @Mira")
    after = ctx.state.characters["pc-2"]
    assert isinstance(result, ResyncDone)
    fields = {c["field"]: c for c in result.changes}
    assert after.armor_class == right_ac and fields["armor_class"]["before"] == 19
    assert after.max_hp == right_max + 2 * 6 == 20  # d6 wizard, Con 14: 6+2 at 1st level, then 4+2 a level
    assert after.hp == 20 and fields["hp"] == {"field": "hp", "before": 30, "after": 20}
    assert after.spell_slots.maximum == {1: 4, 2: 2}
    assert after.spell_slots.current[1] == 3 and after.spell_slots.current[2] == 2  # the spent one stays spent


async def test_resync_restores_class_saving_throws_and_a_lost_ac() -> None:
    brom = _fighter()
    right_ac = brom.armor_class
    brom.proficiencies = brom.proficiencies.model_copy(update={"saving_throws": ("wisdom",)})
    brom.armor_class = 10
    ctx = _ctx(GameState(characters={"pc-3": brom}))
    result = await run(ctx, "!resync_character @Brom")
    after = ctx.state.characters["pc-3"]
    assert set(after.proficiencies.saving_throws) == {"strength", "constitution", "wisdom"}  # extras are kept
    assert after.armor_class == right_ac
    text = render_text(result)
    assert text.startswith("Brom's sheet recomputed:") and f"armor class: 10 -> {right_ac}" in text


async def test_resync_agrees_with_level_up_for_a_multiclass_character() -> None:
    mira = _wizard()
    level_up(mira, class_name="fighter", milestone=True)  # wizard 1 / fighter 1
    level_up(mira, class_name="fighter", milestone=True)  # wizard 1 / fighter 2
    assert [(c.name, c.level) for c in mira.classes] == [("Wizard", 1), ("Fighter", 2)]
    ctx = _ctx(GameState(characters={"pc-2": mira}))
    assert (await run(ctx, "!resync_character @Mira")).changes == ()  # the rules and level_up agree
    broken = mira.model_copy(deep=True)
    right_max, right_slots = mira.max_hp, dict(mira.spell_slots.maximum)
    broken.hp = 1
    broken.max_hp = 99
    broken.spell_slots.maximum = {1: 4, 2: 3}
    ctx.put("pc-2", broken)
    await run(ctx, "!resync_character @Mira")
    after = ctx.state.characters["pc-2"]
    assert after.max_hp == right_max == 8 + 2 * 8 and after.hp == 1  # d6+2, then two d10 levels at 6+2
    assert after.spell_slots.maximum == right_slots == {1: 2}


async def test_resync_of_a_correct_sheet_changes_nothing() -> None:
    ctx = _ctx()
    before = ctx.state
    result = await run(ctx, "!resync_character @Brom")
    assert result.changes == () and ctx.state == before
    assert render_text(result) == "Brom's sheet already matches the rules; nothing changed."


async def test_resync_bad_arguments() -> None:
    with pytest.raises(BadArguments):
        await run(_ctx(), "!resync_character")
    with pytest.raises(NoCharacter):
        await run(_ctx(), "!resync_character @ghost")


# --- !award_xp ---------------------------------------------------------------------------------------


async def test_award_xp_to_the_party_levels_up_who_crosses_a_threshold() -> None:
    ctx = _ctx()
    result = await run(ctx, "!award_xp party 300")
    assert isinstance(result, XpAwarded) and result.amount == 300
    assert {u["name"] for u in result.level_ups} == {"Mira", "Brom"}
    mira = ctx.state.characters["pc-2"]
    assert mira.level == 2 and mira.xp == 300
    up = next(u for u in result.level_ups if u["name"] == "Mira")
    assert up["level"] == 2 and up["max_hp"] == mira.max_hp and up["slots"] == {"1": 3}


async def test_award_xp_to_one_player_below_a_threshold_levels_nobody() -> None:
    ctx = _ctx()
    result = await run(ctx, "!award_xp @Brom 100")
    assert result.level_ups == () and ctx.state.characters["pc-3"].xp == 100
    assert ctx.state.characters["pc-2"].xp == 0


async def test_award_xp_enough_for_two_levels_at_once() -> None:
    ctx = _ctx()
    result = await run(ctx, "!award_xp @Mira 900")
    assert [u["level"] for u in result.level_ups] == [2, 3] and ctx.state.characters["pc-2"].level == 3


async def test_award_xp_bad_arguments() -> None:
    with pytest.raises(BadArguments, match="whole number"):
        await run(_ctx(), "!award_xp party lots")
    with pytest.raises(BadArguments, match="at least 1"):
        await run(_ctx(), "!award_xp party 0")
    with pytest.raises(CommandError, match="not plausible"):
        await run(_ctx(), "!award_xp party 999999")


# --- !advance_plot -----------------------------------------------------------------------------------


def _story() -> GameState:
    return GameState(plot_threads={
        "the drowned lantern": PlotThread(name="The Drowned Lantern", progress=("Rumours at the inn",)),
        "smugglers": PlotThread(name="Smugglers", resolved=True),
    }, events={"the tide turns": WorldEvent(name="The tide turns", description="The causeway floods.")})


async def test_advance_plot_without_a_thread_lists_the_open_ones() -> None:
    result = await run(_ctx(_story()), "!advance_plot")
    assert isinstance(result, PlotThreads)
    assert [t["name"] for t in result.threads] == ["The Drowned Lantern"] and result.resolved == 1


async def test_advance_plot_finds_a_thread_by_its_name_with_spaces() -> None:
    ctx = _ctx(_story())
    result = await run(ctx, "!advance_plot the drowned lantern The keeper is found.")
    thread = ctx.state.plot_threads["the drowned lantern"]
    assert thread.progress[-1] == "The keeper is found." and result.applied[0]["kind"] == "plot_advance"
    await run(ctx, '!advance_plot "The Drowned Lantern" resolved The light burns again.')
    assert ctx.state.plot_threads["the drowned lantern"].resolved


async def test_advance_plot_starts_a_new_thread() -> None:
    ctx = _ctx(_story())
    await run(ctx, "!advance_plot Cult A robed figure watches.")
    assert ctx.state.plot_threads["cult"].progress == ("A robed figure watches.",)


async def test_advance_plot_refusals() -> None:
    with pytest.raises(CommandError, match="already resolved"):
        await run(_ctx(_story()), "!advance_plot Smugglers more")
    with pytest.raises(CommandError, match="Nothing new"):
        await run(_ctx(_story()), "!advance_plot the drowned lantern")
    with pytest.raises(BadArguments, match="not closed"):
        await run(_ctx(_story()), '!advance_plot "The Drowned')


# --- !trigger_event ----------------------------------------------------------------------------------


async def test_trigger_a_known_event() -> None:
    ctx = _ctx(_story())
    result = await run(ctx, "!trigger_event the tide turns")
    assert isinstance(result, EventTriggered) and not result.new and result.description == "The causeway floods."
    assert ctx.state.events["the tide turns"].status == "triggered"


async def test_trigger_event_typo_is_refused_with_the_close_name_and_new_records_one() -> None:
    ctx = _ctx(_story())
    with pytest.raises(CommandError, match="did you mean 'The tide turns'"):
        await run(ctx, "!trigger_event the tide turn")
    assert ctx.state.events["the tide turns"].status == "pending"
    result = await run(ctx, "!trigger_event new The tide turn")
    assert result.new and ctx.state.events["the tide turn"].status == "triggered"
    fresh = await run(ctx, "!trigger_event A storm breaks")
    assert fresh.new and ctx.state.events["a storm breaks"].status == "triggered"


async def test_trigger_event_bad_arguments_and_twice() -> None:
    with pytest.raises(BadArguments, match="missing"):
        await run(_ctx(_story()), "!trigger_event")
    ctx = _ctx(_story())
    await run(ctx, "!trigger_event The tide turns")
    with pytest.raises(CommandError, match="already been triggered"):
        await run(ctx, "!trigger_event The tide turns")


# --- !switch_model / !fallback_api -------------------------------------------------------------------


class _VllmControl:
    """Stands in for the VLLMActor's `switch_model` only (restarting vLLM needs a GPU); the router is real."""

    def __init__(self) -> None:
        self.served: list[str] = []

    async def switch_model(self, name: str) -> dict[str, str]:
        self.served.append(name)
        return {"state": "healthy"}


def _services(**kwargs: Any) -> Services:
    router = Router({"embedded": ScriptedBackend([{"narrative": "ok"}], name="embedded")})
    return Services(settings=load_settings(_env_file=None, vllm_port=1), router=router, **kwargs)


async def test_fallback_api_forces_the_real_router_onto_the_apis() -> None:
    services = _services()
    forced = await run(_ctx(services=services), "!fallback_api 45")
    assert isinstance(forced, ServiceDone) and forced.minutes == 45 and "45 minutes" in forced.detail
    assert 44 * 60 < services.router.forced_api_remaining_s <= 45 * 60
    default = await run(_ctx(services=services), "!fallback_api")
    assert default.minutes == 30 and services.router.forced_api_remaining_s <= 30 * 60


async def test_switch_model_checks_the_registry_and_restarts_vllm() -> None:
    vllm = _VllmControl()
    switched = await run(_ctx(services=_services(vllm=vllm)), "!switch_model llama-3.1-8b-awq")
    assert vllm.served == ["hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"]
    assert "AWQ-INT4" in switched.detail
    with pytest.raises(UnknownModel) as unknown:
        await run(_ctx(services=_services(vllm=vllm)), "!switch_model gpt-9")
    assert "Try one of: llama-3.1-8b" in unknown.value.user_message and vllm.served == [vllm.served[0]]
    with pytest.raises(Unavailable, match="vLLM"):  # a router but no vLLM server to restart
        await run(_ctx(services=_services()), "!switch_model llama-3.1-8b")


async def test_model_commands_without_services_or_with_bad_arguments() -> None:
    with pytest.raises(Unavailable, match="model router"):
        await run(_ctx(), "!switch_model llama-3.1-8b")
    with pytest.raises(Unavailable, match="model router"):
        await run(_ctx(), "!fallback_api")
    with pytest.raises(BadArguments):
        await run(_ctx(services=_services()), "!switch_model")
    with pytest.raises(BadArguments, match="1 to 1440"):
        await run(_ctx(services=_services()), "!fallback_api 5000")
    with pytest.raises(BadArguments, match="whole number"):
        await run(_ctx(services=_services()), "!fallback_api soon")
