"""A short session played through the Discord bot's real handlers (discord.py against the Discord stand-in),
on the real PostgreSQL and SRD, with the scripted model.

Two players: Mira makes her character through the creation menus (select menus, then the name typed in a
form), Bram in one line. They explore (a batch: one DM turn answers both), the owner starts a fight with a goblin,
a player acting out of turn is denied, a mid-combat question is answered and changes nothing, the player
whose turn it is attacks, the owner ends the fight; Mira whispers to the DM (answered by direct message, kept
out of the channel and out of the next public turn's prompt); Bram is wounded and takes a long rest. Then the
database holds what was said: read back by `PlayStateRepository` on a fresh connection.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from discord_bot_fixture import CHANNEL, NARRATION, BotRig, bot_rig, narration  # noqa: E402
from discord_standin import OWNER_ID, text_of  # noqa: E402
from dm.combat_gate import whose_turn  # noqa: E402
from game.effects import GameState  # noqa: E402
from persistence.messages import MessageLog  # noqa: E402
from persistence.play_state import PlayStateRepository  # noqa: E402

SECRET = "the glass eye from the drowned shrine"
QUESTION = "How far away is the goblin?"


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for row in message.get("components") or []:
        out.extend(row.get("components") or [row])
    return out


def live_menu(rig: BotRig) -> dict[str, Any]:
    found = [m for m in rig.standin.sent(CHANNEL) if any(not c.get("disabled") for c in components(m))]
    assert found, [text_of(m) for m in rig.standin.sent(CHANNEL)][-3:]
    return found[-1]


async def pick(rig: BotRig, who: str, message: dict[str, Any], component: dict[str, Any],
               values: list[str] | None = None) -> int:  # fmt: skip
    data: dict[str, Any] = {"custom_id": component["custom_id"], "component_type": component["type"]}
    if values is not None:
        data["values"] = values
    return await rig.standin.interaction(CHANNEL, rig.user(who), data, kind=3, message=dict(message))


async def menu_step(rig: BotRig, who: str) -> bool:
    """Answer the live menu's select with its first option(s); False when the menu has no select left."""
    message = live_menu(rig)
    select = next((c for c in components(message) if c["type"] == 3), None)
    if select is None:
        return False
    edited, count = message.get("edited_timestamp"), len(rig.standin.sent(CHANNEL))
    iid = await pick(rig, who, message, select, [o["value"] for o in select["options"][: max(1, select.get(
        "min_values", 1))]])  # fmt: skip
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the menu's callback")

    def moved() -> bool:
        now = rig.standin._find(CHANNEL, int(message["id"])) or {}  # noqa: SLF001
        return now.get("edited_timestamp") != edited or len(rig.standin.sent(CHANNEL)) > count

    await rig.standin.wait_until(moved, what="the next question")
    await rig.settle(0.1)
    return True


async def create_by_menus(rig: BotRig, who: str, name: str) -> None:
    await rig.answer(CHANNEL, who, "!create_character")
    for _ in range(20):
        if not await menu_step(rig, who):
            break
    message = live_menu(rig)
    form = next(c for c in components(message) if c["type"] == 2 and "name" in (c.get("label") or "").lower())
    iid = await pick(rig, who, message, form)
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the name form")
    modal = rig.standin.callbacks[iid][0]
    field = components(modal["data"])[0]
    await rig.standin.interaction(CHANNEL, rig.user(who), {"custom_id": modal["data"]["custom_id"], "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": name}]}]},
        kind=5, message=dict(message))  # fmt: skip
    await rig.standin.wait_until(lambda: any(name in text_of(m) for m in rig.standin.sent(CHANNEL)),
                                 what=f"{name} made")  # fmt: skip


def state_now(rig: BotRig) -> GameState:
    state = rig.bot.table.state_of(CHANNEL)
    assert state is not None
    return state


def player_of(rig: BotRig, state: GameState, combatant_id: str) -> str:
    character = state.characters[combatant_id]
    return next(n for n in ("mira", "bram") if int(rig.user(n)["id"]) == character.player_id)


def narrations(rig: BotRig) -> list[dict[str, Any]]:
    return [m for m in rig.standin.sent(CHANNEL) if NARRATION in text_of(m)]


async def test_a_discord_session_through_the_bot(db: Any, rules: Any) -> None:
    async with bot_rig(db, rules=rules, script=[narration()]) as rig:
        standin = rig.standin
        # two characters: one through the menus, one in a line
        await create_by_menus(rig, "mira", "Mira Vale")
        made = await rig.answer(CHANNEL, "bram", '!create_character Bram "hill dwarf" fighter')
        assert "Bram" in text_of(made[0])
        assert sorted(c.name for c in state_now(rig).characters.values()) == ["Bram", "Mira Vale"]

        # exploration: Mira alone first (the only player at the table yet, so answered at once); then both
        # speak and one DM turn answers both (the batch closes when every active player has spoken)
        told = len(narrations(rig))
        await rig.say(CHANNEL, "mira", "I step through the broken doors of the chapel.")
        await standin.wait_until(lambda: len(narrations(rig)) > told, what="the first narration")
        told, asked = len(narrations(rig)), len(rig.backend.requests)
        await rig.say(CHANNEL, "bram", "I test the rotten pews with the haft of my axe.")
        await rig.say(CHANNEL, "mira", "I hold the lantern high and study the flooded nave.")
        await standin.wait_until(lambda: len(narrations(rig)) > told, what="the batch's narration")
        await rig.settle(0.6)
        assert len(narrations(rig)) == told + 1
        prompt = " ".join(m["content"] for m in rig.backend.requests[asked].messages)
        assert "flooded nave" in prompt and "rotten pews" in prompt

        # a fight: the owner adds a goblin; the DM runs the goblin's turns until a player's turn comes
        await rig.answer(CHANNEL, "owner", "!initiative add goblin 1")
        await standin.wait_until(lambda: (t := whose_turn(state_now(rig))) is not None and not t.is_creature,
                                 timeout=20, what="a player's turn")  # fmt: skip
        await rig.settle(0.8)  # the goblin's turn is told (its narration) before the next message
        fight = state_now(rig)
        current = whose_turn(fight)
        assert current is not None
        acting = player_of(rig, fight, current.id)
        waiting = "bram" if acting == "mira" else "mira"
        count = len(standin.sent(CHANNEL))
        await rig.say(CHANNEL, waiting, "I charge the goblin and swing!")
        denied = await standin.wait_until(lambda: [m for m in standin.sent(CHANNEL)[count:]
                                                   if "Nothing happened" in text_of(m)], what="the denial")  # fmt: skip
        assert current.name in text_of(denied[0])
        before = state_now(rig)
        answered = await rig.answer(CHANNEL, waiting, QUESTION)  # streamed: a draft, then edited to the answer
        await standin.wait_until(lambda: NARRATION in text_of(standin._find(CHANNEL, int(answered[0]["id"])) or {}),
                                 what="the answer to the question")  # noqa: SLF001  # fmt: skip
        assert state_now(rig) == before  # a question changes nothing and uses no turn
        attacked = await rig.answer(CHANNEL, acting, "!attack goblin")
        assert "goblin" in text_of(attacked[0]).lower()
        await rig.answer(CHANNEL, "owner", "!end_combat")
        assert state_now(rig).combat is None

        # a whisper: answered by direct message, nothing of it in the channel or in the next public turn
        mira_id = int(rig.user("mira")["id"])
        in_channel = len(standin.sent(CHANNEL))
        await rig.say(CHANNEL, "mira", f"!whisper I pocket {SECRET} while nobody looks")
        await standin.wait_until(lambda: standin.dms(mira_id), what="the whisper's private answer")
        await rig.settle(0.3)
        assert len(standin.sent(CHANNEL)) == in_channel
        assert not any(SECRET in text_of(m) for m in standin.history[CHANNEL] if m["author"]["id"] != str(mira_id))
        asked = len(rig.backend.requests)
        await rig.say(CHANNEL, "bram", "I wring out my beard and look for another way down.")
        await standin.wait_until(lambda: len(rig.backend.requests) > asked, what="the next public turn")
        await standin.wait_until(lambda: len(standin.sent(CHANNEL)) > in_channel, what="its narration")
        assert all(SECRET not in m["content"] for r in rig.backend.requests[asked:] for m in r.messages)

        # a wound and a long rest
        await rig.answer(CHANNEL, "owner", "!hp @Bram -4")
        rested = await rig.answer(CHANNEL, "bram", "!rest long")
        assert "long rest" in text_of(rested[0]).lower()
        final = state_now(rig)
        campaign = rig.campaigns["Bot Keep"]
        assert not standin.unknown

    # the database holds it, read afresh
    loaded = await PlayStateRepository(db).load(campaign.id)
    stored = GameState.from_dict(loaded.state)
    assert stored == final
    by_name = {c.name: c for c in stored.characters.values()}
    assert set(by_name) == {"Mira Vale", "Bram"}
    assert by_name["Bram"].hp == by_name["Bram"].max_hp  # the rest healed the wound
    assert by_name["Mira Vale"].player_id == mira_id and by_name["Bram"].player_id != OWNER_ID
    assert stored.combat is None and any(c.name.lower().startswith("goblin") for c in stored.creatures.values())
    assert await MessageLog(db).pending(CHANNEL) == []  # every message answered
