"""Maintenance of assets: the log (records), schedules (every N days or N hours of use), meter readings, parts used."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow

KINDS = ("preventive", "corrective", "inspection", "calibration")


class MaintenanceRecord(db.Model):
    """One piece of maintenance work. Open while the asset is in the workshop; closed when the work is logged."""

    __tablename__ = "maintenance_record"
    __table_args__ = (Index("ix_maintenance_record_asset", "asset_id", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_schedule.id"))
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(8), default="open", index=True)  # open, closed
    findings: Mapped[str | None] = mapped_column(Text)
    labour_minutes: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    downtime_minutes: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    scan_id: Mapped[str | None] = mapped_column(String(100))

    asset = relationship("Asset")
    technician = relationship("User")


class PartUsed(db.Model):
    """A spare part consumed by a maintenance record; `movement_id` is its stock ledger movement."""

    __tablename__ = "maintenance_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("maintenance_record.id"), index=True)
    sku: Mapped[str] = mapped_column(String(60))
    location_code: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[int | None] = mapped_column(Integer)


class MaintenanceSchedule(db.Model):
    __tablename__ = "maintenance_schedule"
    __table_args__ = (Index("ix_maintenance_schedule_asset", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12), default="preventive")
    every_days: Mapped[int | None] = mapped_column(Integer)
    every_hours: Mapped[int | None] = mapped_column(Integer)
    last_done_on: Mapped[date] = mapped_column(Date)  # or the start date when never done
    last_done_hours: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)

    asset = relationship("Asset")


class MeterReading(db.Model):
    __tablename__ = "meter_reading"
    __table_args__ = (Index("ix_meter_reading_asset_at", "asset_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    hours: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
