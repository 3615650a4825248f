"""Unit of work: one service call = one transaction.

    with uow:
        ... change things ...
        uow.commit()

Leaving the block without commit() rolls back, so an exception can never leave half a change behind. On SQLite,
entering takes the writer lock and begins BEGIN IMMEDIATE on the connection the request read on (its reads ran
outside a transaction, see db_setup). On PostgreSQL the request's read transaction, if any, becomes the write
transaction (READ COMMITTED: nothing read before is held). On both, services lock what they change (SELECT … FOR
UPDATE, a no-op under SQLite's single writer, or guarded UPDATEs) and re-read it under the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .db_setup import writer_lock
from .errors import AlreadyRecorded, DomainError, IdempotencyMismatch
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
        self._claim: _Claim | None = None
        self._lock = None
        self._preset = (idempotency_key, scope, fingerprint, actor_id) if idempotency_key else None

    @property
    def session(self) -> Session:
        return self._session if self._session is not None else db.session()

    def __enter__(self) -> UnitOfWork:
        s = self.session
        sqlite = s.get_bind().dialect.name == "sqlite"
        if s.in_transaction() and (s.new or s.dirty or s.deleted):
            raise RuntimeError("unit of work entered with unsaved changes in the session")
        # The request's reads go on into the write transaction, on both databases: PostgreSQL (READ COMMITTED) in
        # its read transaction, SQLite on the connection that read statement by statement (db_setup). What the
        # session loaded before stays loaded — services lock and re-read what they change — and a ROLLBACK and a
        # BEGIN are saved.
        self._lock = writer_lock(s.get_bind())
        if self._lock is not None:
            self._lock.acquire()
        try:
            if s.in_transaction() and s.info.get("snapshot") is s.get_transaction():
                s.rollback()  # a write never goes on in a read_one_snapshot transaction (REPEATABLE READ: it could
                # not lock a row changed since the snapshot, and would read the rest as of then)
            if not s.in_transaction():
                s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            elif sqlite:
                raw = s.connection().connection.driver_connection
                if raw.in_transaction:  # begun by someone else's BEGIN: a write transaction starts afresh
                    s.rollback()
                    s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                else:
                    s.connection().exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise
        # Until _release the session writes: it may flush (app/extensions.py refuses it otherwise), and what was
        # looked up while it only read is looked up again (stock.queries.registered).
        s.info["writing"] = True
        self._committed = False
        self._claim = None
        if self._preset:
            key, scope, fingerprint, actor_id = self._preset
            try:
                self.claim(key, scope=scope, fingerprint=fingerprint, actor_id=actor_id)
            except BaseException:
                try:
                    self.session.rollback()
                finally:
                    self._release()
                raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self._release()
        claim = self._claim
        if (claim is not None and claim.unwritten and isinstance(exc, DomainError)
                and not isinstance(exc, (AlreadyRecorded, IdempotencyMismatch))):
            # An id claimed at commit was not checked before the work: a replay that no longer applies (the stock it
            # took is gone, the order is packed) failed on the way. If the id was applied, that is the answer.
            try:
                prior = self._prior(claim.key)
            except SQLAlchemyError:
                prior = None  # the database went away: the service's own error says more, on a clean session
                try:
                    self.session.rollback()
                except SQLAlchemyError:
                    pass
            if prior is not None:
                raise self._refusal(prior, claim) from exc
        return False

    def _release(self) -> None:
        self.session.info.pop("writing", None)
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        self._write_claim()
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
        at_commit: bool = False,
    ) -> None:
        """Reserve the client's id for this transaction.

        Raises AlreadyRecorded (with the first outcome) when the id was applied before, IdempotencyMismatch when
        it was used for a different request.

        at_commit: write the id only with the outcome, in one INSERT at commit, instead of an INSERT now and an
        UPDATE then — for a service whose work touches nothing a first application could have left in its way
        but rows it locks and reads afresh (a scan moving stock). Its replay redoes the work, finds the id taken at
        commit and rolls back; a replay that fails on the way (a DomainError) is answered from the id as well
        (__exit__). Concurrent copies queue on the rows they lock, as without it — except a copy of the same id
        claimed early by another flow at the same moment: on PostgreSQL the two can deadlock (one is aborted: a 503,
        and its retry a mismatch). A phone makes one id per scan, and the API's keys live apart (u<user>:<key>), so
        only a client reusing an id across flows meets that.
        """
        key = check_key(key)
        if self._claim is not None and self._claim.key == key:
            # Already claimed for this transaction (by the API's Idempotency-Key); the service's own claim of the
            # same id is the same request, and names what it was.
            if self._claim.scope == "api":
                self._claim.scope = scope
                self._claim.pending = True
            return
        claim = _Claim(key, scope, fingerprint=fingerprint, actor_id=actor_id, device_time=device_time)
        if at_commit:
            claim.unwritten = claim.pending = True
            self._claim = claim
            return
        # One statement claims the id: a concurrent copy holding the same key makes PostgreSQL wait until it
        # commits, and then this insert does nothing (no savepoint, no failed statement to recover from).
        if self._insert_claim(claim):
            self._claim = claim
            return
        raise self._refusal(self._prior(key), claim)

    def _insert_claim(self, claim: _Claim, **outcome) -> bool:
        """INSERT the id unless it is there; False when it was (applied, or by a concurrent copy that committed)."""
        s = self.session
        return s.connection().execute(_claim_statement(s), {
            "key": claim.key, "scope": claim.scope, "fingerprint": claim.fingerprint, "actor_id": claim.actor_id,
            "device_time": claim.device_time, **outcome,
        }).first() is not None

    def _prior(self, key: str):
        table = AppliedRequest.__table__
        return self.session.connection().execute(
            select(table.c.scope, table.c.fingerprint, table.c.outcome, table.c.applied_at).where(table.c.key == key)
        ).first()

    @staticmethod
    def _refusal(prior, claim: _Claim) -> DomainError:
        same_scope = prior.scope == claim.scope or "api" in (prior.scope, claim.scope)
        if not same_scope or (claim.fingerprint and prior.fingerprint and prior.fingerprint != claim.fingerprint):
            return IdempotencyMismatch(
                "This id was already used for a different request; make a new one for a new action.", key=claim.key
            )
        return AlreadyRecorded(claim.key, prior.outcome, prior.applied_at)

    def record(self, outcome: dict, status: int = 200) -> None:
        """Store the outcome with the claimed id, so a replay can answer exactly as the first time."""
        if self._claim is not None:
            self._claim.outcome = outcome
            self._claim.status = status
            self._claim.pending = True

    def _write_claim(self) -> None:
        claim = self._claim
        if claim is None or not claim.pending:
            return
        if claim.unwritten:
            outcome = {"outcome": claim.outcome, "status": claim.status} if claim.outcome is not None else {}
            if not self._insert_claim(claim, **outcome):
                raise self._refusal(self._prior(claim.key), claim)  # commit() never ran: __exit__ rolls back
            claim.unwritten = claim.pending = False
            return
        values = {"claimed": claim.key, "scope": claim.scope}
        if claim.outcome is not None:
            values.update(outcome=claim.outcome, status=claim.status)
        self.session.connection().execute(_WRITE_CLAIM, values)  # SET what `values` names
        claim.pending = False


@dataclass
class _Claim:
    """The id this transaction claimed, and what is still to be written to its row before commit."""

    key: str
    scope: str
    outcome: dict | None = None
    status: int = 200
    pending: bool = False
    fingerprint: str | None = None
    actor_id: int | None = None
    device_time: datetime | None = None
    unwritten: bool = False  # claimed at_commit: no row yet


_applied = AppliedRequest.__table__
_WRITE_CLAIM = update(_applied).where(_applied.c.key == bindparam("claimed"))
_CLAIMS: dict[str, object] = {}


def _claim_statement(session: Session):
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING key, built once per dialect (the columns come with the values)."""
    dialect = session.get_bind().dialect.name
    stmt = _CLAIMS.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = _CLAIMS[dialect] = (insert(_applied).on_conflict_do_nothing(index_elements=["key"])
                                   .returning(_applied.c.key))
    return stmt
