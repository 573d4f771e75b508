"""Items, stacks, attunement and currency (SRD "Equipment", "Magic Items")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from strategies import currencies

from game.equipment import find_armor, find_weapon
from game.errors import ItemNotFound, RulesError
from game.inventory import MAX_ITEM_HEALING, Currency, Inventory, Item, make_item


def test_make_item_uses_srd_weights_and_kinds() -> None:
    assert make_item("Chain Mail").weight == 55 and make_item("chain mail").kind == "armor"
    assert make_item("Shield").kind == "shield" and make_item("Shield").weight == 6
    assert make_item("Longsword").kind == "weapon" and make_item("Longsword").weight == 3
    potion = make_item("Potion of Supreme Healing")
    assert potion.consumable and potion.effect == {"heal": "10d4+20"}
    assert make_item("Mysterious Pebble").weight == 0


def test_srd_weapon_and_armor_rows() -> None:
    rapier = find_weapon("Rapier")
    assert rapier is not None and (rapier.damage, rapier.damage_type, rapier.properties) == ("1d8", "piercing", ("finesse",))
    longbow = find_weapon("longbow")
    assert longbow is not None and longbow.range == (150, 600) and longbow.has("two-handed")
    assert find_weapon("Quarterstaff").versatile_damage == "1d8"  # type: ignore[union-attr]
    plate = find_armor("Plate")
    assert plate is not None and (plate.base_ac, plate.strength, plate.stealth_disadvantage) == (18, 15, True)
    assert find_armor("Leather armor") == find_armor("leather")


def test_stacks_merge_and_split() -> None:
    inv = Inventory()
    inv.add(make_item("Arrows", 20))
    inv.add(make_item("arrows", 5))
    assert len(inv) == 1 and inv.quantity("ARROWS") == 25
    removed = inv.remove("Arrows", 10)
    assert removed.quantity == 10 and inv.quantity("Arrows") == 15
    assert inv.weight == pytest.approx(15 * 0.05)


def test_remove_missing_or_too_many() -> None:
    inv = Inventory()
    with pytest.raises(ItemNotFound):
        inv.remove("Rope")
    inv.add(make_item("Torch", 2))
    with pytest.raises(ItemNotFound, match="only 2"):
        inv.remove("Torch", 3)
    with pytest.raises(RulesError):
        inv.remove("Torch", 0)
    assert inv.quantity("Torch") == 2


def test_equipping_armor_replaces_other_armor() -> None:
    inv = Inventory()
    inv.add(make_item("Leather"))
    inv.add(make_item("Chain mail"))
    inv.equip("Leather")
    inv.equip("Chain mail")
    assert [i.name for i in inv.equipped] == ["Chain mail"]


def _magic(name: str) -> Item:
    return Item(name=name, kind="magic", requires_attunement=True)


def test_attunement_limited_to_three() -> None:
    inv = Inventory()
    for name in ("Ring of Protection", "Cloak of Protection", "Wand of Fireballs", "Staff of Power"):
        inv.add(_magic(name))
    for name in ("Ring of Protection", "Cloak of Protection", "Wand of Fireballs"):
        inv.attune(name)
    with pytest.raises(RulesError, match="no more than 3"):
        inv.attune("Staff of Power")
    inv.end_attunement("Wand of Fireballs")
    assert inv.attune("Staff of Power").attuned
    assert len(inv.attuned) == 3
    inv.add(make_item("Rope, hempen (50 feet)"))
    with pytest.raises(RulesError, match="does not require"):
        inv.attune("Rope, hempen (50 feet)")


def test_items_are_frozen() -> None:
    item = make_item("Dagger")
    with pytest.raises(ValidationError, match="frozen"):
        item.quantity = 5  # type: ignore[misc]


def test_coin_values_and_weight() -> None:
    purse = Currency(pp=1, gp=2, ep=1, sp=3, cp=4)
    assert purse.total_cp == 1000 + 200 + 50 + 30 + 4
    assert purse.value_in("gp") == pytest.approx(12.84)
    assert Currency(gp=50).weight == 1.0  # fifty coins to the pound


def test_conversion() -> None:
    assert Currency(gp=1).convert(1, "gp", "sp") == Currency(sp=10)
    assert Currency(ep=3).convert(3, "ep", "gp") == Currency(ep=1, gp=1)  # 150 cp: one gold, one electrum left
    assert Currency(pp=1).convert(1, "pp", "gp") == Currency(gp=10)
    with pytest.raises(RulesError):
        Currency(cp=5).convert(5, "cp", "gp")
    with pytest.raises(RulesError):
        Currency(gp=1).convert(2, "gp", "sp")
    with pytest.raises(RulesError):
        Currency(gp=1).convert(1, "gp", "dollars")


def test_pay_makes_change() -> None:
    assert Currency(gp=3, cp=5).pay(250) == Currency(sp=5, cp=5)
    assert Currency(pp=1).pay(1) == Currency(gp=9, sp=9, cp=9)
    assert Currency(sp=10).pay(100) == Currency()
    with pytest.raises(RulesError, match="only"):
        Currency(gp=1).pay(101)


@given(currencies, st.integers(min_value=0, max_value=100_000))
@settings(max_examples=200, deadline=None)
def test_property_paying_takes_exactly_the_price(purse: Currency, price: int) -> None:
    if price > purse.total_cp:
        with pytest.raises(RulesError):
            purse.pay(price)
        return
    after = purse.pay(price)
    assert after.total_cp == purse.total_cp - price
    assert min(after.cp, after.sp, after.ep, after.gp, after.pp) >= 0


@given(st.integers(min_value=0, max_value=10**7))
def test_property_from_cp_round_trips(total: int) -> None:
    coins = Currency.from_cp(total)
    assert coins.total_cp == total and coins.cp < 10 and coins.sp < 10 and coins.gp < 10 and coins.ep == 0


def test_character_drinks_a_greater_healing_potion() -> None:
    from game.character import Character
    from game.dice import seeded

    hero = Character(name="Oda", race="Human", class_name="Fighter", hp=1, max_hp=40)
    hero.add_item(make_item("Potion of Greater Healing"))
    with seeded(8):
        used = hero.use_item("potion of greater healing")
    assert used.roll is not None and used.roll["expression"] == "4d4+4"
    assert 8 <= used.roll["total"] <= 20 and hero.hp == 1 + used.roll["total"]
    assert used.remaining == 0 and hero.inventory.find("Potion of Greater Healing") is None
    with pytest.raises(ItemNotFound):
        hero.use_item("potion of greater healing")


def test_the_inventory_module_does_not_import_its_owner() -> None:
    import ast
    import inspect

    import game.inventory

    tree = ast.parse(inspect.getsource(game.inventory))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "game.character" not in imported


@pytest.mark.parametrize("heal", ["2d4+2", "10d4+20", "4d4+4", f"{MAX_ITEM_HEALING}"])
def test_a_consumable_may_heal_a_plausible_amount(heal: str) -> None:
    item = make_item("Strange draught", kind="consumable", consumable=True, effect={"heal": heal})
    assert item.effect["heal"] == heal


@pytest.mark.parametrize(
    ("heal", "fragment"),
    [
        ("2d4+48767", "at most"),  # a "2d4+2" potion that heals 48,769
        (f"{MAX_ITEM_HEALING + 1}", "at most"),
        ("1d4-10", "negative"),
        ("4d6kh3", "plain sums"),
        ("fish", "didn't expect"),
    ],
)
def test_a_consumable_that_heals_an_absurd_amount_is_refused(heal: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        make_item("Strange draught", kind="consumable", consumable=True, effect={"heal": heal})
    with pytest.raises(ValidationError, match=fragment):
        Item.model_validate({"name": "Strange draught", "consumable": True, "effect": {"heal": heal}})
