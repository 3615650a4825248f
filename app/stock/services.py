"""Use cases that change stock. One call, one transaction (see app/uow.py); the ledger and the balances change
together, under a lock.

Locking: every use case first locks the row of each item it touches (SELECT … FOR UPDATE on PostgreSQL, in item
id order; on SQLite the unit of work already holds the write lock from BEGIN IMMEDIATE). Holding the item lock,
it reads and changes the balances and cost layers of that item, so concurrent scans queue instead of losing an
update or overselling, and the first receipt into a new bin cannot create its balance twice.

Scan actions claim the client's scan id in the same transaction (uow.claim) and record their outcome, so a
resent or replayed scan answers "already recorded" and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, BigInteger, bindparam, func, insert, inspect, select, type_coerce, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import Conflict, Invalid, NotFound
from ..locations.models import Location
from ..scanning.models import ScanCode
from ..scanning.registry import register_code
from ..scanning.rules import ParsedCode
from ..scanning.rules import parse as parse_code
from ..types import UTCDateTime, utcnow
from ..uow import UnitOfWork
from ..web.scan_actions import SOURCES
from . import queries
from . import settings as stock_settings
from .models import CostLayer, Item, ItemBarcode, StockBalance, StockLot, StockMovement
from .rules import (
    PACK_LEVELS,
    TRACKING,
    VALUATION,
    InsufficientStock,
    Layer,
    average_after_receipt,
    check_choice,
    check_lot,
    check_serial_quantity,
    check_uom,
    check_value,
    expiry_warning,
    normalise_sku,
    parse_cost,
    parse_quantity,
    plan_issue,
)
from .types import Money, Qty, Value, money, tidy

__all__ = ["InsufficientStock", "NotFound", "consume_within"]

ZERO = Decimal(0)


# --- who did it -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who made a movement, from where, with which scan."""

    actor_id: int | None
    source: str = "typed"
    scan_id: str | None = None
    device_time: datetime | None = None

    def __post_init__(self):
        if self.source not in SOURCES:
            raise Invalid(f"Unknown scan source {self.source!r}.", field="source")


@dataclass
class Moved:
    """What a stock action did, as shown to the person scanning and kept for a replay of the same scan."""

    kind: str
    sku: str
    name: str
    quantity: str
    uom: str
    lot: str = ""
    from_location: str | None = None
    to_location: str | None = None
    movement_ids: list[int] = field(default_factory=list)
    on_hand_from: str | None = None
    on_hand_to: str | None = None
    cost: str | None = None
    reference: str = ""
    notes: list[str] = field(default_factory=list)

    def as_outcome(self) -> dict:
        # Every field is a str, int, None or a list of those: copying the lists is enough (dataclasses.asdict
        # deep-copies every value, a tenth of a pick's rendering time).
        return {name: list(value) if isinstance(value, list) else value
                for name, value in ((f, getattr(self, f)) for f in _MOVED_FIELDS)}


_MOVED_FIELDS = tuple(f.name for f in fields(Moved))


def _fingerprint(**values) -> str:
    raw = json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


# --- lookups under lock ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRef:
    item: Item
    pack_qty: int = 1
    parsed: ParsedCode | None = None


def find_item(s: Session, code: str | None = None, *, sku: str | None = None) -> ItemRef:
    """The item a scanned code (EAN/UPC/GTIN-14, GS1 string, SKU label) or a SKU names."""
    if sku:
        item = s.scalar(select(Item).where(Item.sku == normalise_sku(sku)))
        if item is None:
            raise NotFound(f"No item with SKU {sku.strip().upper()}.", field="sku")
        return ItemRef(item)
    parsed = parse_code(code or "")
    found = queries.registered(s, parsed.key)
    if found is None:
        raise NotFound(f"Unknown code {parsed.gtin or parsed.key}: no item has this barcode.", field="code")
    row, item, _ = found
    if item is None:
        raise Invalid(f"{parsed.key} is a {row.kind}, not an item; scan the item's barcode.", field="code")
    return ItemRef(item, row.pack_qty, parsed)


def find_location(s: Session, code: str, *, field: str = "location") -> Location:
    key = (code or "").strip().upper()
    if not key:
        raise Invalid("Scan or type a location.", field=field)
    loc = s.scalar(_LOCATION, {"code": key})
    if loc is None:
        raise NotFound(f"No location with code {key}.", field=field)
    if not loc.active:
        raise Conflict(f"Location {key} is deactivated.", field=field)
    return loc


def find_item_and_lock_at(s: Session, code: str | None, location_code: str, *, sku: str | None = None,
                          field: str = "location") -> tuple[ItemRef, Location]:
    """find_item, find_location and lock_items([item.id]) in one statement, for a scan that moves one item in or out
    of one place: the code (or SKU) looked up in the write transaction — the screen's lookup may be older than a
    barcode moved to another item meanwhile (and on SQLite the scan may have waited for the writer) — the item read
    afresh and locked, the place read afresh. When no row comes back, the lookups one by one say why (an unknown
    code, SKU or place), in the order a person fixes them: the item first."""
    key = (location_code or "").strip().upper()
    if key:
        if sku:
            parsed, row = None, s.execute(_ITEM_BY_SKU_AT, {"sku": normalise_sku(sku), "code": key}).first()
        else:
            parsed = parse_code(code or "")
            row = s.execute(_ITEM_BY_CODE_AT, {"key": parsed.key, "code": key}).first()
        if row is not None:
            loc, item, pack_qty = row if parsed is not None else (*row, 1)
            if not loc.active:
                raise Conflict(f"Location {key} is deactivated.", field=field)
            return ItemRef(item, pack_qty, parsed), loc
    ref = find_item(s, code, sku=sku)
    loc = find_location(s, location_code, field=field)
    lock_items(s, [ref.item.id])  # both found after all: created since the statement above
    return ref, loc


def by_number(s: Session, model, number: str, what: str, *, lock: bool = False, field: str = "number"):
    """A purchase order, order or count by its number; locked for the transaction when asked, and then read afresh
    with its lines: the screen may have shown the document earlier in the request, before someone closed it or
    received on it."""
    key = (number or "").strip().upper()
    query = select(model).where(model.number == key)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = s.scalar(query)
    if row is None:
        raise NotFound(f"No {what} {key}.", field=field)
    if lock:
        s.expire(row, [rel.key for rel in inspect(model).relationships if rel.uselist])
    return row


def new_number(s: Session, model, row, prefix: str, start: int = 0, width: int = 4) -> str:
    """A document number made from the new row's id, so two created at the same moment never get the same one."""
    s.flush()
    number = f"{prefix}{start + row.id:0{width}d}"
    if s.scalar(select(model.id).where(model.number == number, model.id != row.id)):
        number = f"{number}-{row.id}"  # someone typed this number by hand earlier
    return number


def placeholder_number() -> str:
    return f"~{uuid.uuid4().hex[:20]}"


# The statements of every scan's write, built once (building one per call costs more Python than running it).
# Read afresh: the screen may have loaded the place earlier in the request (deactivated since?).
_LOCATION = select(Location).where(Location.code == bindparam("code")).execution_options(populate_existing=True)
# Location → the scanned code → its item: the join conditions are the lookups; one row of each or none.
_ITEM_BY_CODE_AT = (select(Location, Item, ScanCode.pack_qty).select_from(Location)
                    .join(ScanCode, ScanCode.code == bindparam("key"))
                    .join(Item, (ScanCode.kind == "item") & (Item.id == ScanCode.target_id))
                    .where(Location.code == bindparam("code"))
                    .with_for_update(of=Item).execution_options(populate_existing=True))
_ITEM_BY_SKU_AT = (select(Location, Item).join(Item, Item.sku == bindparam("sku"))
                   .where(Location.code == bindparam("code"))
                   .with_for_update(of=Item).execution_options(populate_existing=True))
_BALANCE = (select(StockBalance)
            .where(StockBalance.item_id == bindparam("item_id"), StockBalance.location_id == bindparam("location_id"),
                   StockBalance.lot == bindparam("lot"))
            .with_for_update()
            # A balance read earlier in the transaction (an order's allocation) is refreshed by the locking read.
            .execution_options(populate_existing=True))
_layers_t = CostLayer.__table__
_OPEN_LAYERS = (select(_layers_t.c.id, _layers_t.c.unit_cost, _layers_t.c.original_qty, _layers_t.c.remaining_qty)
                .where(_layers_t.c.item_id == bindparam("item_id"), _layers_t.c.remaining_qty > 0)
                .order_by(_layers_t.c.id).with_for_update())
# The layers locked in a sub-select (rows are locked as they are read, oldest first like _OPEN_LAYERS) and handed
# back as one array of [id, unit cost, original, remaining] rows, scaled integers as stored.
_locked_layers = (select(*(type_coerce(_layers_t.c[name], BigInteger)
                           for name in ("id", "unit_cost", "original_qty", "remaining_qty")))
                  .where(_layers_t.c.item_id == bindparam("item_id"), _layers_t.c.remaining_qty > 0)
                  .order_by(_layers_t.c.id).with_for_update().subquery("open_layer"))
_BALANCE_WITH_LAYERS = (
    select(StockBalance, select(func.array_agg(aggregate_order_by(pg_array(list(_locked_layers.c)), _locked_layers.c.id),
                                               type_=ARRAY(BigInteger, dimensions=2))).scalar_subquery())
    .where(StockBalance.item_id == bindparam("item_id"), StockBalance.location_id == bindparam("location_id"),
           StockBalance.lot == bindparam("lot"))
    .with_for_update(of=StockBalance).execution_options(populate_existing=True))
_INSERT_LAYER = insert(_layers_t)
_SET_REMAINING = (update(_layers_t).where(_layers_t.c.id == bindparam("layer_id"))
                  .values(remaining_qty=bindparam("remaining", type_=Qty())))
_SET_AVERAGE_LAYER = (update(_layers_t).where(_layers_t.c.id == bindparam("layer_id"))
                      .values(remaining_qty=bindparam("remaining", type_=Qty()),
                              original_qty=bindparam("original", type_=Qty()),
                              unit_cost=bindparam("cost", type_=Money())))
_balances_t = StockBalance.__table__
_SET_BALANCE = (update(_balances_t).where(_balances_t.c.id == bindparam("balance_id"))
                .values(on_hand=bindparam("on_hand", type_=Qty()), allocated=bindparam("allocated", type_=Qty()),
                        updated_at=bindparam("now", type_=UTCDateTime())))
_items = Item.__table__
_LOCK_ITEMS = (select(Item).where(Item.id.in_(bindparam("ids", expanding=True))).order_by(Item.id).with_for_update()
               .execution_options(populate_existing=True))
_INSERT_MOVEMENT = insert(StockMovement.__table__)
_BOOK = (update(_items).where(_items.c.id == bindparam("item_id"))
         .values(on_hand_total=_items.c.on_hand_total + bindparam("qty_change", type_=Qty()),
                 stock_value=_items.c.stock_value + bindparam("value_change", type_=Value()),
                 updated_at=_items.c.updated_at))  # stock moving is not a change to the item's settings


def _core(s: Session):
    """The session's connection, for the table statements above. Session.execute would add ORM event dispatch and
    a bind lookup to every one (SQLite: 66 against 27 µs a statement), and none of them reads or writes anything the
    session tracks: what it holds is flushed first where it matters (_movement, _write_out_at_once)."""
    return s.connection()


def lock_items(s: Session, item_ids) -> None:
    """Lock the items a change is about (PostgreSQL; under SQLite's single writer the lock is a no-op) and read them
    afresh under it: the session may hold older copies — the scanned code's item, looked up when the screen
    classified the scan — from before someone deactivated the item or changed its tracking or valuation."""
    ids = sorted(set(item_ids))
    if ids:
        s.scalars(_LOCK_ITEMS, {"ids": ids}).all()


def _balance(s: Session, item_id: int, location_id: int, lot: str, *, create: bool) -> StockBalance | None:
    bal = s.scalar(_BALANCE, {"item_id": item_id, "location_id": location_id, "lot": lot})
    if bal is None and create:
        bal = StockBalance(item_id=item_id, location_id=location_id, lot=lot, on_hand=ZERO, allocated=ZERO)
        s.add(bal)
    return bal


def _set_balance(s: Session, bal: StockBalance, on_hand: Decimal, allocated: Decimal | None = None) -> None:
    """Give a balance its new figures. An existing balance gets one UPDATE and the object takes the figures as saved,
    so the session has nothing of it to flush; one created (or changed otherwise) in this transaction is written by
    the session."""
    allocated = bal.allocated if allocated is None else allocated
    state = inspect(bal)
    if not state.persistent or state.modified:
        bal.on_hand, bal.allocated = on_hand, allocated
        return
    now = utcnow()
    _core(s).execute(_SET_BALANCE, {"balance_id": bal.id, "on_hand": on_hand, "allocated": allocated, "now": now})
    _saved(bal, on_hand, allocated, now)


def _saved(bal: StockBalance, on_hand: Decimal, allocated: Decimal, now) -> None:
    """The balance object holds the figures a plain UPDATE wrote, as if loaded so: nothing left to flush."""
    for key, value in (("on_hand", on_hand), ("allocated", allocated), ("updated_at", now)):
        set_committed_value(bal, key, value)


def _lot_row(s: Session, item: Item, code: str, expiry: date | None, *, incoming: bool) -> StockLot | None:
    if not code:
        return None
    row = s.scalar(select(StockLot).where(StockLot.item_id == item.id, StockLot.code == code))
    if row is None:
        if not incoming:
            raise NotFound(f"{item.sku} has no lot {code}.", field="lot")
        row = StockLot(item_id=item.id, code=code, expiry=expiry)
        s.add(row)
    elif expiry is not None and row.expiry is not None and row.expiry != expiry:
        raise Invalid(
            f"Lot {code} was received before with expiry {row.expiry.isoformat()}, not {expiry.isoformat()}.",
            field="expiry",
        )
    elif expiry is not None and row.expiry is None:
        row.expiry = expiry
    return row


def tracking_key(s: Session, ref: ItemRef, lot: str | None, expiry: date | None, *, incoming: bool,
                 allow_expired: bool = False, expiry_optional: bool = False) -> tuple[str, date | None]:
    """The lot/serial this movement is about, merged from what was typed and what the GS1 label says. An expired
    lot is refused unless allow_expired (see rules.check_lot). expiry_optional lets a lot new to the system in
    without an expiry even where the item requires one: a count records what is on the shelf, and refusing a
    lot whose date nobody can read would leave it off the books altogether."""
    item, parsed = ref.item, ref.parsed
    typed = (lot or "").strip()
    scanned = ""
    if parsed is not None:
        scanned = (parsed.serial if item.tracking == "serial" else parsed.lot) or ""
        expiry = expiry or parsed.expiry or parsed.best_before
    if typed and scanned and typed != scanned:
        raise Invalid(f"The label says lot {scanned} but {typed} was typed; which is it?", field="lot")
    key = typed or scanned
    if item.tracking == "none":
        return "", None
    row = s.scalar(select(StockLot).where(StockLot.item_id == item.id, StockLot.code == key)) if key else None
    if expiry is None and row is not None:
        expiry = row.expiry
    key = check_lot(item.tracking, item.expiry_required and not expiry_optional, key, expiry, date.today(),
                    incoming=incoming, allow_expired=allow_expired)
    _lot_row(s, item, key, expiry, incoming=incoming)
    return key, expiry


def scanned_quantity(ref: ItemRef, count, *, field: str = "quantity") -> Decimal:
    """Typed count × the pack quantity of the scanned code (a case of 12 scanned once is 12)."""
    if (count is None or str(count).strip() == "") and ref.parsed is not None and ref.parsed.quantity:
        count = ref.parsed.quantity
    if count is None or str(count).strip() == "":
        count = 1
    qty = parse_quantity(count, uom=ref.item.uom, field=field) * ref.pack_qty
    qty = parse_quantity(qty, uom=ref.item.uom, field=field)  # the multiplied quantity is still believable
    check_serial_quantity(ref.item.tracking, qty)
    return qty


def _require_active(item: Item) -> None:
    """Deactivated items are not received any more; stock already on the shelf may still leave."""
    if not item.active:
        raise Conflict(f"{item.sku} is deactivated; reactivate it before receiving it.", field="code")


# --- the ledger primitives (inside an open transaction; the item is already locked) -------------------------------


def _movement_values(*, kind: str, item: Item, qty: Decimal, who: Actor, lot: str = "", expiry=None,
                     src: Location | None = None, dst: Location | None = None, unit_cost=None, total_cost=None,
                     reference: str = "", reason: str = "") -> dict:
    # The ledger row goes in as a plain INSERT, which the session's length net (app/extensions.py) does not see: its
    # typed text is checked here, for every kind of movement.
    reference, reason = reference or "", reason or ""
    if len(reference) > 80:
        raise Invalid("The reference is at most 80 characters (a job, order or customer).", field="reference")
    if len(reason) > 40:
        raise Invalid("The reason is at most 40 characters.", field="reason")
    return {
        "kind": kind, "item_id": item.id, "quantity": qty, "lot": lot,
        "serial": lot if item.tracking == "serial" else None, "expiry": expiry,
        "from_location_id": src.id if src else None, "to_location_id": dst.id if dst else None,
        "unit_cost": unit_cost, "total_cost": total_cost, "reference": reference,
        "reason": reason, "actor_id": who.actor_id, "source": who.source, "scan_id": who.scan_id,
        "device_time": who.device_time, "created_at": utcnow(),
    }


def _movement(s: Session, **fields) -> StockMovement:
    """Append a movement. A plain INSERT (after the session has written the balance and layer changes): the ledger
    row is never changed afterwards, so it needs none of the ORM's change tracking. Returns it, not attached to the
    session, with its id."""
    values = _movement_values(**fields)
    s.flush()
    movement_id = _core(s).execute(_INSERT_MOVEMENT, values).inserted_primary_key[0]
    return StockMovement(id=movement_id, **values)


@dataclass
class _OpenLayer:
    id: int
    unit_cost: Decimal
    original_qty: Decimal
    remaining_qty: Decimal


def _layers(s: Session, item_id: int) -> list[_OpenLayer]:
    """The item's cost layers that still hold stock, oldest first, locked (read and written as plain rows: they
    change in every movement and nothing else in the transaction holds them)."""
    return [_OpenLayer(*row) for row in _core(s).execute(_OPEN_LAYERS, {"item_id": item_id})]


def _balance_with_layers(s: Session, item_id: int, location_id: int,
                         lot: str) -> tuple[StockBalance | None, list[_OpenLayer] | None]:
    """PostgreSQL: the balance stock leaves from and the item's open cost layers, both locked, in one statement — a
    round trip less on every pick. (None, None) on SQLite, where a statement costs no round trip, and when there is
    no balance (the layers are then read on their own)."""
    if s.get_bind().dialect.name != "postgresql":
        return None, None
    row = s.execute(_BALANCE_WITH_LAYERS, {"item_id": item_id, "location_id": location_id, "lot": lot}).first()
    if row is None:
        return None, None
    bal, raw = row
    qty, cost = Qty(), Money()
    return bal, [_OpenLayer(layer_id, cost.process_result_value(unit_cost, None), qty.process_result_value(original, None),
                            qty.process_result_value(remaining, None))
                 for layer_id, unit_cost, original, remaining in raw or ()]


def _add_layer(s: Session, item: Item, qty: Decimal, unit_cost: Decimal, mv: StockMovement) -> Decimal:
    """Put qty at unit_cost into the item's cost layers by its method. Returns the change of the item's value."""
    cost = unit_cost
    if item.valuation_method == "average":
        layers = _layers(s, item.id)
        on_hand = sum((layer.remaining_qty for layer in layers), ZERO)
        before = sum((layer.remaining_qty * layer.unit_cost for layer in layers), ZERO)
        average = layers[0].unit_cost if layers else unit_cost
        cost = average_after_receipt(on_hand, average, qty, unit_cost)
        if layers:  # keep one merged layer
            first = layers[0]
            _core(s).execute(_SET_AVERAGE_LAYER, [
                {"layer_id": first.id, "remaining": on_hand + qty, "original": first.original_qty + qty, "cost": cost},
                *({"layer_id": x.id, "remaining": ZERO, "original": x.original_qty, "cost": x.unit_cost}
                  for x in layers[1:])])
            return (on_hand + qty) * cost - before
    _core(s).execute(_INSERT_LAYER, {"item_id": item.id, "movement_id": mv.id, "unit_cost": cost, "original_qty": qty,
                              "remaining_qty": qty, "created_at": utcnow()})
    return qty * cost


def _plan_draw(s: Session, item: Item, qty: Decimal,
               layers: list[_OpenLayer] | None = None) -> tuple[list[dict], Decimal, Decimal, Decimal]:
    """Which of the item's cost layers qty comes out of, by its method (the layers read and locked). Returns (the
    layers' new remaining quantities, unit cost, cost of goods, change of the item's value): the value drops by what
    the layers held, exactly; the cost of goods is that rounded to money, plus the fallback cost of what no layer
    covered (negative stock allowed)."""
    if layers is None:
        layers = _layers(s, item.id)
    by_id = {layer.id: layer for layer in layers}
    fallback = layers[-1].unit_cost if layers else item.standard_cost
    takes, total = plan_issue(
        [Layer(x.id, x.remaining_qty, x.unit_cost) for x in layers], qty, item.valuation_method, fallback
    )
    value_change = ZERO
    drawn = []
    for take in takes:
        if take.layer_id is not None:
            layer = by_id[take.layer_id]
            drawn.append({"layer_id": layer.id, "remaining": layer.remaining_qty - take.quantity})
            value_change -= take.quantity * layer.unit_cost
    return drawn, money(total / qty), total, value_change


def _draw_layers(s: Session, item: Item, qty: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """Take qty out of the item's cost layers. Returns (unit cost, cost of goods, change of the item's value)."""
    drawn, unit_cost, total, value_change = _plan_draw(s, item, qty)
    if drawn:
        _core(s).execute(_SET_REMAINING, drawn)
    return unit_cost, total, value_change


def _book(s: Session, item: Item, qty_change: Decimal, value_change: Decimal) -> None:
    """Move the item's on-hand total and stock value with its balances and layers, in the same transaction. A relative
    UPDATE: the item object may have been read before the item was locked."""
    _core(s).execute(_BOOK, {"item_id": item.id, "qty_change": qty_change, "value_change": value_change})
    s.expire(item, ["on_hand_total", "stock_value"])


def _out_at_once(layers: int):
    """Stock leaving as one statement on PostgreSQL: the balance, the drawn cost layers and the item's totals are
    written by data-modifying CTEs of the movement's INSERT. Each is a round trip saved on the busiest write (a pick
    by scan made 14 before, 11 now); the rows were read and locked before, and the statement changes each once."""
    ctes = [update(_balances_t).where(_balances_t.c.id == bindparam("balance_id"))
            .values(on_hand=bindparam("on_hand", type_=Qty()), allocated=bindparam("allocated", type_=Qty()),
                    updated_at=bindparam("now", type_=UTCDateTime())).cte("set_balance")]
    ctes += [update(_layers_t).where(_layers_t.c.id == bindparam(f"layer_id_{k}"))
             .values(remaining_qty=bindparam(f"remaining_{k}", type_=Qty())).cte(f"set_layer_{k}")
             for k in range(layers)]
    ctes.append(update(_items).where(_items.c.id == bindparam("book_item_id"))
                .values(on_hand_total=_items.c.on_hand_total + bindparam("qty_change", type_=Qty()),
                        stock_value=_items.c.stock_value + bindparam("value_change", type_=Value()),
                        updated_at=_items.c.updated_at).cte("book"))
    movements = StockMovement.__table__
    columns = ("kind", "item_id", "quantity", "lot", "serial", "expiry", "from_location_id", "to_location_id",
               "unit_cost", "total_cost", "reference", "reason", "actor_id", "source", "scan_id", "device_time",
               "created_at")
    # Bind names apart from every column name: parameters named like a column of a CTE's table would be taken as
    # more SET values for it.
    return (insert(movements).values({c: bindparam(f"mv_{c}", type_=movements.c[c].type) for c in columns})
            .returning(movements.c.id).add_cte(*ctes))


_OUT_AT_ONCE = {n: _out_at_once(n) for n in (0, 1, 2)}  # layers drawn; more (rare) take the statements one by one


def _writes_at_once(s: Session, bal: StockBalance) -> bool:
    """PostgreSQL, and a balance the session has nothing pending for (one created or changed otherwise in this
    transaction is written by the session)."""
    if s.get_bind().dialect.name != "postgresql":
        return False
    state = inspect(bal)
    return state.persistent and not state.modified


def _write_out_at_once(s: Session, bal: StockBalance, on_hand: Decimal, allocated: Decimal, drawn: list[dict],
                       item: Item, qty_change: Decimal, value_change: Decimal, values: dict) -> StockMovement:
    now = utcnow()
    params = {**{f"mv_{key}": value for key, value in values.items()}, "balance_id": bal.id, "on_hand": on_hand,
              "allocated": allocated, "now": now, "book_item_id": item.id, "qty_change": qty_change,
              "value_change": value_change}
    for k, layer in enumerate(drawn):
        params[f"layer_id_{k}"], params[f"remaining_{k}"] = layer["layer_id"], layer["remaining"]
    s.flush()  # what the session holds (a new lot) goes first
    movement_id = _core(s).execute(_OUT_AT_ONCE[len(drawn)], params).scalar_one()
    _saved(bal, on_hand, allocated, now)
    s.expire(item, ["on_hand_total", "stock_value"])
    return StockMovement(id=movement_id, **values)


def _current_unit_cost(s: Session, item: Item) -> Decimal:
    """What one more unit found on the shelf is worth: the newest layer's cost, else the standard cost."""
    last = s.scalar(select(CostLayer.unit_cost).where(CostLayer.item_id == item.id).order_by(CostLayer.id.desc()).limit(1))
    return last if last is not None else item.standard_cost


def stock_in(s: Session, *, kind: str, item: Item, dst: Location, qty: Decimal, who: Actor, lot: str = "",
             expiry=None, unit_cost: Decimal | None = None, reference: str = "", reason: str = "") -> tuple[StockMovement, StockBalance]:
    """Stock arriving from outside (receipt, return, a count finding more): a new cost layer."""
    if item.tracking == "serial":
        here = s.scalar(select(Location.code).join(StockBalance, StockBalance.location_id == Location.id).where(
            StockBalance.item_id == item.id, StockBalance.lot == lot, StockBalance.on_hand > 0).limit(1))
        if here:
            raise Conflict(f"Serial number {lot} of {item.sku} is already in stock, in {here}.", field="lot")
    cost = unit_cost if unit_cost is not None else _current_unit_cost(s, item)
    check_value(qty, cost, item.stock_value, sku=item.sku)
    bal = _balance(s, item.id, dst.id, lot, create=True)
    _set_balance(s, bal, bal.on_hand + qty)
    mv = _movement(s, kind=kind, item=item, qty=qty, who=who, lot=lot, expiry=expiry, dst=dst, unit_cost=cost,
                   total_cost=money(qty * cost), reference=reference, reason=reason)
    _book(s, item, qty, _add_layer(s, item, qty, cost, mv))
    return mv, bal


def stock_out(s: Session, *, kind: str, item: Item, src: Location, qty: Decimal, who: Actor, lot: str = "",
              expiry=None, reference: str = "", reason: str = "",
              from_allocation: Decimal = ZERO) -> tuple[StockMovement, StockBalance]:
    """Stock leaving (pick, issue, consumption): costed from the layers."""
    allow_negative = stock_settings.current().allow_negative
    bal, layers = _balance_with_layers(s, item.id, src.id, lot)
    if bal is None:
        bal = _balance(s, item.id, src.id, lot, create=allow_negative)
    if bal is None:
        where = f" (lot {lot})" if lot else ""
        raise InsufficientStock(f"There is no {item.sku}{where} in {src.code}.", field="location", available="0")
    on_hand, allocated = bal.after_take(qty, allow_negative=allow_negative, from_allocation=from_allocation)
    drawn, unit_cost, total, value_change = _plan_draw(s, item, qty, layers)
    if _writes_at_once(s, bal) and len(drawn) in _OUT_AT_ONCE:
        values = _movement_values(kind=kind, item=item, qty=qty, who=who, lot=lot, expiry=expiry, src=src,
                                  unit_cost=unit_cost, total_cost=total, reference=reference, reason=reason)
        return _write_out_at_once(s, bal, on_hand, allocated, drawn, item, -qty, value_change, values), bal
    _set_balance(s, bal, on_hand, allocated)
    if drawn:
        _core(s).execute(_SET_REMAINING, drawn)
    _book(s, item, -qty, value_change)
    mv = _movement(s, kind=kind, item=item, qty=qty, who=who, lot=lot, expiry=expiry, src=src, unit_cost=unit_cost,
                   total_cost=total, reference=reference, reason=reason)
    return mv, bal


def transfer(s: Session, *, kind: str, item: Item, src: Location, dst: Location, qty: Decimal, who: Actor,
             lot: str = "", expiry=None, reference: str = "", from_allocation: Decimal = ZERO):
    """Stock changing place inside the company: no change of value."""
    if src.id == dst.id:
        raise Invalid(f"From and to are the same place ({src.code}).", field="to_location")
    first, second = sorted([(src.id, "src"), (dst.id, "dst")])
    locked = {name: _balance(s, item.id, loc_id, lot, create=True) for loc_id, name in (first, second)}
    out_bal, in_bal = locked["src"], locked["dst"]
    _set_balance(s, out_bal, *out_bal.after_take(qty, allow_negative=stock_settings.current().allow_negative,
                                                 from_allocation=from_allocation))
    _set_balance(s, in_bal, in_bal.on_hand + qty)
    mv = _movement(s, kind=kind, item=item, qty=qty, who=who, lot=lot, expiry=expiry, src=src, dst=dst,
                   reference=reference)
    return mv, out_bal, in_bal


# --- items --------------------------------------------------------------------------------------------------------------


def _item_fields(values: dict) -> dict:
    out: dict = {}
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise Invalid("Give the item a name.", field="name")
        out["name"] = name
    if "description" in values:
        out["description"] = (values["description"] or "").strip()[:4000]
    if "uom" in values:
        out["uom"] = check_uom(values["uom"] or "ea")
    if "tracking" in values:
        out["tracking"] = check_choice(values["tracking"] or "none", TRACKING, "tracking", "tracking")
    if "expiry_required" in values:
        out["expiry_required"] = bool(values["expiry_required"])
    uom = out.get("uom", values.get("_uom", "ea"))
    for name in ("reorder_point", "safety_stock"):
        if name in values:
            raw = values[name]
            out[name] = ZERO if raw in (None, "") else parse_quantity(raw, uom=uom, field=name, allow_zero=True)
    if "lead_time_days" in values:
        raw = values["lead_time_days"]
        try:
            days = int(str(raw).strip() or 0) if raw is not None else 0
        except ValueError:
            raise Invalid("The lead time is a whole number of days.", field="lead_time_days") from None
        if not 0 <= days <= 3650:
            raise Invalid("The lead time is between 0 and 3650 days.", field="lead_time_days")
        out["lead_time_days"] = days
    if "standard_cost" in values:
        out["standard_cost"] = parse_cost(values["standard_cost"], field="standard_cost") or ZERO
    if "valuation_method" in values and values["valuation_method"]:
        out["valuation_method"] = check_choice(values["valuation_method"], VALUATION, "valuation method",
                                               "valuation_method")
    if out.get("tracking") == "none" and out.get("expiry_required"):
        raise Invalid("Expiry dates are kept per lot: track the item by lot to require them.", field="expiry_required")
    return out


def create_item(*, sku: str, name: str, uow: UnitOfWork, barcodes: list[tuple[str, str, int]] = (), **values) -> Item:
    """A new item. `barcodes` are (code, level, pack quantity), e.g. ("4006381333931", "each", 1)."""
    sku = normalise_sku(sku)
    values.setdefault("valuation_method", stock_settings.current().default_valuation)
    fields = _item_fields({"name": name, **values})
    with uow:
        item = _create_item(uow.session, sku, fields, barcodes)
        uow.commit()
        return item


def create_item_within(s: Session, *, sku: str, name: str, barcodes: list[tuple[str, str, int]] = (),
                       **values) -> Item:
    """create_item inside the caller's open transaction (no commit): the CSV import creates many at once."""
    sku = normalise_sku(sku)
    values.setdefault("valuation_method", stock_settings.current().default_valuation)
    return _create_item(s, sku, _item_fields({"name": name, **values}), barcodes)


def _create_item(s: Session, sku: str, fields: dict, barcodes) -> Item:
    if s.scalar(select(Item.id).where(Item.sku == sku)):
        raise Conflict(f"The SKU {sku} is already used.", field="sku")
    if s.get(ScanCode, sku) is not None:
        raise Conflict(f"{sku} is already the code of something else; choose another SKU.", field="sku")
    item = Item(sku=sku, active=True, **fields)
    s.add(item)
    s.flush()
    register_code(s, sku, kind="item", target_id=item.id, label=sku)
    for code, level, pack in barcodes:
        _attach(s, item, code, level, pack)
    return item


def update_item(*, sku: str, uow: UnitOfWork, **values) -> Item:
    with uow:
        s = uow.session
        item = find_item(s, sku=sku).item
        lock_items(s, [item.id])
        fields = _item_fields({**values, "_uom": item.uom})
        holds_stock = s.scalar(select(StockBalance.id).where(StockBalance.item_id == item.id, StockBalance.on_hand != 0).limit(1))
        if holds_stock:
            for name, what in (("valuation_method", "valuation method"), ("uom", "unit of measure"), ("tracking", "tracking")):
                if name in fields and fields[name] != getattr(item, name):
                    raise Conflict(f"The {what} of {item.sku} can only change while it holds no stock.", field=name)
        tracking = fields.get("tracking", item.tracking)
        if tracking == "none" and fields.get("expiry_required", item.expiry_required):
            raise Invalid("Expiry dates are kept per lot: track the item by lot to require them.", field="expiry_required")
        for name, value in fields.items():
            setattr(item, name, value)
        uow.commit()
        return item


def set_item_active(*, sku: str, active: bool, uow: UnitOfWork) -> Item:
    with uow:
        item = find_item(uow.session, sku=sku).item
        item.active = active
        uow.commit()
        return item


def _barcode_key(code: str) -> tuple[str, str]:
    """(registry key, label as printed) of a product barcode; the key is its GTIN-14."""
    digits = (code or "").strip()
    parsed = parse_code(digits)
    if parsed.kind != "gtin":
        raise Invalid("A barcode to attach is an EAN-13, UPC-A, EAN-8 or GTIN-14 (digits only).", field="code")
    return parsed.key, digits


def _attach(s: Session, item: Item, code: str, level: str, pack_qty) -> ItemBarcode:
    level = check_choice(level or "each", PACK_LEVELS, "pack level", "level")
    try:
        pack = int(str(pack_qty).strip())
    except ValueError:
        raise Invalid("The pack quantity is a whole number of units.", field="pack_qty") from None
    if not 1 <= pack <= 100_000:
        raise Invalid("The pack quantity is between 1 and 100000 units.", field="pack_qty")
    if level == "each" and pack != 1:
        raise Invalid("An 'each' barcode stands for one unit; use inner or case for packs.", field="pack_qty")
    if level != "each" and pack == 1:
        raise Invalid(f"A {level} barcode stands for more than one unit; give its pack quantity.", field="pack_qty")
    key, label = _barcode_key(code)
    register_code(s, key, kind="item", target_id=item.id, pack_qty=pack, label=label)
    row = ItemBarcode(code=key, item_id=item.id, level=level)
    s.add(row)
    s.flush()
    return row


def attach_barcode_within(s: Session, *, item: Item, code: str, level: str = "each", pack_qty=1) -> ItemBarcode:
    """attach_barcode inside the caller's open transaction (no commit): the CSV import."""
    return _attach(s, item, code, level, pack_qty)


def attach_barcode(*, sku: str, code: str, level: str = "each", pack_qty=1, uow: UnitOfWork) -> ItemBarcode:
    with uow:
        item = find_item(uow.session, sku=sku).item
        row = _attach(uow.session, item, code, level, pack_qty)
        uow.commit()
        return row


def detach_barcode(*, sku: str, code: str, uow: UnitOfWork) -> None:
    with uow:
        s = uow.session
        item = find_item(s, sku=sku).item
        key, _ = _barcode_key(code)
        row = s.get(ItemBarcode, key)
        if row is None or row.item_id != item.id:
            raise NotFound(f"{item.sku} has no barcode {code}.", field="code")
        s.delete(row)
        s.flush()
        s.delete(s.get(ScanCode, key))
        uow.commit()


# --- scan actions ---------------------------------------------------------------------------------------------------


def moved(kind, item: Item, qty, lot, mv: StockMovement, src=None, dst=None, out_bal=None, in_bal=None,
             notes=()) -> Moved:
    return Moved(
        kind=kind, sku=item.sku, name=item.name, quantity=str(qty), uom=item.uom, lot=lot,
        from_location=src.code if src else None, to_location=dst.code if dst else None, movement_ids=[mv.id],
        on_hand_from=str(out_bal.on_hand) if out_bal is not None else None,
        on_hand_to=str(in_bal.on_hand) if in_bal is not None else None,
        cost=str(tidy(mv.total_cost)) if mv.total_cost is not None else None, reference=mv.reference, notes=list(notes),
    )


def claim_scan(uow: UnitOfWork, scope: str, who: Actor, *, at_commit: bool = False, **request) -> None:
    """Claim the scan's id (see UnitOfWork.claim; at_commit for the scans that move stock: one statement less on
    every scan, and on PostgreSQL a round trip)."""
    if who.scan_id:
        uow.claim(who.scan_id, scope=scope, actor_id=who.actor_id, fingerprint=_fingerprint(**request),
                  device_time=who.device_time, at_commit=at_commit)


def receive(*, code: str | None = None, sku: str | None = None, location_code: str, quantity=None, who: Actor,
            uow: UnitOfWork, lot: str | None = None, expiry: date | None = None, unit_cost=None,
            po_number: str | None = None, reference: str = "") -> Moved:
    """Goods arrive at a dock or bin, against a purchase order or not. Records the unit cost (the PO line's, the
    one typed, or the item's standard cost)."""
    with uow:
        claim_scan(uow, "stock.receive", who, at_commit=True, code=code, sku=sku, loc=location_code, qty=quantity, lot=lot,
                   po=po_number)
        result = receive_within(uow.session, code=code, sku=sku, location_code=location_code, quantity=quantity,
                                who=who, lot=lot, expiry=expiry, unit_cost=unit_cost, po_number=po_number,
                                reference=reference)
        uow.record(result.as_outcome())
        uow.commit()
        return result


def receive_within(s: Session, *, code: str | None = None, sku: str | None = None, location_code: str, quantity=None,
                   who: Actor, lot: str | None = None, expiry: date | None = None, unit_cost=None,
                   po_number: str | None = None, reference: str = "") -> Moved:
    """receive inside the caller's open transaction: no claim of the scan id, no commit (the CSV import's opening
    stock receives many lines in one transaction). Locks the item like receive."""
    cost = parse_cost(unit_cost)
    ref, dst = find_item_and_lock_at(s, code, location_code, sku=sku)
    item = ref.item
    _require_active(item)
    qty = scanned_quantity(ref, quantity)
    lot_key, expiry = tracking_key(s, ref, lot, expiry, incoming=True)
    notes: list[str] = []
    if po_number:
        from .purchasing import receive_on_po

        po_cost, notes, reference = receive_on_po(s, po_number, item, qty)
        cost = cost if cost is not None else po_cost
    if cost is None:
        cost = item.standard_cost
    mv, bal = stock_in(s, kind="receipt", item=item, dst=dst, qty=qty, who=who, lot=lot_key, expiry=expiry,
                       unit_cost=cost, reference=reference or (po_number or ""))
    return moved("receipt", item, qty, lot_key, mv, dst=dst, in_bal=bal, notes=notes)


def relocate(*, kind: str = "move", code: str | None = None, sku: str | None = None, from_code: str, to_code: str,
             quantity=None, who: Actor, uow: UnitOfWork, lot: str | None = None, reference: str = "") -> Moved:
    """Put away (dock → bin) or move (bin → bin). The value does not change; the place does."""
    if kind not in ("put_away", "move"):
        raise Invalid("A relocation is a put-away or a move.", field="kind")
    with uow:
        s = uow.session
        claim_scan(uow, f"stock.{kind}", who, at_commit=True, code=code, sku=sku, src=from_code, dst=to_code,
                   qty=quantity, lot=lot)
        ref, src = find_item_and_lock_at(s, code, from_code, sku=sku, field="from_location")
        item = ref.item
        dst = find_location(s, to_code, field="to_location")
        qty = scanned_quantity(ref, quantity)
        # An expired lot may still move: taking it to quarantine is what should happen to it.
        lot_key, expiry = tracking_key(s, ref, lot, None, incoming=False, allow_expired=True)
        mv, out_bal, in_bal = transfer(s, kind=kind, item=item, src=src, dst=dst, qty=qty, who=who, lot=lot_key,
                                       expiry=expiry, reference=reference)
        result = moved(kind, item, qty, lot_key, mv, src=src, dst=dst, out_bal=out_bal, in_bal=in_bal,
                       notes=_expired(lot_key, expiry))
        uow.record(result.as_outcome())
        uow.commit()
        return result


def take_out(*, kind: str = "pick", code: str | None = None, sku: str | None = None, location_code: str,
             quantity=None, who: Actor, uow: UnitOfWork, lot: str | None = None, reference: str = "") -> Moved:
    """Stock leaves without an order: an ad-hoc pick, or an issue to a job or cost centre (kind "issue")."""
    if kind not in ("pick", "issue"):
        raise Invalid("Taking stock out is a pick or an issue.", field="kind")
    if kind == "issue" and not (reference or "").strip():
        raise Invalid("Say which job or cost centre the stock is issued to.", field="reference")
    with uow:
        s = uow.session
        claim_scan(uow, f"stock.{kind}", who, at_commit=True, code=code, sku=sku, loc=location_code, qty=quantity,
                   lot=lot, ref=reference)
        ref, src = find_item_and_lock_at(s, code, location_code, sku=sku)
        item = ref.item
        qty = scanned_quantity(ref, quantity)
        lot_key, expiry = tracking_key(s, ref, lot, None, incoming=False)
        mv, bal = stock_out(s, kind=kind, item=item, src=src, qty=qty, who=who, lot=lot_key, expiry=expiry,
                            reference=reference.strip())
        result = moved(kind, item, qty, lot_key, mv, src=src, out_bal=bal)
        uow.record(result.as_outcome())
        uow.commit()
        return result


def return_stock(*, code: str | None = None, sku: str | None = None, location_code: str, quantity=None, who: Actor,
                 uow: UnitOfWork, lot: str | None = None, expiry: date | None = None, reference: str = "",
                 reason: str = "") -> Moved:
    """Stock coming back (unused parts from a job, a customer return) into a bin, at the item's current cost. An
    expired lot is taken back too (with a warning): it is ours again either way, and a pick refuses it."""
    reference, reason = (reference or "").strip(), (reason or "").strip()
    with uow:
        s = uow.session
        claim_scan(uow, "stock.return", who, at_commit=True, code=code, sku=sku, loc=location_code, qty=quantity,
                   lot=lot, ref=reference, reason=reason)
        ref, dst = find_item_and_lock_at(s, code, location_code, sku=sku)
        item = ref.item
        qty = scanned_quantity(ref, quantity)
        lot_key, expiry = tracking_key(s, ref, lot, expiry, incoming=True, allow_expired=True)
        mv, bal = stock_in(s, kind="return", item=item, dst=dst, qty=qty, who=who, lot=lot_key, expiry=expiry,
                           reference=reference, reason=reason)
        result = moved("return", item, qty, lot_key, mv, dst=dst, in_bal=bal, notes=_expired(lot_key, expiry))
        uow.record(result.as_outcome())
        uow.commit()
        return result


def _expired(lot: str, expiry: date | None) -> list[str]:
    warning = expiry_warning(lot, expiry, date.today())
    return [warning] if warning else []


def adjust_within(s: Session, *, item: Item, location: Location, lot: str, delta: Decimal, who: Actor,
                  reference: str, reason: str) -> StockMovement | None:
    """Correct a balance by a counted variance with a count_adjustment movement (inside an open transaction, the
    item locked). The variance was taken when the line was counted, against the balance of that moment, so stock
    picked or put away since then is neither lost nor found twice."""
    if delta == 0:
        return None
    if delta > 0:
        mv, _ = stock_in(s, kind="count_adjustment", item=item, dst=location, qty=delta, who=who, lot=lot,
                         reference=reference, reason=reason)
        return mv
    bal = _balance(s, item.id, location.id, lot, create=True)
    loss = -delta
    if bal.on_hand - loss < 0 and not stock_settings.current().allow_negative:
        raise InsufficientStock(
            f"{item.sku} in {location.code} holds {bal.on_hand} now, so it cannot lose {loss}; count it again.",
            field="quantity", available=str(bal.on_hand),
        )
    _set_balance(s, bal, bal.on_hand - loss)
    unit_cost, total, value_change = _draw_layers(s, item, loss)
    _book(s, item, -loss, value_change)
    return _movement(s, kind="count_adjustment", item=item, qty=delta, who=who, lot=lot, dst=location,
                     unit_cost=unit_cost, total_cost=total, reference=reference, reason=reason)


def consume_within(uow: UnitOfWork, *, sku: str, location_code: str, quantity, reference: str, actor_id: int,
                   source: str = "typed", lot: str | None = None) -> StockMovement:
    """Consume spare parts inside the caller's already-open unit of work (maintenance uses it).

    No commit and no claim: the caller's transaction owns both, so the part leaves stock exactly when the
    maintenance record is committed, and not at all when it rolls back. Locks the item and its balance, writes a
    `consumption` movement costed from the cost layers. Raises InsufficientStock (a Conflict, 409) when the place
    holds less than `quantity`, NotFound (404) for an unknown SKU or location, Invalid (422) for a bad quantity,
    a missing or expired lot.
    """
    s = uow.session
    who = Actor(actor_id=actor_id, source=source)
    ref = find_item(s, sku=sku)
    item = ref.item
    src = find_location(s, location_code)
    qty = parse_quantity(quantity, uom=item.uom)
    check_serial_quantity(item.tracking, qty)
    if not (reference or "").strip():
        raise Invalid("Say what the parts were consumed for (a maintenance job).", field="reference")
    lock_items(s, [item.id])
    lot_key, expiry = tracking_key(s, ref, lot, None, incoming=False)
    mv, _ = stock_out(s, kind="consumption", item=item, src=src, qty=qty, who=who, lot=lot_key, expiry=expiry,
                      reference=reference.strip())
    return mv
