"""Read side of maintenance: what is due, the log of an asset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..assets.models import Asset
from . import rules
from .models import MaintenanceRecord, MaintenanceSchedule, MeterReading


@dataclass(frozen=True)
class DueItem:
    schedule: MaintenanceSchedule
    asset: Asset
    due: rules.Due


def current_hours(session: Session, asset_ids) -> dict[int, int]:
    latest = (select(MeterReading.asset_id, func.max(MeterReading.hours).label("h"))
              .where(MeterReading.asset_id.in_(list(asset_ids))).group_by(MeterReading.asset_id))
    return {a: h for a, h in session.execute(latest)}


def due_list(session: Session, *, today: date, asset_id: int | None = None, include_ok: bool = False) -> list[DueItem]:
    q = select(MaintenanceSchedule).join(Asset, Asset.id == MaintenanceSchedule.asset_id).where(
        MaintenanceSchedule.active.is_(True), Asset.status.not_in(("disposed", "retired")))
    if asset_id is not None:
        q = q.where(MaintenanceSchedule.asset_id == asset_id)
    schedules = list(session.scalars(q))
    hours = current_hours(session, {s.asset_id for s in schedules}) if schedules else {}
    out = []
    for sched in schedules:
        d = rules.due(every_days=sched.every_days, every_hours=sched.every_hours, last_done_on=sched.last_done_on,
                      last_done_hours=sched.last_done_hours, current_hours=hours.get(sched.asset_id), today=today)
        if include_ok or d.state != "ok":
            out.append(DueItem(sched, sched.asset, d))
    order = {"overdue": 0, "due": 1, "ok": 2}
    return sorted(out, key=lambda i: (order[i.due.state], i.due.due_on or today, i.asset.tag))


def records_of(session: Session, asset_id: int) -> list[MaintenanceRecord]:
    return list(session.scalars(select(MaintenanceRecord).where(MaintenanceRecord.asset_id == asset_id)
                                .order_by(MaintenanceRecord.opened_at.desc())))


def open_record(session: Session, asset_id: int) -> MaintenanceRecord | None:
    return session.scalar(select(MaintenanceRecord).where(MaintenanceRecord.asset_id == asset_id,
                                                          MaintenanceRecord.state == "open"))
