"""Maintenance use cases. Each is one transaction with the asset's event; spare parts are consumed from stock in
that same transaction (app.stock.services.consume_within), so a part the van does not hold writes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..assets.models import Asset, Reservation
from ..assets.services import append_event, lock_asset, parse_int
from ..errors import Conflict, Invalid
from ..types import utcnow
from ..uow import UnitOfWork
from . import rules
from .models import KINDS, MaintenanceRecord, MaintenanceSchedule, MeterReading, PartUsed


@dataclass(frozen=True)
class Part:
    sku: str
    location_code: str
    quantity: int


def parse_parts(text: str | None, default_location: str | None) -> list[Part]:
    """One part per line: `SKU quantity [location]`, e.g. `FILTER-12 2 VAN-07`."""
    parts = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        bits = line.split()
        if not bits:
            continue
        if len(bits) < 2:
            raise Invalid(f"Part line {n}: give the SKU and the quantity, e.g. 'FILTER-12 2'.", field="parts")
        qty = parse_int(bits[1], "parts", minimum=1)
        where = bits[2] if len(bits) > 2 else default_location
        if not where:
            raise Invalid(f"Part line {n}: say where the part comes from (your van or a bin).", field="parts")
        parts.append(Part(bits[0].upper(), where.upper(), qty))
    return parts


def open_record_within(session: Session, asset: Asset, *, kind: str, findings: str | None, actor_id: int | None,
                       scan_id: str | None = None) -> MaintenanceRecord:
    """Send the asset to maintenance inside the caller's transaction (asset row already locked)."""
    if kind not in KINDS:
        raise Invalid(f"Kind must be one of {', '.join(KINDS)}.", field="kind")
    append_event(session, asset, "maintenance_opened", actor_id=actor_id, scan_id=scan_id,
                 data={"kind": kind, "findings": findings})
    record = MaintenanceRecord(asset_id=asset.id, kind=kind, state="open", findings=findings,
                               technician_id=actor_id, scan_id=scan_id)
    session.add(record)
    session.flush()
    return record


def open_maintenance(*, tag: str, kind: str, findings: str | None, actor_id: int, scan_id: str,
                     device_time: datetime | None = None, uow: UnitOfWork) -> MaintenanceRecord:
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="maintenance.open", actor_id=actor_id, device_time=device_time)
        asset = lock_asset(s, tag)
        if s.scalar(select(MaintenanceRecord.id).where(MaintenanceRecord.asset_id == asset.id,
                                                        MaintenanceRecord.state == "open")):
            raise Conflict(f"{asset.tag} already has open maintenance; log the work to close it.")
        record = open_record_within(s, asset, kind=kind, findings=(findings or "").strip() or None,
                                    actor_id=actor_id, scan_id=scan_id)
        uow.record({"tag": asset.tag, "record_id": record.id})
        uow.commit()
        return record


@dataclass(frozen=True)
class Logged:
    tag: str
    record_id: int
    closed_open_record: bool
    parts: int


def log_maintenance(
    *,
    tag: str,
    kind: str,
    actor_id: int,
    scan_id: str,
    findings: str | None = None,
    labour_minutes: int = 0,
    cost: Decimal = Decimal("0.00"),
    downtime_minutes: int = 0,
    schedule_id: int | None = None,
    meter_hours: int | None = None,
    parts: list[Part] | None = None,
    source: str = "typed",
    device_time: datetime | None = None,
    uow: UnitOfWork,
) -> Logged:
    """Log work done. Closes the open record (the asset goes back to stock) or logs a completed one."""
    if kind not in KINDS:
        raise Invalid(f"Kind must be one of {', '.join(KINDS)}.", field="kind")
    for value, field in ((labour_minutes, "labour_minutes"), (downtime_minutes, "downtime_minutes")):
        if value is None or value < 0:
            raise Invalid("Times are zero or more minutes.", field=field)
    if cost is None or cost < 0:
        raise Invalid("The cost must be zero or more.", field="cost")
    parts = parts or []
    with uow:
        s = uow.session
        uow.claim(scan_id, scope="maintenance.log", actor_id=actor_id, device_time=device_time)
        asset = lock_asset(s, tag)
        now = utcnow()
        record = s.scalar(select(MaintenanceRecord).where(MaintenanceRecord.asset_id == asset.id,
                                                           MaintenanceRecord.state == "open"))
        closing = record is not None and asset.status == "in_maintenance"
        if not closing:
            record = MaintenanceRecord(asset_id=asset.id, opened_at=now, technician_id=actor_id, scan_id=scan_id)
            s.add(record)
        record.kind, record.state, record.closed_at = kind, "closed", now
        record.findings = "\n".join(x for x in (record.findings, (findings or "").strip()) if x) or None
        record.labour_minutes, record.cost, record.downtime_minutes = labour_minutes, cost, downtime_minutes
        data = {"kind": kind, "labour_minutes": labour_minutes, "cost": str(cost), "downtime_minutes": downtime_minutes}
        append_event(s, asset, "maintenance_closed" if closing else "maintenance_logged", actor_id=actor_id,
                     scan_id=scan_id, source=source, data=data, note=(findings or "").strip() or None)
        if closing:
            _set_aside_again(s, asset, actor_id)
        if meter_hours is not None:
            _meter_within(s, asset, meter_hours, actor_id)
        sched = None
        if schedule_id:
            sched = s.get(MaintenanceSchedule, schedule_id)
            if sched is None or sched.asset_id != asset.id:
                raise Invalid("That schedule does not belong to this asset.", field="schedule_id")
        if sched is not None:
            record.schedule_id = sched.id
            sched.last_done_on = now.astimezone(UTC).date()
            sched.last_done_hours = _current_hours(s, asset.id) or sched.last_done_hours
        s.flush()
        for part in parts:
            _consume(uow, part, record=record, actor_id=actor_id, source=source)
        result = Logged(asset.tag, record.id, closing, len(parts))
        uow.record({"tag": asset.tag, "record_id": record.id, "closed": closing, "parts": len(parts)})
        uow.commit()
        return result


def _set_aside_again(s: Session, asset: Asset, actor_id: int | None) -> None:
    """A unit set aside for a reservation went to maintenance: it comes back set aside for the same holder."""
    res = s.scalar(select(Reservation).where(Reservation.asset_id == asset.id, Reservation.state == "ready"))
    if res is not None:
        append_event(s, asset, "reserved", actor_id=actor_id, data={"reservation_id": res.id,
                                                                    "holder": res.holder_label})


def _consume(uow: UnitOfWork, part: Part, *, record: MaintenanceRecord, actor_id: int, source: str) -> None:
    try:
        from ..stock.services import consume_within
    except ImportError:
        raise Invalid("Spare parts cannot be recorded yet: the stock feature is not installed.", field="parts") from None
    from ..errors import DomainError

    try:
        movement = consume_within(uow, sku=part.sku, location_code=part.location_code, quantity=part.quantity,
                                  reference=f"maintenance:{record.id}", actor_id=actor_id, source=source)
    except DomainError as err:  # name the part and the place, and say that nothing was recorded
        raise type(err)(f"Spare part {part.sku} from {part.location_code}: {err.message} "
                        "Nothing was recorded.", field="parts", **err.details) from None
    uow.session.flush()
    uow.session.add(PartUsed(record_id=record.id, sku=part.sku, location_code=part.location_code,
                             quantity=part.quantity, movement_id=getattr(movement, "id", None)))


def _current_hours(s: Session, asset_id: int) -> int | None:
    return s.scalar(select(MeterReading.hours).where(MeterReading.asset_id == asset_id)
                    .order_by(MeterReading.at.desc(), MeterReading.id.desc()).limit(1))


def _meter_within(s: Session, asset: Asset, hours: int, actor_id: int | None) -> MeterReading:
    last = _current_hours(s, asset.id)
    if hours < 0:
        raise Invalid("A meter reading is zero or more hours.", field="meter_hours")
    if last is not None and hours < last:
        raise Invalid(f"The meter cannot go backwards: the last reading was {last} h.", field="meter_hours")
    reading = MeterReading(asset_id=asset.id, hours=hours, actor_id=actor_id)
    s.add(reading)
    append_event(s, asset, "meter_read", actor_id=actor_id, data={"hours": hours})
    return reading


def record_meter(*, tag: str, hours: int, actor_id: int, uow: UnitOfWork) -> MeterReading:
    with uow:
        s = uow.session
        asset = lock_asset(s, tag)
        reading = _meter_within(s, asset, hours, actor_id)
        uow.commit()
        return reading


def add_schedule(*, tag: str, title: str, kind: str = "preventive", every_days: int | None = None,
                 every_hours: int | None = None, starts_on: date | None = None, uow: UnitOfWork) -> MaintenanceSchedule:
    rules.check_interval(every_days, every_hours)
    if kind not in KINDS:
        raise Invalid(f"Kind must be one of {', '.join(KINDS)}.", field="kind")
    if not (title or "").strip():
        raise Invalid("Give the schedule a title, e.g. 'Annual calibration'.", field="title")
    with uow:
        s = uow.session
        asset = lock_asset(s, tag)
        sched = MaintenanceSchedule(asset_id=asset.id, title=title.strip(), kind=kind, every_days=every_days,
                                    every_hours=every_hours, last_done_on=starts_on or utcnow().date(),
                                    last_done_hours=_current_hours(s, asset.id) or 0, active=True)
        s.add(sched)
        uow.commit()
        return sched
