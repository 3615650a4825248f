"""Read side of stock: balances, the ledger proof, valuation and replenishment. Never writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session, scoped_session

from ..locations.models import Location
from ..scanning.models import ScanCode
from .models import Allocation, CostLayer, Item, StockBalance, StockMovement
from .types import money

ZERO = Decimal(0)


@dataclass(frozen=True)
class Discrepancy:
    item_id: int
    location_id: int | None
    lot: str
    balance: Decimal
    ledger: Decimal
    what: str = "balance"

    def __str__(self) -> str:
        if self.what == "cost layers":
            return f"item {self.item_id}: cost layers hold {self.balance}, balances hold {self.ledger}"
        if self.what == "item total":
            return f"item {self.item_id}: its on-hand total says {self.balance}, its balances hold {self.ledger}"
        if self.what == "item value":
            return f"item {self.item_id}: its stock value says {self.balance}, its cost layers are worth {self.ledger}"
        if self.what == "allocated":
            return (f"item {self.item_id} at location {self.location_id} lot {self.lot or '-'}: "
                    f"{self.balance} promised, but order allocations hold {self.ledger}")
        return (f"item {self.item_id} at location {self.location_id} lot {self.lot or '-'}: "
                f"balance {self.balance} but ledger {self.ledger}")


def ledger_totals(s: Session, item_id: int | None = None) -> dict[tuple[int, int, str], Decimal]:
    """Σ quantity into each (item, location, lot) − Σ quantity out of it, from the movements alone."""
    totals: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    m = StockMovement
    for loc_col, sign in ((m.to_location_id, 1), (m.from_location_id, -1)):
        q = (select(m.item_id, loc_col, m.lot, func.sum(m.quantity)).where(loc_col.is_not(None))
             .group_by(m.item_id, loc_col, m.lot))
        if item_id is not None:
            q = q.where(m.item_id == item_id)
        for it, loc, lot, total in s.execute(q):
            totals[(it, loc, lot)] += sign * (total or ZERO)
    return dict(totals)


def verify(s: Session) -> list[Discrepancy]:
    """Every balance equals the sum of its ledger; the cost layers hold what the balances hold (when no balance is
    negative). Returns what disagrees: an empty list is the proof."""
    ledger = ledger_totals(s)
    problems: list[Discrepancy] = []
    balances = {(b.item_id, b.location_id, b.lot): b.on_hand for b in s.scalars(select(StockBalance))}
    for key in sorted(set(ledger) | set(balances), key=lambda k: (k[0], k[1], k[2])):
        have, want = balances.get(key, ZERO), ledger.get(key, ZERO)
        if have != want:
            problems.append(Discrepancy(key[0], key[1], key[2], have, want))
    per_item: dict[int, Decimal] = defaultdict(lambda: ZERO)
    negative: set[int] = set()
    for (item_id, _loc, _lot), on_hand in balances.items():
        per_item[item_id] += on_hand
        if on_hand < 0:
            negative.add(item_id)
    layers = dict(s.execute(select(CostLayer.item_id, func.sum(CostLayer.remaining_qty)).group_by(CostLayer.item_id)).all())
    for item_id in sorted(set(per_item) | set(layers)):
        if item_id in negative:
            continue
        have, want = layers.get(item_id) or ZERO, per_item.get(item_id, ZERO)
        if have != want:
            problems.append(Discrepancy(item_id, None, "", have, want, what="cost layers"))
    # The totals kept on each item (read by the dashboard) against what they summarise.
    worth: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item_id, qty, cost in s.execute(select(CostLayer.item_id, CostLayer.remaining_qty, CostLayer.unit_cost)
                                        .where(CostLayer.remaining_qty > 0)):
        worth[item_id] += qty * cost
    for item_id, total, value in s.execute(select(Item.id, Item.on_hand_total, Item.stock_value).order_by(Item.id)):
        if total != per_item.get(item_id, ZERO):
            problems.append(Discrepancy(item_id, None, "", total, per_item.get(item_id, ZERO), what="item total"))
        if value != worth.get(item_id, ZERO):
            problems.append(Discrepancy(item_id, None, "", value, worth.get(item_id, ZERO), what="item value"))
    # What each balance says is promised against the order lines' allocations that promise it.
    promised = dict(s.execute(select(Allocation.balance_id, func.sum(Allocation.quantity))
                              .group_by(Allocation.balance_id)).all())
    for b in s.scalars(select(StockBalance).where((StockBalance.allocated != 0)
                                                  | StockBalance.id.in_(list(promised) or [0]))):
        if b.allocated != (promised.get(b.id) or ZERO):
            problems.append(Discrepancy(b.item_id, b.location_id, b.lot, b.allocated, promised.get(b.id) or ZERO,
                                        what="allocated"))
    return problems


def stock_left_at(s: Session, loc: Location) -> str | None:
    """Why a place cannot be deactivated yet: stock still in it (or in the bins inside it) could never leave."""
    rows = s.execute(select(Item.sku, func.sum(StockBalance.on_hand)).join(Item, Item.id == StockBalance.item_id)
                     .where(StockBalance.location_id.in_(descendant_ids(s, loc.id)), StockBalance.on_hand != 0)
                     .group_by(Item.sku).order_by(Item.sku)).all()
    if not rows:
        return None
    listed = ", ".join(f"{qty} × {sku}" for sku, qty in rows[:3]) + (" …" if len(rows) > 3 else "")
    return f"it still holds stock ({listed}); move or count it out first."


def on_hand_by_location(s: Session, item_id: int) -> list[tuple[Location, str, Decimal, Decimal]]:
    """(location, lot, on hand, allocated) of an item, in walking order, non-zero only."""
    rows = s.execute(
        select(Location, StockBalance.lot, StockBalance.on_hand, StockBalance.allocated)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .where(StockBalance.item_id == item_id, (StockBalance.on_hand != 0) | (StockBalance.allocated != 0))
        .order_by(Location.walk_order, Location.code, StockBalance.lot)
    )
    return [tuple(r) for r in rows]


def total_on_hand(s: Session, item_id: int) -> Decimal:
    return s.scalar(select(func.sum(StockBalance.on_hand)).where(StockBalance.item_id == item_id)) or ZERO


def balance_of(s: Session, item_id: int, location_id: int, lot: str = "") -> StockBalance | None:
    return s.scalar(select(StockBalance).where(
        StockBalance.item_id == item_id, StockBalance.location_id == location_id, StockBalance.lot == lot))


def item_by_sku(s: Session, sku: str) -> Item | None:
    return s.scalar(select(Item).where(Item.sku == (sku or "").strip().upper()))


@dataclass
class LocationValue:
    location: Location
    on_hand: Decimal
    value: Decimal


@dataclass
class ItemValue:
    item: Item
    on_hand: Decimal
    value: Decimal
    locations: list[LocationValue]

    @property
    def unit_value(self) -> Decimal:
        return money(self.value / self.on_hand) if self.on_hand else ZERO


@dataclass
class Valuation:
    items: list[ItemValue]

    @property
    def total(self) -> Decimal:
        return sum((i.value for i in self.items), ZERO)


def valuation(s: Session, *, site_id: int | None = None) -> Valuation:
    """On-hand value by each item's method. The item's value is exactly what its cost layers hold (the remaining
    quantities at their costs: oldest for FIFO, newest for LIFO, the running average); a location's share is its
    quantity at the item's unit value, the last location taking the rounding so the parts add up to the whole."""
    # One statement: each item's value is its stock_value (Σ remaining × cost of its open layers, moved with its
    # balances in every movement's transaction), read with the balances, so a movement committed meanwhile is
    # either all in the figures or not at all. (The column, not the Item object: a copy loaded earlier in the
    # request would keep its older value.)
    rows = s.execute(
        select(Item, Location, func.sum(StockBalance.on_hand), Item.stock_value)
        .join(StockBalance, StockBalance.item_id == Item.id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.on_hand != 0)
        .group_by(Item.id, Location.id)
        .order_by(Item.sku, Location.walk_order, Location.code)
    ).all()
    items: dict[int, ItemValue] = {}
    for item, loc, qty, value in rows:
        entry = items.setdefault(item.id, ItemValue(item, ZERO, money(value or ZERO), []))
        entry.on_hand += qty
        entry.locations.append(LocationValue(loc, qty, ZERO))
    for entry in items.values():
        unit = entry.value / entry.on_hand if entry.on_hand else ZERO
        running = ZERO
        for i, lv in enumerate(entry.locations):
            lv.value = entry.value - running if i == len(entry.locations) - 1 else money(lv.on_hand * unit)
            running += lv.value
    result = list(items.values())
    if site_id is not None:
        result = _within_site(s, result, site_id)
    return Valuation(result)


def _within_site(s: Session, items: list[ItemValue], site_id: int) -> list[ItemValue]:
    inside = set(descendant_ids(s, site_id))
    kept = []
    for entry in items:
        locs = [lv for lv in entry.locations if lv.location.id in inside]
        if locs:
            kept.append(ItemValue(entry.item, sum((lv.on_hand for lv in locs), ZERO),
                                  sum((lv.value for lv in locs), ZERO), locs))
    return kept


def descendant_ids(s: Session, root_id: int) -> list[int]:
    """The location and everything inside it (site → zones → bins)."""
    pairs = s.execute(select(Location.id, Location.parent_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    for loc_id, parent in pairs:
        children[parent].append(loc_id)
    out, todo = [], [root_id]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(children.get(node, []))
    return out


@dataclass(frozen=True)
class ShownItem:
    """An item as a scan screen names it. Read as a plain row: a write looks the item up again, and locks it, in
    its own transaction (services.find_item_and_lock_at)."""

    id: int
    sku: str
    name: str
    tracking: str
    active: bool


@dataclass(frozen=True)
class ShownPlace:
    """A location as a scan screen names it (a plain row, like ShownItem)."""

    id: int
    code: str
    name: str
    kind: str
    active: bool


@dataclass(frozen=True)
class Scanned:
    """What a scan on a stock screen named: an item (with the lot, expiry and pack the label told), a location, or a
    document (purchase order, order, count)."""

    kind: str
    key: str
    label: str
    item: ShownItem | None = None
    location: ShownPlace | None = None
    pack_qty: int = 1
    lot: str = ""
    expiry: str = ""
    quantity: int | None = None


def classify(s: Session, raw: str) -> Scanned:
    """One parse and one indexed lookup. Raises Invalid for a malformed code, NotFound for an unknown one."""
    from ..errors import NotFound
    from ..scanning.rules import parse

    parsed = parse(raw)
    found = _shown(s, parsed.key)
    if found is None:
        # Typed location codes and SKUs are looked up as typed too (the registry keys them upper-cased already).
        raise NotFound(f"Unknown code {parsed.gtin or parsed.key}: nothing in Storekeeper has it.", field="scan")
    kind, code, label, pack_qty, item, loc = found
    if kind == "item" and item is not None:
        lot = (parsed.serial if item.tracking == "serial" else parsed.lot) or ""
        expiry = parsed.expiry or parsed.best_before
        return Scanned("item", parsed.key, f"{item.sku} {item.name}", item=item, pack_qty=pack_qty, lot=lot,
                       expiry=expiry.isoformat() if expiry else "", quantity=parsed.quantity)
    if kind == "location" and loc is not None:
        return Scanned("location", loc.code, f"{loc.code} {loc.name}", location=loc)
    return Scanned(kind, code, label or code)


@dataclass(frozen=True)
class OfflineCodes:
    """What a phone needs to fill in the scan flows offline (see scan_routes.offline_codes)."""

    places: list[tuple[str, str, str, str | None]]  # code, name, kind, parent code
    after: str | None  # the code to continue after, when there are more places
    purchase_orders: list[tuple[str, str, str]]  # number, supplier, status


def offline_codes(s: Session, *, after: str = "", limit: int = 500, po_limit: int = 500) -> OfflineCodes:
    """Active places in code order, `limit` at a time after the code `after`; with the first page, the newest
    `po_limit` purchase orders that accept receipts."""
    from sqlalchemy.orm import aliased

    from .models import RECEIVABLE_PO_STATUSES, PurchaseOrder

    parent = aliased(Location)
    rows = s.execute(
        select(Location.code, Location.name, Location.kind, parent.code)
        .outerjoin(parent, parent.id == Location.parent_id)
        .where(Location.active, Location.code > after).order_by(Location.code).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    places = [tuple(r) for r in rows[:limit]]
    pos = []
    if not after:
        pos = [tuple(r) for r in s.execute(
            select(PurchaseOrder.number, PurchaseOrder.supplier, PurchaseOrder.status)
            .where(PurchaseOrder.status.in_(RECEIVABLE_PO_STATUSES)).order_by(PurchaseOrder.id.desc()).limit(po_limit)
        )]
    return OfflineCodes(places=places, after=places[-1][0] if more else None, purchase_orders=pos)


# Built once: a statement built per call costs more Python than the lookup itself costs SQLite (0.2 vs 0.07 ms).
_REGISTERED = (
    select(ScanCode, Item, Location)
    .outerjoin(Item, (ScanCode.kind == "item") & (Item.id == ScanCode.target_id))
    .outerjoin(Location, (ScanCode.kind == "location") & (Location.id == ScanCode.target_id))
    .where(ScanCode.code == bindparam("key"))
    # A lookup is what the database says now: the session may hold the rows from an earlier lookup of this request.
    .execution_options(populate_existing=True)
)
_codes, _items, _places = ScanCode.__table__, Item.__table__, Location.__table__
# The same lookup as plain columns, for the screens: loading the three as ORM objects cost twice as much (SQLite
# 0.17 against 0.08 ms a scan, PostgreSQL 0.33 against 0.20) and a screen only names what was scanned.
_SHOWN = (
    select(_codes.c.kind, _codes.c.code, _codes.c.label, _codes.c.pack_qty,
           _items.c.id, _items.c.sku, _items.c.name, _items.c.tracking, _items.c.active,
           _places.c.id, _places.c.code, _places.c.name, _places.c.kind, _places.c.active)
    .select_from(_codes)
    .outerjoin(_items, (_codes.c.kind == "item") & (_items.c.id == _codes.c.target_id))
    .outerjoin(_places, (_codes.c.kind == "location") & (_places.c.id == _codes.c.target_id))
    .where(_codes.c.code == bindparam("key"))
)


def _remembered(s: Session, memo_name: str, key: str, lookup):
    """lookup(s, key), remembered while the transaction reads, so a screen that classifies a scan and then shows the
    held item looks it up once; and apart while it writes (app/uow.py marks the session): a write acts on the code
    as it is in the write transaction, not as the screen read it before — a barcode may have moved to another item
    meanwhile. An unknown code is looked up again: it may be registered next."""
    if isinstance(s, scoped_session):
        s = s()
    tx = s.get_transaction()
    writing = bool(s.info.get("writing"))
    memo = s.info.get(memo_name)
    fresh = memo is not None and memo[0] is tx and memo[1] == writing
    if tx is not None and fresh and key in memo[2]:
        return memo[2][key]
    found = lookup(s, key)
    if found is not None and tx is not None:
        if not fresh:
            memo = s.info[memo_name] = (tx, writing, {})
        memo[2][key] = found
    return found


def registered(s: Session, key: str) -> tuple[ScanCode, Item | None, Location | None] | None:
    """The registry row of a key and the item or location it names, as ORM objects to change or link to, in one
    statement (remembered as _remembered says)."""
    return _remembered(s, "registered", key, _look_up_registered)


def _look_up_registered(s: Session, key: str):
    return s.execute(_REGISTERED, {"key": key}).first()


def _shown(s: Session, key: str) -> tuple[str, str, str | None, int, ShownItem | None, ShownPlace | None] | None:
    """What a key names, as a screen shows it: (kind, code, label, pack quantity, item, location)."""
    return _remembered(s, "shown", key, _look_up_shown)


def _look_up_shown(s: Session, key: str):
    row = s.connection().execute(_SHOWN, {"key": key}).first()
    if row is None:
        return None
    kind, code, label, pack_qty, *rest = row
    item = ShownItem(*rest[:5]) if rest[0] is not None else None
    place = ShownPlace(*rest[5:]) if rest[5] is not None else None
    return kind, code, label, pack_qty, item, place


@event.listens_for(Session, "after_flush")
def _forget_registered(session: Session, _flush_context) -> None:
    """A code added, changed or removed in this transaction is looked up afresh."""
    if ("registered" in session.info or "shown" in session.info) and any(
            isinstance(obj, (ScanCode, Item, Location)) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop("registered", None)
        session.info.pop("shown", None)


def item_by_key(s: Session, key: str) -> ShownItem | None:
    """The item a registry key (GTIN-14 or SKU) names, as a screen shows it."""
    found = _shown(s, (key or "").strip().upper())
    return found[4] if found is not None else None


def totals_on_hand(s: Session, item_ids: list[int]) -> dict[int, Decimal]:
    rows = s.execute(select(StockBalance.item_id, func.sum(StockBalance.on_hand))
                     .where(StockBalance.item_id.in_(item_ids)).group_by(StockBalance.item_id))
    return {item_id: total or ZERO for item_id, total in rows}


def stock_in_location(s: Session, location_id: int) -> list[tuple[Item, str, Decimal, Decimal]]:
    """(item, lot, on hand, allocated) in a location and everything inside it."""
    ids = descendant_ids(s, location_id)
    rows = s.execute(
        select(Item, StockBalance.lot, func.sum(StockBalance.on_hand), func.sum(StockBalance.allocated))
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(StockBalance.location_id.in_(ids), StockBalance.on_hand != 0)
        .group_by(Item.id, StockBalance.lot).order_by(Item.sku, StockBalance.lot)
    )
    return [tuple(r) for r in rows]


def sites(s: Session) -> list[Location]:
    return list(s.scalars(select(Location).where(Location.kind == "site", Location.active).order_by(Location.code)))


@dataclass
class Reorder:
    item: Item
    on_hand: Decimal
    available: Decimal
    on_order: Decimal
    daily_usage: Decimal
    suggested: Decimal

    @property
    def status(self) -> str:
        return "Out of stock" if self.on_hand <= 0 else "Below reorder point"


USAGE_DAYS = 30


def replenishment(s: Session) -> list[Reorder]:
    """Active items out of stock or at/below their reorder point, with a suggested order quantity. Usage is what
    left stock (picks, issues, consumption) over the last 30 days."""
    from datetime import timedelta

    from ..types import utcnow
    from .models import PurchaseOrder, PurchaseOrderLine
    from .rules import suggested_order_quantity

    stock = {item_id: (on_hand or ZERO, allocated or ZERO) for item_id, on_hand, allocated in s.execute(
        select(StockBalance.item_id, func.sum(StockBalance.on_hand), func.sum(StockBalance.allocated))
        .group_by(StockBalance.item_id))}
    on_order: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item_id, ordered, received in s.execute(
        select(PurchaseOrderLine.item_id, PurchaseOrderLine.ordered_qty, PurchaseOrderLine.received_qty)
        .join(PurchaseOrder).where(PurchaseOrder.status.in_(("open", "partial")))
    ):
        on_order[item_id] += max(ZERO, ordered - received)
    since = utcnow() - timedelta(days=USAGE_DAYS)
    used = dict(s.execute(
        select(StockMovement.item_id, func.sum(StockMovement.quantity))
        .where(StockMovement.kind.in_(("pick", "issue", "consumption")), StockMovement.created_at >= since)
        .group_by(StockMovement.item_id)).all())
    out = []
    for item in s.scalars(select(Item).where(Item.active).order_by(Item.sku)):
        on_hand, allocated = stock.get(item.id, (ZERO, ZERO))
        usage = (used.get(item.id) or ZERO) / USAGE_DAYS
        suggested = suggested_order_quantity(
            on_hand=on_hand, available=on_hand - allocated, on_order=on_order[item.id],
            reorder_point=item.reorder_point, safety_stock=item.safety_stock, daily_usage=usage,
            lead_time_days=item.lead_time_days)
        if suggested > 0:
            out.append(Reorder(item, on_hand, on_hand - allocated, on_order[item.id], usage.quantize(Decimal("0.01")),
                               suggested))
    return out
