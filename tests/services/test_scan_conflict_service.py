"""The conflict service: one conflict per scan id, also when the same failure is recorded twice at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scanning import conflicts
from app.scanning.models import ScanConflict
from app.uow import UnitOfWork


def _record(actor_id: int, reason: str = "Stock gone."):
    return conflicts.record_conflict(
        scan_id="same-scan-00001", actor_id=actor_id, url="/stock/pick", payload={"scan": "X"}, reason=reason,
        error_code="conflict", http_status=409, retryable=True, uow=UnitOfWork(),
    )


@pytest.mark.concurrency
def test_two_copies_of_a_failed_replay_recorded_at_once_make_one_conflict(make_user, concurrently):
    user_id = make_user("staff").id
    results = concurrently(4, lambda i: _record(user_id).id)
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.remove()
    rows = db.session.scalars(select(ScanConflict)).all()
    assert len(rows) == 1 and len(set(results)) == 1
    assert rows[0].attempts == 4


def test_a_dismissed_conflict_that_fails_again_is_open_again(make_user):
    user = make_user("staff")
    row = _record(user.id)
    conflicts.dismiss(conflict_id=row.id, note="looked at it", user=user, uow=UnitOfWork())
    again = _record(user.id, reason="Still gone.")
    assert (again.id, again.status, again.reason, again.resolution) == (row.id, "open", "Still gone.", None)


def test_a_failure_counted_by_another_request_meanwhile_is_not_lost(make_user):
    """A retry loads its conflict first (the retry guard); a copy of the same scan failing meanwhile on another
    phone counts too: the attempts add up."""
    from sqlalchemy import text

    user_id = make_user("staff").id
    first = _record(user_id)
    conflict_id = first.id
    db.session.remove()
    held = db.session.get(ScanConflict, conflict_id)  # the retry guard of this request read it
    assert held.attempts == 1
    with db.engine.begin() as conn:  # another phone's copy failed meanwhile
        conn.execute(text("UPDATE scan_conflict SET attempts = attempts + 1 WHERE id = :id"), {"id": conflict_id})
    assert _record(user_id).attempts == 3
    db.session.remove()
    assert db.session.get(ScanConflict, conflict_id).attempts == 3


def test_people_list_only_their_own_conflicts_and_managers_everyones(make_user):
    alice, bob, boss = make_user("staff"), make_user("technician"), make_user("manager")
    for n, who in enumerate((alice, bob)):
        conflicts.record_conflict(
            scan_id=f"list-scan-0000{n}", actor_id=who.id, url="/x", payload={}, reason="r", error_code=None,
            http_status=409, uow=UnitOfWork(),
        )
    assert [c.actor_id for c in conflicts.list_for(db.session, alice)] == [alice.id]
    assert {c.actor_id for c in conflicts.list_for(db.session, boss)} == {alice.id, bob.id}
