"""The one write of insights: turn reorder suggestions into draft purchase orders, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..errors import Invalid
from ..stock.models import PurchaseOrder
from ..stock.purchasing import add_po
from ..stock.rules import parse_quantity
from ..uow import UnitOfWork


@dataclass(frozen=True)
class Drafted:
    orders: list[PurchaseOrder]
    lines: int


def draft_purchase_orders(*, lines: list[tuple[str, object]], supplier: str = "", actor_id: int | None,
                          uow: UnitOfWork) -> Drafted:
    """Make draft purchase orders from (sku, quantity) suggestions — all of them or none.

    Items carry no supplier yet, so every line goes on one draft order for the supplier named (the manager can
    split it later); zero quantities are left out. Each line is costed at the item's standard cost by the stock
    purchasing service. A draft refuses receipts until it is released."""
    chosen = []
    for sku, qty in lines:
        q = parse_quantity(qty, field="quantity", allow_zero=True)
        if q > Decimal(0):
            chosen.append((sku, q, None))
    if not chosen:
        raise Invalid("Choose at least one suggestion with a quantity above zero.", field="lines")
    with uow:
        po = add_po(uow.session, supplier=supplier, lines=chosen, actor_id=actor_id, status="draft")
        uow.commit()
        return Drafted([po], len(chosen))
