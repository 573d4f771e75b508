"""Guided character creation through the bot's menus, against the Discord stand-in (gateway.discord.views):
a character made by clicks and a typed name (saved in the database), another player's click refused
privately, and a menu left alone abandoning the creation.
"""

from __future__ import annotations

from typing import Any

from discord_bot_fixture import CHANNEL, TAVERN, BotRig, discord_bot  # noqa: F401 - the fixture
from discord_standin import text_of
from gateway.discord.views import NOT_YOURS


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


async def test_a_character_made_through_the_menus_is_saved(discord_bot: BotRig) -> None:
    rig = discord_bot
    user = rig.user("menu_mira")
    await rig.answer(CHANNEL, "menu_mira", "!create_character")
    for _ in range(15):  # race, class, method, scores, skills, equipment...: each a menu pick
        message = menu_message(rig, CHANNEL)
        if not any(c["type"] == 3 for c in components(message)):
            break
        await choose_first(rig, CHANNEL, "menu_mira")
    message = menu_message(rig, CHANNEL)
    assert "name" in text_of(message).lower(), text_of(message)
    form = next(c for c in components(message) if c["type"] == 2 and c.get("label") == "Type the name")
    iid = await click(rig, CHANNEL, "menu_mira", message, form)
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the form")
    modal = rig.standin.callbacks[iid][0]
    assert modal["type"] == 9, modal
    field = components(modal["data"])[0]
    count = len(rig.standin.sent(CHANNEL))
    await rig.standin.interaction(CHANNEL, user, {"custom_id": modal["data"]["custom_id"], "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": "Menuella Brightwater"}]}]},
        kind=5, message=dict(message))  # fmt: skip
    made = await rig.standin.wait_until(
        lambda: [m for m in rig.standin.sent(CHANNEL)[count:] if "Menuella Brightwater" in text_of(m)],
        what="the character made")  # fmt: skip
    assert made
    row = await rig.db.fetch_one("SELECT name, player_id FROM characters WHERE name = %s", ("Menuella Brightwater",))
    assert row is not None and int(row["player_id"]) == int(user["id"])
    menu = rig.standin._find(CHANNEL, int(message["id"]))  # noqa: SLF001
    assert menu is not None and all(c.get("disabled") for c in components(menu))
    assert not rig.standin.unknown


async def test_another_players_click_is_refused_privately_and_changes_nothing(discord_bot: BotRig) -> None:
    rig = discord_bot
    await rig.answer(TAVERN, "menu_bram", "!create_character")
    message = menu_message(rig, TAVERN)
    select = next(c for c in components(message) if c["type"] == 3)
    iid = await click(rig, TAVERN, "menu_snoop", message, select, [select["options"][0]["value"]])
    await rig.standin.wait_until(lambda: rig.standin.callbacks.get(iid), what="the refusal")
    refusal = rig.standin.callbacks[iid][0]
    assert refusal["type"] == 4 and refusal["data"]["flags"] & 64 and refusal["data"]["content"] == NOT_YOURS
    await rig.settle(0.3)
    now = rig.standin._find(TAVERN, int(message["id"]))  # noqa: SLF001
    assert now is not None and now.get("edited_timestamp") == message.get("edited_timestamp")
    assert NOT_YOURS not in "".join(text_of(m) for m in rig.standin.sent(TAVERN))
    # Bram's own click still answers the same question
    await choose_first(rig, TAVERN, "menu_bram")
    assert "step 2" in text_of(menu_message(rig, TAVERN)).lower()
    await rig.answer(TAVERN, "menu_bram", "!create_character cancel")


async def test_a_menu_left_alone_abandons_the_creation(discord_bot: BotRig) -> None:
    rig = discord_bot
    rig.bot.creation_timeout_s = 0.6
    try:
        await rig.answer(TAVERN, "menu_idle", "!create_character")
        message = menu_message(rig, TAVERN)
        count = len(rig.standin.sent(TAVERN))
        said = await rig.standin.wait_until(
            lambda: [m for m in rig.standin.sent(TAVERN)[count:] if "cancelled" in text_of(m).lower()], timeout=5,
            what="the creation abandoned")  # fmt: skip
        assert said
        now = rig.standin._find(TAVERN, int(message["id"]))  # noqa: SLF001
        assert now is not None and all(c.get("disabled") for c in components(now))
        assert "timed out" in text_of(now)
    finally:
        del rig.bot.creation_timeout_s
    after = await rig.answer(TAVERN, "menu_idle", "!choose 1")
    assert "not creating" in text_of(after[0]).lower()


async def test_a_typed_answer_moves_on_and_retires_the_old_menu(discord_bot: BotRig) -> None:
    rig = discord_bot
    await rig.answer(CHANNEL, "menu_typist", "!create_character")
    first = menu_message(rig, CHANNEL)
    await rig.answer(CHANNEL, "menu_typist", "elf")  # plain text answers a creation in progress
    second = menu_message(rig, CHANNEL)
    assert second["id"] != first["id"] and "step 2" in text_of(second).lower()
    old = rig.standin._find(CHANNEL, int(first["id"]))  # noqa: SLF001
    assert old is not None and all(c.get("disabled") for c in components(old))
    await rig.answer(CHANNEL, "menu_typist", "!create_character cancel")
    now = rig.standin._find(CHANNEL, int(second["id"]))  # noqa: SLF001
    assert now is not None and all(c.get("disabled") for c in components(now))

