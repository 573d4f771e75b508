"""Guided character creation with select menus and buttons, driven by the command layer's question data.

`!create_character` answers with a `CreationStep` (a question, its `Choice`s, how many to pick, whether typed
text is accepted); the bot's `send_replies` asks `post_reply` here first, and a step for a known player is
posted with a `CreationView`: one select menu per 25 choices (Discord's limit; up to four), a button that
opens a form for the typed steps (scores, the name), and Start over / Cancel. A pick is sent through the
channel's session as that player's own `!choose ANSWER` (the interaction id is the message id, so the
table's exactly-once log and the saved state behave as for a typed answer); the answer's next step replaces
the menu in the same message, anything else (the character made, a cancel) is posted as usual.

Only the player who started it may answer: anyone else gets a private "this isn't your sheet" and nothing
changes. A menu left alone for `TIMEOUT_S` is abandoned: its components are disabled, the creation is
cancelled through the command layer (`!create_character cancel`) and the channel is told. A newer menu for
the same player (they typed an answer instead) retires the older one.

`menu_layout(step)` is the pure part (what the menu offers), tested without Discord.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord

from dm.commands.creation import CharacterCreated, CreationStep
from dm.commands.creation_flow import Choice
from dm.commands.results import Info
from dm.table import PlayerMessage, TableReply

__all__ = ["MAX_MENUS", "TIMEOUT_S", "CreationView", "Layout", "Menu", "active_view", "menu_layout", "post_reply"]

log = logging.getLogger(__name__)

TIMEOUT_S = 15 * 60.0  # a menu left alone this long abandons the creation
MAX_OPTIONS = 25  # Discord: options in one select menu
MAX_MENUS = 4  # four menu rows, the fifth holds the buttons
NOT_YOURS = ("This isn't your sheet: only the player who started it can answer. "
             "Start your own with !create_character.")
_FREE_TEXT = {"name": ("Your character's name", "Sir Bob of Millbrook", 64),
              "scores": ("Scores: STR DEX CON INT WIS CHA", "str 15 dex 14 con 13 int 12 wis 10 cha 8", 80)}  # fmt: skip



def _clip(text: str, size: int = 100) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass(frozen=True)
class Menu:
    """One select menu: its options as (label, value, description), and how many to pick in it."""

    options: tuple[tuple[str, str, str], ...]
    min_values: int
    max_values: int
    placeholder: str


@dataclass(frozen=True)
class Layout:
    """What a step's view offers: menus, whether picks need a Confirm, the typed-answer form, the buttons."""

    menus: tuple[Menu, ...]
    confirm: bool = False  # a multi-pick spread over several menus: the picks are sent with a button
    form: tuple[str, str, int] | None = None  # (label, placeholder, max length) of the typed answer
    buttons: tuple[str, ...] = ("restart", "cancel")


def _option(choice: Choice) -> tuple[str, str, str]:
    return _clip(choice.label), _clip(choice.value), _clip(choice.description)


def menu_layout(step: CreationStep) -> Layout:
    """The menus and buttons for `step` (the choices split 25 to a menu, at most `MAX_MENUS` menus)."""
    choices = list(step.choices)[: MAX_OPTIONS * MAX_MENUS]
    chunks = [choices[i : i + MAX_OPTIONS] for i in range(0, len(choices), MAX_OPTIONS)]
    pick = max(1, step.pick)
    split = len(chunks) > 1 and pick > 1
    menus = []
    for n, chunk in enumerate(chunks, start=1):
        what = "Choose one" if pick == 1 else f"Choose {pick}"
        if len(chunks) > 1:
            what += f" ({chunk[0].label[:20]} … {chunk[-1].label[:20]})"
        low, high = (0, min(pick, len(chunk))) if split else (min(pick, len(chunk)), min(pick, len(chunk)))
        menus.append(Menu(tuple(_option(c) for c in chunk), low, high, _clip(what, 150)))
    form = _FREE_TEXT.get(step.step) if step.free_text else None
    if form is not None and step.example:
        form = (form[0], _clip(step.example), form[2])
    return Layout(tuple(menus), confirm=split, form=form)


def _answer(values: list[str]) -> str:
    return ", ".join(dict.fromkeys(values))


# --- the view ----------------------------------------------------------------------------------------


class _Select(discord.ui.Select["CreationView"]):
    def __init__(self, menu: Menu, row: int) -> None:
        options = [discord.SelectOption(label=label, value=value, description=desc or None)
                   for label, value, desc in menu.options]  # fmt: skip
        super().__init__(placeholder=menu.placeholder, options=options, min_values=menu.min_values,
                         max_values=menu.max_values, row=row)  # fmt: skip

    async def callback(self, interaction: discord.Interaction) -> None:
        view = self.view
        assert view is not None
        if view.layout.confirm:
            view.picked[self.row or 0] = list(self.values)
            await interaction.response.defer()
            return
        await view.submit(interaction, f"!choose {_answer(list(self.values))}")


class _Button(discord.ui.Button["CreationView"]):
    def __init__(self, action: str, label: str, style: discord.ButtonStyle) -> None:
        super().__init__(label=label, style=style, row=4)
        self.action = action

    async def callback(self, interaction: discord.Interaction) -> None:
        view = self.view
        assert view is not None
        if self.action == "form":
            await interaction.response.send_modal(_AnswerForm(view))
        elif self.action == "confirm":
            picked = [v for values in view.picked.values() for v in values]
            await view.submit(interaction, f"!choose {_answer(picked)}")
        else:
            await view.submit(interaction, f"!create_character {self.action}")


class _AnswerForm(discord.ui.Modal):
    def __init__(self, view: CreationView) -> None:
        super().__init__(title=_clip(view.step.question, 45))
        label, placeholder, size = view.layout.form or ("Your answer", "", 100)
        self.view = view
        self.answer: discord.ui.TextInput[_AnswerForm] = discord.ui.TextInput(
            label=_clip(label, 45), placeholder=placeholder, max_length=size)
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.view.submit(interaction, f"!choose {self.answer.value}")


class CreationView(discord.ui.View):
    """The menu for one `CreationStep` of one player's creation (see the module docstring)."""

    def __init__(self, bot: Any, channel: Any, player_id: int, step: CreationStep, *,
                 timeout: float | None = None) -> None:  # fmt: skip
        super().__init__(timeout=timeout if timeout is not None else getattr(bot, "creation_timeout_s", TIMEOUT_S))
        self.bot, self.channel, self.player_id, self.step = bot, channel, player_id, step
        self.layout = menu_layout(step)
        self.message: discord.Message | None = None
        self.picked: dict[int, list[str]] = {}
        self.retired = False
        for row, menu in enumerate(self.layout.menus):
            self.add_item(_Select(menu, row))
        if self.layout.confirm:
            self.add_item(_Button("confirm", "Confirm picks", discord.ButtonStyle.primary))
        if self.layout.form is not None:
            label = "Type the name" if step.step == "name" else "Type my own"
            self.add_item(_Button("form", label, discord.ButtonStyle.primary))
        self.add_item(_Button("restart", "Start over", discord.ButtonStyle.secondary))
        self.add_item(_Button("cancel", "Cancel", discord.ButtonStyle.danger))

    @property
    def key(self) -> tuple[int, int]:
        return (getattr(self.channel, "id", 0), self.player_id)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.player_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    async def submit(self, interaction: discord.Interaction, text: str) -> None:
        """`text` through the channel's session as this player's message; the answer shown."""
        if not interaction.response.is_done():
            await interaction.response.defer()
        name = getattr(interaction.user, "display_name", None) or interaction.user.name
        message = PlayerMessage(self.key[0], interaction.id, self.player_id, str(name), text)
        try:
            replies = await self.bot.hub.receive(message)
        except Exception:  # noqa: BLE001 - the bot's own intake says the same for a typed answer
            log.exception("a creation answer failed", extra={"channel_id": self.key[0]})
            await interaction.followup.send("Something went wrong; nothing was changed. Try again.", ephemeral=True)
            return
        await self.show(replies)

    async def show(self, replies: list[TableReply]) -> None:
        """The next step in this message with a fresh menu; anything else posted as usual, this menu retired."""
        first = replies[0] if replies else None
        step = first.result if first is not None else None
        if isinstance(step, CreationStep) and self.message is not None:
            nxt = CreationView(self.bot, self.channel, self.player_id, step, timeout=self.timeout)
            nxt.message = self.message
            self._handover(nxt)
            await _edit(self.message, first, nxt)  # type: ignore[arg-type]
            replies = replies[1:]
        else:
            await self.retire()
        if replies:
            await self.bot.send_replies(self.channel, replies)

    def _handover(self, nxt: CreationView) -> None:
        self.retired = True
        self.stop()
        _live(self.bot)[self.key] = nxt

    async def retire(self, note: str = "") -> None:
        """Stop answering: components disabled (and `note` added to the question)."""
        self.retired = True
        self.stop()
        if _live(self.bot).get(self.key) is self:
            del _live(self.bot)[self.key]
        for item in self.children:
            item.disabled = True  # type: ignore[attr-defined]
        if self.message is None:
            return
        try:
            content = self.message.content or ""
            await self.message.edit(content=f"{content}\n{note}".strip()[:2000] if note else discord.utils.MISSING,
                                    view=self)  # fmt: skip
        except discord.HTTPException as exc:  # the message was deleted: nothing left to disable
            log.info("could not disable a creation menu", extra={"status": exc.status})

    async def on_timeout(self) -> None:
        if self.retired or _live(self.bot).get(self.key) is not self:
            return
        await self.retire("(This menu timed out: the character creation was abandoned and nothing was saved.)")
        # keyed by the menu's own message id: unique, and older than what players said since, so the catch-up
        # after a reconnect (history after the newest recorded player message) skips nothing said meanwhile
        key = self.message.id if self.message is not None else discord.utils.time_snowflake(discord.utils.utcnow())
        cancel = PlayerMessage(self.key[0], key, self.player_id, self.step.who, "!create_character cancel")
        try:
            replies = await self.bot.hub.receive(cancel)
        except Exception:  # noqa: BLE001 - the draft lives in memory: a restart forgets it anyway
            log.exception("cancelling a timed-out creation failed", extra={"channel_id": self.key[0]})
            return
        if replies:
            await self.bot.send_replies(self.channel, replies)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        log.error("creation menu failed", exc_info=error)


def _parts(bot_reply: TableReply) -> tuple[str, list[discord.Embed]]:
    from gateway.discord.bot import reply_parts

    parts = reply_parts(bot_reply)
    content = "\n\n".join(p.content for p in parts if getattr(p, "content", ""))
    embeds = [e for p in parts for e in (getattr(p, "embeds", ()) or ())][:10]
    return content[:2000], embeds


async def _edit(message: discord.Message, reply: TableReply, view: CreationView) -> None:
    content, embeds = _parts(reply)
    await message.edit(content=content or None, embeds=embeds, view=view)


def _live(bot: Any) -> dict[tuple[int, int], CreationView]:
    """The bot's live menus, (channel, player) → view (kept on the bot: one table per bot)."""
    found = getattr(bot, "_creation_views", None)
    if found is None:
        found = {}
        if bot is not None:
            bot._creation_views = found  # noqa: SLF001
    return found


def active_view(bot: Any, channel_id: int, player_id: int) -> CreationView | None:
    """The live creation menu of `player_id` in `channel_id`, if any."""
    return _live(bot).get((channel_id, player_id))


async def post_reply(bot: Any, channel: Any, reply: TableReply, origin: Any) -> bool:
    """The bot's hook: a creation step for a known player is posted with its menu (True); the end of a
    creation retires that player's menu and lets the default posting show the result (False)."""
    player = getattr(getattr(origin, "author", None), "id", None)
    if player is None:
        return False
    key = (getattr(channel, "id", 0), int(player))
    result = reply.result
    old = _live(bot).get(key)
    if not isinstance(result, CreationStep):
        ended = isinstance(result, CharacterCreated) or (isinstance(result, Info) and "cancelled" in result.title)
        if old is not None and ended:
            await old.retire()
        return False
    view = CreationView(bot, channel, int(player), result)
    content, embeds = _parts(reply)
    view.message = await channel.send(content=content or None, embeds=embeds, view=view)
    if old is not None:
        await old.retire()
    _live(bot)[key] = view
    return True
