"""Conflicts: offline scans that could no longer apply when the phone replayed them.

The phone keeps each offline scan until the server has answered it with a 2xx or with a recorded conflict
(`X-Scan-Conflict: <id>` on the response). This module is the server's half of that promise:

- `record_conflicts` (an after_request hook) keeps a replayed scan action (header `X-Scan-Replay: 1`) that failed —
  the route called `failed()` (which sets `g.scan_error`) or answered 4xx — as a ScanConflict, in its own
  transaction (the action's own transaction has rolled back). It does not when the failure says nothing about the
  scan: a missing sign-in (401) or a stale CSRF token, which the phone fixes by signing in again and then replays;
  nor on 5xx, which the phone retries later. A replay of an id this person's scan was applied under before (its
  answer was lost on the way, then the barcode moved or the bin closed) is kept saying so, and is not offered for
  retry, so nobody does it again believing it was never done (`_applied_at`).
- A retry from the conflicts page replays the stored form to its URL with `X-Scan-Retry: <conflict id>`; a 2xx
  answer marks the conflict retried. Because a manager may retry someone else's scan, a retry is only offered (and
  only let through, `guard_retry`) for a failure the scan action itself reported (`failed()`), to an endpoint
  that both the person who scanned and the person retrying may use — so a crafted "conflict" can never make a
  manager post a form to a route its author could not reach. A replayed scan that did not complete an action
  (errors.Incomplete: the phone sent an item without its bin, or a bin alone) is never retryable: the same form
  would be just as incomplete, so the person scans it again instead.
- `dismiss` closes a conflict with a note. The person who scanned and managers may resolve it.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from ..auth.roles import MANAGERS
from ..errors import IdempotencyMismatch, Invalid, NotFound
from ..extensions import db
from ..idempotency import AppliedRequest, check_scan_id
from ..types import utcnow
from ..uow import UnitOfWork
from ..web.guards import audience
from .models import ScanConflict

REASONS = {
    400: "The server could not understand this scan.",
    403: "Your role does not allow this action.",
    404: "This action or the thing it names no longer exists.",
    405: "This action is no longer possible here.",
    409: "The current state forbids this action.",
    422: "The scan's data was refused.",
}


def record_conflict(
    *,
    scan_id: str,
    actor_id: int | None,
    url: str,
    payload: dict,
    reason: str,
    error_code: str | None,
    http_status: int,
    retryable: bool = False,
    device_time=None,
    uow: UnitOfWork,
) -> ScanConflict:
    """Keep (or update) the conflict of this scan id. Its own transaction."""
    for _ in range(3):
        try:
            with uow:
                s = uow.session
                query = select(ScanConflict).where(ScanConflict.scan_id == scan_id)
                # Read afresh under the lock: the request that failed may have loaded this conflict before (a
                # retry of it), and a copy counted meanwhile must not be lost.
                row = s.scalar(query.with_for_update(of=ScanConflict).execution_options(populate_existing=True))
                if row is None:
                    row = ScanConflict(scan_id=scan_id, actor_id=actor_id, url=url[:500], device_time=device_time)
                    s.add(row)
                else:
                    row.attempts = (row.attempts or 1) + 1
                    row.status = "open"
                    row.resolved_at = None
                    row.resolved_by_id = None
                    row.resolution = None
                row.payload = payload
                row.reason = reason[:500]
                row.error_code = error_code
                row.http_status = http_status
                row.retryable = retryable
                row.updated_at = utcnow()
                s.flush()
                conflict_id = row.id
                uow.commit()
                return uow.session.get(ScanConflict, conflict_id)
        except IntegrityError:
            continue  # the same scan id failed twice at once: the other copy's row exists now
    raise RuntimeError("could not record the conflict")


def visible_to(user) -> object:
    """The filter of the conflicts a person may see and resolve: their own; managers see everyone's."""
    if user.role in MANAGERS:
        return True
    return ScanConflict.actor_id == user.id


def list_for(session: Session, user, *, status: str = "open", limit: int = 100) -> list[ScanConflict]:
    query = select(ScanConflict).where(visible_to(user))
    if status == "open":
        query = query.where(ScanConflict.status == "open").order_by(ScanConflict.created_at)
    else:
        query = query.where(ScanConflict.status != "open").order_by(ScanConflict.resolved_at.desc())
    return list(session.scalars(query.limit(limit)).unique())


def count_open(session: Session, user) -> int:
    return len(list_for(session, user, status="open", limit=1000))


def _get_resolvable(session: Session, conflict_id: int, user) -> ScanConflict:
    row = session.get(ScanConflict, conflict_id)
    if row is None or not (user.role in MANAGERS or row.actor_id == user.id):
        raise NotFound("There is no such conflict for you to resolve.")
    return row


def dismiss(*, conflict_id: int, note: str, user, uow: UnitOfWork) -> ScanConflict:
    note = (note or "").strip()
    if not note:
        raise Invalid("Write a short note on why this scan is dismissed.", field="note")
    with uow:
        row = _get_resolvable(uow.session, conflict_id, user)
        if not row.is_open:
            raise Invalid("This conflict is already resolved.")
        row.status = "dismissed"
        row.resolution = note[:500]
        row.resolved_by_id = user.id
        row.resolved_at = utcnow()
        uow.commit()
        return row


def mark_retried(*, conflict_id: int, user, uow: UnitOfWork) -> ScanConflict | None:
    with uow:
        try:
            row = _get_resolvable(uow.session, conflict_id, user)
        except NotFound:
            return None
        if not row.is_open:
            return row
        row.status = "retried"
        row.resolution = "Applied on retry."
        row.resolved_by_id = user.id
        row.resolved_at = utcnow()
        uow.commit()
        return row


def endpoint_for(url: str) -> str | None:
    """The endpoint a POST to this URL reaches, or None."""
    path = url.split("?", 1)[0]
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(path, method="POST")
    except HTTPException:
        return None
    return endpoint


def may_retry(row: ScanConflict, user) -> bool:
    if not row.is_open or not row.retryable:
        return False
    if not (user.role in MANAGERS or row.actor_id == user.id):
        return False
    allowed = audience(endpoint_for(row.url))
    actor_role = row.actor.role if row.actor is not None else None
    return isinstance(allowed, frozenset) and actor_role in allowed and user.role in allowed


def guard_retry():
    """before_request: a request that says it retries a conflict must be a retry that conflict allows."""
    retry_of = request.headers.get("X-Scan-Retry", "")
    if not retry_of or request.method != "POST" or not current_user.is_authenticated:
        return None
    row = db.session.get(ScanConflict, int(retry_of)) if retry_of.isdigit() else None
    if row is None or not may_retry(row, current_user) or request.form.get("scan_id") != row.scan_id:
        g.retry_refused = True
        abort(403)
    return None


def _is_csrf_failure() -> bool:
    # Flask-WTF marks a request whose token it accepted; a POST to a route without that mark failed the check.
    # A URL that matches no route (404/405) is not checked at all: that is a conflict, not a token problem. (A
    # cross-site page cannot send the X-Scan-Replay header, so this opens nothing.)
    if request.endpoint is None:
        return False
    return request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("csrf_valid", False)


def record_conflicts(resp):
    """after_request: keep a failed replay as a conflict and tell the phone with X-Scan-Conflict."""
    replay = request.headers.get("X-Scan-Replay") == "1"
    retry_of = request.headers.get("X-Scan-Retry", "")
    if request.method != "POST" or not (replay or retry_of) or g.get("retry_refused"):
        return resp
    if not current_user.is_authenticated or _is_csrf_failure():
        return resp  # sign in again / reload, then the phone replays: nothing about the scan is known yet
    err = g.get("scan_error")
    status = resp.status_code
    try:
        if err is None and 200 <= status < 300:
            if retry_of.isdigit():
                with Session(db.engine) as session:
                    mark_retried(conflict_id=int(retry_of), user=current_user, uow=UnitOfWork(session))
            return resp
        if (err is None and not 400 <= status < 500) or status == 401:
            return resp  # server trouble: the phone keeps the scan and tries again later
        form = request.form.to_dict(flat=False)
        form.pop("csrf_token", None)
        payload = {k: (v[0] if len(v) == 1 else v) for k, v in form.items()}
        scan_id = (request.form.get("scan_id") or request.headers.get("X-Scan-Id") or "").strip()
        if not scan_id:
            return resp
        from ..web.scan_actions import _device_time

        try:
            device_time = _device_time(request.form.get("device_time"))
        except Invalid:
            device_time = None
        reason = err.message if err is not None else REASONS.get(status, f"Refused ({status}).")
        retryable = err is not None and getattr(err, "retryable", True)
        applied_at = None if isinstance(err, IdempotencyMismatch) else _applied_at(scan_id, retry_of)
        if applied_at is not None:
            reason = (f"Applied already, at {applied_at:%Y-%m-%d %H:%M} UTC; sent again, it failed: {reason} Nothing "
                      "changed now: check before doing it again.")
            retryable = False
        with Session(db.engine) as session:
            row = record_conflict(
                scan_id=scan_id[:100],
                actor_id=current_user.id,
                url=request.full_path.rstrip("?") if request.query_string else request.path,
                payload=payload,
                reason=reason,
                error_code=(err.code if err is not None else None),
                http_status=status,
                retryable=retryable,
                device_time=device_time,
                uow=UnitOfWork(session),
            )
            resp.headers["X-Scan-Conflict"] = str(row.id)
    except Exception:  # noqa: BLE001 - without the header the phone keeps the scan; we must not fail the answer
        current_app.logger.exception("could not record a scan conflict")
    return resp


def _applied_at(scan_id: str, retry_of: str):
    """When this person's scan was applied under this id before, or None. A scan whose answer was lost on the way
    (the line broke after the commit) and whose replay now fails before its unit of work could find the id — the
    barcode moved, the bin was deactivated since — would otherwise be a conflict that reads as if nothing had been
    done. The conflict is kept all the same: a replay of the id with another form must not vanish as "already
    recorded" (its unit of work would have refused it as a different request, but it never got that far)."""
    try:
        scan_id = check_scan_id(scan_id)
    except Invalid:
        return None  # not a phone's id (an API key has ':'): never looked up here
    with Session(db.engine) as session:
        actor_id = current_user.id
        if retry_of.isdigit():  # a manager may retry someone else's scan (guard_retry checked the id is the conflict's)
            conflict = session.get(ScanConflict, int(retry_of))
            actor_id = conflict.actor_id if conflict is not None else None
        return session.scalar(select(AppliedRequest.applied_at).where(
            AppliedRequest.key == scan_id, AppliedRequest.actor_id == actor_id, AppliedRequest.scope != "api"))


def register(app: Flask) -> None:
    app.before_request(guard_retry)
    app.after_request(record_conflicts)
