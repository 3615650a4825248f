"""API operations on items and stock. Thin: parse (pydantic), call the stock services, shape the answer."""

from __future__ import annotations

from decimal import Decimal

from flask import g
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..auth.roles import ANYONE, FLOOR, MANAGERS
from ..errors import DomainError, Invalid, NotFound
from ..extensions import db
from ..locations.models import Location
from ..scanning.rules import parse as parse_code
from ..stock import counting, orders
from ..stock import services as stock
from ..stock.models import Allocation, CountSession, Item, Order, OrderLine, StockBalance, StockMovement
from ..stock.rules import WrongPlace
from . import feeds, paging, schemas
from .openapi import operation, write_uow
from .routes import bp

feeds.install(StockMovement.__table__)


def _who() -> stock.Actor:
    return stock.Actor(actor_id=current_user.id, source="api", scan_id=g.api_key)


def _item_out(item: Item, on_hand: Decimal | None = None) -> schemas.ItemOut:
    if on_hand is None:
        on_hand = db.session.scalar(
            select(func.coalesce(func.sum(StockBalance.on_hand), 0)).where(StockBalance.item_id == item.id)
        )
    return schemas.ItemOut(
        sku=item.sku, name=item.name, description=item.description, uom=item.uom, tracking=item.tracking,
        expiry_required=item.expiry_required, reorder_point=item.reorder_point, safety_stock=item.safety_stock,
        lead_time_days=item.lead_time_days, standard_cost=item.standard_cost,
        valuation_method=item.valuation_method, active=item.active, on_hand=Decimal(on_hand),
        barcodes=[
            schemas.BarcodeOut(code=b.scan_code.label or b.code, level=b.level, pack_quantity=b.scan_code.pack_qty)
            for b in item.barcodes
        ],
    )


def _item(sku: str) -> Item:
    item = db.session.scalar(select(Item).where(Item.sku == sku.strip().upper()))
    if item is None:
        raise NotFound(f"No item with SKU {sku}.", field="sku")
    return item


@operation(bp, "/items", "GET", summary="List or search items", roles=ANYONE, tag="items",
           query=schemas.ItemQuery, response=schemas.ItemList)
def list_items(query: schemas.ItemQuery):
    stmt = select(Item).options(selectinload(Item.barcodes))
    if query.q:
        stmt = stmt.where(or_(Item.sku.like(f"%{query.q.upper()}%"), Item.name.ilike(f"%{query.q}%")))
    stmt = paging.after(stmt, (Item.sku,), query.after, (str,))
    items, next_cursor = paging.cut(list(db.session.scalars(stmt.limit(query.limit + 1))), query.limit,
                                    lambda i: (i.sku,))
    totals = dict(
        db.session.execute(
            select(StockBalance.item_id, func.sum(StockBalance.on_hand))
            .where(StockBalance.item_id.in_([i.id for i in items]))
            .group_by(StockBalance.item_id)
        ).all()
    )
    return schemas.ItemList(items=[_item_out(i, totals.get(i.id, Decimal(0))) for i in items], next=next_cursor)


# The stock services take an item by its "code" (a SKU or any of its barcodes); these requests send the SKU.
SKU_IS_CODE = {"code": "sku"}
# What the barcode service calls a barcode's fields, and what BarcodeIn calls them.
BARCODE_FIELDS = {"code": "code", "level": "level", "pack_qty": "pack_quantity"}


@operation(bp, "/items", "POST", summary="Create an item with its barcodes", roles=MANAGERS, tag="items",
           body=schemas.ItemIn, response=schemas.ItemOut, status=201, errors=(409,), fields=SKU_IS_CODE)
def create_item(body: schemas.ItemIn):
    values = body.model_dump(exclude={"sku", "name", "barcodes"}, exclude_none=True)
    uow = write_uow("items.create")
    item = stock.create_item(sku=body.sku, name=body.name, uow=uow, **values)
    # One barcode at a time, in the same transaction, so that a refusal names the barcode the client sent
    # (barcodes.1.code, as a validation error would) rather than a "code" the request does not have.
    seen: dict[str, int] = {}
    for i, b in enumerate(body.barcodes):
        key = _barcode_key(b.code)
        if key in seen:
            raise Invalid(f"The barcode {b.code} is listed twice (barcodes {seen[key]} and {i}); list each barcode "
                          "once.", field=f"barcodes.{i}.code")
        if key is not None:
            seen[key] = i
        try:
            stock.attach_barcode(sku=item.sku, code=b.code, level=b.level, pack_qty=b.pack_quantity, uow=uow)
        except DomainError as err:
            err.field = f"barcodes.{i}.{BARCODE_FIELDS.get(err.field or 'code', 'code')}"
            raise
    return _item_out(item, Decimal(0))


def _barcode_key(code: str) -> str | None:
    """The GTIN a barcode stands for (EAN-13 and its GTIN-14 spelling are one barcode), or None when it is none."""
    try:
        parsed = parse_code(code)
    except DomainError:
        return None
    return parsed.key if parsed.kind == "gtin" else None


@operation(bp, "/items/<sku>", "GET", summary="One item", roles=ANYONE, tag="items", response=schemas.ItemOut,
           errors=(404,))
def get_item(sku: str):
    return _item_out(_item(sku))


@operation(bp, "/items/<sku>", "PATCH", summary="Change an item", roles=MANAGERS, tag="items",
           body=schemas.ItemPatch, response=schemas.ItemOut, errors=(404, 409), fields=SKU_IS_CODE)
def patch_item(sku: str, body: schemas.ItemPatch):
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    active = changes.pop("active", None)
    item = _item(sku)
    if changes:
        item = stock.update_item(sku=item.sku, uow=write_uow("items.update"), **changes)
    if active is not None:
        # The same unit of work: both changes, the key and the reply commit together, or none of them.
        item = stock.set_item_active(sku=item.sku, active=active, uow=write_uow("items.update"))
    return _item_out(item)


@operation(bp, "/stock", "GET", summary="Balances: on hand, allocated, available", roles=ANYONE, tag="stock",
           query=schemas.StockQuery, response=schemas.BalanceList)
def balances(query: schemas.StockQuery):
    stmt = (
        select(StockBalance, Item.sku, Location.code, Location.walk_order)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.on_hand != 0)
    )
    if query.sku:
        stmt = stmt.where(Item.sku == query.sku.strip().upper())
    if query.location:
        stmt = stmt.where(Location.code == query.location.strip().upper())
    stmt = paging.after(stmt, (Item.sku, Location.walk_order, Location.code, StockBalance.lot), query.after,
                        (str, int, str, str))
    rows, next_cursor = paging.cut(db.session.execute(stmt.limit(query.limit + 1)).all(), query.limit,
                                   lambda row: (row[1], row[3], row[2], row[0].lot))
    return schemas.BalanceList(items=[
        schemas.BalanceOut(sku=sku, location=code, lot=b.lot, on_hand=b.on_hand, allocated=b.allocated,
                           available=b.on_hand - b.allocated)
        for b, sku, code, _walk in rows
    ], next=next_cursor)


def _moved(m: stock.Moved) -> schemas.MovedOut:
    return _moved_out(m.as_outcome())


def _moved_out(outcome: dict) -> schemas.MovedOut:
    return schemas.MovedOut(**{k: v for k, v in outcome.items() if k in schemas.MovedOut.model_fields})


@operation(bp, "/stock/receive", "POST", summary="Receive goods", roles=FLOOR, tag="stock",
           body=schemas.ReceiveIn, response=schemas.MovedOut, errors=(404, 409), fields=SKU_IS_CODE)
def receive(body: schemas.ReceiveIn):
    _check_lot(body.sku, body.lot, body.expiry)
    return _moved(stock.receive(
        sku=body.sku, location_code=body.location, quantity=body.quantity, unit_cost=body.unit_cost, lot=body.lot,
        expiry=body.expiry, po_number=body.purchase_order, who=_who(), uow=write_uow("stock.receive"),
    ))


@operation(bp, "/stock/move", "POST", summary="Move stock between locations", roles=FLOOR, tag="stock",
           body=schemas.MoveIn, response=schemas.MovedOut, errors=(404, 409), fields=SKU_IS_CODE)
def move(body: schemas.MoveIn):
    _check_lot(body.sku, body.lot)
    return _moved(stock.relocate(
        kind="move", sku=body.sku, from_code=body.from_location, to_code=body.to_location, quantity=body.quantity,
        lot=body.lot, who=_who(), uow=write_uow("stock.move"),
    ))


@operation(bp, "/stock/pick", "POST", summary="Pick stock out of a location", roles=FLOOR, tag="stock",
           body=schemas.PickIn, response=schemas.MovedOut, errors=(404, 409), fields=SKU_IS_CODE)
def pick(body: schemas.PickIn):
    _check_lot(body.sku, body.lot)
    number = (body.order or "").strip().upper()
    if number and db.session.scalar(select(Order.id).where(Order.number == number)) is not None:
        return _moved(_pick_for_order(number, body))
    return _moved(stock.take_out(
        kind="pick", sku=body.sku, location_code=body.location, quantity=body.quantity, lot=body.lot,
        reference=body.order or "", who=_who(), uow=write_uow("stock.pick"),
    ))


def _pick_for_order(number: str, body: schemas.PickIn) -> stock.Moved:
    """An order of ours is picked through its pick list, as on the phone: the pick uses up the order's reservation
    in that bin and counts on its line (a plain pick with the number as a reference would leave both as they were)."""
    if not body.lot:
        return orders.pick_at(number=number, bin_code=body.location, code=body.sku, quantity=body.quantity,
                              who=_who(), uow=write_uow("stock.pick"))
    allocation_id = db.session.scalar(
        select(Allocation.id).join(OrderLine, OrderLine.id == Allocation.line_id)
        .join(Order, Order.id == OrderLine.order_id).join(Item, Item.id == OrderLine.item_id)
        .join(StockBalance, StockBalance.id == Allocation.balance_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(Order.number == number, Item.sku == body.sku.strip().upper(), Location.code == body.location.upper(),
               StockBalance.lot == body.lot, Allocation.quantity > 0)
        .order_by(Allocation.id).limit(1)
    )
    if allocation_id is None:
        raise WrongPlace(f"Lot {body.lot} of {body.sku.upper()} is not to be picked from {body.location.upper()} for "
                         f"{number}; pick what its pick list says.", field="lot")
    return orders.confirm_pick(number=number, allocation_id=allocation_id, bin_code=body.location, code=body.sku,
                               quantity=body.quantity, lot=body.lot, who=_who(), uow=write_uow("stock.pick"))


def _check_lot(sku: str, lot: str | None, expiry=None) -> None:
    """A lot (or an expiry, which is kept per lot) given for an item not tracked by lot is a mistake worth saying,
    not something to drop quietly."""
    if lot or expiry:
        tracking = db.session.scalar(select(Item.tracking).where(Item.sku == sku.strip().upper()))
        if tracking == "none":
            if lot:
                raise Invalid(f"{sku.strip().upper()} is not tracked by lot or serial; leave out `lot`.", field="lot")
            raise Invalid(f"{sku.strip().upper()} is not tracked by lot, and expiry dates are kept per lot; leave "
                          "out `expiry` (or track the item by lot).", field="expiry")


@operation(bp, "/stock/return", "POST", summary="Take stock back into a location (unused, returned)", roles=FLOOR,
           tag="stock", body=schemas.ReturnIn, response=schemas.MovedOut, errors=(404, 409), fields=SKU_IS_CODE)
def return_stock(body: schemas.ReturnIn):
    _check_lot(body.sku, body.lot)
    return _moved(stock.return_stock(
        sku=body.sku, location_code=body.location, quantity=body.quantity, lot=body.lot, reason=body.reason or "",
        reference=body.reference or "", who=_who(), uow=write_uow("stock.return", _moved_out),
    ))


@operation(bp, "/stock/count", "POST", summary="Spot count: record what is there, adjusting the balance at once",
           roles=MANAGERS, tag="stock", body=schemas.CountIn, response=schemas.CountOut, errors=(404, 409),
           fields=SKU_IS_CODE)
def count(body: schemas.CountIn):
    _check_lot(body.sku, body.lot)
    session = counting.count_now(
        sku=body.sku, location_code=body.location, counted=body.counted, lot=body.lot, who=_who(),
        uow=write_uow("stock.count"),
    )
    return _count_out(session, body)


def _count_out(session: CountSession, body: schemas.CountIn) -> schemas.CountOut:
    line = session.lines[0]
    return schemas.CountOut(count=session.number, sku=body.sku.strip().upper(), location=body.location.strip().upper(),
                            expected=line.expected, counted=line.counted, adjustment=line.counted - line.expected)


@operation(bp, "/movements", "GET", summary="Every stock movement in order, cursor-paginated", roles=MANAGERS,
           tag="feeds", query=schemas.FeedQuery, response=schemas.MovementPage)
def movements(query: schemas.FeedQuery):
    rows, next_cursor = feeds.page(db.session, StockMovement, query.after, query.limit)
    codes = _codes({r.from_location_id for r in rows} | {r.to_location_id for r in rows})
    skus = dict(db.session.execute(select(Item.id, Item.sku).where(Item.id.in_({r.item_id for r in rows}))).all())
    people = dict(db.session.execute(select(User.id, User.email).where(User.id.in_({r.actor_id for r in rows}))).all())
    return schemas.MovementPage(next=next_cursor, items=[
        schemas.MovementOut(
            id=r.id, kind=r.kind, sku=skus[r.item_id], from_location=codes.get(r.from_location_id),
            to_location=codes.get(r.to_location_id), quantity=r.quantity, lot=r.lot, unit_cost=r.unit_cost,
            total_cost=r.total_cost, reference=r.reference, actor=people.get(r.actor_id), source=r.source,
            scan_id=r.scan_id, at=r.created_at,
        )
        for r in rows
    ])


def _codes(location_ids) -> dict[int, str]:
    ids = {i for i in location_ids if i}
    return dict(db.session.execute(select(Location.id, Location.code).where(Location.id.in_(ids))).all())
