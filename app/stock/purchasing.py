"""Purchase orders: what is expected from suppliers, and receiving against it.

Over-receipts are governed by the setting STOCK_OVER_RECEIPT_PERCENT (default 0: a line cannot be received beyond
its ordered quantity); short receipts are simply what remains outstanding until a manager closes the order.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid
from ..scanning.models import ScanCode
from ..scanning.registry import register_code
from ..types import utcnow
from ..uow import UnitOfWork
from . import settings as stock_settings
from .models import Item, PurchaseOrder, PurchaseOrderLine
from .rules import parse_cost, parse_quantity
from .services import by_number, find_item, find_location, new_number, placeholder_number

PO_NUMBER_PREFIX = "PO-"


def _po(s: Session, number: str, *, lock: bool = False) -> PurchaseOrder:
    return by_number(s, PurchaseOrder, number, "purchase order", lock=lock, field="po")


def status_after(lines: list[PurchaseOrderLine]) -> str:
    received = [line.received_qty > 0 for line in lines]
    if lines and all(line.received_qty >= line.ordered_qty for line in lines):
        return "received"
    return "partial" if any(received) else "open"


def receive_on_po(s: Session, number: str, item: Item, qty: Decimal) -> tuple[Decimal, list[str], str]:
    """Book qty of item against the PO (inside the receipt's transaction). Returns (the line's unit cost, notes for
    the person scanning, the reference for the movement). Refuses a closed PO, an item not on it, and an
    over-receipt beyond the setting."""
    po = _po(s, number, lock=True)
    if not po.accepts_receipts:
        raise Conflict(f"Purchase order {po.number} is {po.status}; nothing more can be received against it.",
                       field="po")
    line = next((x for x in po.lines if x.item_id == item.id), None)
    if line is None:
        raise Conflict(f"{item.sku} is not on purchase order {po.number}.", field="code")
    after = line.received_qty + qty
    tolerance = stock_settings.current().over_receipt_percent
    limit = line.ordered_qty * (1 + tolerance / 100)
    if after > limit:
        allowed = "no over-receipt is allowed" if tolerance == 0 else f"at most {tolerance}% over is allowed"
        raise Conflict(
            f"{po.number} expects {line.ordered_qty} of {item.sku} and {line.received_qty} are in; "
            f"{qty} more would be {after - line.ordered_qty} over ({allowed}).",
            field="quantity",
        )
    line.received_qty = after
    po.status = status_after(po.lines)
    notes = []
    if after > line.ordered_qty:
        notes.append(f"{after - line.ordered_qty} over the ordered {line.ordered_qty}.")
    elif after < line.ordered_qty:
        notes.append(f"{line.ordered_qty - after} still to come on {po.number}.")
    else:
        notes.append(f"Line complete on {po.number}.")
    return line.unit_cost, notes, po.number


def create_po(*, number: str | None = None, supplier: str, lines: list[tuple[str, object, object]],
              actor_id: int | None, uow: UnitOfWork, expected_on: date | None = None,
              site_code: str | None = None, status: str = "open") -> PurchaseOrder:
    """A purchase order with lines (sku, quantity, unit cost). The number is made when not given.

    status "draft" makes an order that is not sent yet (it refuses receipts until `release_po`)."""
    with uow:
        po = add_po(uow.session, number=number, supplier=supplier, lines=lines, actor_id=actor_id,
                    expected_on=expected_on, site_code=site_code, status=status)
        uow.commit()
        return po


def add_po(s: Session, *, number: str | None = None, supplier: str, lines: list[tuple[str, object, object]],
           actor_id: int | None, expected_on: date | None = None, site_code: str | None = None,
           status: str = "open") -> PurchaseOrder:
    """Add a purchase order inside the caller's open transaction (no commit): several orders in one unit of work."""
    if not lines:
        raise Invalid("A purchase order needs at least one line.", field="lines")
    if status not in ("open", "draft"):
        raise Invalid("A new purchase order is open or a draft.", field="status")
    number = (number or "").strip().upper()
    if number and (s.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == number)) or s.get(ScanCode, number)):
        raise Conflict(f"The number {number} is already used.", field="number")
    site = find_location(s, site_code) if site_code else None
    po = PurchaseOrder(number=number or placeholder_number(), supplier=(supplier or "").strip(),
                       status=status, expected_on=expected_on, site_id=site.id if site else None,
                       created_by=actor_id)
    s.add(po)
    if not number:
        po.number = number = new_number(s, PurchaseOrder, po, PO_NUMBER_PREFIX, start=1000)
    s.flush()
    seen = set()
    for sku, qty, cost in lines:
        item = find_item(s, sku=sku).item
        if item.id in seen:
            raise Invalid(f"{item.sku} is on the order twice; put it on one line.", field="lines")
        seen.add(item.id)
        unit_cost = parse_cost(cost)
        s.add(PurchaseOrderLine(order_id=po.id, item_id=item.id, ordered_qty=parse_quantity(qty, uom=item.uom),
                                received_qty=Decimal(0),
                                unit_cost=item.standard_cost if unit_cost is None else unit_cost))
    register_code(s, number, kind="purchase_order", target_id=po.id, label=number)
    s.flush()
    return po


def release_po(*, number: str, uow: UnitOfWork) -> PurchaseOrder:
    """Send a draft purchase order: it becomes open and accepts receipts."""
    with uow:
        po = _po(uow.session, number, lock=True)
        if po.status != "draft":
            raise Conflict(f"Purchase order {po.number} is {po.status}, not a draft.", field="po")
        po.status = "open"
        uow.commit()
        return po


def close_po(*, number: str, uow: UnitOfWork, cancel: bool = False) -> PurchaseOrder:
    """Nothing more is expected: short lines stay short. Cancelling is only possible before anything arrived."""
    with uow:
        po = _po(uow.session, number, lock=True)
        if po.status in ("closed", "cancelled"):
            raise Conflict(f"Purchase order {po.number} is already {po.status}.", field="po")
        if cancel and any(line.received_qty > 0 for line in po.lines):
            raise Conflict(f"{po.number} has receipts; close it instead of cancelling.", field="po")
        po.status = "cancelled" if cancel else "closed"
        po.closed_at = utcnow()
        uow.commit()
        return po


def get_po(s: Session, number: str) -> PurchaseOrder:
    return _po(s, number)
