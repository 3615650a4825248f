"""Pure rules of stock: units, quantities, tracking, costing. No Flask, no session.

Quantities are Decimal, exact to 0.001 of the unit. Items counted in whole units (each, box, pair …) refuse
fractions; items measured (kg, m, l) accept them.

Valuation method (FIFO, LIFO or weighted average) is a property of each item, defaulting to the global setting
when the item is created. Why per item: accounting asks for one method per *class* of goods applied consistently,
and a stockroom typically holds classes that differ — perishables and lot-tracked parts are valued FIFO (they
leave in that order), bulk consumables topped up into one bin at changing prices by weighted average. A global
default keeps the common case zero-effort; the method of an item can only change while it holds no stock, so a
change never re-values what is on the shelf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from ..errors import Conflict, Invalid
from .types import QTY_PLACES, money, tidy

# unit of measure → (label, whether fractions are allowed)
UOMS: dict[str, tuple[str, bool]] = {
    "ea": ("each", False),
    "pair": ("pair", False),
    "box": ("box", False),
    "pack": ("pack", False),
    "roll": ("roll", False),
    "set": ("set", False),
    "kg": ("kilogram", True),
    "m": ("metre", True),
    "l": ("litre", True),
}
TRACKING = ("none", "lot", "serial")
VALUATION = ("fifo", "lifo", "average")
VALUATION_LABELS = {"fifo": "FIFO", "lifo": "LIFO", "average": "Weighted average"}
PACK_LEVELS = ("each", "inner", "case")
MOVEMENT_KINDS = ("receipt", "put_away", "move", "pick", "count_adjustment", "consumption", "return", "issue")
MAX_QUANTITY = Decimal(10) ** 9
MAX_COST = Decimal(10) ** 9
# Money is kept in 64-bit scaled integers (stock/types.py); an item's stock value, in units of 10^-7, holds at most
# about 922 billion. So one movement may bring in at most 100 billion of value and an item may hold at most 500
# billion: the limits leave room for a few receipts of one item committing at the same moment.
MAX_MOVEMENT_VALUE = Decimal(10) ** 11
MAX_ITEM_VALUE = 5 * Decimal(10) ** 11
SKU = re.compile(r"^[A-Z0-9][A-Z0-9\-._]{0,39}$")
LOT = re.compile(r"^[\x21-\x7e]{1,20}$")  # GS1 AI 10/21: up to 20 printable characters


class InsufficientStock(Conflict):
    """Less stock is available in the place than the request takes."""

    code = "insufficient_stock"


class WrongPlace(Conflict):
    """The scan does not match the task: another bin, item or lot than the pick list says."""

    code = "wrong_place"


def normalise_sku(raw: str) -> str:
    sku = (raw or "").strip().upper()
    if not SKU.match(sku):
        raise Invalid("A SKU is 1–40 capital letters, digits, '-', '.' or '_', starting with a letter or digit.", field="sku")
    return sku


def check_uom(uom: str) -> str:
    if uom not in UOMS:
        raise Invalid(f"Unknown unit of measure {uom!r}; choose one of {', '.join(UOMS)}.", field="uom")
    return uom


def check_choice(value: str, choices: tuple[str, ...], what: str, field: str) -> str:
    if value not in choices:
        raise Invalid(f"Unknown {what} {value!r}; choose one of {', '.join(choices)}.", field=field)
    return value


def to_decimal(raw, *, what: str = "quantity", field: str = "quantity") -> Decimal:
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    else:
        text = str(raw if raw is not None else "").strip().replace(",", ".") if not isinstance(raw, bool) else "x"
        if not text:
            raise Invalid(f"Enter a {what}.", field=field)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise Invalid(f"The {what} “{text[:20]}” is not a number.", field=field) from None
    if not value.is_finite():
        raise Invalid(f"The {what} must be a real number.", field=field)
    return value


def parse_quantity(raw, *, uom: str = "ea", field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity someone typed or scanned: positive, at most 10^9, whole for items counted in units."""
    value = to_decimal(raw, field=field)
    if value < 0:
        raise Invalid("The quantity cannot be negative.", field=field)
    if value == 0 and not allow_zero:
        raise Invalid("The quantity must be more than zero.", field=field)
    if value > MAX_QUANTITY:
        raise Invalid("That quantity is not believable (more than 1,000,000,000); check what was typed.", field=field)
    label, fractional = UOMS.get(uom, (uom, False))
    if not fractional and value != value.to_integral_value():
        raise Invalid(f"This item is counted in whole units ({label}); {value} is not a whole number.", field=field)
    if value.as_tuple().exponent < -QTY_PLACES:  # type: ignore[operator]
        raise Invalid(f"At most {QTY_PLACES} decimal places, please.", field=field)
    return value


def parse_cost(raw, *, field: str = "unit_cost") -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = to_decimal(raw, what="cost", field=field)
    if value < 0:
        raise Invalid("A cost cannot be negative.", field=field)
    if value > MAX_COST:
        raise Invalid("That cost is not believable (more than 1,000,000,000).", field=field)
    return money(value)


def check_value(qty: Decimal, unit_cost: Decimal, held: Decimal, *, sku: str) -> None:
    """Stock coming in at unit_cost must be worth an amount the books can hold (quantity and cost may each be
    believable, 10^9 × 10^9, while their product is not)."""
    value = qty * unit_cost
    if value > MAX_MOVEMENT_VALUE:
        raise Invalid(f"{tidy(qty):,} at {tidy(unit_cost):,} each is worth {tidy(money(value)):,}, more than one "
                      f"movement can be worth ({MAX_MOVEMENT_VALUE:,}); check the quantity and the unit cost.",
                      field="quantity")
    if held + value > MAX_ITEM_VALUE:
        raise Invalid(f"{sku} would then hold stock worth {tidy(money(held + value)):,}, more than one item can "
                      f"hold ({MAX_ITEM_VALUE:,}); check the quantity and the unit cost.", field="quantity")


def check_lot(item_tracking: str, expiry_required: bool, lot: str | None, expiry: date | None, today: date,
              *, incoming: bool, allow_expired: bool = False) -> str:
    """The tracking key a movement needs: '' for untracked items, the lot or serial otherwise.

    An expired lot is refused where stock comes in new or leaves to be used or sold (receive, pick, issue, consume).
    Counting it, moving it to quarantine and taking it back are exactly how expired stock is dealt with, so those
    pass allow_expired (and say it is expired: expiry_warning).
    """
    lot = (lot or "").strip()
    if item_tracking == "none":
        return ""
    what = "serial number" if item_tracking == "serial" else "lot"
    if not lot:
        raise Invalid(f"This item is tracked by {what}; scan or type the {what}.", field="lot")
    if not LOT.match(lot):
        raise Invalid(f"A {what} is 1–20 printable characters without spaces.", field="lot")
    if incoming and expiry_required and expiry is None:
        raise Invalid("This item needs an expiry date on receipt; scan the GS1 label or type the date.", field="expiry")
    if expiry is not None and expiry < today and not allow_expired:
        raise Invalid(f"Lot {lot} expired on {expiry.isoformat()}; it cannot be used.", field="lot")
    return lot


def expiry_warning(lot: str, expiry: date | None, today: date) -> str | None:
    """What to tell the person handling an expired lot that is let through (a count, a move, a return)."""
    if lot and expiry is not None and expiry < today:
        return f"Lot {lot} expired on {expiry.isoformat()}: keep it apart, it cannot be picked or issued."
    return None


def check_serial_quantity(item_tracking: str, quantity: Decimal) -> None:
    if item_tracking == "serial" and quantity != 1:
        raise Invalid("A serial-numbered item moves one at a time (quantity 1 per serial number).", field="quantity")


def gtin_check_digit(body: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


# --- costing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    id: int
    remaining: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class Take:
    layer_id: int | None  # None: costed at the fallback because no layer had stock left
    quantity: Decimal
    unit_cost: Decimal


def plan_issue(layers: list[Layer], quantity: Decimal, method: str, fallback_cost: Decimal) -> tuple[list[Take], Decimal]:
    """Which cost layers an issue of `quantity` draws from, and its cost of goods.

    `layers` come oldest first. FIFO takes the oldest, LIFO the newest; weighted average keeps one merged layer,
    so both orders take from it. What no layer covers (negative stock allowed) is costed at `fallback_cost`.
    """
    order = list(reversed(layers)) if method == "lifo" else list(layers)
    takes: list[Take] = []
    left = quantity
    for layer in order:
        if left <= 0:
            break
        if layer.remaining <= 0:
            continue
        take = min(layer.remaining, left)
        takes.append(Take(layer.id, take, layer.unit_cost))
        left -= take
    if left > 0:
        takes.append(Take(None, left, fallback_cost))
    total = money(sum((t.quantity * t.unit_cost for t in takes), Decimal(0)))
    return takes, total


def average_after_receipt(on_hand: Decimal, average: Decimal, quantity: Decimal, unit_cost: Decimal) -> Decimal:
    """Moving weighted average after a receipt. Stock at or below zero restarts the average at the new cost."""
    if on_hand <= 0:
        return money(unit_cost)
    return money((on_hand * average + quantity * unit_cost) / (on_hand + quantity))


def suggested_order_quantity(*, on_hand: Decimal, available: Decimal, on_order: Decimal, reorder_point: Decimal,
                             safety_stock: Decimal, daily_usage: Decimal, lead_time_days: int) -> Decimal:
    """How much to order now (0 when nothing is needed).

    The stock position is what is available plus what is already on order. When it is at or below the reorder
    point — or the shelf is empty — order up to the reorder point plus what the lead time will use (at least the
    safety stock), in whole units.
    """
    position = available + on_order
    if position > reorder_point and on_hand > 0:
        return Decimal(0)
    cover = max(daily_usage * lead_time_days, safety_stock)
    target = max(reorder_point + cover, Decimal(1))
    return max(Decimal(0), (target - position).to_integral_value(rounding="ROUND_CEILING"))
