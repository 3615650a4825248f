"""Client-made ids that make every write apply exactly once.

Each scan action carries an id the client made (the scan id, or an API Idempotency-Key). The unit of work claims
it in the same transaction as the effect, under a primary key, so a resent request or a replayed offline queue
finds the first outcome instead of applying twice — also when two copies arrive at the same moment.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .errors import Invalid
from .extensions import db
from .types import UTCDateTime, utcnow

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,100}$")
# A phone's scan id has no ':': the API keeps Idempotency-Keys as u<user>:<key> in the same table, so the two can
# never meet under one id (the server and the phone make hex ids).
SCAN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{8,100}$")


class AppliedRequest(db.Model):
    __tablename__ = "applied_request"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    scope: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("user_account.id"))
    outcome: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[int] = mapped_column(Integer, default=200)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not KEY_PATTERN.match(key):
        raise Invalid("The scan id is missing or malformed (8–100 letters, digits, - _ . :).", field="scan_id")
    return key


def check_scan_id(raw: str) -> str:
    """A scan id sent by a phone or a form (see SCAN_ID_PATTERN)."""
    key = (raw or "").strip()
    if not SCAN_ID_PATTERN.match(key):
        raise Invalid("The scan id is missing or malformed (8–100 letters, digits, - _ .).", field="scan_id")
    return key
