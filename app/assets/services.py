"""Use cases of the asset register and of lending: each one transaction, each change an AssetEvent.

Lending (check-out, check-in, reservations, kits) lives here rather than in a separate loans package, as
DESIGN.md sketches: a check-out is an event in the asset's own history and must lock the same asset row in the
same transaction as every other status change, so splitting it out would only add imports in both directions.

Concurrency: every use case that changes an asset locks its row first (SELECT … FOR UPDATE on PostgreSQL; on
SQLite the unit of work already holds the write lock from BEGIN IMMEDIATE) and then checks the transition on the
status it just read, so of two simultaneous check-outs the second sees "checked out" and is refused. Behind that,
the database itself refuses a second open loan of one asset (partial unique index) and, on PostgreSQL, two
overlapping open reservations of one asset (exclusion constraint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.services import active_person
from ..errors import Conflict, Invalid, NotFound
from ..locations.models import Location
from ..scanning.registry import register_code
from ..scanning.rules import parse
from ..stock.models import Item
from ..stock.queries import descendant_ids
from ..types import MAX_ROW_ID, utcnow
from ..uow import UnitOfWork
from . import rules
from .models import (
    RESERVATION_OPEN,
    Asset,
    AssetEvent,
    AssetModel,
    AssetSettings,
    ConfigItem,
    Contract,
    ContractAsset,
    Kit,
    KitMember,
    Licence,
    LicenceSeat,
    Loan,
    RentalUnit,
    Reservation,
)

TAG = re.compile(r"^[A-Z0-9][A-Z0-9\-.]{1,39}$")
CONDITIONS = ("new", "good", "worn", "damaged")


class AlreadyCheckedOut(Conflict):
    code = "already_checked_out"


class NotCheckedOut(Conflict):
    code = "not_checked_out"


class NotLoanable(Conflict):
    code = "not_loanable"


class ReservedForSomeoneElse(Conflict):
    code = "reserved"


class DoubleBooked(Conflict):
    code = "double_booked"


# ---------------------------------------------------------------------------------------------------------------
# Helpers used inside an open unit of work
# ---------------------------------------------------------------------------------------------------------------


def normalise_tag(raw: str) -> str:
    tag = (raw or "").strip().upper()
    if not tag:
        raise Invalid("Scan or type an asset tag.", field="tag")
    if not TAG.match(tag):
        raise Invalid("An asset tag is 2–40 capital letters, digits, '-' or '.', e.g. LN-0042.", field="tag")
    return tag


def settings(session: Session) -> AssetSettings:
    row = session.get(AssetSettings, 1)
    return row if row is not None else AssetSettings(id=1, capitalization_threshold=Decimal("1000.00"),
                                                     min_useful_life_months=12,
                                                     month_convention=rules.DEFAULT_CONVENTION)


def lock_asset(session: Session, tag: str) -> Asset:
    """The asset with this tag, its row locked for the rest of the transaction. NotFound for an unknown tag."""
    tag = normalise_tag(tag)
    asset = session.scalar(
        select(Asset).where(Asset.tag == tag).with_for_update(of=Asset).execution_options(populate_existing=True)
    )
    if asset is None:
        raise NotFound(f"No asset has the tag {tag}. Check the label, or register the asset first.", field="tag")
    return asset


def lock_asset_id(session: Session, asset_id: int) -> Asset:
    asset = session.scalar(
        select(Asset).where(Asset.id == asset_id).with_for_update(of=Asset).execution_options(populate_existing=True)
    )
    if asset is None:
        raise NotFound("No such asset.")
    return asset


def append_event(
    session: Session,
    asset: Asset,
    kind: str,
    *,
    actor_id: int | None,
    data: dict | None = None,
    note: str | None = None,
    scan_id: str | None = None,
    source: str | None = None,
    at: datetime | None = None,
) -> AssetEvent:
    """Check the transition, append the event and update the status and last-activity projections — all in the
    caller's transaction."""
    new_status = rules.transition(asset.status if asset.event_count else None, kind, data)
    asset.event_count = (asset.event_count or 0) + 1
    asset.status = new_status
    ev = AssetEvent(
        asset_id=asset.id, seq=asset.event_count, kind=kind, status_after=new_status, at=at or utcnow(),
        actor_id=actor_id, scan_id=scan_id, source=source, data=data or {}, note=(note or None),
    )
    session.add(ev)
    if kind in rules.ACTIVITY_KINDS and (asset.last_activity_at is None or ev.at > asset.last_activity_at):
        asset.last_activity_at = ev.at
    return ev


def _user(session: Session, user_id: int | None, field: str = "borrower_id") -> User | None:
    return None if user_id is None else active_person(session, user_id, field=field)


def _location(session: Session, code: str | None) -> Location | None:
    if not code:
        return None
    loc = session.scalar(select(Location).where(Location.code == code.strip().upper()))
    if loc is None:
        raise NotFound(f"No location has the code {code.strip().upper()}.", field="location_code")
    return loc


def parse_money(raw, field: str, *, required: bool = False) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise Invalid("Give an amount.", field=field)
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(f"{raw!r} is not an amount of money.", field=field) from None
    if not value.is_finite():  # NaN, Infinity: Decimal reads them, no ledger can hold them
        raise Invalid(f"{raw!r} is not an amount of money.", field=field)
    if value < 0:
        raise Invalid("An amount must be zero or more.", field=field)
    if value > rules.MAX_MONEY:
        # Checked before rounding: 27 digits and more overflowed the rounding itself (a 500 in the CSV import).
        raise Invalid(f"{raw} is more than an amount can be here (at most {rules.MAX_MONEY:,}); check the "
                      "figure.", field=field)
    return rules.money(value)


def parse_date(raw, field: str, *, required: bool = False) -> date | None:
    if isinstance(raw, date):
        return raw
    if raw is None or not str(raw).strip():
        if required:
            raise Invalid("Choose a date.", field=field)
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid(f"{raw!r} is not a date (use YYYY-MM-DD).", field=field) from None


def parse_int(raw, field: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_ROW_ID) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise Invalid("Give a whole number.", field=field)
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise Invalid(f"{raw!r} is not a whole number.", field=field) from None
    if value < minimum:
        raise Invalid(f"The number must be at least {minimum}.", field=field)
    if value > maximum:  # beyond what an integer column holds (an id, minutes, months): a 500 on both databases
        raise Invalid(f"The number must be at most {maximum:,}.", field=field)
    return value


# ---------------------------------------------------------------------------------------------------------------
# Register
# ---------------------------------------------------------------------------------------------------------------


def ensure_model(*, manufacturer: str, name: str, category: str, uow: UnitOfWork) -> AssetModel:
    manufacturer, name, category = (manufacturer or "").strip(), (name or "").strip(), (category or "").strip()
    if not manufacturer or not name or not category:
        raise Invalid("A model needs a manufacturer, a model name and a category.", field="model")
    with uow:
        found = ensure_model_within(uow.session, manufacturer=manufacturer, name=name, category=category)
        uow.commit()
        return found


def ensure_model_within(s: Session, *, manufacturer: str, name: str, category: str) -> AssetModel:
    """ensure_model inside the caller's open transaction (no commit): the CSV import."""
    manufacturer, name, category = (manufacturer or "").strip(), (name or "").strip(), (category or "").strip()
    if not manufacturer or not name or not category:
        raise Invalid("A model needs a manufacturer, a model name and a category.", field="model")
    # Looked up and kept as typed: a name cut to its column could make two long names one model (the session
    # refuses text longer than its column, saying the limit).
    found = s.scalar(select(AssetModel).where(AssetModel.manufacturer == manufacturer, AssetModel.name == name))
    if found is None:
        found = AssetModel(manufacturer=manufacturer, name=name, category=category)
        s.add(found)
        try:
            s.flush()
        except IntegrityError:  # the same model added at the same moment by someone else
            raise Conflict(f"The model {manufacturer} {name} was just added; choose it from the list.",
                           field="model") from None
    return found


@dataclass
class AssetFields:
    """Validated editable fields of an asset (parsed from a form or given by a caller)."""

    model_id: int
    serial: str | None = None
    location_code: str | None = None
    department: str | None = None
    assignee_id: int | None = None
    purchase_date: date | None = None
    cost: Decimal = Decimal("0.00")
    supplier: str | None = None
    po_ref: str | None = None
    warranty_end: date | None = None
    useful_life_months: int | None = None
    salvage_value: Decimal = Decimal("0.00")
    depreciation_method: str = "straight_line"
    pool: str | None = None
    notes: str | None = None
    stock_sku: str | None = None  # a serialized rental unit: the serial-tracked item it is also stock of
    link_stock: bool = False  # whether stock_sku was given at all (an API edit without it keeps the link)

    @classmethod
    def parse(cls, form) -> AssetFields:
        model_id = parse_int(form.get("model_id"), "model_id", required=True, minimum=1)
        method = form.get("depreciation_method") or "straight_line"
        if method not in rules.METHODS:
            raise Invalid(f"Unknown depreciation method {method!r}.", field="depreciation_method")
        pool = form.get("pool") or None
        if pool is not None and pool not in rules.POOLS:
            raise Invalid(f"Unknown pool {pool!r}; choose loaner, demo or rental.", field="pool")
        fields = cls(
            model_id=model_id,
            serial=(form.get("serial") or "").strip() or None,
            location_code=(form.get("location_code") or "").strip() or None,
            department=(form.get("department") or "").strip() or None,
            assignee_id=parse_int(form.get("assignee_id"), "assignee_id", minimum=1),
            purchase_date=parse_date(form.get("purchase_date"), "purchase_date"),
            cost=parse_money(form.get("cost"), "cost") or Decimal("0.00"),
            supplier=(form.get("supplier") or "").strip() or None,
            po_ref=(form.get("po_ref") or "").strip() or None,
            warranty_end=parse_date(form.get("warranty_end"), "warranty_end"),
            useful_life_months=parse_int(form.get("useful_life_months"), "useful_life_months", minimum=1),
            salvage_value=parse_money(form.get("salvage_value"), "salvage_value") or Decimal("0.00"),
            depreciation_method=method,
            pool=pool,
            notes=(form.get("notes") or "").strip() or None,
            stock_sku=(form.get("stock_sku") or "").strip().upper() or None,
            link_stock="stock_sku" in form,
        )
        fields.check()
        return fields

    def check(self) -> None:
        if self.salvage_value > self.cost:
            raise Invalid("The salvage value cannot be more than the cost.", field="salvage_value")
        if self.depreciation_method != "none" and self.cost > 0 and not self.useful_life_months:
            raise Invalid("A depreciated asset needs a useful life in months.", field="useful_life_months")
        if self.useful_life_months and self.useful_life_months > rules.MAX_LIFE_MONTHS:
            raise Invalid(f"A useful life is at most {rules.MAX_LIFE_MONTHS} months (100 years).",
                          field="useful_life_months")
        if self.stock_sku and self.pool != "rental":
            raise Invalid("Only a rental unit is also counted as stock; put it in the rental pool or leave the stock "
                          "item empty.", field="stock_sku")
        if self.stock_sku and not self.serial:
            raise Invalid("A rental unit counted as stock needs its serial number.", field="serial")


def _apply_fields(s: Session, asset: Asset, f: AssetFields) -> dict:
    model = s.get(AssetModel, f.model_id)
    if model is None:
        raise NotFound("No such asset model.", field="model_id")
    loc = _location(s, f.location_code)
    _user(s, f.assignee_id, "assignee_id")
    values = {
        "model_id": model.id, "serial": f.serial, "location_id": loc.id if loc else None, "department": f.department,
        "assignee_id": f.assignee_id, "purchase_date": f.purchase_date, "cost": f.cost, "supplier": f.supplier,
        "po_ref": f.po_ref, "warranty_end": f.warranty_end, "useful_life_months": f.useful_life_months,
        "salvage_value": f.salvage_value, "depreciation_method": f.depreciation_method, "pool": f.pool,
        "notes": f.notes,
    }
    changed = {}
    for key, value in values.items():
        if getattr(asset, key) != value:
            changed[key] = value.isoformat() if isinstance(value, date) else (str(value) if value is not None else None)
            setattr(asset, key, value)
    return changed


def _link_stock_item(s: Session, asset: Asset, sku: str | None) -> dict:
    """Make a rental unit stock of its item (or stop it being so); what changed, for the event."""
    link = s.get(RentalUnit, asset.id)
    item = None
    if sku:
        item = s.scalar(select(Item).where(Item.sku == sku))
        if item is None:
            raise NotFound(f"No stock item has the SKU {sku}.", field="stock_sku")
        if item.tracking != "serial":
            raise Invalid(f"{item.sku} is not tracked by serial number, so a rental unit cannot be one of its stock; "
                          "choose a serial-tracked item.", field="stock_sku")
    if (link.item_id if link else None) == (item.id if item else None):
        return {}
    if link is not None and item is None:
        s.delete(link)
    elif link is not None:
        link.item_id = item.id
    else:
        s.add(RentalUnit(asset_id=asset.id, item_id=item.id))
    return {"stock_sku": item.sku if item else None}


def register_asset(*, tag: str, fields: AssetFields, status: str = "in_stock", actor_id: int | None,
                   uow: UnitOfWork) -> Asset:
    tag = normalise_tag(tag)
    if parse(tag).key != tag or parse(tag).kind != "code":
        raise Invalid("That tag would scan as a product barcode; use letters in it, e.g. LN-0042.", field="tag")
    fields.check()
    with uow:
        asset = register_asset_within(uow.session, tag=tag, fields=fields, status=status, actor_id=actor_id)
        uow.commit()
        return asset


def register_asset_within(s: Session, *, tag: str, fields: AssetFields, status: str = "in_stock",
                          actor_id: int | None) -> Asset:
    """register_asset inside the caller's open transaction (no commit): the CSV import registers many at once."""
    tag = normalise_tag(tag)
    if parse(tag).key != tag or parse(tag).kind != "code":
        raise Invalid("That tag would scan as a product barcode; use letters in it, e.g. LN-0042.", field="tag")
    fields.check()
    if s.scalar(select(Asset.id).where(Asset.tag == tag)):
        raise Conflict(f"The tag {tag} is already on another asset.", field="tag")
    asset = Asset(tag=tag, model_id=fields.model_id, status="planned", event_count=0)
    _apply_fields(s, asset, fields)
    s.add(asset)
    try:
        s.flush()
        register_code(s, tag, kind="asset", target_id=asset.id)
        s.flush()
    except IntegrityError:  # the same tag registered at the same moment by someone else
        raise Conflict(f"The tag {tag} is already used.", field="tag") from None
    if fields.link_stock:
        _link_stock_item(s, asset, fields.stock_sku)
    append_event(s, asset, "registered", actor_id=actor_id, data={"status": status})
    if asset.location_id:
        asset.last_seen_location_id, asset.last_seen_at = asset.location_id, utcnow()
    s.flush()
    return asset


def edit_asset(*, asset_id: int, fields: AssetFields, actor_id: int | None, uow: UnitOfWork) -> Asset:
    fields.check()
    with uow:
        s = uow.session
        asset = lock_asset_id(s, asset_id)
        changed = _apply_fields(s, asset, fields)
        if fields.link_stock:
            changed.update(_link_stock_item(s, asset, fields.stock_sku))
        if changed:
            append_event(s, asset, "edited", actor_id=actor_id, data=changed)
        uow.commit()
        return asset


def change_status(*, tag: str, kind: str, actor_id: int | None, note: str | None = None, uow: UnitOfWork) -> Asset:
    """Receive, deploy, bring back, retire, report lost, found."""
    if kind not in ("received", "deployed", "undeployed", "retired", "lost", "found"):
        raise Invalid("That change is not offered here.")
    with uow:
        s = uow.session
        asset = lock_asset(s, tag)
        was = asset.status
        append_event(s, asset, kind, actor_id=actor_id, note=note)
        if kind == "lost" and was == "checked_out":
            # Lost while out: the loan ends here (nobody can bring it back), so a found asset can go out again.
            loan = s.scalar(select(Loan).where(Loan.asset_id == asset.id, Loan.returned_at.is_(None)))
            if loan is not None:
                loan.returned_at, loan.condition_in, loan.in_by_id = utcnow(), "lost", actor_id
                loan.damage = note or "Reported lost while checked out"
        if kind in ("retired", "lost"):
            _cancel_bookings(s, asset, f"{asset.tag} was {rules.EVENT_LABELS[kind].lower()}")
        uow.commit()
        return asset


def _cancel_bookings(s: Session, asset: Asset, why: str) -> None:
    """A unit that can no longer go out frees its bookings: their holders see them cancelled, with the reason."""
    for res in s.scalars(select(Reservation).where(Reservation.asset_id == asset.id,
                                                   Reservation.state.in_(RESERVATION_OPEN))):
        if res.any_unit:  # a booking for any unit: it goes back to waiting for another unit
            res.asset_id, res.state = None, "booked"
        else:
            res.state = "cancelled"
            res.note = (f"{res.note} · " if res.note else "") + why


def dispose_asset(*, tag: str, on: date, how: str, proceeds: Decimal, actor_id: int | None,
                  uow: UnitOfWork) -> rules.Disposal:
    if how not in ("sold", "scrapped"):
        raise Invalid("Say whether it was sold or scrapped.", field="how")
    if how == "scrapped" and proceeds:
        raise Invalid("A scrapped asset brings no proceeds; choose 'sold'.", field="proceeds")
    if on > utcnow().date():
        raise Invalid(f"The disposal date {on.isoformat()} is in the future; record a disposal once it has happened.",
                      field="on")
    with uow:
        s = uow.session
        asset = lock_asset(s, tag)
        rules.transition(asset.status, "disposed")  # refuses a checked-out asset before any sums
        conv = settings(s).month_convention
        dep = asset.depreciable(conv)
        if dep is None:
            result = rules.Disposal(on, rules.money(asset.cost), rules.money(proceeds),
                                    rules.money(proceeds) - rules.money(asset.cost))
        else:
            if on < dep.in_service:
                raise Invalid("The disposal date is before the purchase date.", field="on")
            result = rules.dispose(dep, on=on, proceeds=proceeds)
        asset.disposed_on, asset.disposal_kind, asset.disposal_proceeds = on, how, result.proceeds
        for seat in s.scalars(select(LicenceSeat).where(LicenceSeat.asset_id == asset.id,
                                                        LicenceSeat.released_at.is_(None))):
            seat.released_at = utcnow()  # a licence seat does not go to the scrapyard with the machine
        _cancel_bookings(s, asset, f"{asset.tag} was disposed of")
        append_event(s, asset, "disposed", actor_id=actor_id, data={
            "how": how, "on": on.isoformat(), "book_value": str(result.book_value), "proceeds": str(result.proceeds),
            "gain": str(result.gain)})
        uow.commit()
        return result


def update_settings(*, capitalization_threshold: Decimal, min_useful_life_months: int, month_convention: str,
                    uow: UnitOfWork) -> AssetSettings:
    if month_convention not in rules.CONVENTIONS:
        raise Invalid("Unknown month convention.", field="month_convention")
    if capitalization_threshold is None or capitalization_threshold < 0:
        raise Invalid("The capitalization threshold must be zero or more.", field="capitalization_threshold")
    with uow:
        s = uow.session
        row = s.get(AssetSettings, 1, with_for_update=True)
        if row is None:
            row = AssetSettings(id=1)
            s.add(row)
        row.capitalization_threshold = rules.money(capitalization_threshold)
        row.min_useful_life_months = min_useful_life_months
        row.month_convention = month_convention
        row.updated_at = utcnow()
        uow.commit()
        return row


# ---------------------------------------------------------------------------------------------------------------
# Check-out and check-in
# ---------------------------------------------------------------------------------------------------------------


def _own_booking(s: Session, asset: Asset, holder_id: int | None, customer: str | None, *, until: datetime,
                 now: datetime) -> Reservation | None:
    """The borrower's own open booking of this asset, or of any unit of its model, that has begun or begins by
    `until`: taking the unit collects it."""
    booked = s.scalars(select(Reservation).where(
        Reservation.state == "booked", Reservation.starts_at <= until, Reservation.ends_at > now,
        or_(Reservation.asset_id == asset.id,
            and_(Reservation.any_unit.is_(True), Reservation.asset_id.is_(None),
                 Reservation.model_id == asset.model_id))).order_by(Reservation.starts_at, Reservation.id))
    for res in booked:
        mine = ((res.customer or "").strip().lower() == customer.strip().lower() if customer
                else res.customer is None and res.holder_id == holder_id)
        if mine:
            return res
    return None


def _reservation_clash(s: Session, asset: Asset, *, holder_id: int | None, customer: str | None,
                       starts: datetime, ends: datetime) -> str | None:
    """Why lending this asset over [starts, ends) would break someone else's reservation, or None."""

    def someone_else(r: Reservation) -> bool:
        if customer:
            return (r.customer or "").strip().lower() != customer.strip().lower()
        return r.holder_id != holder_id or r.customer is not None

    mine = s.scalars(select(Reservation).where(
        Reservation.asset_id == asset.id, Reservation.state.in_(RESERVATION_OPEN),
        Reservation.starts_at < ends, Reservation.ends_at > starts)).all()
    for r in mine:
        if someone_else(r):
            return (f"{asset.tag} is reserved for {r.holder_label} from {r.starts_at:%Y-%m-%d %H:%M} "
                    f"to {r.ends_at:%Y-%m-%d %H:%M} UTC; choose an earlier due date or another unit.")
    # Reservations for "any unit" of the model: lending this one must leave enough units for them.
    pending = [r for r in s.scalars(select(Reservation).where(
        Reservation.model_id == asset.model_id, Reservation.any_unit.is_(True), Reservation.asset_id.is_(None),
        Reservation.state == "booked", Reservation.starts_at < ends, Reservation.ends_at > starts)) if someone_else(r)]
    if not pending:
        return None
    free_units = len(s.scalars(select(Asset.id).where(
        Asset.model_id == asset.model_id, Asset.pool.is_not(None), Asset.status == "in_stock",
        Asset.id != asset.id)).all())
    need = rules_peak(pending)
    if free_units < need:
        return (f"Every other {asset.model.label} is reserved for that time ({need} booking(s) need a unit); "
                "choose an earlier due date.")
    return None


def rules_peak(reservations) -> int:
    """Most reservations open at one moment (a sweep over their windows)."""
    points = []
    for r in reservations:
        points.append((r.starts_at, 1))
        points.append((r.ends_at, -1))
    peak = depth = 0
    for _, step in sorted(points, key=lambda p: (p[0], p[1])):
        depth += step
        peak = max(peak, depth)
    return peak


@dataclass(frozen=True)
class CheckedOut:
    tags: list[str]
    holder: str
    due_on: date

    def outcome(self) -> dict:
        return {"tags": self.tags, "holder": self.holder, "due_on": self.due_on.isoformat()}


def check_out(
    *,
    tags: list[str],
    due_on: date | None,
    actor_id: int,
    scan_id: str,
    borrower_id: int | None = None,
    customer: str | None = None,
    condition_out: str = "good",
    kit_id: int | None = None,
    source: str = "typed",
    device_time: datetime | None = None,
    today: date | None = None,
    uow: UnitOfWork,
) -> CheckedOut:
    """Lend one or several assets (all or none) to a person or, for demo and rental units, a customer."""
    today = today or datetime.now(UTC).date()
    clean = sorted({normalise_tag(t) for t in tags if t and t.strip()})
    if not clean:
        raise Invalid("Scan or type at least one asset tag.", field="tag")
    rules.check_due(due_on, today)
    customer = (customer or "").strip() or None
    if condition_out not in CONDITIONS:
        raise Invalid(f"Condition must be one of {', '.join(CONDITIONS)}.", field="condition_out")
    if customer is None and borrower_id is None:
        raise Invalid("Choose who takes it: a person, or a customer's name for a demo unit.", field="borrower_id")
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="assets.checkout", actor_id=actor_id, device_time=device_time)
        borrower = _user(s, borrower_id) if customer is None else None
        holder = customer or borrower.name
        starts, ends = utcnow(), rules.end_of_day(due_on)
        for tag in clean:  # sorted: concurrent batches lock in the same order, no deadlock
            asset = lock_asset(s, tag)
            if asset.status == "checked_out":
                current = s.scalar(select(Loan).where(Loan.asset_id == asset.id, Loan.returned_at.is_(None)))
                who = f" to {current.holder}, due {current.due_on:%Y-%m-%d}" if current else ""
                raise AlreadyCheckedOut(f"{asset.tag} is already checked out{who}. Check it in first.", tag=tag)
            if asset.pool is None:
                raise NotLoanable(f"{asset.tag} is not in a loan pool (loaner, demo or rental), so it is not lent out.",
                                  tag=tag)
            if customer and asset.pool == "loaner":
                raise NotLoanable(f"{asset.tag} is a loaner for staff; only demo and rental units go to customers.",
                                  tag=tag)
            rules.transition(asset.status, "checked_out")  # retired, in maintenance, lost … each with its reason
            # Set aside for a reservation: also after a trip to maintenance, which leaves it "in stock".
            reservation = s.scalar(select(Reservation).where(
                Reservation.asset_id == asset.id, Reservation.state == "ready"))
            if reservation is not None:
                if (
                    (customer and (reservation.customer or "").lower() != customer.lower())
                    or (not customer and reservation.holder_id != borrower_id)
                ):
                    raise ReservedForSomeoneElse(
                        f"{asset.tag} is set aside for {reservation.holder_label}'s reservation.", tag=tag)
            if reservation is None:  # the holder of a booking that starts today takes it: that is the collection
                reservation = _own_booking(s, asset, borrower_id, customer, until=rules.end_of_day(today), now=starts)
                if reservation is not None:
                    reservation.asset_id = asset.id
            clash = _reservation_clash(s, asset, holder_id=borrower_id, customer=customer, starts=starts, ends=ends)
            if clash:
                raise ReservedForSomeoneElse(clash, tag=tag)
            loan = Loan(asset_id=asset.id, borrower_id=borrower.id if borrower else None, customer=customer,
                        kit_id=kit_id, due_on=due_on, condition_out=condition_out, out_by_id=actor_id,
                        reservation_id=reservation.id if reservation else None)
            s.add(loan)
            if reservation is not None:
                reservation.state = "collected"
            append_event(s, asset, "checked_out", actor_id=actor_id, scan_id=scan_id, source=source, data={
                "holder": holder, "borrower_id": borrower.id if borrower else None, "due_on": due_on.isoformat(),
                "condition": condition_out})
        try:
            s.flush()
        except IntegrityError:  # a concurrent check-out got the open loan first (belt and braces)
            raise AlreadyCheckedOut("This asset was just checked out by someone else.") from None
        result = CheckedOut(clean, holder, due_on)
        uow.record(result.outcome())
        uow.commit()
        return result


@dataclass(frozen=True)
class CheckedIn:
    tag: str  # the asset, or the kit scanned
    holder: str
    condition: str
    maintenance_opened: bool
    missing: list[str]
    tags: tuple[str, ...] = ()

    def outcome(self) -> dict:
        return {"tag": self.tag, "tags": list(self.tags), "holder": self.holder, "condition": self.condition,
                "maintenance_opened": self.maintenance_opened, "missing": self.missing}


def check_in(
    *,
    tag: str,
    condition_in: str,
    actor_id: int,
    scan_id: str,
    damage: str | None = None,
    location_code: str | None = None,
    pieces: list[str] | None = None,
    source: str = "typed",
    device_time: datetime | None = None,
    uow: UnitOfWork,
) -> CheckedIn:
    """Take an asset back — or a kit: its code plus the pieces that came back; missing pieces are reported and
    stay checked out to the borrower. Damage opens a corrective maintenance record in the same transaction."""
    if condition_in not in CONDITIONS:
        raise Invalid(f"Condition must be one of {', '.join(CONDITIONS)}.", field="condition_in")
    damage = (damage or "").strip() or None
    if condition_in == "damaged" and not damage:
        raise Invalid("Describe the damage, so the workshop knows what to look at.", field="damage")
    code = normalise_tag(tag)
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="assets.checkin", actor_id=actor_id, device_time=device_time)
        loc = _location(s, location_code)
        kit = s.scalar(select(Kit).where(Kit.code == code))
        if kit is None:
            loan, opened = _check_in_within(s, lock_asset(s, code), condition_in, damage, loc, actor_id, scan_id,
                                            source)
            missing: list[str] = []
            if loan.kit_id is not None:
                missing = [m.asset.tag for m in s.scalars(select(KitMember).where(KitMember.kit_id == loan.kit_id))
                           if m.asset_id != loan.asset_id and m.asset.status == "checked_out"]
            result = CheckedIn(code, loan.holder, condition_in, opened, missing, (code,))
        else:
            result = _check_in_kit(s, kit, pieces or [], condition_in, damage, loc, actor_id, scan_id, source)
        uow.record(result.outcome())
        uow.commit()
        return result


def _check_in_within(s: Session, asset: Asset, condition_in: str, damage: str | None, loc: Location | None,
                     actor_id: int, scan_id: str, source: str) -> tuple[Loan, bool]:
    loan = s.scalar(select(Loan).where(Loan.asset_id == asset.id, Loan.returned_at.is_(None)))
    if asset.status != "checked_out" or loan is None:
        raise NotCheckedOut(
            f"{asset.tag} is not checked out (it is {asset.status_label.lower()}), so there is nothing to check in.",
            tag=asset.tag)
    now = utcnow()
    loan.returned_at, loan.condition_in, loan.damage, loan.in_by_id = now, condition_in, damage, actor_id
    append_event(s, asset, "checked_in", actor_id=actor_id, scan_id=scan_id, source=source,
                 data={"holder": loan.holder, "condition": condition_in, "damage": damage})
    if loc is not None:
        asset.location_id = loc.id
    if asset.location_id:
        asset.last_seen_location_id, asset.last_seen_at = asset.location_id, now
    if condition_in == "damaged":
        from ..maintenance.services import open_record_within

        open_record_within(s, asset, kind="corrective", findings=f"Returned damaged: {damage}", actor_id=actor_id)
        return loan, True
    return loan, False


def _check_in_kit(s: Session, kit: Kit, pieces: list[str], condition_in: str, damage: str | None,
                  loc: Location | None, actor_id: int, scan_id: str, source: str) -> CheckedIn:
    present = sorted({normalise_tag(p) for p in pieces if p and p.strip()} - {kit.code})
    if not present:
        raise Invalid(f"Scan the pieces of kit {kit.code} that came back.", field="pieces")
    out = {loan.asset.tag: loan for loan in s.scalars(select(Loan).where(Loan.kit_id == kit.id,
                                                                         Loan.returned_at.is_(None)))}
    members = {m.asset.tag for m in s.scalars(select(KitMember).where(KitMember.kit_id == kit.id))}
    strangers = [p for p in present if p not in members]
    if strangers:
        raise Invalid(f"{', '.join(strangers)} is not part of kit {kit.code}; check it in on its own.", field="pieces")
    not_out = [p for p in present if p not in out]
    if not_out:
        raise NotCheckedOut(f"{', '.join(not_out)} of kit {kit.code} is not checked out.", field="pieces")
    opened = False
    holder = "—"
    for tag in present:  # sorted: the same lock order as every other batch
        loan, damaged = _check_in_within(s, lock_asset(s, tag), condition_in, damage, loc, actor_id, scan_id, source)
        holder, opened = loan.holder, opened or damaged
    missing = sorted(set(out) - set(present))
    return CheckedIn(kit.code, holder, condition_in, opened, missing, tuple(present))


# ---------------------------------------------------------------------------------------------------------------
# Reservations
# ---------------------------------------------------------------------------------------------------------------


def reserve(
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    actor_id: int,
    tag: str | None = None,
    model_id: int | None = None,
    holder_id: int | None = None,
    customer: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
    scan_id: str | None = None,
    device_time: datetime | None = None,
    uow: UnitOfWork,
) -> Reservation:
    """Book one asset, or any unit of a model, for [starts_at, ends_at). No double booking.

    With a scan_id (the form's), a resent form books once."""
    now = now or utcnow()
    rules.check_window(starts_at, ends_at, now)
    if ends_at <= now:
        raise Invalid("That window is already over; choose a future end.", field="ends_at")
    customer = (customer or "").strip() or None
    if customer is None and holder_id is None:
        raise Invalid("Say who the reservation is for.", field="holder_id")
    if not tag and not model_id:
        raise Invalid("Scan the asset, or choose a model for any unit of it.", field="tag")
    with uow:
        s = uow.session
        if scan_id:
            uow.claim(scan_id, scope="assets.reserve", actor_id=actor_id, device_time=device_time)
        _user(s, holder_id, "holder_id")
        asset = None
        if tag:
            asset = lock_asset(s, tag)
            if model_id and int(model_id) != asset.model_id:  # both named, and they disagree: ask, don't guess
                raise Invalid(f"{asset.tag} is a {asset.model.label}, not the model chosen; give the tag alone, or "
                              "the model alone for any unit of it.", field="model_id")
            model_id = asset.model_id
            if asset.pool is None:
                raise NotLoanable(f"{asset.tag} is not in a loan pool, so it cannot be reserved.", tag=asset.tag)
            if asset.status in ("retired", "disposed", "lost"):
                raise Conflict(f"{asset.tag} is {asset.status_label.lower()}; it cannot be reserved.", tag=asset.tag)
        # Every reservation of a model takes that model's row lock: bookings of one model are serialised.
        model = s.scalar(select(AssetModel).where(AssetModel.id == model_id).with_for_update()
                         .execution_options(populate_existing=True))
        if model is None:
            raise NotFound("No such asset model.", field="model_id")
        overlapping = s.scalars(select(Reservation).where(
            Reservation.model_id == model.id, Reservation.state.in_(RESERVATION_OPEN),
            Reservation.starts_at < ends_at, Reservation.ends_at > starts_at)).all()
        if asset is not None:
            for r in overlapping:
                if r.asset_id == asset.id:
                    raise DoubleBooked(
                        f"{asset.tag} is already reserved for {r.holder_label} from {r.starts_at:%Y-%m-%d %H:%M} "
                        f"to {r.ends_at:%Y-%m-%d %H:%M} UTC.", tag=asset.tag)
        # A unit out on loan is busy until the end of its due day (an overdue one until it comes back, so at
        # least until now): bookings must leave room for it like for another reservation.
        out = [(loan, _Window(loan.out_at, max(rules.end_of_day(loan.due_on), now)))
               for loan in s.scalars(select(Loan).join(Asset, Loan.asset_id == Asset.id).where(
                   Asset.model_id == model.id, Loan.returned_at.is_(None)))]
        out = [(loan, w) for loan, w in out if w.starts_at < ends_at and w.ends_at > starts_at]
        if asset is not None:
            for loan, _w in out:
                if loan.asset_id == asset.id and not _same_holder(loan, holder_id, customer):
                    raise DoubleBooked(
                        f"{asset.tag} is checked out to {loan.holder} until {loan.due_on:%Y-%m-%d}; choose a window "
                        "after it is due back, or another unit.", tag=asset.tag)
        units = len(s.scalars(select(Asset.id).where(
            Asset.model_id == model.id, Asset.pool.is_not(None),
            Asset.status.not_in(("retired", "disposed", "lost")))).all())
        if rules_peak([*overlapping, *(w for _, w in out), _Window(starts_at, ends_at)]) > units:
            raise DoubleBooked(
                f"All {units} unit(s) of {model.label} are already reserved or out on loan for some of that time; "
                "choose another window.", field="starts_at")
        res = Reservation(model_id=model.id, asset_id=asset.id if asset else None, any_unit=asset is None,
                          holder_id=holder_id if customer is None else None, customer=customer,
                          starts_at=starts_at, ends_at=ends_at, state="booked", note=(note or "").strip() or None,
                          created_by_id=actor_id)
        s.add(res)
        try:
            s.flush()
        except IntegrityError:  # PostgreSQL's exclusion constraint: an overlapping booking won
            raise DoubleBooked("That asset was just reserved by someone else for an overlapping time.") from None
        uow.record({"reservation_id": res.id})
        uow.commit()
        return res


@dataclass(frozen=True)
class _Window:
    starts_at: datetime
    ends_at: datetime


def _same_holder(loan: Loan, holder_id: int | None, customer: str | None) -> bool:
    """The person (or customer) who has the asset now books it on: an extension, not a clash."""
    if customer or loan.customer:
        return (loan.customer or "").strip().lower() == (customer or "").strip().lower()
    return loan.borrower_id == holder_id


def fulfil_reservation(*, reservation_id: int, tag: str, actor_id: int, scan_id: str, source: str = "typed",
                       device_time: datetime | None = None, uow: UnitOfWork) -> Reservation:
    """Set a scanned unit aside for a reservation (status reserved); the holder then checks it out."""
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="assets.fulfil", actor_id=actor_id, device_time=device_time)
        res = s.get(Reservation, reservation_id, with_for_update=True)
        if res is None:
            raise NotFound("No such reservation.")
        if res.state != "booked":
            raise Conflict(f"This reservation is {res.state}; only a booked one can be fulfilled.")
        asset = lock_asset(s, tag)
        if asset.model_id != res.model_id:
            raise Conflict(f"{asset.tag} is a {asset.model.label}; this reservation is for a {res.model.label}.",
                           tag=asset.tag)
        if res.asset_id is not None and res.asset_id != asset.id:
            raise Conflict(f"This reservation is for {res.asset.tag}, not {asset.tag}.", tag=asset.tag)
        if asset.pool is None:
            raise NotLoanable(f"{asset.tag} is not in a loan pool.", tag=asset.tag)
        rules.transition(asset.status, "reserved")
        other = s.scalar(select(Reservation).where(
            Reservation.asset_id == asset.id, Reservation.id != res.id, Reservation.state.in_(RESERVATION_OPEN),
            Reservation.starts_at < res.ends_at, Reservation.ends_at > res.starts_at))
        if other is not None:
            raise DoubleBooked(f"{asset.tag} is reserved for {other.holder_label} at an overlapping time; "
                               "scan another unit.", tag=asset.tag)
        res.asset_id, res.state = asset.id, "ready"
        append_event(s, asset, "reserved", actor_id=actor_id, scan_id=scan_id, source=source,
                     data={"reservation_id": res.id, "holder": res.holder_label})
        try:
            s.flush()
        except IntegrityError:
            raise DoubleBooked(f"{asset.tag} was just reserved for an overlapping time; scan another unit.") from None
        uow.record({"reservation_id": res.id, "tag": asset.tag})
        uow.commit()
        return res


def expire_reservations(*, now: datetime | None = None, uow: UnitOfWork) -> int:
    """Close reservations whose window has passed uncollected; a unit set aside for one goes back to stock."""
    now = now or utcnow()
    with uow:
        s = uow.session
        stale = s.scalars(select(Reservation).where(Reservation.state.in_(RESERVATION_OPEN),
                                                    Reservation.ends_at <= now).with_for_update()).all()
        for res in stale:
            if res.state == "ready" and res.asset_id is not None:
                asset = lock_asset_id(s, res.asset_id)
                if asset.status == "reserved":
                    append_event(s, asset, "released", actor_id=None,
                                 data={"reservation_id": res.id, "reason": "not collected in time"})
            res.state = "expired"
        uow.commit()
        return len(stale)


class NotYours(Conflict):
    status = 403
    code = "not_yours"


def cancel_reservation(*, reservation_id: int, actor_id: int, uow: UnitOfWork, may_cancel_others: bool = True
                       ) -> Reservation:
    with uow:
        s = uow.session
        res = s.get(Reservation, reservation_id, with_for_update=True)
        if res is None:
            raise NotFound("No such reservation.")
        if not may_cancel_others and res.holder_id != actor_id and res.created_by_id != actor_id:
            raise NotYours(f"This reservation is {res.holder_label}'s; ask them or a manager to cancel it.")
        if res.state not in RESERVATION_OPEN:
            raise Conflict(f"This reservation is already {res.state}.")
        if res.state == "ready" and res.asset_id is not None:
            asset = lock_asset_id(s, res.asset_id)
            if asset.status == "reserved":
                append_event(s, asset, "released", actor_id=actor_id, data={"reservation_id": res.id})
        if res.any_unit:
            res.asset_id = None
        res.state = "cancelled"
        uow.commit()
        return res


# ---------------------------------------------------------------------------------------------------------------
# Transfers, replacement, audits, kits
# ---------------------------------------------------------------------------------------------------------------


def transfer(*, tag: str, actor_id: int, scan_id: str, location_code: str | None = None,
             department: str | None = None, assignee_id: int | None = None, source: str = "typed",
             device_time: datetime | None = None, uow: UnitOfWork) -> Asset:
    """Move an asset to another location, department or person."""
    department = (department or "").strip() or None
    if not (location_code or department or assignee_id):
        raise Invalid("Choose where it goes: a location, a department or a person.", field="location_code")
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="assets.transfer", actor_id=actor_id, device_time=device_time)
        asset = lock_asset(s, tag)
        data = {}
        loc = _location(s, location_code)
        if loc is not None and loc.id != asset.location_id:
            data["location"] = loc.code
            asset.location_id = loc.id
            asset.last_seen_location_id, asset.last_seen_at = loc.id, utcnow()
        if department and department != asset.department:
            data["department"] = department
            asset.department = department
        if assignee_id and assignee_id != asset.assignee_id:
            user = _user(s, assignee_id, "assignee_id")
            data["assignee"] = user.name
            asset.assignee_id = user.id
        if not data:
            raise Invalid(f"{asset.tag} is already there; nothing to change.", field="location_code")
        append_event(s, asset, "transferred", actor_id=actor_id, scan_id=scan_id, source=source, data=data)
        uow.record({"tag": asset.tag, **data})
        uow.commit()
        return asset


def replace_asset(*, old_tag: str, new_tag: str, actor_id: int, note: str | None = None, uow: UnitOfWork) -> Asset:
    """The new asset takes the old one's place (location, department, assignee); the old one is retired."""
    with uow:
        s = uow.session
        first, second = sorted([normalise_tag(old_tag), normalise_tag(new_tag)])
        if first == second:
            raise Invalid("An asset cannot replace itself.", field="new_tag")
        locked = {a.tag: a for a in (lock_asset(s, first), lock_asset(s, second))}
        old, new = locked[normalise_tag(old_tag)], locked[normalise_tag(new_tag)]
        if old.status == "checked_out":
            raise Conflict(f"{old.tag} is checked out; check it in before replacing it.")
        rules.transition(new.status, "replaces")
        new.location_id, new.department, new.assignee_id = old.location_id, old.department, old.assignee_id
        old.replaced_by_id = new.id
        append_event(s, old, "replaced", actor_id=actor_id, note=note, data={"by": new.tag})
        if old.status != "retired":
            append_event(s, old, "retired", actor_id=actor_id, data={"replaced_by": new.tag})
        append_event(s, new, "replaces", actor_id=actor_id, note=note, data={"replaces": old.tag})
        uow.commit()
        return new


@dataclass(frozen=True)
class AuditResult:
    location: str
    found: list[str]
    missing: list[str]
    unexpected: list[tuple[str, str]]  # (tag, where it is registered)
    unknown: list[str]
    on_loan: list[tuple[str, str]] = ()  # (tag, who has it): checked out, yet scanned here
    recovered: list[str] = ()  # reported lost, now found here


def audit(*, location_code: str, tags: list[str], actor_id: int, scan_id: str, source: str = "typed",
          device_time: datetime | None = None, uow: UnitOfWork) -> AuditResult:
    """Compare what was scanned in a room, shelf or van with what is registered there; update last seen."""
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="assets.audit", actor_id=actor_id, device_time=device_time)
        loc = _location(s, location_code)
        if loc is None:
            raise Invalid("Scan the location being audited.", field="location_code")
        scanned = sorted({normalise_tag(t) for t in tags if t and t.strip()})
        inside = descendant_ids(s, loc.id)  # a room's shelves and bins are part of its audit
        expected = {a.tag: a for a in s.scalars(select(Asset).where(
            Asset.location_id.in_(inside), Asset.status.not_in(("disposed", "checked_out"))))}
        found, unexpected, unknown, on_loan, recovered = [], [], [], [], []
        now = utcnow()
        for tag in scanned:
            asset = s.scalar(select(Asset).where(Asset.tag == tag).with_for_update(of=Asset))
            if asset is None:
                unknown.append(tag)
                continue
            if asset.status == "lost":  # seen with one's own eyes: no longer lost, and here is where it is now
                append_event(s, asset, "found", actor_id=actor_id, scan_id=scan_id, source=source,
                             data={"location": loc.code}, note=f"Found in an audit of {loc.code}")
                if asset.location_id not in inside:
                    asset.location_id = loc.id
                recovered.append(tag)
            if asset.status == "checked_out":
                # Out on loan, yet here: neither expected on the shelf nor registered somewhere else.
                loan = s.scalar(select(Loan).where(Loan.asset_id == asset.id, Loan.returned_at.is_(None)))
                on_loan.append((tag, loan.holder if loan is not None else "someone"))
            elif tag in expected or tag in recovered:
                found.append(tag)
            else:
                unexpected.append((tag, asset.location.code if asset.location else "nowhere"))
            if asset.status != "disposed":
                asset.last_seen_location_id, asset.last_seen_at = loc.id, now
                append_event(s, asset, "seen", actor_id=actor_id, scan_id=scan_id, source=source,
                             data={"location": loc.code, "expected": tag in expected})
        missing = sorted(set(expected) - set(found))
        result = AuditResult(loc.code, found, missing, unexpected, unknown, on_loan, recovered)
        uow.record({"location": loc.code, "found": found, "missing": missing,
                    "unexpected": [list(u) for u in unexpected], "unknown": unknown,
                    "on_loan": [list(u) for u in on_loan], "recovered": recovered})
        uow.commit()
        return result


def create_kit(*, code: str, name: str, tags: list[str], uow: UnitOfWork) -> Kit:
    code = normalise_tag(code)
    if not [t for t in tags if t and t.strip()]:
        raise Invalid("Scan the assets that belong in the kit.", field="tags")
    with uow:
        s = uow.session
        if s.scalar(select(Kit.id).where(Kit.code == code)):
            raise Conflict(f"The kit code {code} is already used.", field="code")
        kit = Kit(code=code, name=(name or code).strip())
        s.add(kit)
        s.flush()
        register_code(s, code, kind="kit", target_id=kit.id)
        for tag in sorted({normalise_tag(t) for t in tags}):
            asset = lock_asset(s, tag)
            if s.get(KitMember, (kit.id, asset.id)) or s.scalar(select(KitMember).where(KitMember.asset_id == asset.id)):
                raise Conflict(f"{asset.tag} already belongs to a kit.", tag=asset.tag)
            s.add(KitMember(kit_id=kit.id, asset_id=asset.id))
        uow.commit()
        return kit


def kit_tags(session: Session, kit_code: str) -> tuple[Kit, list[str]]:
    kit = session.scalar(select(Kit).where(Kit.code == normalise_tag(kit_code)))
    if kit is None:
        raise NotFound(f"No kit has the code {kit_code}.", field="tag")
    tags = [m.asset.tag for m in session.scalars(select(KitMember).where(KitMember.kit_id == kit.id))]
    return kit, tags


# ---------------------------------------------------------------------------------------------------------------
# Licences and contracts
# ---------------------------------------------------------------------------------------------------------------


class NoSeatLeft(Conflict):
    code = "no_seat_left"


def create_licence(*, name: str, seats: int | None, vendor: str | None = None, expires_on: date | None = None,
                   notes: str | None = None, uow: UnitOfWork) -> Licence:
    name = (name or "").strip()
    if not name:
        raise Invalid("Name the licence, e.g. 'AutoCAD LT 2026'.", field="name")
    if seats is None or seats < 1:
        raise Invalid("A licence has at least one seat.", field="seats")
    with uow:
        lic = Licence(name=name, vendor=(vendor or "").strip() or None, seats=seats, expires_on=expires_on,
                      notes=(notes or "").strip() or None)
        uow.session.add(lic)
        uow.commit()
        return lic


def assign_seat(*, licence_id: int, tag: str | None = None, user_id: int | None = None, actor_id: int | None,
                uow: UnitOfWork) -> LicenceSeat:
    """Give one seat to an asset or a person; refused when every seat is taken (counted under the licence's lock)."""
    if bool(tag) == bool(user_id):
        raise Invalid("Give the seat to an asset (scan its tag) or to a person, not both.", field="tag")
    with uow:
        s = uow.session
        lic = s.get(Licence, licence_id, with_for_update=True, populate_existing=True)
        if lic is None:
            raise NotFound("No such licence.")
        taken = s.scalars(select(LicenceSeat).where(LicenceSeat.licence_id == lic.id,
                                                    LicenceSeat.released_at.is_(None))).all()
        if len(taken) >= lic.seats:
            raise NoSeatLeft(f"All {lic.seats} seat(s) of {lic.name} are taken; release one first.")
        asset = lock_asset(s, tag) if tag else None
        user = _user(s, user_id, "user_id") if user_id else None
        if any((asset and t.asset_id == asset.id) or (user and t.user_id == user.id) for t in taken):
            raise Conflict(f"{asset.tag if asset else user.name} already has a seat of {lic.name}.")
        seat = LicenceSeat(licence_id=lic.id, asset_id=asset.id if asset else None, user_id=user.id if user else None)
        s.add(seat)
        if asset is not None:
            append_event(s, asset, "note", actor_id=actor_id, data={"licence": lic.name, "seat": "assigned"})
        uow.commit()
        return seat


def release_seat(*, seat_id: int, uow: UnitOfWork, actor_id: int | None = None) -> LicenceSeat:
    with uow:
        s = uow.session
        seat = s.get(LicenceSeat, seat_id, with_for_update=True)
        if seat is None or seat.released_at is not None:
            raise NotFound("That seat is not assigned.")
        seat.released_at = utcnow()
        asset = lock_asset_id(s, seat.asset_id) if seat.asset_id is not None else None
        if asset is not None and asset.status != "disposed":  # its timeline shows the seat go as it showed it come
            append_event(s, asset, "note", actor_id=actor_id, data={"licence": seat.licence.name, "seat": "released"})
        uow.commit()
        return seat


def create_contract(*, kind: str, supplier: str, starts_on: date | None, ends_on: date | None, tags: list[str],
                    reference: str | None = None, cost: Decimal | None = None, notes: str | None = None,
                    actor_id: int | None = None, uow: UnitOfWork) -> Contract:
    from .models import CONTRACT_KINDS

    if kind not in CONTRACT_KINDS:
        raise Invalid("A contract is a service contract or a warranty extension.", field="kind")
    if not (supplier or "").strip():
        raise Invalid("Name the supplier.", field="supplier")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise Invalid("A contract needs a start and an end, the end not before the start.", field="ends_on")
    clean = sorted({normalise_tag(t) for t in tags if t and t.strip()})
    if not clean:
        raise Invalid("Scan the assets the contract covers.", field="tags")
    with uow:
        s = uow.session
        contract = Contract(kind=kind, supplier=supplier.strip(), reference=(reference or "").strip() or None,
                            starts_on=starts_on, ends_on=ends_on, cost=cost or Decimal("0.00"),
                            notes=(notes or "").strip() or None)
        s.add(contract)
        s.flush()
        for tag in clean:
            asset = lock_asset(s, tag)
            s.add(ContractAsset(contract_id=contract.id, asset_id=asset.id))
            if kind == "warranty_extension" and (asset.warranty_end is None or asset.warranty_end < ends_on):
                append_event(s, asset, "edited", actor_id=actor_id,
                             data={"warranty_end": ends_on.isoformat(), "contract": contract.reference or contract.id})
                asset.warranty_end = ends_on
        uow.commit()
        return contract


def set_config(*, tag: str, name: str, version: str | None = None, note: str | None = None, remove: bool = False,
               actor_id: int | None, uow: UnitOfWork) -> ConfigItem | None:
    """Record (or remove) one configuration line of an asset — e.g. OS Windows 11 23H2 — as an event too."""
    name = (name or "").strip()
    if not name:
        raise Invalid("Name what is configured, e.g. 'OS' or 'AutoCAD LT'.", field="name")
    version, note = (version or "").strip() or None, (note or "").strip() or None
    with uow:
        s = uow.session
        asset = lock_asset(s, tag)
        row = s.scalar(select(ConfigItem).where(ConfigItem.asset_id == asset.id, ConfigItem.name == name))
        if remove:
            if row is None:
                raise NotFound(f"{asset.tag} has no configuration line {name!r}.", field="name")
            s.delete(row)
            append_event(s, asset, "edited", actor_id=actor_id, data={"config_removed": name})
            uow.commit()
            return None
        if row is None:
            row = ConfigItem(asset_id=asset.id, name=name)
            s.add(row)
        row.version, row.note, row.updated_at = version, note, utcnow()
        append_event(s, asset, "edited", actor_id=actor_id,
                     data={"config": f"{name} {version or ''}".strip(), "note": note})
        uow.commit()
        return row
