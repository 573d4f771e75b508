"""A short game through the real pipeline for the monitoring tests: a table from `gateway.wiring.open_table` (which
installs the session and database observers) on the real PostgreSQL, a `dm.session.Session`, and a DM turn on a
real `Router` whose first backend times out, so the fallback answers.

    played = await play_with_fallback(keep)     # a command, then three talk messages answered by two DM turns
    played.session, played.table, played.router
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from dm.session import ManualClock, Session
from dm.table import PlayerMessage
from dm.turn import DMTurn
from dm_party import reply, saltmere_party
from gateway.settings import load_settings
from gateway.wiring import open_table
from inference.router import Router, RouterConfig
from inference.scripted import ScriptedBackend

__all__ = ["CAMPAIGN_LABEL", "Played", "play_with_fallback"]

CAMPAIGN_LABEL = "lantern_keep"  # "Lantern Keep", the `keep` fixture's campaign, as a metric label
_ids = itertools.count(910_000)


@dataclass
class Played:
    session: Session
    table: Any
    router: Router
    settings: Any

    async def say(self, author: int, name: str, text: str) -> list[Any]:
        return await self.session.receive(PlayerMessage(self.session.channel_id, next(_ids), author, name, text))


async def play_with_fallback(keep: Any, **settings: Any) -> Played:
    """Brakka's `!roll 1d20`; Brakka talks (one DM turn); Mira, then Brakka talk (a second turn answers both). Each
    turn goes to a router whose "vllm" times out and whose "gemini" answers (both scripted stand-ins)."""
    await saltmere_party(keep)
    router = Router({"vllm": ScriptedBackend([{"error": "timeout"}], name="vllm"),
                     "gemini": ScriptedBackend([reply("Gulls wheel over Saltmere's drowned lantern.")], name="gemini")},
                    RouterConfig(order=("vllm", "gemini")))  # fmt: skip
    config = load_settings(metrics_port=0, **settings)
    table = await open_table(config, keep.db, seed=3, owner_id=1, rules=None, router=router,
                             narrator=DMTurn(router))  # fmt: skip
    played = Played(Session(table, keep.channel, clock=ManualClock()), table, router, config)
    assert (await played.say(31, "bob", "!roll 1d20"))[0].kind == "command_result"
    await played.say(31, "bob", "We ask the harbour master about the lantern.")  # only Brakka is active: a turn
    await played.session.idle()
    await played.say(32, "ann", "Mira studies the tide charts.")  # both are active now: the batch waits for Brakka
    await played.say(31, "bob", "Brakka asks about the tides too.")  # both spoke: a turn answers the two
    await played.session.idle()
    return played
