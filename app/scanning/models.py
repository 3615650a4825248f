from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow


class ScanCode(db.Model):
    """Every scannable code of every thing, so one indexed lookup resolves any scan.

    `code` is the lookup key: GTINs normalised to 14 digits, our own codes upper-cased. The primary key makes a
    code mean exactly one thing across items, locations, assets and documents.
    """

    __tablename__ = "scan_code"
    __table_args__ = (Index("ix_scan_code_target", "kind", "target_id"),)

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # item, location, asset, document, …
    target_id: Mapped[int] = mapped_column(Integer)
    pack_qty: Mapped[int] = mapped_column(Integer, default=1)  # a case code stands for this many units
    label: Mapped[str | None] = mapped_column(String(80))  # as printed (e.g. the 13-digit EAN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScanConflict(db.Model):
    """An offline scan the server could not apply when the phone replayed it (stock gone, asset already out …).

    Kept until a person resolves it: retried (applied after all) or dismissed with a note. One row per scan id; a
    scan that fails again updates its row instead of adding another.
    """

    __tablename__ = "scan_conflict"
    __table_args__ = (Index("ix_scan_conflict_status_actor", "status", "actor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(100), unique=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("user_account.id"))
    url: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # the form as sent, without its CSRF token
    reason: Mapped[str] = mapped_column(String(500))
    error_code: Mapped[str | None] = mapped_column(String(40))
    http_status: Mapped[int] = mapped_column(Integer)
    # Only a failure a scan action reported itself (failed()) may be retried from the conflicts page; anything else
    # (a URL that is gone, a role that no longer reaches it) can only be dismissed.
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, retried, dismissed
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(500))

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def fields(self) -> list[tuple[str, str]]:
        """What the person entered, for display (the bookkeeping fields left out)."""
        hidden = {"scan_id", "source", "device_time", "csrf_token"}
        out = []
        for name, value in (self.payload or {}).items():
            if name in hidden:
                continue
            for v in value if isinstance(value, list) else [value]:
                out.append((name, v))
        return out

    def form_pairs(self) -> list[tuple[str, str]]:
        out = []
        for name, value in (self.payload or {}).items():
            for v in value if isinstance(value, list) else [value]:
                out.append((name, v))
        return out
