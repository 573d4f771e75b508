"""Four players and their DM at one console table, on the real PostgreSQL and the real SRD.

Characters are made (one guided, three quick), sheets and inventories shown, skills and saves rolled
with the right modifiers, a fight started with three SRD goblins, attacks in initiative order (an
attack out of turn refused, naming whose turn it is), Fireball cast with a slot spent and a save rolled
per goblin, a potion drunk, a rest taken. Then `lorekeeper campaign state --json`, run as a separate
process, shows exactly the HP, slots, items and conditions the results said — and a fresh table (as
after a restart) loads the very same state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from dm.commands.character import ItemConsumed, Sheet
from dm.commands.combat import AttackDone, CombatStatus, TurnPassed
from dm.commands.creation import CharacterCreated, CreationStep
from dm.commands.dice import RollDone
from dm.commands.spells import SpellCast
from dm.commands.results import Refusal
from dm.state_view import state_view
from dm.table import Table
from game.effects import GameState
from gateway.console import ConsoleGame, player_id_for

PLAYERS = ("mira", "bram", "cel", "dov")


async def said(console: ConsoleGame, player: str, text: str) -> Any:
    lines = await console.say(player, text)
    assert lines, f"no answer to {player}: {text}"
    return console.last_replies[0].result


def state(console: ConsoleGame) -> GameState:
    current = console.table.state_of(console.channel_id)
    assert current is not None
    return current


def cid_of(console: ConsoleGame, player: str) -> str:
    found = state(console).character_of(player_id_for(player))
    assert found is not None
    return found[0]


async def make_party(console: ConsoleGame) -> None:
    step = await said(console, "mira", "!create_character")
    for answer in ("elf", "high elf", "wizard", "standard", "int 15 dex 14 con 13 wis 12 str 10 cha 8",
                   "arcana, history"):  # fmt: skip
        step = await said(console, "mira", answer)  # plain text answers the guided questions
        assert isinstance(step, CreationStep), step
    while isinstance(step, CreationStep) and step.step != "name":
        step = await said(console, "mira", "1")
    created = await said(console, "mira", "Mira")
    assert isinstance(created, CharacterCreated) and created.name == "Mira"
    for player, line in (("bram", '!create_character Bram "hill dwarf" fighter'),
                         ("cel", '!create_character "Cel Tealeaf" halfling rogue pointbuy'),
                         ("dov", "!create_character Dov human cleric roll")):  # fmt: skip
        created = await said(console, player, line)
        assert isinstance(created, CharacterCreated), created


async def test_four_players_play_a_session_and_the_state_survives(console: ConsoleGame, embedded_pg: str) -> None:
    await make_party(console)
    assert len(state(console).characters) == 4

    # sheets, inventories, checks and saves with each character's own modifiers
    sheet = await said(console, "mira", "!my_sheet")
    assert isinstance(sheet, Sheet)
    inventory_lines = await console.say("bram", "!inventory")
    assert console.last_replies[0].kind == "command_result" and "chain mail" in inventory_lines[0].lower()
    perception = await said(console, "mira", "!roll perception")
    mira = state(console).characters[cid_of(console, "mira")]
    assert isinstance(perception, RollDone) and perception.modifier == mira.skill_modifier("perception")
    dex_save = await said(console, "bram", "!roll dex save")
    bram = state(console).characters[cid_of(console, "bram")]
    assert dex_save.modifier == bram.modifier("dexterity") + (bram.proficiency_bonus if "dexterity" in
                                                              bram.proficiencies.saving_throws else 0)  # fmt: skip
    stealth = await said(console, "cel", "!roll stealth adv")
    assert stealth.advantage == "advantage" and len(stealth.roll["rolls"]) == 2
    wis_save = await said(console, "dov", "!save wis 12")
    assert wis_save.dc == 12 and wis_save.success == (wis_save.roll["total"] >= 12)

    # the owner levels the party to 5 (Fireball needs a 3rd-level slot) and hands out potions
    await said(console, "dm", "!award_xp party 6500")
    assert {c.level for c in state(console).characters.values()} == {5}
    await said(console, "dm", "!add_item @Bram potion of healing 2")
    refused = await said(console, "bram", "!add_item @Bram potion of healing 50")
    assert isinstance(refused, Refusal) and "owner" in refused.reason.lower()

    # a fight in initiative order
    started = await said(console, "dm", "!initiative add goblin 3")
    assert isinstance(started, CombatStatus) and len(started.order) == 7
    goblins = [c["id"] for c in started.order if not c["is_player"]]
    current = state(console).combat.combatants[state(console).combat.turn_index]  # type: ignore[union-attr]
    waiting = next(p for p in PLAYERS if cid_of(console, p) != current.id)
    denied = await console.say(waiting, "!attack goblin 1")
    assert console.last_replies[0].kind == "denial" and current.name in denied[0]

    fireball: SpellCast | None = None
    attacks: list[AttackDone] = []
    for _ in range(12):  # at most one round and a bit: every player acts once
        fight = state(console).combat
        if fight is None or (fireball is not None and len(attacks) >= 2):
            break
        now = fight.combatants[fight.turn_index]
        if now.id in goblins:
            passed = await said(console, "dm", "!skip")
            assert isinstance(passed, TurnPassed)
            continue
        player = next(p for p in PLAYERS if cid_of(console, p) == now.id)
        alive = [g for g in goblins if not state(console).creatures[g].dead]
        if player == "mira" and fireball is None and alive:
            names = ", ".join(state(console).creatures[g].name for g in alive)
            fireball = await said(console, "mira", f"!cast fireball on {names}")
            assert isinstance(fireball, SpellCast), fireball
        elif alive and player in ("bram", "cel"):
            attack = await said(console, player, f"!attack {state(console).creatures[alive[0]].name}")
            assert isinstance(attack, AttackDone), attack
            attacks.append(attack)
        await said(console, player, "!next")
    mira = state(console).characters[cid_of(console, "mira")]  # level 5 now: proficiency +3
    assert fireball is not None and fireball.slot_level == 3 and fireball.save_dc == mira.spell_save_dc
    assert len(fireball.targets) == len({t.id for t in fireball.targets}) >= 1
    assert all(t.save_roll is not None for t in fireball.targets)  # one Dexterity save per goblin
    await said(console, "dm", "!end_combat")
    assert state(console).combat is None

    # a potion after a wound, a condition, a short rest
    await said(console, "dm", "!hp @Bram -9")
    potion = await said(console, "bram", "!use_item potion of healing")
    assert isinstance(potion, ItemConsumed), potion
    await said(console, "dm", "!set_condition @Cel poisoned")
    await said(console, "dov", "!rest short")

    # what the results said is what the database holds, read by another process
    expected = state_view("Test Keep", state(console), {player_id_for(p): p for p in PLAYERS})
    env = {k: v for k, v in os.environ.items() if k != "LOG_LEVEL"}
    env["DATABASE_URL"] = embedded_pg
    out = subprocess.run([sys.executable, "-m", "gateway.cli", "campaign", "state", "Test Keep", "--json"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    by_name = {c["name"]: c for c in shown["characters"]}
    assert by_name["Mira"]["spell_slots"]["3"] == {"max": 2, "remaining": 1}
    potions = [i["quantity"] for i in by_name["Bram"]["inventory"] if i["name"].lower() == "potion of healing"]
    assert potions == [1]
    assert by_name["Bram"]["hp"] == potion.hp
    assert by_name["Cel Tealeaf"]["conditions"] == ["poisoned"]
    for goblin in shown["creatures"]:
        hit = [t.hp_after for t in fireball.targets if t.name == goblin["name"]]
        hit += [a.hp_after for a in attacks if a.target == goblin["name"]]
        assert hit and goblin["hp"] == hit[-1]
    for key in ("characters", "creatures", "combat", "location"):
        assert shown[key] == json.loads(json.dumps(expected[key])), key

    # a fresh table, as after a restart, loads the same state
    fresh = Table(store=console.table.store, messages=console.table.messages, rules=console.table.rules)
    assert await fresh.load_state(console.channel_id) == state(console)
