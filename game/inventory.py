"""Items, currency and the inventory that holds them.

Rules (SRD 5.1 "Equipment", "Magic Items"): coins convert 1 pp = 10 gp = 20 ep = 100 sp = 1,000 cp;
fifty coins weigh a pound; a creature can be attuned to no more than three magic items at a time.
`Item` and `Currency` are frozen values; `Inventory` is mutable and changes only through its verbs.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from game.dice import dice_bounds
from game.equipment import GEAR, find_armor, find_weapon, lookup_key
from game.errors import DiceError, ItemNotFound, RulesError

__all__ = [
    "CONSUMABLE_EFFECTS",
    "COIN_VALUES_CP",
    "MAX_ATTUNED",
    "MAX_ITEM_HEALING",
    "Currency",
    "Inventory",
    "Item",
    "make_item",
]

MAX_ATTUNED: Final = 3
MAX_ITEM_HEALING: Final = 100  # the most one use of an item may heal (a potion of supreme healing: 10d4+20, 60)
COIN_VALUES_CP: Final[dict[str, int]] = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
COINS_PER_POUND: Final = 50
MAX_QUANTITY: Final = 100_000

# What drinking/using a consumable does, by lookup key: {"heal": dice expression}.
# Potions of healing, SRD 5.1 "Magic Items": healing 2d4+2, greater 4d4+4, superior 8d4+8, supreme 10d4+20.
CONSUMABLE_EFFECTS: Final[dict[str, dict[str, str]]] = {
    "potion of healing": {"heal": "2d4+2"},
    "potion of greater healing": {"heal": "4d4+4"},
    "potion of superior healing": {"heal": "8d4+8"},
    "potion of supreme healing": {"heal": "10d4+20"},
}


class Item(BaseModel):
    """A stack of identical items. Weight is per item, in pounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    weight: float = Field(0.0, ge=0)
    kind: str = "gear"  # weapon, armor, shield, consumable, gear, magic
    equipped: bool = False
    attuned: bool = False
    requires_attunement: bool = False
    consumable: bool = False
    effect: dict[str, str] = Field(default_factory=dict)  # e.g. {"heal": "2d4+2"}
    description: str = ""

    @field_validator("effect")
    @classmethod
    def _plausible_healing(cls, effect: dict[str, str]) -> dict[str, str]:
        """A healing expression must be a plain sum that never heals below 0 nor above MAX_ITEM_HEALING."""
        if "heal" in effect:
            try:
                low, high = dice_bounds(effect["heal"])
            except DiceError as err:
                raise ValueError(err.user_message) from err
            if low < 0 or high > MAX_ITEM_HEALING:
                raise ValueError(
                    f"healing `{effect['heal']}` ranges {low} to {high}; an item heals from 0 to at most "
                    f"{MAX_ITEM_HEALING}, never a negative amount."
                )
        return effect

    @property
    def key(self) -> str:
        return lookup_key(self.name)

    @property
    def total_weight(self) -> float:
        return self.weight * self.quantity


def make_item(name: str, quantity: int = 1, **overrides: object) -> Item:
    """An `Item` with the SRD's weight and kind filled in when the name is a known weapon, armor, gear or potion."""
    key = lookup_key(name)
    fields: dict[str, object] = {"name": name, "quantity": quantity}
    weapon, armor = find_weapon(name), find_armor(name)
    if weapon is not None:
        fields.update(name=weapon.name, weight=weapon.weight, kind="weapon")
    elif armor is not None:
        fields.update(name=armor.name, weight=armor.weight, kind="shield" if armor.category == "shield" else "armor")
    elif key in GEAR:
        fields.update(weight=GEAR[key].weight)
    if key in CONSUMABLE_EFFECTS:
        fields.update(kind="consumable", consumable=True, effect=dict(CONSUMABLE_EFFECTS[key]))
    fields.update(overrides)
    return Item.model_validate(fields)


class Currency(BaseModel):
    """Coins by type. A frozen value; arithmetic returns a new `Currency`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cp: int = Field(0, ge=0)
    sp: int = Field(0, ge=0)
    ep: int = Field(0, ge=0)
    gp: int = Field(0, ge=0)
    pp: int = Field(0, ge=0)

    @property
    def total_cp(self) -> int:
        """Total worth in copper pieces."""
        return sum(getattr(self, coin) * value for coin, value in COIN_VALUES_CP.items())

    @property
    def coin_count(self) -> int:
        return self.cp + self.sp + self.ep + self.gp + self.pp

    @property
    def weight(self) -> float:
        """Fifty coins weigh a pound."""
        return self.coin_count / COINS_PER_POUND

    def value_in(self, coin: str) -> float:
        """Total worth expressed in one coin type (`"gp"` → 12.5 for 12 gp 5 sp)."""
        return self.total_cp / COIN_VALUES_CP[_coin(coin)]

    def add(self, other: Currency) -> Currency:
        return Currency(**{c: getattr(self, c) + getattr(other, c) for c in COIN_VALUES_CP})

    @classmethod
    def from_cp(cls, total_cp: int) -> Currency:
        """The fewest coins (pp, gp, sp, cp; never ep) worth `total_cp`."""
        if total_cp < 0:
            raise RulesError("An amount of money cannot be negative.")
        pp, rest = divmod(total_cp, 1000)
        gp, rest = divmod(rest, 100)
        sp, cp = divmod(rest, 10)
        return cls(pp=pp, gp=gp, sp=sp, cp=cp)

    def convert(self, amount: int, source: str, target: str) -> Currency:
        """Exchange `amount` coins of `source` for coins of `target` (any remainder stays in `source` coins).

        Raises:
            RulesError: not enough coins, or the exchange would not give a whole coin.
        """
        source, target = _coin(source), _coin(target)
        if amount <= 0 or getattr(self, source) < amount:
            raise RulesError(f"Not enough {source} to exchange {amount}.")
        value = amount * COIN_VALUES_CP[source]
        got, remainder = divmod(value, COIN_VALUES_CP[target])
        if got == 0:
            raise RulesError(f"{amount} {source} is not worth a whole {target}.")
        spent = amount - remainder // COIN_VALUES_CP[source]
        values = self.model_dump()
        values[source] -= spent
        values[target] += got
        return Currency(**values)

    def pay(self, price_cp: int) -> Currency:
        """Pay `price_cp` copper's worth, spending small coins first and breaking larger ones for change.

        Raises:
            RulesError: the purse is worth less than the price.
        """
        if price_cp < 0:
            raise RulesError("A price cannot be negative.")
        if price_cp > self.total_cp:
            raise RulesError(
                f"That costs {_describe_cp(price_cp)} but only {_describe_cp(self.total_cp)} is in the purse."
            )
        coins = self.model_dump()
        owed = price_cp
        for coin in ("cp", "sp", "ep", "gp", "pp"):  # spend smallest first, whole coins only
            value = COIN_VALUES_CP[coin]
            use = min(coins[coin], owed // value)
            coins[coin] -= use
            owed -= use * value
        if owed:
            # Every coin left is now worth more than what is owed: break the smallest, take change in fewest coins.
            coin = next(c for c in ("cp", "sp", "ep", "gp", "pp") if coins[c] > 0)
            coins[coin] -= 1
            change = Currency.from_cp(COIN_VALUES_CP[coin] - owed)
            for c in COIN_VALUES_CP:
                coins[c] += getattr(change, c)
        return Currency(**coins)

    def describe(self) -> str:
        parts = [f"{getattr(self, c)} {c}" for c in ("pp", "gp", "ep", "sp", "cp") if getattr(self, c)]
        return ", ".join(parts) or "0 cp"


def _coin(name: str) -> str:
    key = name.strip().lower()
    if key not in COIN_VALUES_CP:
        raise RulesError(f"{name!r} is not a coin (cp, sp, ep, gp, pp).")
    return key


def _describe_cp(total_cp: int) -> str:
    return Currency.from_cp(total_cp).describe()


class Inventory(BaseModel):
    """What a character carries: stacks of items, merged by name. Mutable through its verbs only."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    items: list[Item] = Field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def find(self, name: str) -> Item | None:
        """The stack with that name (case-insensitive), or None."""
        key = lookup_key(name)
        for item in self.items:
            if item.key == key:
                return item
        return None

    def get(self, name: str, owner: str | None = None) -> Item:
        """Like `find`, but raises `ItemNotFound`."""
        item = self.find(name)
        if item is None:
            raise ItemNotFound(name, owner)
        return item

    def quantity(self, name: str) -> int:
        item = self.find(name)
        return item.quantity if item else 0

    @property
    def attuned(self) -> list[Item]:
        return [i for i in self.items if i.attuned]

    @property
    def equipped(self) -> list[Item]:
        return [i for i in self.items if i.equipped]

    @property
    def weight(self) -> float:
        return sum(i.total_weight for i in self.items)

    def _replace(self, old: Item, new: Item | None) -> None:
        items = list(self.items)
        index = items.index(old)
        if new is None:
            del items[index]
        else:
            items[index] = new
        self.items = items

    def add(self, item: Item) -> Item:
        """Add a stack; merges into an existing stack of the same name. Returns the resulting stack.

        Raises:
            RulesError: the stack would exceed the quantity limit.
        """
        existing = self.find(item.name)
        if existing is None:
            self.items = [*self.items, item]
            return item
        total = existing.quantity + item.quantity
        if total > MAX_QUANTITY:
            raise RulesError(f"Nobody can carry {total} {item.name}.")
        merged = existing.model_copy(update={"quantity": total})
        self._replace(existing, merged)
        return merged

    def remove(self, name: str, quantity: int = 1, owner: str | None = None) -> Item:
        """Take `quantity` of an item out. Returns what was removed.

        Raises:
            ItemNotFound: the item is not carried, or fewer than `quantity` are.
            RulesError: quantity below 1.
        """
        if quantity < 1:
            raise RulesError(f"Cannot remove {quantity} of an item.")
        item = self.get(name, owner)
        if item.quantity < quantity:
            who = owner or "The character"
            raise ItemNotFound(
                item.name, owner, reason=f"{who} has only {item.quantity} {item.name}, not {quantity}."
            )
        left = item.quantity - quantity
        if left == 0:
            self._replace(item, None)
        else:
            self._replace(item, item.model_copy(update={"quantity": left}))
        return item.model_copy(update={"quantity": quantity, "equipped": False, "attuned": False})

    def equip(self, name: str, owner: str | None = None) -> Item:
        """Mark an item equipped. Equipping armor (or a shield) unequips the other armor (or shield)."""
        item = self.get(name, owner)
        if item.kind in ("armor", "shield"):
            for other in list(self.items):
                if other is not item and other.kind == item.kind and other.equipped:
                    self._replace(other, other.model_copy(update={"equipped": False}))
        new = item.model_copy(update={"equipped": True})
        self._replace(item, new)
        return new

    def unequip(self, name: str, owner: str | None = None) -> Item:
        item = self.get(name, owner)
        new = item.model_copy(update={"equipped": False})
        self._replace(item, new)
        return new

    def attune(self, name: str, owner: str | None = None) -> Item:
        """Attune to a magic item.

        Raises:
            RulesError: the item needs no attunement, or three items are already attuned.
        """
        item = self.get(name, owner)
        if item.attuned:
            return item
        if not item.requires_attunement:
            raise RulesError(f"{item.name} does not require attunement.")
        if len(self.attuned) >= MAX_ATTUNED:
            names = ", ".join(i.name for i in self.attuned)
            raise RulesError(
                f"{owner or 'A creature'} can be attuned to no more than {MAX_ATTUNED} magic items "
                f"(already attuned to {names})."
            )
        new = item.model_copy(update={"attuned": True})
        self._replace(item, new)
        return new

    def end_attunement(self, name: str, owner: str | None = None) -> Item:
        item = self.get(name, owner)
        new = item.model_copy(update={"attuned": False})
        self._replace(item, new)
        return new

