"""Unit of work: one service call = one transaction.

    with uow:
        ... change things ...
        uow.commit()

Leaving the block without commit() rolls back, so an exception can never leave half a change behind. Entering
ends whatever read transaction the request had open and begins a write transaction — on SQLite with BEGIN
IMMEDIATE (see db_setup), on PostgreSQL as usual, where services lock rows with SELECT … FOR UPDATE or guarded
UPDATEs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import AlreadyRecorded, IdempotencyMismatch
from .extensions import db
from .idempotency import AppliedRequest, check_key


class UnitOfWork:
    def __init__(
        self,
        session: Session | None = None,
        *,
        idempotency_key: str | None = None,
        scope: str = "api",
        fingerprint: str | None = None,
        actor_id: int | None = None,
    ) -> None:
        """idempotency_key: claim this key as soon as the transaction begins (the API's Idempotency-Key), so any
        service — also one that does not claim ids itself — applies once per key."""
        self._session = session
        self._committed = False
        self._claim: AppliedRequest | None = None
        self._preset = (idempotency_key, scope, fingerprint, actor_id) if idempotency_key else None
        # answer(outcome) → (status, body): the API's reply, stored with the outcome in this same transaction so a
        # replay returns it verbatim without a second write transaction after the first.
        self.answer = None

    @property
    def session(self) -> Session:
        return self._session if self._session is not None else db.session()

    def __enter__(self) -> UnitOfWork:
        s = self.session
        if s.in_transaction():
            if s.new or s.dirty or s.deleted:
                raise RuntimeError("unit of work entered with unsaved changes in the session")
            s.rollback()
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        self._committed = False
        self._claim = None
        if self._preset:
            key, scope, fingerprint, actor_id = self._preset
            try:
                self.claim(key, scope=scope, fingerprint=fingerprint, actor_id=actor_id)
            except BaseException:
                self.session.rollback()
                raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if not self._committed:
            self.session.rollback()
        return False

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def claim(
        self,
        key: str,
        *,
        scope: str,
        actor_id: int | None = None,
        fingerprint: str | None = None,
        device_time: datetime | None = None,
    ) -> None:
        """Reserve the client's id for this transaction.

        Raises AlreadyRecorded (with the first outcome) when the id was applied before, IdempotencyMismatch when
        it was used for a different request.
        """
        key = check_key(key)
        if self._claim is not None and self._claim.key == key:
            # Already claimed for this transaction (by the API's Idempotency-Key); the service's own claim of the
            # same id is the same request.
            self._claim.scope = scope if self._claim.scope == "api" else self._claim.scope
            return
        s = self.session
        prior = s.get(AppliedRequest, key)
        if prior is None:
            row = AppliedRequest(
                key=key, scope=scope, fingerprint=fingerprint, actor_id=actor_id, device_time=device_time
            )
            try:
                with s.begin_nested():
                    s.add(row)
                    s.flush()
                self._claim = row
                return
            except IntegrityError:
                # A concurrent copy committed first (PostgreSQL blocked us on the key until it did).
                prior = s.execute(select(AppliedRequest).where(AppliedRequest.key == key)).scalar_one()
        same_scope = prior.scope == scope or "api" in (prior.scope, scope)
        if not same_scope or (fingerprint and prior.fingerprint and prior.fingerprint != fingerprint):
            raise IdempotencyMismatch(
                "This id was already used for a different request; make a new one for a new action.", key=key
            )
        raise AlreadyRecorded(key, prior.outcome, prior.applied_at)

    def record(self, outcome: dict, status: int = 200) -> None:
        """Store the outcome with the claimed id, so a replay can answer exactly as the first time."""
        if self._claim is not None:
            if self.answer is not None:
                api_status, api_body = self.answer(outcome)
                outcome = {**outcome, "api_status": api_status, "api_body": api_body}
            self._claim.outcome = outcome
            self._claim.status = status
