"""The Dodge action in the pure engine: until the dodger's next turn starts, attacks against them have
disadvantage (if they see the attacker) and their Dexterity saves advantage; lost when incapacitated or at
speed 0 (SRD p. 92)."""

from __future__ import annotations

import pytest

from game.attacks import AttackProfile, make_attack
from game.combat import Combat, Combatant, CombatState, dodge_save_advantage, is_dodging
from game.conditions import keeps_dodge
from game.dice import Advantage
from game.effects import CombatJoin, CombatEntrant, Creature, Dodge, GameState, TurnAdvance
from game.validation import apply_effects

CLUB = AttackProfile(weapon="Club", ability="strength", attack_bonus=4, damage_dice="1d4", damage_bonus=2,
                     damage_type="bludgeoning", ranged=False)  # fmt: skip


def _goblin(cid: str, **kw: object) -> Creature:
    return Creature(**{"id": cid, "name": cid.title(), "hp": 7, "max_hp": 7, "armor_class": 15, "dexterity": 14,
                       **kw})  # type: ignore[arg-type]


def _fight(turn: int = 0, **kw: object) -> GameState:
    order = tuple(Combatant(id=c, name=c.title(), initiative=20 - i) for i, c in enumerate(("a", "b", "c")))
    creatures = {c: _goblin(c, **(kw if c == "a" else {})) for c in ("a", "b", "c")}
    return GameState(creatures=creatures, combat=CombatState(combatants=order, turn_index=turn))


def test_a_dodge_lasts_until_the_dodgers_next_turn_starts() -> None:
    state, (outcome,) = apply_effects(_fight(), [Dodge(actor="a")])
    assert outcome.accepted and outcome.changes["dodging"] == "a" and "Dodge action" in outcome.summary
    assert is_dodging(state.combat, "a") and not is_dodging(state.combat, "b")
    state, _ = apply_effects(state, [TurnAdvance(actor="a"), TurnAdvance(actor="b")])
    assert is_dodging(state.combat, "a")  # b's and c's turns: still dodging
    state, (outcome,) = apply_effects(state, [TurnAdvance(actor="c")])
    assert outcome.accepted and state.combat is not None and state.combat.turn_index == 0
    assert not is_dodging(state.combat, "a")  # a's turn started: the Dodge is over


def test_a_dodge_survives_the_stored_state_and_a_newcomer() -> None:
    state, _ = apply_effects(_fight(), [Dodge(actor="a")])
    state, (joined,) = apply_effects(state, [CombatJoin(combatants=[CombatEntrant(id="d", name="D", hit_points=5,
                                                                                    initiative=1)])])  # fmt: skip
    assert joined.accepted and is_dodging(state.combat, "a")
    again = GameState.from_dict(state.to_dict())
    assert again.combat is not None and again.combat.dodging == ("a",)
    assert Combat.from_state(again.combat).state().dodging == ("a",)


@pytest.mark.parametrize(("state", "effect", "error"), [
    (_fight(turn=1), Dodge(actor="a"), "NotYourTurn"),  # an action on one's own turn only
    (_fight(conditions=("stunned",)), Dodge(actor="a"), "IllegalEffect"),
    (GameState(creatures={"a": _goblin("a")}), Dodge(actor="a"), "NoCombatants"),
    (_fight(), Dodge(actor="nobody"), "UnknownCharacter"),
])  # fmt: skip
def test_a_dodge_is_refused_out_of_turn_incapacitated_or_outside_a_fight(state: GameState, effect: Dodge,
                                                                          error: str) -> None:  # fmt: skip
    after, (outcome,) = apply_effects(state, [effect])
    assert not outcome.accepted and outcome.error == error and after == state


def _mode(**kw: object) -> Advantage:
    return make_attack(CLUB, 1, **kw).mode  # type: ignore[arg-type]


def test_attacks_against_a_dodger_have_disadvantage_while_they_keep_it() -> None:
    assert _mode() is Advantage.NONE
    assert _mode(target_dodging=True) is Advantage.DISADVANTAGE
    assert len(make_attack(CLUB, 1, target_dodging=True).rolls) == 2
    # a dodger who cannot see the attacker gets nothing from it (the advantage stays, not cancelled)
    assert _mode(target_dodging=True, target_conditions=("blinded",)) is Advantage.ADVANTAGE
    assert _mode(target_dodging=True, attacker_conditions=("invisible",)) is Advantage.ADVANTAGE
    assert _mode(target_dodging=True, target_conditions=("grappled",)) is Advantage.NONE  # speed 0: lost
    assert _mode(target_dodging=True, target_exhaustion=5) is Advantage.NONE
    assert _mode(target_dodging=True, circumstances=(Advantage.ADVANTAGE,)) is Advantage.NONE  # they cancel


def test_a_dodger_makes_dexterity_saves_with_advantage() -> None:
    assert dodge_save_advantage(True, "dex") == (Advantage.ADVANTAGE,)
    assert dodge_save_advantage(True, "dexterity", ("prone",)) == (Advantage.ADVANTAGE,)
    assert dodge_save_advantage(True, "wisdom") == () and dodge_save_advantage(False, "dex") == ()
    assert dodge_save_advantage(True, "dex", ("restrained",)) == ()  # speed 0
    assert not keeps_dodge(("unconscious",)) and keeps_dodge(("poisoned",))
