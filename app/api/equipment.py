"""API operations on assets, loans, maintenance and reservations. Thin: parse, call the services, shape."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flask import g
from flask_login import current_user
from sqlalchemy import or_, select

from ..assets import queries as asset_queries
from ..assets import services as assets
from ..assets.models import RESERVATION_OPEN, Asset, AssetEvent, AssetModel, Reservation
from ..auth.models import User
from ..auth.roles import ANYONE, FIELD, MANAGERS
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..locations.models import Location
from ..maintenance import services as maintenance
from . import feeds, paging, schemas
from .openapi import operation, write_uow
from .routes import bp

feeds.install(AssetEvent.__table__)


def _asset(tag: str) -> Asset:
    asset = asset_queries.by_tag(db.session, assets.normalise_tag(tag))
    if asset is None:
        raise NotFound(f"No asset with tag {tag}.", field="tag")
    return asset


def _asset_out(a: Asset) -> schemas.AssetOut:
    location = db.session.get(Location, a.location_id) if a.location_id else None
    assignee = db.session.get(User, a.assignee_id) if a.assignee_id else None
    return schemas.AssetOut(
        tag=a.tag, manufacturer=a.model.manufacturer, model=a.model.name, category=a.model.category,
        serial=a.serial, status=a.status, location=location.code if location else None, department=a.department,
        assignee=assignee.email if assignee else None, purchase_date=a.purchase_date, cost=a.cost,
        warranty_end=a.warranty_end, pool=a.pool,
        book_value=asset_queries.book_value(db.session, a, datetime.now(UTC).date()), last_seen_at=a.last_seen_at,
    )


def _fields_of(a: Asset) -> assets.AssetFields:
    location = db.session.get(Location, a.location_id) if a.location_id else None
    return assets.AssetFields(
        model_id=a.model_id, serial=a.serial, location_code=location.code if location else None,
        department=a.department, assignee_id=a.assignee_id, purchase_date=a.purchase_date, cost=a.cost,
        supplier=a.supplier, po_ref=a.po_ref, warranty_end=a.warranty_end, useful_life_months=a.useful_life_months,
        salvage_value=a.salvage_value, depreciation_method=a.depreciation_method, pool=a.pool, notes=a.notes,
    )


def _user_by_email(email: str, field: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower(), User.active))
    if user is None:
        raise NotFound(f"No active user with the email {email}.", field=field)
    return user


@operation(bp, "/assets", "GET", summary="List or search assets", roles=ANYONE, tag="assets",
           query=schemas.AssetQuery, response=schemas.AssetList)
def list_assets(query: schemas.AssetQuery):
    # The register's search (assets.queries.search), continued after the cursor a page at a time.
    stmt = select(Asset).join(AssetModel, AssetModel.id == Asset.model_id)
    if query.q:
        like = f"%{query.q}%"
        stmt = stmt.where(or_(Asset.tag.ilike(like), Asset.serial.ilike(like), AssetModel.name.ilike(like),
                              AssetModel.manufacturer.ilike(like), AssetModel.category.ilike(like),
                              Asset.department.ilike(like)))
    if query.status:
        stmt = stmt.where(Asset.status == query.status)
    if query.pool:
        stmt = stmt.where(Asset.pool == query.pool)
    stmt = paging.after(stmt, (Asset.tag,), query.after, (str,))
    found, next_cursor = paging.cut(list(db.session.scalars(stmt.limit(query.limit + 1))), query.limit,
                                    lambda a: (a.tag,))
    return schemas.AssetList(items=[_asset_out(a) for a in found], next=next_cursor)


@operation(bp, "/assets", "POST", summary="Register an asset", roles=MANAGERS, tag="assets", body=schemas.AssetIn,
           response=schemas.AssetOut, status=201, errors=(404, 409),
           # The register refuses a tag that is already some other thing's code under the name "code".
           fields={"code": "tag", "model_id": "model"})
def create_asset(body: schemas.AssetIn):
    known = db.session.scalar(select(AssetModel).where(AssetModel.manufacturer == body.model.manufacturer,
                                                       AssetModel.name == body.model.name))
    if known is not None and known.category.casefold() != body.model.category.casefold():
        # The model would be reused as it is: the category sent would be dropped without a word.
        raise Conflict(f"The model {known.label} is registered in the category {known.category}, not "
                       f"{body.model.category}; send its category (every unit of a model has the model's).",
                       field="model.category")
    # In the request's one transaction: the key is claimed first, so copies sent at once wait instead of racing to
    # add the model (and the model is not left behind when the asset is refused).
    model = assets.ensure_model(manufacturer=body.model.manufacturer, name=body.model.name,
                                category=body.model.category, uow=write_uow("assets.create"))
    fields = assets.AssetFields(
        model_id=model.id, serial=body.serial, location_code=body.location, department=body.department,
        purchase_date=body.purchase_date, cost=body.cost, supplier=body.supplier, po_ref=body.po_ref,
        warranty_end=body.warranty_end, useful_life_months=body.useful_life_months,
        salvage_value=body.salvage_value, depreciation_method=body.depreciation_method, pool=body.pool,
    )
    asset = assets.register_asset(tag=body.tag, fields=fields, actor_id=current_user.id, uow=write_uow("assets.create"))
    return _asset_out(asset)


@operation(bp, "/assets/<tag>", "GET", summary="One asset", roles=ANYONE, tag="assets", response=schemas.AssetOut,
           errors=(404,))
def get_asset(tag: str):
    return _asset_out(_asset(tag))


@operation(bp, "/assets/<tag>", "PATCH", summary="Change an asset's details", roles=MANAGERS, tag="assets",
           body=schemas.AssetPatch, response=schemas.AssetOut, errors=(404, 409))
def patch_asset(tag: str, body: schemas.AssetPatch):
    asset = _asset(tag)
    changes = body.model_dump(exclude_unset=True)
    if "location" in changes:
        changes["location_code"] = changes.pop("location")
    fields = replace(_fields_of(asset), **changes)
    return _asset_out(assets.edit_asset(asset_id=asset.id, fields=fields, actor_id=current_user.id,
                                        uow=write_uow("assets.edit")))


@operation(bp, "/assets/<tag>/checkout", "POST", summary="Check an asset out to a person or customer",
           roles=FIELD, tag="loans", body=schemas.CheckoutIn, response=schemas.LoanOut, errors=(404, 409))
def checkout(tag: str, body: schemas.CheckoutIn):
    borrower_id, customer = None, None
    if "@" in body.assignee:
        borrower_id = _user_by_email(body.assignee, "assignee").id
    else:
        customer = body.assignee
    out = assets.check_out(
        tags=[tag], due_on=body.due, borrower_id=borrower_id, customer=customer, condition_out=body.condition,
        actor_id=current_user.id, scan_id=g.api_key, source="api", uow=write_uow("assets.checkout"),
    )
    return schemas.LoanOut(tags=out.tags, holder=out.holder, due_on=out.due_on)


@operation(bp, "/assets/<tag>/checkin", "POST", summary="Check an asset back in", roles=FIELD, tag="loans",
           body=schemas.CheckinIn, response=schemas.ReturnOut, errors=(404, 409))
def checkin(tag: str, body: schemas.CheckinIn):
    back = assets.check_in(
        tag=tag, condition_in=body.condition, damage=body.damage, location_code=body.location,
        actor_id=current_user.id, scan_id=g.api_key, source="api", uow=write_uow("assets.checkin"),
    )
    return schemas.ReturnOut(tag=back.tag, holder=back.holder, condition=back.condition,
                             maintenance_opened=back.maintenance_opened)


@operation(bp, "/assets/<tag>/maintenance", "POST", summary="Log maintenance, with spare parts used",
           roles=FIELD, tag="maintenance", body=schemas.MaintenanceIn, response=schemas.MaintenanceOut,
           status=201, errors=(404, 409))
def log_maintenance(tag: str, body: schemas.MaintenanceIn):
    logged = maintenance.log_maintenance(
        tag=tag, kind=body.kind, findings=body.findings, labour_minutes=body.labour_minutes, cost=body.cost,
        downtime_minutes=body.downtime_minutes,
        parts=[maintenance.Part(sku=p.sku, location_code=p.location, quantity=p.quantity) for p in body.parts],
        actor_id=current_user.id, scan_id=g.api_key, source="api", uow=write_uow("maintenance.log"),
    )
    return schemas.MaintenanceOut(tag=logged.tag, record_id=logged.record_id, parts=logged.parts)


def _reservation_out(r) -> schemas.ReservationOut:
    return schemas.ReservationOut(id=r.id, tag=r.asset.tag if r.asset else None, model_id=r.model_id,
                                  starts_at=r.starts_at, ends_at=r.ends_at, state=r.state, holder=r.holder_label)


@operation(bp, "/reservations", "GET", summary="Reservations that have not ended yet (open ones by default)",
           roles=ANYONE, tag="reservations", query=schemas.ReservationQuery, response=schemas.ReservationList,
           errors=(404,))
def list_reservations(query: schemas.ReservationQuery):
    # As the reservations page lists them (assets.queries.reservations), a page at a time and with filters.
    stmt = select(Reservation).where(Reservation.ends_at > (query.since or datetime.now(UTC)))
    if query.state == "open":
        stmt = stmt.where(Reservation.state.in_(RESERVATION_OPEN))
    elif query.state != "any":
        stmt = stmt.where(Reservation.state == query.state)
    if query.tag:
        stmt = stmt.where(Reservation.asset_id == _asset(query.tag).id)
    stmt = paging.after(stmt, (Reservation.starts_at, Reservation.id), query.after, (datetime, int))
    found, next_cursor = paging.cut(list(db.session.scalars(stmt.limit(query.limit + 1))), query.limit,
                                    lambda r: (r.starts_at, r.id))
    return schemas.ReservationList(items=[_reservation_out(r) for r in found], next=next_cursor)


@operation(bp, "/reservations", "POST", summary="Reserve an asset, or any unit of a model", roles=FIELD,
           tag="reservations", body=schemas.ReservationIn, response=schemas.ReservationOut, status=201,
           errors=(404, 409))
def create_reservation(body: schemas.ReservationIn):
    if body.tag and body.model_id:
        asset = _asset(body.tag)
        if asset.model_id != body.model_id:
            # The booking would be for the tag's model: the model_id sent would be dropped without a word.
            raise Invalid(f"{asset.tag} is a {asset.model.label} (model {asset.model_id}), not model "
                          f"{body.model_id}; send the tag alone, or the model_id alone for any unit of a model.",
                          field="model_id")
    holder_id = _user_by_email(body.holder, "holder").id if body.holder else None
    if holder_id is None and not body.customer:
        holder_id = current_user.id
    made = assets.reserve(
        tag=body.tag, model_id=body.model_id, starts_at=body.starts_at, ends_at=body.ends_at, holder_id=holder_id,
        customer=body.customer, note=body.note, actor_id=current_user.id, uow=write_uow("assets.reserve"),
    )
    return _reservation_out(made)


@operation(bp, "/events", "GET", summary="Every asset event in order, cursor-paginated", roles=MANAGERS,
           tag="feeds", query=schemas.FeedQuery, response=schemas.EventPage)
def events(query: schemas.FeedQuery):
    rows, next_cursor = feeds.page(db.session, AssetEvent, query.after, query.limit)
    tags = dict(db.session.execute(select(Asset.id, Asset.tag).where(Asset.id.in_({r.asset_id for r in rows}))).all())
    people = dict(db.session.execute(select(User.id, User.email).where(User.id.in_({r.actor_id for r in rows}))).all())
    return schemas.EventPage(next=next_cursor, items=[
        schemas.EventOut(id=r.id, tag=tags[r.asset_id], seq=r.seq, kind=r.kind, status_after=r.status_after,
                         actor=people.get(r.actor_id), source=r.source, data=r.data, at=r.at)
        for r in rows
    ])
