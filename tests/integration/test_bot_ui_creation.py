"""Guided character creation through the bot's menus, against the Discord stand-in (gateway.discord.views):
a character made by clicks and a typed name (saved in the database), another player's click refused
privately, and a menu left alone abandoning the creation.
"""

from __future__ import annotations

from discord_bot_fixture import CHANNEL, TAVERN, BotRig, discord_bot  # noqa: F401 - the fixture
from discord_standin import text_of
from discord_ui_helpers import choose_first, click, components, create_through_menus, menu_message
from gateway.discord.views import NOT_YOURS


async def test_a_character_made_through_the_menus_is_saved(discord_bot: BotRig) -> None:
    rig = discord_bot
    user = rig.user("menu_mira")
    message = await create_through_menus(rig, CHANNEL, "menu_mira", "Menuella Brightwater")
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

