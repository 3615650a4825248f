"""The asset register: models, assets, their append-only event history, loans, reservations, kits, settings.

An Asset is one physical thing (tagged, tracked one by one); stock by SKU and quantity lives in app/stock.
`Asset.status` is a projection of its AssetEvents, written in the same transaction as the event (see rules.replay).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..extensions import db
from ..types import UTCDateTime, utcnow
from . import rules

MONEY = Numeric(14, 2)


class AssetModel(db.Model):
    """A make and model (manufacturer, category, model name); reservations may ask for any unit of one."""

    __tablename__ = "asset_model"
    __table_args__ = (UniqueConstraint("manufacturer", "name", name="uq_asset_model_make_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.manufacturer} {self.name}"


class Asset(db.Model):
    __tablename__ = "asset"
    __table_args__ = (
        Index("ix_asset_status", "status"),
        Index("ix_asset_model_status", "model_id", "status"),
        Index("ix_asset_location", "location_id"),
        Index("ix_asset_assignee", "assignee_id"),
        Index("ix_asset_pool", "pool"),
        CheckConstraint("cost >= 0", name="cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), unique=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("asset_model.id"))
    serial: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(20))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    department: Mapped[str | None] = mapped_column(String(80))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    supplier: Mapped[str | None] = mapped_column(String(120))
    po_ref: Mapped[str | None] = mapped_column(String(60))
    warranty_end: Mapped[date | None] = mapped_column(Date, index=True)
    useful_life_months: Mapped[int | None] = mapped_column(Integer)
    salvage_value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    depreciation_method: Mapped[str] = mapped_column(String(20), default="straight_line")
    pool: Mapped[str | None] = mapped_column(String(10))  # loaner, demo, rental or None (not lent out)
    last_seen_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was last checked out, returned, moved, deployed or received (the newest activity event): kept by
    # append_event with the status, so "idle for N days" reads the asset rows, not every asset's events.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    disposed_on: Mapped[date | None] = mapped_column(Date)
    disposal_kind: Mapped[str | None] = mapped_column(String(10))  # sold, scrapped
    disposal_proceeds: Mapped[Decimal | None] = mapped_column(MONEY)
    notes: Mapped[str | None] = mapped_column(Text)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Any change to the asset (status, place, cost …); the dashboard's tiles are recomputed when the newest moves.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    model: Mapped[AssetModel] = relationship(lazy="joined")
    location = relationship("Location", foreign_keys=[location_id])
    last_seen_location = relationship("Location", foreign_keys=[last_seen_location_id])
    assignee = relationship("User", foreign_keys=[assignee_id])

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS.get(self.status, self.status)

    @property
    def loanable(self) -> bool:
        return self.pool is not None

    def depreciable(self, convention: str) -> rules.Depreciable | None:
        if self.purchase_date is None:
            return None
        method = self.depreciation_method if self.useful_life_months else "none"
        return rules.Depreciable(
            cost=self.cost or Decimal("0"),
            in_service=self.purchase_date,
            # A life stored before the 100-year limit existed is read as 100 years: the schedule stays finite.
            life_months=min(self.useful_life_months or 0, rules.MAX_LIFE_MONTHS),
            salvage=self.salvage_value or Decimal("0"),
            method=method,
            convention=convention,
            disposed_on=self.disposed_on,
        )


class RentalUnit(db.Model):
    """A serialized rental unit that is also stock of a (serial-tracked) item: the item's rental availability is the
    count of its units in stock. Its own table, so the link comes and goes without rewriting the asset table."""

    __tablename__ = "rental_unit"

    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)

    item = relationship("Item")


class AssetEvent(db.Model):
    """One fact in an asset's life. Append-only: never updated, never deleted."""

    __tablename__ = "asset_event"
    __table_args__ = (
        UniqueConstraint("asset_id", "seq", name="uq_asset_event_seq"),
        Index("ix_asset_event_asset_at", "asset_id", "at"),
        Index("ix_asset_event_feed", "commit_xid", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per asset; the unique key serialises writers
    kind: Mapped[str] = mapped_column(String(24))
    status_after: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    scan_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(10))
    data: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    # PostgreSQL: the writing transaction's id, for the API's commit-safe event feed (see app/api/feeds.py).
    commit_xid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())

    actor = relationship("User", foreign_keys=[actor_id])

    @property
    def label(self) -> str:
        return rules.EVENT_LABELS.get(self.kind, self.kind)


append_only.install(AssetEvent.__table__)  # never updated, never deleted: the database refuses it (app/append_only.py)


class Loan(db.Model):
    """A check-out and, once returned, its check-in. At most one open loan per asset (partial unique index)."""

    __tablename__ = "asset_loan"
    __table_args__ = (
        Index(
            "uq_asset_loan_open",
            "asset_id",
            unique=True,
            sqlite_where=text("returned_at IS NULL"),
            postgresql_where=text("returned_at IS NULL"),
        ),
        Index("ix_asset_loan_due", "due_on"),
        Index("ix_asset_loan_borrower", "borrower_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    customer: Mapped[str | None] = mapped_column(String(120))  # a customer trying a demo unit
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("asset_kit.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("asset_reservation.id"))
    out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    condition_out: Mapped[str] = mapped_column(String(20), default="good")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    condition_in: Mapped[str | None] = mapped_column(String(20))
    damage: Mapped[str | None] = mapped_column(Text)
    out_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    asset: Mapped[Asset] = relationship(foreign_keys=[asset_id])
    borrower = relationship("User", foreign_keys=[borrower_id])

    @property
    def holder(self) -> str:
        if self.customer:
            return self.customer
        return self.borrower.name if self.borrower is not None else "—"


RESERVATION_OPEN = ("booked", "ready")


class Reservation(db.Model):
    """A time window [starts_at, ends_at) for one asset, or for any unit of a model.

    On PostgreSQL an exclusion constraint makes two open reservations of the same asset with overlapping windows
    impossible, whatever the application does (needs the btree_gist extension, created before the tables).
    """

    __tablename__ = "asset_reservation"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_asset_reservation_model_window", "model_id", "starts_at", "ends_at"),
        Index("ix_asset_reservation_asset_window", "asset_id", "starts_at", "ends_at"),
        ExcludeConstraint(
            ("asset_id", "="),
            (text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            name="ex_asset_reservation_no_overlap",
            using="gist",
            where=text("asset_id IS NOT NULL AND state IN ('booked', 'ready')"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("asset_model.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    # True when booked for "any unit of the model"; asset_id is then set only when a unit is set aside (ready).
    any_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    customer: Mapped[str | None] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # booked → ready (a unit set aside) → collected (checked out); or cancelled, or expired (window passed)
    state: Mapped[str] = mapped_column(String(10), default="booked", index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    model: Mapped[AssetModel] = relationship()
    asset: Mapped[Asset | None] = relationship()
    holder = relationship("User", foreign_keys=[holder_id])

    @property
    def holder_label(self) -> str:
        if self.customer:
            return self.customer
        return self.holder.name if self.holder is not None else "—"


event.listen(
    Reservation.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)


class Kit(db.Model):
    """A set of assets that go out and come back together (scannable as kind "kit")."""

    __tablename__ = "asset_kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KitMember(db.Model):
    __tablename__ = "asset_kit_member"

    kit_id: Mapped[int] = mapped_column(ForeignKey("asset_kit.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), primary_key=True, unique=True)

    asset: Mapped[Asset] = relationship()


class AssetSettings(db.Model):
    """One row (id 1): the written-down policy for classification and depreciation."""

    __tablename__ = "asset_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    capitalization_threshold: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("1000.00"))
    min_useful_life_months: Mapped[int] = mapped_column(Integer, default=12)
    month_convention: Mapped[str] = mapped_column(String(12), default=rules.DEFAULT_CONVENTION)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def policy(self) -> rules.ClassificationPolicy:
        return rules.ClassificationPolicy(self.capitalization_threshold, self.min_useful_life_months)


class Licence(db.Model):
    """A software licence with a number of seats, each given to an asset or a person."""

    __tablename__ = "asset_licence"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    vendor: Mapped[str | None] = mapped_column(String(80))
    seats: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LicenceSeat(db.Model):
    __tablename__ = "asset_licence_seat"
    __table_args__ = (
        Index("ix_asset_licence_seat_open", "licence_id", "released_at"),
        Index("ix_asset_licence_seat_asset", "asset_id"),
        CheckConstraint("(asset_id IS NOT NULL) <> (user_id IS NOT NULL)", name="holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("asset_licence.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    licence: Mapped[Licence] = relationship()
    asset: Mapped[Asset | None] = relationship()
    user = relationship("User")

    @property
    def holder(self) -> str:
        return self.asset.tag if self.asset is not None else (self.user.name if self.user is not None else "—")


CONTRACT_KINDS = ("service", "warranty_extension")


class Contract(db.Model):
    """A service contract or warranty extension covering one or more assets."""

    __tablename__ = "asset_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    supplier: Mapped[str] = mapped_column(String(120))
    reference: Mapped[str | None] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContractAsset(db.Model):
    __tablename__ = "asset_contract_asset"

    contract_id: Mapped[int] = mapped_column(ForeignKey("asset_contract.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), primary_key=True, index=True)

    contract: Mapped[Contract] = relationship()
    asset: Mapped[Asset] = relationship()


class ConfigItem(db.Model):
    """Configuration of an IT asset, one line per item: OS, installed software and their versions, settings."""

    __tablename__ = "asset_config_item"
    __table_args__ = (UniqueConstraint("asset_id", "name", name="uq_asset_config_item_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))  # "OS", "AutoCAD LT", "BIOS"
    version: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
