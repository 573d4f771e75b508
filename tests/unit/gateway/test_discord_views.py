"""The creation menus built from the command layer's question data (gateway.discord.views)."""

from __future__ import annotations

import discord

from dm.commands.creation import CreationStep
from dm.commands.creation_flow import Choice, Draft, choices_for, next_step
from gateway.discord.views import MAX_MENUS, CreationView, menu_layout


def _step(step: str, n: int, pick: int = 1, **kw: object) -> CreationStep:
    choices = tuple(Choice(value=f"v{i}", label=f"Choice {i}", description=f"about {i}") for i in range(n))
    return CreationStep(who="Mira", step=step, number=1, question="Which?", choices=choices, pick=pick, **kw)


def test_one_menu_for_up_to_25_choices() -> None:
    layout = menu_layout(_step("race", 9))
    assert len(layout.menus) == 1 and not layout.confirm and layout.form is None
    menu = layout.menus[0]
    assert (menu.min_values, menu.max_values) == (1, 1)
    assert menu.options[0] == ("Choice 0", "v0", "about 0")


def test_more_than_25_choices_split_into_menus_and_multi_picks_need_a_confirm() -> None:
    layout = menu_layout(_step("skills", 30, pick=3))
    assert [len(m.options) for m in layout.menus] == [25, 5]
    assert layout.confirm and all((m.min_values, m.max_values) == (0, 3) for m in layout.menus)
    single = menu_layout(_step("equipment_pick", 60))
    assert [len(m.options) for m in single.menus] == [25, 25, 10] and not single.confirm
    huge = menu_layout(_step("equipment_pick", 500))
    assert len(huge.menus) == MAX_MENUS


def test_a_multi_pick_in_one_menu_asks_for_exactly_that_many() -> None:
    menu = menu_layout(_step("skills", 8, pick=2)).menus[0]
    assert (menu.min_values, menu.max_values) == (2, 2)


def test_typed_steps_get_a_form() -> None:
    name = menu_layout(_step("name", 0, pick=0, free_text=True, example="Sir Bob of Millbrook"))
    assert name.menus == () and name.form is not None and name.form[2] == 64
    scores = menu_layout(_step("scores", 1, free_text=True, example="str 15 dex 14 con 13 int 12 wis 10 cha 8"))
    assert len(scores.menus) == 1 and scores.form is not None and "str 15" in scores.form[1]


def test_long_labels_are_cut_to_discords_100() -> None:
    long = CreationStep(who="Mira", step="equipment", number=1, question="?",
                        choices=(Choice(value="a", label="x" * 150, description="y" * 150),))
    label, value, description = menu_layout(long).menus[0].options[0]
    assert len(label) == 100 and len(description) == 100 and value == "a"


def test_every_real_step_fits_discord() -> None:
    """Walk real drafts: every question's choices become valid menus (≤25 options a menu, picks possible)."""
    for race, klass in (("human", "bard"), ("half-elf", "rogue"), ("dragonborn", "sorcerer"), ("dwarf", "fighter")):
        d = Draft(race=race, subrace_done=True, class_name=klass, method="standard",
                  scores={"strength": 10, "dexterity": 10, "constitution": 10, "intelligence": 10, "wisdom": 10,
                          "charisma": 10})  # fmt: skip
        step = next_step(d)
        assert step is not None
        choices, pick = choices_for(d, step)
        layout = menu_layout(CreationStep(who="M", step=step, number=1, question="?", choices=tuple(choices), pick=pick))
        for menu in layout.menus:
            assert 1 <= len(menu.options) <= 25 and menu.max_values <= len(menu.options)


async def test_the_view_has_menus_buttons_and_stays_within_five_rows() -> None:
    view = CreationView(bot=None, channel=None, player_id=42, step=_step("skills", 30, pick=2), timeout=5)
    kinds = [type(item).__name__ for item in view.children]
    assert kinds.count("_Select") == 2
    labels = [item.label for item in view.children if isinstance(item, discord.ui.Button)]
    assert labels == ["Confirm picks", "Start over", "Cancel"]
    rows = view.to_components()
    assert len(rows) <= 5
    name = CreationView(bot=None, channel=None, player_id=42, step=_step("name", 0, pick=0, free_text=True), timeout=5)
    assert [item.label for item in name.children] == ["Type the name", "Start over", "Cancel"]
