"""Items, the stock ledger and its balances, cost layers, purchase orders, orders and counts.

The ledger (StockMovement) only grows: an ORM hook refuses updates and deletes. Each movement moves a signed
quantity *from* one location *to* another (either may be absent): the balance of `to` gains the quantity, the
balance of `from` loses it. A receipt has only `to`, a pick only `from`, a count adjustment puts its signed
difference on `to`. So every balance is exactly Σ(quantity into it) − Σ(quantity out of it), which
`flask stock verify` checks.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..scanning.models import ScanCode
from ..types import UTCDateTime, utcnow
from .rules import InsufficientStock
from .types import Money, Qty, Value

ZERO = Decimal(0)


class Item(db.Model):
    """Something kept in stock and counted by quantity (not individually registered like an asset)."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    uom: Mapped[str] = mapped_column(String(10), default="ea")
    tracking: Mapped[str] = mapped_column(String(10), default="none")  # none, lot, serial
    expiry_required: Mapped[bool] = mapped_column(Boolean, default=False)
    reorder_point: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    safety_stock: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    standard_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    valuation_method: Mapped[str] = mapped_column(String(10), default="fifo")  # fifo, lifo, average
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Any change to the item's settings; the dashboard's tiles are recomputed when the newest one moves.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
    # Σ of the item's balances and Σ remaining × unit cost of its open cost layers, changed by the ledger primitives in
    # the transaction of every movement (stock.services._book), so the dashboard reads one row per item instead of
    # grouping balances and layers. `flask stock verify` checks both against the balances and layers.
    on_hand_total: Mapped[Decimal] = mapped_column(Qty, default=ZERO, server_default="0")
    stock_value: Mapped[Decimal] = mapped_column(Value, default=ZERO, server_default="0")

    barcodes: Mapped[list[ItemBarcode]] = relationship(back_populates="item", order_by="ItemBarcode.code")

    @property
    def fractional(self) -> bool:
        from .rules import UOMS

        return UOMS.get(self.uom, ("", False))[1]


class ItemBarcode(db.Model):
    """A barcode printed on the item or its packaging. The code itself lives in the scan-code registry (GTIN-14
    key, pack quantity); this row says which pack level it is."""

    __tablename__ = "item_barcode"

    code: Mapped[str] = mapped_column(String(80), ForeignKey("scan_code.code"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="each")  # each, inner, case

    item: Mapped[Item] = relationship(back_populates="barcodes")
    scan_code: Mapped[ScanCode] = relationship(lazy="joined")

    @property
    def pack_qty(self) -> int:
        return self.scan_code.pack_qty

    @property
    def label(self) -> str:
        return self.scan_code.label or self.code


class StockLot(db.Model):
    """A lot (or serial number) of an item, with its expiry date."""

    __tablename__ = "stock_lot"
    __table_args__ = (UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    code: Mapped[str] = mapped_column(String(40))
    expiry: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockBalance(db.Model):
    """How much of an item is in one place (and lot): on hand, and how much of that is promised to orders."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", "lot"),
        Index("ix_stock_balance_location", "location_id"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")  # '' when the item is not tracked
    on_hand: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    allocated: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[Item] = relationship()
    location = relationship("Location")

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated

    def after_take(self, quantity: Decimal, *, allow_negative: bool = False,
                   from_allocation: Decimal = ZERO) -> tuple[Decimal, Decimal]:
        """(on hand, allocated) once `quantity` is taken out, of which `from_allocation` was reserved for this very
        take (an order's pick). Raises InsufficientStock when that is more than is free here."""
        free = self.available + from_allocation
        if quantity > free and not allow_negative:
            where = f" ({self.lot})" if self.lot else ""
            raise InsufficientStock(
                f"Only {free} available here{where}; {quantity} was asked for.",
                field="quantity", available=str(free),
            )
        return self.on_hand - quantity, self.allocated - from_allocation

    def take(self, quantity: Decimal, *, allow_negative: bool = False, from_allocation: Decimal = ZERO) -> None:
        """Take stock out (see after_take)."""
        self.on_hand, self.allocated = self.after_take(quantity, allow_negative=allow_negative,
                                                       from_allocation=from_allocation)

    def put(self, quantity: Decimal) -> None:
        self.on_hand = self.on_hand + quantity


class StockMovement(db.Model):
    """One entry of the stock ledger. Never updated or deleted: a mistake is corrected by a new movement."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_item_time", "item_id", "created_at"),
        Index("ix_stock_movement_scan", "scan_id"),
        Index("ix_stock_movement_reference", "reference"),
        Index("ix_stock_movement_feed", "commit_xid", "id"),
        Index("ix_stock_movement_kind_time", "kind", "created_at"),  # dashboard and insights: kind × window
        Index("ix_stock_movement_time", "created_at"),  # recent movements, movement reports by date
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty)
    lot: Mapped[str] = mapped_column(String(40), default="")
    serial: Mapped[str | None] = mapped_column(String(40))
    expiry: Mapped[date | None] = mapped_column(Date)
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    total_cost: Mapped[Decimal | None] = mapped_column(Money)  # value moved: receipt value, or cost of goods
    reference: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(40), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(10), default="typed")
    scan_id: Mapped[str | None] = mapped_column(String(100))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PostgreSQL: the id of the transaction that wrote the row (a column default), so the API feed can hand rows
    # out in commit-safe order; NULL on SQLite, where writers are serialised and id order is commit order.
    commit_xid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())

    item: Mapped[Item] = relationship()
    from_location = relationship("Location", foreign_keys=[from_location_id])
    to_location = relationship("Location", foreign_keys=[to_location_id])


class CostLayer(db.Model):
    """A quantity of an item bought at one unit cost, still on hand in part (FIFO/LIFO). Items valued at weighted
    average keep a single layer whose cost is the running average."""

    __tablename__ = "cost_layer"
    __table_args__ = (
        Index("ix_cost_layer_item", "item_id", "id"),
        # Stock value on the dashboard reads only layers still holding stock.
        Index("ix_cost_layer_open", "item_id", "remaining_qty", "unit_cost",
              sqlite_where=text("remaining_qty > 0"), postgresql_where=text("remaining_qty > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"))
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    original_qty: Mapped[Decimal] = mapped_column(Qty)
    remaining_qty: Mapped[Decimal] = mapped_column(Qty)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


RECEIVABLE_PO_STATUSES = ("open", "partial", "received")


class PurchaseOrder(db.Model):
    """Goods ordered from a supplier, received against as they arrive. Status follows the receipts; a manager
    closes it when nothing more is expected (a closed order refuses receipts)."""

    __tablename__ = "purchase_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # draft, open, partial, received, closed, cancelled
    expected_on: Mapped[date | None] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(back_populates="order", order_by="PurchaseOrderLine.id")
    site = relationship("Location")

    @property
    def accepts_receipts(self) -> bool:
        return self.status in RECEIVABLE_PO_STATUSES


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("order_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    ordered_qty: Mapped[Decimal] = mapped_column(Qty)
    received_qty: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.ordered_qty - self.received_qty)

    @property
    def over(self) -> Decimal:
        return max(ZERO, self.received_qty - self.ordered_qty)

    @property
    def short(self) -> Decimal:
        return self.outstanding


class Order(db.Model):
    """Goods going out: lines a manager entered, allocated against available stock, picked in walking order,
    packed into packages and shipped. What could not be picked is backordered with its reason."""

    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer: Mapped[str] = mapped_column(String(120), default="")
    ship_to: Mapped[str] = mapped_column(Text, default="")
    # open → allocated → picking → picked → packed → shipped; cancelled; backordered (closed short by a manager
    # with nothing picked: all of it went on its backorder)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    backorder_of_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")
    packages: Mapped[list[Package]] = relationship(back_populates="order", order_by="Package.id")
    site = relationship("Location")
    backorder_of: Mapped[Order | None] = relationship(remote_side=[id], back_populates="backorders")
    backorders: Mapped[list[Order]] = relationship(back_populates="backorder_of", order_by="Order.id")


class OrderLine(db.Model):
    __tablename__ = "customer_order_line"
    __table_args__ = (UniqueConstraint("order_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    ordered_qty: Mapped[Decimal] = mapped_column(Qty)
    picked_qty: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    short_qty: Mapped[Decimal] = mapped_column(Qty, default=ZERO)
    short_reason: Mapped[str] = mapped_column(String(40), default="")
    # Never reserved because nothing was available; set when the order ships or is closed short, and backordered.
    unallocated_qty: Mapped[Decimal] = mapped_column(Qty, default=ZERO, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="line", order_by="Allocation.id")

    @property
    def allocated_qty(self) -> Decimal:
        return sum((a.quantity for a in self.allocations), ZERO)

    @property
    def open_qty(self) -> Decimal:
        """Neither picked, nor reserved, nor reported short, nor backordered as not in stock."""
        return max(ZERO, self.ordered_qty - self.picked_qty - self.short_qty - self.unallocated_qty
                   - self.allocated_qty)

    @property
    def backordered_qty(self) -> Decimal:
        return self.short_qty + self.unallocated_qty


class Allocation(db.Model):
    """Stock in one place reserved for an order line (it adds to the balance's allocated until picked)."""

    __tablename__ = "stock_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("customer_order_line.id"), index=True)
    balance_id: Mapped[int] = mapped_column(ForeignKey("stock_balance.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty)  # still reserved, not yet picked

    line: Mapped[OrderLine] = relationship(back_populates="allocations")
    balance: Mapped[StockBalance] = relationship()


class Package(db.Model):
    __tablename__ = "package"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="packages")
    contents: Mapped[list[PackageContent]] = relationship(back_populates="package", order_by="PackageContent.id")


class PackageContent(db.Model):
    __tablename__ = "package_content"
    __table_args__ = (UniqueConstraint("package_id", "item_id", "lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")
    quantity: Mapped[Decimal] = mapped_column(Qty)

    package: Mapped[Package] = relationship(back_populates="contents")
    item: Mapped[Item] = relationship()


class CountSession(db.Model):
    """A stock count of a zone, a bin or an item, assigned to one person, blind or showing what is expected."""

    __tablename__ = "count_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))  # zone or bin counted
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))  # only this item
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open, submitted, approved, cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[CountLine]] = relationship(back_populates="session", order_by="CountLine.id")
    location = relationship("Location")
    item = relationship("Item")
    assignee = relationship("User", foreign_keys=[assigned_to])


class CountLine(db.Model):
    """What was counted of an item (and lot) in one place, against what the balance held when it was counted."""

    __tablename__ = "count_line"
    __table_args__ = (UniqueConstraint("session_id", "item_id", "location_id", "lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("count_session.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")
    counted: Mapped[Decimal | None] = mapped_column(Qty)  # None: not counted yet
    expected: Mapped[Decimal | None] = mapped_column(Qty)  # the balance when this line was first counted
    previous_count: Mapped[Decimal | None] = mapped_column(Qty)  # before a recount
    recount: Mapped[bool] = mapped_column(Boolean, default=False)
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(40), default="")
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"))

    session: Mapped[CountSession] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    location = relationship("Location")

    @property
    def variance(self) -> Decimal | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected


class CountBinVisit(db.Model):
    """Someone scanned this place during the count. A bin found empty writes no count line, so without this the
    review could not tell "looked, nothing there" from "never went there". One row per count and place: the first
    visit, so a resent or replayed bin scan changes nothing."""

    __tablename__ = "count_bin_visit"
    __table_args__ = (UniqueConstraint("session_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("count_session.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    visited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location = relationship("Location")
    visitor = relationship("User")


append_only.install(StockMovement.__table__)  # and in the database too (app/append_only.py)


@event.listens_for(StockMovement, "before_update")
def _ledger_is_append_only(mapper, connection, target):
    raise RuntimeError("stock movements are never changed; record a correcting movement instead")


@event.listens_for(StockMovement, "before_delete")
def _ledger_is_never_deleted(mapper, connection, target):
    raise RuntimeError("stock movements are never deleted; record a correcting movement instead")
