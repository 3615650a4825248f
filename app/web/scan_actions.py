"""The contract every scan action (receive, put away, move, pick, count, check-out, check-in, maintenance …) keeps.

Form side (templates): a scan action form is `<form method="post" data-scan-action …>` and includes
`{% include "web/_scan_fields.html" %}`, which renders hidden `scan_id` (a fresh id made by the server, so the
form is idempotent even without JavaScript), `source` and `device_time` (filled in by the scanner JS:
camera / wedge / typed; "offline" when the offline queue replays it with the header X-Scan-Replay: 1).

Route side: `ctx = scan_context()` gives the validated ScanContext to pass to the service, which claims
`ctx.scan_id` in its unit of work (uow.claim) and records its outcome (uow.record). Then
`succeeded(resp, "stock-changed")` or `failed(resp, err)` announce the result as HX-Trigger events that the
scanner JS turns into sound and vibration. A failed replay of an offline scan is kept as a conflict to resolve.

A multi-step form (a bin, then items) answers a scan that only fills it in with the form and a 200. A *replayed*
scan (`replayed()`) must never do that — the phone would drop it as sent — so such a route answers
`failed(resp, errors.Incomplete(...))` instead, naming what was scanned and what was missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import g, request

from ..errors import AlreadyRecorded, DomainError, Invalid
from ..idempotency import check_scan_id
from .htmx import hx_trigger

SOURCES = ("camera", "wedge", "typed", "api", "offline")


@dataclass(frozen=True)
class ScanContext:
    scan_id: str
    source: str
    device_time: datetime | None
    replay: bool


def new_scan_id() -> str:
    return uuid.uuid4().hex


def scan_context() -> ScanContext:
    form = request.form
    scan_id = check_scan_id(form.get("scan_id") or request.headers.get("X-Scan-Id", ""))
    replay = replayed()
    source = "offline" if replay else (form.get("source") or "typed")
    if source not in SOURCES:
        raise Invalid(f"Unknown scan source {source!r}.", field="source")
    return ScanContext(scan_id=scan_id, source=source, device_time=_device_time(form.get("device_time")), replay=replay)


def replayed() -> bool:
    """This request is a scan the phone kept offline and sends now (or a retry of one from the conflicts page)."""
    return request.headers.get("X-Scan-Replay") == "1"


def _device_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("The device time is not a valid timestamp.", field="device_time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # A phone's clock may be off, but not by more than a year; beyond that it is not a time we can use.
    if abs(datetime.now(UTC) - value) > timedelta(days=366):
        raise Invalid("The device time is more than a year off; check the phone's clock.", field="device_time")
    return value


def succeeded(resp, *events: str | dict, message: str | None = None):
    detail = {"message": message} if message else {}
    return hx_trigger(resp, {"scan-succeeded": detail}, *events)


def already_recorded(resp, err: AlreadyRecorded):
    return hx_trigger(resp, {"scan-succeeded": {"message": err.message, "already": True}})


def failed(resp, err: DomainError):
    """Announce the failure; a replayed offline scan that fails is kept as a conflict (see scanning.conflicts)."""
    g.scan_error = err
    return hx_trigger(resp, {"scan-failed": {"message": err.message, "code": err.code}})
