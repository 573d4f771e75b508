"""Driving the bot's creation menus (gateway.discord.views) from a test, as a player clicking them would.

    message = await create_through_menus(rig, CHANNEL, "mira", "Ayla")   # first option of every menu, then the name

`rig` is a `discord_bot_fixture.BotRig`; messages are the stand-in's dicts.
"""

from __future__ import annotations

from typing import Any

from discord_bot_fixture import BotRig
from discord_standin import text_of

__all__ = ["answered", "choose_first", "click", "components", "create_through_menus", "menu_message"]


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's components, action rows flattened."""
    out = []
    for row in message.get("components") or []:
        out.extend(row.get("components") or [row])
    return out


def menu_message(rig: BotRig, channel: int) -> dict[str, Any]:
    """The newest bot message in `channel` with live components."""
    found = [m for m in rig.standin.sent(channel) if any(not c.get("disabled") for c in components(m))]
    assert found, [text_of(m) for m in rig.standin.sent(channel)]
    return found[-1]


async def click(rig: BotRig, channel: int, who: str, message: dict[str, Any], component: dict[str, Any],
                values: list[str] | None = None) -> int:  # fmt: skip
    data: dict[str, Any] = {"custom_id": component["custom_id"], "component_type": component["type"]}
    if values is not None:
        data["values"] = values
    return await rig.standin.interaction(channel, rig.user(who), data, kind=3, message=dict(message))


async def answered(rig: BotRig, iid: int, message: dict[str, Any], channel: int) -> None:
    """Wait until the bot answered interaction `iid`: the menu edited, or a new message posted."""
    edited, count = message.get("edited_timestamp"), len(rig.standin.sent(channel))
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the interaction's callback")

    def moved() -> bool:
        now = next((m for m in rig.standin.history[channel] if m["id"] == message["id"]), {})
        return now.get("edited_timestamp") != edited or len(rig.standin.sent(channel)) > count

    await rig.standin.wait_until(moved, what="the menu to move on")
    await rig.settle(0.1)  # the stand-in shows the edit before the bot has its answer (and the new menu's ids)


async def choose_first(rig: BotRig, channel: int, who: str) -> dict[str, Any]:
    """Answer the current menu with its first option(s) (as many as it asks for); returns the menu used."""
    message = menu_message(rig, channel)
    select = next(c for c in components(message) if c["type"] == 3)
    values = [o["value"] for o in select["options"][: max(1, select.get("min_values", 1))]]
    iid = await click(rig, channel, who, message, select, values)
    await answered(rig, iid, message, channel)
    return message


async def create_through_menus(rig: BotRig, channel: int, who: str, name: str, steps: int = 15) -> dict[str, Any]:
    """`!create_character`, the first option of each menu, then `name` in the form; returns the menu message
    once the character is made (AssertionError if it is not)."""
    user = rig.user(who)
    await rig.answer(channel, who, "!create_character")
    for _ in range(steps):  # race, class, method, scores, skills, equipment...: each a menu pick
        message = menu_message(rig, channel)
        if not any(c["type"] == 3 for c in components(message)):
            break
        await choose_first(rig, channel, who)
    message = menu_message(rig, channel)
    assert "name" in text_of(message).lower(), text_of(message)
    form = next(c for c in components(message) if c["type"] == 2 and c.get("label") == "Type the name")
    iid = await click(rig, channel, who, message, form)
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the form")
    modal = rig.standin.callbacks[iid][0]
    assert modal["type"] == 9, modal
    field = components(modal["data"])[0]
    count = len(rig.standin.sent(channel))
    await rig.standin.interaction(channel, user, {"custom_id": modal["data"]["custom_id"], "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": name}]}]},
        kind=5, message=dict(message))  # fmt: skip
    await rig.standin.wait_until(lambda: [m for m in rig.standin.sent(channel)[count:] if name in text_of(m)],
                                 what="the character made")  # fmt: skip
    return message
