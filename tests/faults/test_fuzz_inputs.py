"""Fuzzed dice expressions and commands: a clear error or an answer, never a crash, and a refusal changes
nothing. Pure parsers with Hypothesis directly; the real Table (real PostgreSQL, real SRD) through
`given_async`, derandomized so every run plays the same examples."""

from __future__ import annotations

import time
from typing import Any

import pytest
from faults.fault_helpers import given_async, record_output
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dm.commands import load_all
from dm.commands.registry import REGISTRY, parse_invocation
from dm.commands.results import Refusal
from dm.errors import CommandError
from game.dice import roll
from game.errors import DiceError
from strategies import dice_expressions

load_all()
NAMES = sorted({s.name for s in REGISTRY.all()} - {"new_campaign", "load_campaign", "switch_model"})
HOSTILE_DICE = ["", " ", "d", "1d", "d20d20d20", "1d0", "0d6", "-1d6", "1d-6", "99999999999d6", "1d99999999999",
                "1000d1000", "(" * 300 + "1d6" + ")" * 300, "1d20" + "+1d20" * 400, "9" * 500, "1d6/0", "1d6%0",
                "1d20 advantage disadvantage", "2d6 advantage", "1d20kh99999", "1d20ro<99", "1d1e1d1", "1e308d6",
                "nan", "inf", "1d6;DROP TABLE x", "\x00", "🎲d20", "1d20\n1d20", "{1d6,1d8}", "1d2" * 100,
                "1d20mi999999", "4d6k", "1.5d6", "1d6.5", "((1d6)", "1d6)"]


def _roll_or_clear_error(expression: str) -> None:
    started = time.monotonic()
    try:
        result = roll(expression)
    except DiceError as err:
        assert str(err).strip() and "Traceback" not in str(err)
    else:
        assert isinstance(result.total, int)
    assert time.monotonic() - started < 2.0, f"{expression[:40]!r} took too long"


@pytest.mark.parametrize("expression", HOSTILE_DICE, ids=range(len(HOSTILE_DICE)))
def test_hostile_dice_expressions_are_a_clear_error_or_a_roll(expression: str) -> None:
    _roll_or_clear_error(expression)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=80), dice_expressions(),
                 st.builds(lambda a, b: a + b, dice_expressions(), st.text(alphabet="dkhlropmi<>=!+-*/()0123456789 ",
                                                                           max_size=12))))
def test_fuzzed_dice_expressions_are_a_clear_error_or_a_roll(expression: str) -> None:
    _roll_or_clear_error(expression)


_LINES = st.one_of(
    st.text(max_size=120).map(lambda t: "!" + t),
    st.builds(lambda name, rest: f"!{name} {rest}", st.sampled_from(NAMES), st.text(max_size=100)),
    st.builds(lambda name, words: f"!{name} " + " ".join(words), st.sampled_from(NAMES),
              st.lists(st.sampled_from(["@Bram", "@nobody", "<@1>", "<@99999999999999999999999>", "-3", "+0",
                                        "99999999999999999999", "short", "long", "on", "off", '"', "'", "\\",
                                        "potion of healing", "goblin", "1d20", "dex", "15", "\x00", "🐉", "%s",
                                        "{0}", "$(rm -rf /)"]), max_size=6)),
)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(_LINES)
def test_fuzzed_command_lines_parse_or_refuse_clearly(line: str) -> None:
    try:
        parse_invocation(line)
    except CommandError as err:
        assert str(err).strip()


async def test_fuzzed_command_lines_through_the_real_table(console: Any) -> None:
    """Owner and player alike: every line is answered (no crash, no error id); a refusal changes nothing."""
    await console.say("dm", '!create_character Mira "high elf" wizard')
    await console.say("bram", '!create_character Bram "hill dwarf" fighter')
    store = console.table.store
    campaign = await store.campaign_for_channel(console.channel_id)

    async def one(case: tuple[str, str]) -> None:
        player, line = case
        version = await store.version(campaign.id)
        replies = await console.say(player, line)
        record_output("fuzz-commands", "\n".join(replies))
        assert all("error id" not in r for r in replies), (line, replies)
        assert all("Traceback" not in r for r in replies), (line, replies)
        results = [r.result for r in console.last_replies if r.result is not None]
        if results and all(isinstance(r, Refusal) for r in results):
            assert await store.version(campaign.id) == version, (line, replies)

    await given_async(st.tuples(st.sampled_from(["dm", "bram"]), _LINES), one, max_examples=100)
