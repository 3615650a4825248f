"""Orders: a manager enters lines (or imports them, csvio); allocation reserves available stock in warehouse bins
(oldest expiry first, never an expired lot, then walking order); the picker walks the pick list bin by bin, scanning
the bin and the item to confirm; what is not there is reported short with a reason and goes to a backorder; picked
goods are scanned into packages and shipped with a carrier and tracking number.

Nothing ordered is ever dropped: what no allocation could reserve is counted on its line as not in stock when the
order ships (or when a manager closes it short) and goes on the backorder too. An order with nothing picked that a
manager closes short becomes "backordered" at once. An order's number is its scan code: scanned at the hub it
opens the pick list.

A pick is the movement that takes stock out of the ledger (and costs it); packing and shipping only record where
the picked goods went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid, NotFound
from ..locations.models import Location
from ..scanning.models import ScanCode
from ..scanning.registry import register_code
from ..scanning.rules import parse as parse_code
from ..types import MAX_ROW_ID, utcnow
from ..uow import UnitOfWork
from .models import Allocation, Item, Order, OrderLine, Package, PackageContent, StockBalance, StockLot, StockMovement
from .rules import WrongPlace, parse_quantity
from .services import (
    Actor,
    Moved,
    by_number,
    claim_scan,
    find_item,
    find_location,
    lock_items,
    moved,
    new_number,
    placeholder_number,
    scanned_quantity,
    stock_in,
    stock_out,
    tracking_key,
)
from .types import money

ZERO = Decimal(0)
SHORT_REASONS = {
    "not_found": "Not in the bin",
    "damaged": "Damaged",
    "expired": "Expired",
    "wrong_item": "Wrong item in the bin",
    "other": "Other",
}
NOT_IN_STOCK = "Not in stock when allocated"
# Where an order's stock is reserved from: warehouse storage, never a dock (not put away yet) or a technician's van.
STORAGE_KINDS = ("bin", "zone")
CLOSABLE = ("open", "allocated", "picking", "picked")


def _order(s: Session, number: str, *, lock: bool = False) -> Order:
    return by_number(s, Order, number, "order", lock=lock, field="order")


def get_order(s: Session, number: str) -> Order:
    return _order(s, number)


def create_order(*, customer: str, lines: list[tuple[str, object]], actor_id: int | None, uow: UnitOfWork,
                 number: str | None = None, ship_to: str = "", site_code: str | None = None) -> Order:
    """An order with lines (sku, quantity)."""
    with uow:
        order = add_order(uow.session, customer=customer, lines=lines, actor_id=actor_id, number=number,
                          ship_to=ship_to, site_code=site_code)
        uow.commit()
        return order


def add_order(s: Session, *, customer: str, lines: list[tuple[str, object]], actor_id: int | None,
              number: str | None = None, ship_to: str = "", site_code: str | None = None,
              backorder_of: Order | None = None) -> Order:
    """Add an order inside the caller's open transaction (no commit): the CSV import adds many in one."""
    if not lines:
        raise Invalid("An order needs at least one line.", field="lines")
    if not (customer or "").strip():
        raise Invalid("Who is the order for?", field="customer")
    number = check_number(number) if (number or "").strip() else ""
    if number and (s.scalar(select(Order.id).where(Order.number == number)) or s.get(ScanCode, number)):
        raise Conflict(f"The order number {number} is already used.", field="number")
    site = find_location(s, site_code) if site_code else None
    order = Order(number=number or placeholder_number(), customer=customer.strip(),
                  ship_to=(ship_to or "").strip()[:2000], status="open",
                  site_id=site.id if site else (backorder_of.site_id if backorder_of else None),
                  created_by=actor_id, backorder_of_id=backorder_of.id if backorder_of else None)
    s.add(order)
    if not number:
        number = new_number(s, Order, order, "SO-", start=1000)
        if s.get(ScanCode, number):  # a place or thing already has this code
            number = f"{number}-{order.id}"
        order.number = number
    s.flush()
    for sku, qty in lines:
        add_line(s, order, sku, qty)
    register_code(s, number, kind="order", target_id=order.id, label=number)
    s.flush()
    return order


def add_line(s: Session, order: Order, sku: str, quantity) -> OrderLine:
    """One more line on an order being entered (inside the caller's transaction)."""
    item = find_item(s, sku=sku).item
    if any(x.item_id == item.id for x in order.lines):
        raise Invalid(f"{item.sku} is on the order twice; put it on one line.", field="lines")
    line = OrderLine(item_id=item.id, ordered_qty=parse_quantity(quantity, uom=item.uom), picked_qty=ZERO,
                     short_qty=ZERO, unallocated_qty=ZERO)
    order.lines.append(line)
    s.flush()
    return line


def check_number(number: str) -> str:
    """A typed order number, upper-cased; it must scan back as itself, since it is the order's scan code."""
    key = number.strip().upper()
    if len(key) > 40:
        raise Invalid("An order number is at most 40 characters.", field="number")
    try:
        parsed = parse_code(key)
    except Invalid:
        parsed = None
    if parsed is not None and parsed.kind != "code":
        raise Invalid(f"{key} would scan as a product barcode, not as the order; put letters in it (e.g. SO-{key}).",
                      field="number")
    if parsed is None or parsed.key != key:
        raise Invalid(f"{key!r} cannot be an order number: use letters, digits and - . / : _ only.", field="number")
    return key


def _site_bins(s: Session, order: Order) -> set[int] | None:
    if order.site_id is None:
        return None
    from .queries import descendant_ids

    return set(descendant_ids(s, order.site_id))


def allocate(*, number: str, uow: UnitOfWork) -> Order:
    """Reserve available stock in warehouse bins for every open line: lots expiring first (expired lots are left
    where they are: they cannot be picked), then along the walking route."""
    with uow:
        s = uow.session
        order = _order(s, number, lock=True)
        if order.status not in ("open", "allocated", "picking"):
            raise Conflict(f"Order {order.number} is {order.status}; it cannot be allocated.", field="order")
        lock_items(s, [line.item_id for line in order.lines])
        inside = _site_bins(s, order)
        today = date.today()
        for line in order.lines:
            need = line.open_qty
            if need <= 0:
                continue
            q = (select(StockBalance).join(Location, Location.id == StockBalance.location_id)
                 .outerjoin(StockLot, (StockLot.item_id == StockBalance.item_id) & (StockLot.code == StockBalance.lot))
                 .where(StockBalance.item_id == line.item_id, StockBalance.on_hand > StockBalance.allocated,
                        Location.active, Location.kind.in_(STORAGE_KINDS),
                        or_(StockLot.expiry.is_(None), StockLot.expiry >= today))
                 .order_by(StockLot.expiry.is_(None), StockLot.expiry, Location.walk_order, Location.code)
                 .with_for_update(of=StockBalance))
            for bal in s.scalars(q):
                if need <= 0:
                    break
                if inside is not None and bal.location_id not in inside:
                    continue
                take = min(bal.available, need)
                bal.allocated = bal.allocated + take
                existing = next((a for a in line.allocations if a.balance_id == bal.id), None)
                if existing:
                    existing.quantity = existing.quantity + take
                else:
                    line.allocations.append(Allocation(balance_id=bal.id, quantity=take))
                need -= take
        s.flush()
        if any(line.allocations for line in order.lines) and order.status == "open":
            order.status = "allocated"
        uow.commit()
        return order


@dataclass(frozen=True)
class PickTask:
    allocation_id: int
    location: Location
    sku: str
    name: str
    lot: str
    quantity: Decimal
    uom: str


def pick_list(s: Session, number: str) -> list[PickTask]:
    """What to pick, bin by bin in walking order."""
    order = _order(s, number)
    tasks = []
    for line in order.lines:
        for a in line.allocations:
            if a.quantity > 0:
                tasks.append(PickTask(a.id, a.balance.location, line.item.sku, line.item.name, a.balance.lot,
                                      a.quantity, line.item.uom))
    return sorted(tasks, key=lambda t: (t.location.walk_order, t.location.code, t.sku, t.lot))


def _allocation(s: Session, order: Order, allocation_id) -> Allocation:
    try:
        key = int(str(allocation_id).strip())
    except ValueError:
        key = None
    if key is None or not 0 < key <= MAX_ROW_ID:
        raise Invalid(f"{str(allocation_id)[:20]!r} is not a pick of order {order.number}; choose the pick from its "
                      "pick list.", field="allocation")
    alloc = s.get(Allocation, key, with_for_update=True)
    if alloc is None or alloc.line.order_id != order.id:
        raise NotFound(f"Order {order.number} has no such pick.", field="allocation")
    return alloc


def check_bin(s: Session, number: str, bin_code: str) -> Location:
    """The bin the picker scanned has something to pick for this order; WrongPlace names the next bin if not."""
    tasks = pick_list(s, number)
    loc = find_location(s, bin_code, field="bin")
    if not any(t.location.id == loc.id for t in tasks):
        nxt = tasks[0].location.code if tasks else "nowhere: the order is picked"
        raise WrongPlace(f"Nothing to pick in {loc.code} for this order; the next pick is from {nxt}.", field="bin")
    return loc


def confirm_pick(*, number: str, allocation_id: int, bin_code: str, code: str, quantity=None, lot: str | None = None,
                 who: Actor, uow: UnitOfWork) -> Moved:
    """The picker scanned the bin and the item of one line of the pick list: take it out of stock."""
    with uow:
        s = uow.session
        claim_scan(uow, "stock.order_pick", who, number=number, alloc=allocation_id, bin=bin_code, code=code,
                   qty=quantity, lot=lot)
        order = _pickable(s, number)
        result = _pick(s, order, _allocation(s, order, allocation_id), bin_code, find_item(s, code), quantity,
                       lot, who)
        uow.record(result.as_outcome())
        uow.commit()
        return result


def pick_at(*, number: str, bin_code: str, code: str, quantity=None, who: Actor, uow: UnitOfWork) -> Moved:
    """The picker scanned an item in a bin: pick it for the first open line of the pick list that it fits."""
    with uow:
        s = uow.session
        claim_scan(uow, "stock.order_pick", who, number=number, bin=bin_code, code=code, qty=quantity)
        order = _pickable(s, number)
        ref = find_item(s, code)
        key = (bin_code or "").strip().upper()
        here = [a for line in order.lines if line.item_id == ref.item.id for a in line.allocations
                if a.quantity > 0 and a.balance.location.code == key]
        if not here:
            raise WrongPlace(f"{ref.item.sku} is not to be picked from {key} for {order.number}.", field="code")
        result = _pick(s, order, _for_label(order, ref, here, key), key, ref, quantity, None, who)
        uow.record(result.as_outcome())
        uow.commit()
        return result


def _for_label(order: Order, ref, here: list[Allocation], bin_code: str) -> Allocation:
    """Of the reservations of the scanned item in this bin, the one for the lot or serial number its label carries
    (two lots of an item may share a bin); a plain barcode, which names no lot, takes the first reserved."""
    item, parsed = ref.item, ref.parsed
    on_label = ""
    if parsed is not None and item.tracking != "none":
        on_label = ((parsed.serial if item.tracking == "serial" else parsed.lot) or "").strip()
    if not on_label:
        return here[0]
    match = next((a for a in here if a.balance.lot == on_label), None)
    if match is None:
        what = "serial number" if item.tracking == "serial" else "lot"
        reserved = sorted({a.balance.lot for a in here})
        raise WrongPlace(f"The label says {what} {on_label}, but {order.number} has {what}"
                         f"{'s' if len(reserved) > 1 else ''} {', '.join(reserved)} of {item.sku} reserved in "
                         f"{bin_code}: pick {'one of those' if len(reserved) > 1 else 'that one'}.", field="lot")
    return match


def _pickable(s: Session, number: str) -> Order:
    order = _order(s, number, lock=True)
    if order.status not in ("allocated", "picking"):
        raise Conflict(f"Order {order.number} is {order.status}; nothing to pick.", field="order")
    return order


def _pick(s: Session, order: Order, alloc: Allocation, bin_code: str, ref, quantity, lot: str | None,
          who: Actor) -> Moved:
    line = alloc.line
    where = alloc.balance.location
    scanned_bin = find_location(s, bin_code, field="bin")
    if scanned_bin.id != where.id:
        raise WrongPlace(f"Wrong bin: this pick is from {where.code}, you scanned {scanned_bin.code}.", field="bin")
    if ref.item.id != line.item_id:
        raise WrongPlace(f"Wrong item: this pick is {line.item.sku} {line.item.name}, you scanned {ref.item.sku}.",
                         field="code")
    qty = scanned_quantity(ref, quantity)
    if qty > alloc.quantity:
        raise Conflict(f"Only {alloc.quantity} to pick here; you scanned {qty}.", field="quantity")
    lock_items(s, [line.item_id])
    lot_key, expiry = tracking_key(s, ref, lot or alloc.balance.lot or None, None, incoming=False)
    if lot_key != alloc.balance.lot:
        raise WrongPlace(f"Wrong lot: pick lot {alloc.balance.lot}, you scanned {lot_key}.", field="lot")
    mv, bal = stock_out(s, kind="pick", item=line.item, src=where, qty=qty, who=who, lot=lot_key, expiry=expiry,
                        reference=order.number, from_allocation=qty)
    alloc.quantity = alloc.quantity - qty
    line.picked_qty = line.picked_qty + qty
    order.status = _status_after_pick(order)
    result = moved("pick", line.item, qty, lot_key, mv, src=where, out_bal=bal)
    left = sum((a.quantity for x in order.lines for a in x.allocations), ZERO)
    missing = sum((x.open_qty for x in order.lines), ZERO)
    if left:
        result.notes.append(f"{left} more to pick on {order.number}.")
    elif missing:
        result.notes.append(f"Everything reserved is picked; {missing} not in stock go on a backorder when it ships.")
    else:
        result.notes.append("Order picked.")
    return result


def _status_after_pick(order: Order) -> str:
    left = sum((a.quantity for x in order.lines for a in x.allocations), ZERO)
    return "picked" if left == 0 else "picking"


def report_short(*, number: str, allocation_id: int, quantity=None, reason: str, who: Actor,
                 uow: UnitOfWork) -> Order:
    """The bin holds less than the pick list says: release the reservation and backorder the rest, with why."""
    if reason not in SHORT_REASONS:
        raise Invalid(f"Choose why it is short: {', '.join(SHORT_REASONS)}.", field="reason")
    with uow:
        s = uow.session
        claim_scan(uow, "stock.order_short", who, number=number, alloc=allocation_id, qty=quantity, reason=reason)
        order = _order(s, number, lock=True)
        alloc = _allocation(s, order, allocation_id)
        line = alloc.line
        short = alloc.quantity if quantity in (None, "") else parse_quantity(quantity, uom=line.item.uom)
        if short > alloc.quantity:
            raise Invalid(f"Only {alloc.quantity} was to be picked here.", field="quantity")
        lock_items(s, [line.item_id])
        bal = s.get(StockBalance, alloc.balance_id, with_for_update=True)
        bal.allocated = bal.allocated - short
        alloc.quantity = alloc.quantity - short
        line.short_qty = line.short_qty + short
        line.short_reason = reason
        order.status = _status_after_pick(order)
        uow.record({"number": order.number, "short": str(short)})
        uow.commit()
        return order


def _package(s: Session, order: Order, package_number: str | None) -> Package:
    if package_number:
        pkg = next((p for p in order.packages if p.number == package_number.strip().upper()), None)
        if pkg is None:
            raise NotFound(f"Order {order.number} has no package {package_number}.", field="package")
        if pkg.sealed:
            raise Conflict(f"Package {pkg.number} is sealed.", field="package")
        return pkg
    open_pkg = next((p for p in order.packages if not p.sealed), None)
    if open_pkg:
        return open_pkg
    pkg = Package(order_id=order.id, number=f"{order.number}-P{len(order.packages) + 1}", sealed=False)
    s.add(pkg)
    s.flush()
    s.refresh(order)
    return pkg


def pack_scan(*, number: str, code: str, quantity=None, lot: str | None = None, package_number: str | None = None,
              who: Actor, uow: UnitOfWork) -> dict:
    """Scan a picked item into the open package (a new one is started when none is open)."""
    with uow:
        s = uow.session
        claim_scan(uow, "stock.pack", who, number=number, code=code, qty=quantity, lot=lot, pkg=package_number)
        order = _order(s, number, lock=True)
        if order.status not in ("picking", "picked", "packed"):
            raise Conflict(f"Order {order.number} is {order.status}; only picked goods are packed.", field="order")
        ref = find_item(s, code)
        line = next((x for x in order.lines if x.item_id == ref.item.id), None)
        if line is None:
            raise Conflict(f"{ref.item.sku} is not on order {order.number}.", field="code")
        qty = scanned_quantity(ref, quantity)
        lot_key = _scanned_lot(ref, lot)
        packed = sum((c.quantity for p in order.packages for c in p.contents if c.item_id == line.item_id), ZERO)
        if packed + qty > line.picked_qty:
            raise Conflict(f"Only {line.picked_qty - packed} of {line.item.sku} picked and not packed yet.",
                           field="quantity")
        pkg = _package(s, order, package_number)
        content = next((c for c in pkg.contents if c.item_id == line.item_id and c.lot == lot_key), None)
        if content:
            content.quantity = content.quantity + qty
        else:
            s.add(PackageContent(package_id=pkg.id, item_id=line.item_id, lot=lot_key, quantity=qty))
        s.flush()
        order.status = "packed" if _all_packed(order) and order.status == "picked" else order.status
        outcome = {"number": order.number, "package": pkg.number, "sku": line.item.sku, "quantity": str(qty),
                   "packed": str(packed + qty), "picked": str(line.picked_qty)}
        uow.record(outcome)
        uow.commit()
        return outcome


def _scanned_lot(ref, typed: str | None) -> str:
    """The lot or serial of a packed unit, as typed or read from its GS1 label ('' for untracked items)."""
    if ref.item.tracking == "none":
        return ""
    parsed = ref.parsed
    scanned = (parsed.serial if ref.item.tracking == "serial" else parsed.lot) if parsed else None
    return ((typed or "").strip() or scanned or "")[:40]


def _all_packed(order: Order) -> bool:
    for line in order.lines:
        packed = sum((c.quantity for p in order.packages for c in p.contents if c.item_id == line.item_id), ZERO)
        if packed < line.picked_qty:
            return False
    return True


def seal_package(*, number: str, package_number: str, uow: UnitOfWork) -> Package:
    with uow:
        s = uow.session
        order = _order(s, number, lock=True)
        pkg = _package(s, order, package_number)
        if not pkg.contents:
            raise Invalid(f"Package {pkg.number} is empty.", field="package")
        pkg.sealed = True
        uow.commit()
        return pkg


def ship(*, number: str, carrier: str, tracking_number: str, actor_id: int | None, uow: UnitOfWork) -> Order:
    """Hand the packages to the carrier. Short lines go on a new backorder."""
    carrier = (carrier or "").strip()
    tracking = (tracking_number or "").strip()
    if not carrier:
        raise Invalid("Which carrier takes it?", field="carrier")
    if not tracking or len(tracking) > 60:
        raise Invalid("Type or scan the tracking number (up to 60 characters).", field="tracking_number")
    with uow:
        s = uow.session
        order = _order(s, number, lock=True)
        if order.status == "shipped":
            raise Conflict(f"Order {order.number} has shipped already.", field="order")
        if order.status not in ("picked", "packed"):
            raise Conflict(f"Order {order.number} is {order.status}; pick it completely first.", field="order")
        if not any(x.picked_qty > 0 for x in order.lines):
            raise Conflict(f"Nothing was picked for {order.number}, so there is nothing to ship; a manager closes it "
                           "short to backorder it.", field="order")
        if not _all_packed(order):
            raise Conflict(f"Not everything picked for {order.number} is packed yet.", field="order")
        for pkg in order.packages:
            pkg.sealed = True
        order.carrier = carrier
        order.tracking_number = tracking
        order.status = "shipped"
        order.shipped_at = utcnow()
        _backorder(s, order, actor_id)
        uow.commit()
        return order


def _backorder(s: Session, order: Order, actor_id: int | None) -> Order | None:
    """What was never reserved is now counted as not in stock; it and the shorts go on one new order."""
    for line in order.lines:
        line.unallocated_qty = line.unallocated_qty + line.open_qty
    rest = [(x.item.sku, x.backordered_qty) for x in order.lines if x.backordered_qty > 0]
    if not rest:
        return None
    number = f"{order.number}-B"
    n = 1
    while s.scalar(select(ScanCode.code).where(ScanCode.code == number)) or s.scalar(
            select(Order.id).where(Order.number == number)):
        n += 1  # someone typed that number already: the next free one, -B2, -B3 …
        number = f"{order.number}-B{n}"
    return add_order(s, customer=order.customer, lines=rest, actor_id=actor_id,
                     number=number if len(number) <= 40 else None, ship_to=order.ship_to, backorder_of=order)


def close_short(*, number: str, reason: str = "", actor_id: int | None, uow: UnitOfWork) -> Order:
    """A manager stops waiting for stock: reservations not picked yet are released and reported short with the
    reason, what was never reserved counts as not in stock. With goods picked the order goes on to pack and ship
    (the rest is backordered then); with nothing picked it is closed as backordered and its backorder made now."""
    with uow:
        s = uow.session
        order = _order(s, number, lock=True)
        if order.status not in CLOSABLE:
            raise Conflict(f"Order {order.number} is {order.status}; it cannot be closed short.", field="order")
        held = [a for x in order.lines for a in x.allocations if a.quantity > 0]
        if held and reason not in SHORT_REASONS:
            raise Invalid(f"Choose why the reserved stock is not picked: {', '.join(SHORT_REASONS)}.",
                          field="reason")
        lock_items(s, [x.item_id for x in order.lines])
        for a in held:
            bal = s.get(StockBalance, a.balance_id, with_for_update=True)
            bal.allocated = bal.allocated - a.quantity
            a.line.short_qty = a.line.short_qty + a.quantity
            a.line.short_reason = reason
            a.quantity = ZERO
        if any(x.picked_qty > 0 for x in order.lines):
            for line in order.lines:
                line.unallocated_qty = line.unallocated_qty + line.open_qty
            order.status = "packed" if _all_packed(order) else "picked"
        else:
            _backorder(s, order, actor_id)
            order.status = "backordered"
        uow.commit()
        return order


def backorder_reasons(order: Order) -> dict[int, str]:
    """Why each item of a backorder is on it, from the order it came from (item id → reasons)."""
    parent = order.backorder_of
    if parent is None:
        return {}
    return {x.item_id: why(x) for x in parent.lines if x.backordered_qty > 0}


def why(line: OrderLine) -> str:
    """What went short on a line and why, e.g. "2 damaged, 4 not in stock when allocated"."""
    parts = []
    if line.short_qty > 0:
        parts.append(f"{line.short_qty} {SHORT_REASONS.get(line.short_reason, line.short_reason or 'short').lower()}")
    if line.unallocated_qty > 0:
        parts.append(f"{line.unallocated_qty} {NOT_IN_STOCK.lower()}")
    return ", ".join(parts)


def cancel_order(*, number: str, uow: UnitOfWork, put_back_to: str | None = None, who: Actor | None = None) -> Order:
    """Release every reservation. Goods already picked (and not shipped) go back into the bin scanned, as returns
    of the lots picked, in the same transaction."""
    with uow:
        s = uow.session
        order = _order(s, number, lock=True)
        if order.status in ("shipped", "cancelled", "backordered"):
            raise Conflict(f"Order {order.number} is {order.status}.", field="order")
        picked = [x for x in order.lines if x.picked_qty > 0]
        if picked and not (put_back_to or "").strip():
            raise Conflict(f"{order.number} has picked goods; scan the bin to put them back into, then cancel.",
                           field="put_back_to")
        dst = find_location(s, put_back_to, field="put_back_to") if picked else None
        lock_items(s, [x.item_id for x in order.lines])
        for line in order.lines:
            for a in line.allocations:
                bal = s.get(StockBalance, a.balance_id, with_for_update=True)
                bal.allocated = bal.allocated - a.quantity
                a.quantity = ZERO
        if picked:
            # Back as picked: each lot of each item, from the order's own pick movements.
            rows = s.execute(select(StockMovement.item_id, StockMovement.lot, func.sum(StockMovement.quantity),
                                    func.sum(StockMovement.total_cost))
                             .where(StockMovement.reference == order.number, StockMovement.kind == "pick")
                             .group_by(StockMovement.item_id, StockMovement.lot)
                             .order_by(StockMovement.item_id, StockMovement.lot)).all()
            for item_id, lot, qty, cost in rows:
                # At what the picks cost, not at today's price: the stock is worth again what it was worth before.
                unit_cost = money(cost / qty) if cost is not None and qty else None
                stock_in(s, kind="return", item=s.get(Item, item_id), dst=dst, qty=qty, who=who or Actor(None),
                         lot=lot, unit_cost=unit_cost, reference=order.number, reason="order cancelled")
            for line in picked:
                line.picked_qty = ZERO
        order.status = "cancelled"
        uow.commit()
        return order
