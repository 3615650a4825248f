"""Failed replays of offline scans become conflicts that people see and resolve; nothing else does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.idempotency import AppliedRequest
from app.scanning.models import ScanConflict
from tests.conftest import sign_in
from tests.support import scan_action
from tests.support.scan_action import make_action_app

REPLAY = {"X-Scan-Replay": "1"}


@pytest.fixture(scope="module")
def action_app(database_url):
    app = make_action_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _reset_counts():
    scan_action.reset()
    yield


@pytest.fixture
def phone(action_app, make_user):
    """phone(role) → a signed-in client of the app that has the test scan action."""

    def make(role: str = "staff"):
        user = make_user(role)
        c = action_app.test_client()
        assert sign_in(c, user.email).status_code == 303
        c.forget_csrf()
        c.user = user
        return c

    return make


def scan(client, scan_id: str, code: str, headers=None, **kw):
    data = {"scan_id": scan_id, "source": "camera", "device_time": "2026-11-24T23:59:00Z", "code": code, "qty": "2"}
    return client.post("/test-scan/apply", data=data, headers=headers or {}, htmx=True, **kw)


def conflicts():
    db.session.rollback()
    return list(db.session.scalars(select(ScanConflict).order_by(ScanConflict.id)))


def applied_rows() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AppliedRequest).where(AppliedRequest.scope == "test.apply"))


def test_a_replayed_scan_that_no_longer_applies_is_kept_as_a_conflict_with_its_form(phone):
    c = phone("staff")
    resp = scan(c, "replay-gone-0001", "gone-7", headers=REPLAY)
    assert resp.status_code == 409
    [row] = conflicts()
    assert resp.headers["X-Scan-Conflict"] == str(row.id)
    assert (row.scan_id, row.actor_id, row.url, row.status) == ("replay-gone-0001", c.user.id, "/test-scan/apply", "open")
    assert row.reason == "GONE-7 is gone: nothing left to take."
    assert row.http_status == 409 and row.error_code == "conflict"
    assert row.payload == {"scan_id": "replay-gone-0001", "source": "camera", "device_time": "2026-11-24T23:59:00Z",
                           "code": "gone-7", "qty": "2"}
    assert row.device_time.isoformat() == "2026-11-24T23:59:00+00:00"
    assert applied_rows() == 0  # the action's own transaction rolled back; the conflict has its own


def test_a_live_scan_that_fails_is_not_a_conflict_the_person_sees_it_at_once(phone):
    resp = scan(phone("staff"), "live-gone-00001", "gone-1")
    assert resp.status_code == 409
    assert "X-Scan-Conflict" not in resp.headers
    assert conflicts() == []


def test_a_replay_with_a_stale_security_token_is_not_a_conflict_so_the_phone_keeps_it(phone):
    c = phone("staff")
    resp = scan(c, "stale-token-0001", "gone-1", headers={**REPLAY, "X-CSRFToken": "stale"})
    assert resp.status_code == 400
    assert "X-Scan-Conflict" not in resp.headers
    assert conflicts() == []


def test_a_replay_from_a_signed_out_phone_answers_401_and_is_not_a_conflict(action_app):
    c = action_app.test_client()
    resp = scan(c, "signed-out-00001", "gone-1", headers=REPLAY)
    assert resp.status_code == 401
    assert "X-Scan-Conflict" not in resp.headers
    assert conflicts() == []


def test_a_replay_of_an_applied_scan_answers_already_recorded_and_changes_nothing(phone):
    c = phone("staff")
    first = scan(c, "applied-once-001", "box-1")
    again = scan(c, "applied-once-001", "box-1", headers=REPLAY)
    assert first.status_code == 200 and again.status_code == 200
    assert "Already recorded" in again.get_data(as_text=True)
    assert '"already": true' in again.headers["HX-Trigger"]
    assert scan_action.APPLIED["applied-once-001"] == 1 and applied_rows() == 1
    assert conflicts() == []


def test_a_replay_is_applied_with_the_offline_source(phone):
    c = phone("staff")
    assert scan(c, "offline-source-01", "box-2", headers=REPLAY).status_code == 200
    assert scan_action.SOURCES["offline-source-01"] == "offline"


def test_a_scan_that_fails_again_keeps_one_conflict_with_the_attempts_counted(phone):
    c = phone("staff")
    scan(c, "fails-twice-0001", "gone-1", headers=REPLAY)
    resp = scan(c, "fails-twice-0001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    assert resp.headers["X-Scan-Conflict"] == str(row.id)
    assert row.attempts == 2


def test_people_see_their_own_conflicts_and_managers_see_everyones(phone):
    alice, bob, boss = phone("staff"), phone("technician"), phone("manager")
    scan(alice, "alice-conflict-01", "gone-a", headers=REPLAY)
    scan(bob, "bob-conflict-0001", "gone-b", headers=REPLAY)
    alice_page = alice.get("/scan/conflicts").get_data(as_text=True)
    assert "GONE-A is gone" in alice_page and "GONE-B" not in alice_page
    boss_page = boss.get("/scan/conflicts").get_data(as_text=True)
    assert "GONE-A is gone" in boss_page and "GONE-B is gone" in boss_page
    assert alice.user.name not in alice_page.split("Open", 1)[1]  # people do not see their own name on each row
    assert alice.user.name in boss_page and bob.user.name in boss_page


def test_dismissing_a_conflict_needs_a_note_and_records_who_and_when(phone):
    alice = phone("staff")
    scan(alice, "dismiss-me-00001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    refused = alice.post(f"/scan/conflicts/{row.id}/dismiss", data={"note": "  "}, htmx=True)
    assert refused.status_code == 422 and conflicts()[0].status == "open"
    ok = alice.post(f"/scan/conflicts/{row.id}/dismiss", data={"note": "Counted again, was empty"}, htmx=True)
    assert ok.status_code == 200
    [row] = conflicts()
    assert (row.status, row.resolution, row.resolved_by_id) == ("dismissed", "Counted again, was empty", alice.user.id)
    assert row.resolved_at is not None
    assert "Nothing to resolve" in ok.get_data(as_text=True)


def test_only_the_scanner_and_managers_may_resolve_a_conflict(phone):
    alice, bob, boss = phone("staff"), phone("staff"), phone("manager")
    scan(alice, "not-yours-000001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    assert bob.post(f"/scan/conflicts/{row.id}/dismiss", data={"note": "mine now"}, htmx=True).status_code == 404
    assert conflicts()[0].status == "open"
    assert boss.post(f"/scan/conflicts/{row.id}/dismiss", data={"note": "checked"}, htmx=True).status_code == 200
    assert conflicts()[0].resolved_by_id == boss.user.id


def test_a_retry_that_now_applies_resolves_the_conflict_and_applies_once(phone):
    alice, boss = phone("staff"), phone("manager")
    scan(alice, "retry-later-0001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    page = boss.get("/scan/conflicts").get_data(as_text=True)
    assert f'"X-Scan-Retry": "{row.id}"' in page and 'value="retry-later-0001"' in page
    # The stock came back: the manager retries the stored form (the page's Retry button sends exactly this).
    data = dict(row.payload, code="box-1")
    resp = boss.post(row.url, data=data, headers={**REPLAY, "X-Scan-Retry": str(row.id)}, htmx=True)
    assert resp.status_code == 200
    [row] = conflicts()
    assert (row.status, row.resolved_by_id) == ("retried", boss.user.id)
    assert scan_action.APPLIED["retry-later-0001"] == 1


def test_a_retry_that_fails_again_leaves_the_conflict_open(phone):
    alice = phone("staff")
    scan(alice, "retry-fails-0001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    resp = alice.post(row.url, data=row.payload, headers={**REPLAY, "X-Scan-Retry": str(row.id)}, htmx=True)
    assert resp.status_code == 409
    [row] = conflicts()
    assert (row.status, row.attempts) == ("open", 2)


def test_a_replay_to_an_action_that_no_longer_exists_is_a_conflict_not_a_retry_forever(phone):
    c = phone("staff")
    data = {"scan_id": "vanished-route-01", "code": "box-1"}
    resp = c.post("/test-scan/gone-away", data=data, headers=REPLAY, htmx=True)
    assert resp.status_code == 404
    [row] = conflicts()
    assert resp.headers["X-Scan-Conflict"] == str(row.id)
    assert row.reason == "This action or the thing it names no longer exists."


def test_a_replay_the_role_does_not_allow_is_a_conflict_a_manager_can_see(phone, action_app):
    from app.auth.roles import MANAGERS

    view = action_app.view_functions["test_scan.apply"]
    original = view._roles
    view._roles = MANAGERS  # as if the person's role lost this action while they were offline
    try:
        resp = scan(phone("staff"), "role-refused-001", "box-1", headers=REPLAY)
    finally:
        view._roles = original
    assert resp.status_code == 403
    [row] = conflicts()
    assert (row.http_status, row.reason) == (403, "Your role does not allow this action.")


def test_a_conflict_the_action_did_not_report_itself_can_only_be_dismissed(phone):
    alice, admin = phone("staff"), phone("admin")
    # A crafted "replay" to an admin route: refused, kept as a conflict, but never offered for retry.
    data = {"scan_id": "crafted-admin-01", "email": "mallory@example.test", "name": "M", "role": "admin",
            "password": "correct-horse-battery"}
    assert alice.post("/admin/users", data=data, headers=REPLAY, htmx=True).status_code == 403
    [row] = conflicts()
    assert row.retryable is False
    page = admin.get("/scan/conflicts").get_data(as_text=True)
    assert "crafted-admin-01" in page and "X-Scan-Retry" not in page
    refused = admin.post("/admin/users", data=data, headers={**REPLAY, "X-Scan-Retry": str(row.id)}, htmx=True)
    assert refused.status_code == 403
    assert "mallory" not in admin.get("/admin/users").get_data(as_text=True)
    assert conflicts()[0].attempts == 1 and conflicts()[0].status == "open"


def test_a_retry_is_refused_when_the_person_who_scanned_can_no_longer_use_that_action(phone, action_app):
    from app.auth.roles import MANAGERS

    alice, boss = phone("staff"), phone("manager")
    scan(alice, "role-changed-0001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    assert row.retryable is True
    view = action_app.view_functions["test_scan.apply"]
    original = view._roles
    view._roles = MANAGERS
    try:
        assert "X-Scan-Retry" not in boss.get("/scan/conflicts").get_data(as_text=True)
        resp = boss.post(row.url, data=row.payload, headers={**REPLAY, "X-Scan-Retry": str(row.id)}, htmx=True)
    finally:
        view._roles = original
    assert resp.status_code == 403
    assert scan_action.APPLIED == {}


def test_a_retry_header_cannot_be_attached_to_another_scan(phone):
    alice = phone("staff")
    scan(alice, "retry-target-0001", "gone-1", headers=REPLAY)
    [row] = conflicts()
    resp = scan(alice, "some-other-scan-01", "box-1", headers={**REPLAY, "X-Scan-Retry": str(row.id)})
    assert resp.status_code == 403
    assert scan_action.APPLIED == {} and conflicts()[0].status == "open"


def test_a_retry_of_a_conflict_whose_scan_id_was_applied_meanwhile_says_so_and_is_not_offered_again(phone):
    """Kept as a conflict, then applied under the same id after all: a retry that fails again, before the action could
    find the id, keeps the conflict open saying it was applied, and without a Retry button."""
    alice, boss = phone("staff"), phone("manager")
    scan(alice, "applied-meanwhile-1", "", headers=REPLAY)  # "Scan a code.": refused before the unit of work
    [row] = conflicts()
    assert row.retryable and row.reason == "Scan a code."
    assert scan(alice, "applied-meanwhile-1", "box-3").status_code == 200
    resp = boss.post(row.url, data=row.payload, headers={**REPLAY, "X-Scan-Retry": str(row.id)}, htmx=True)
    assert resp.status_code == 422 and resp.headers["X-Scan-Conflict"] == str(row.id)
    [row] = conflicts()
    assert (row.status, row.attempts, row.retryable) == ("open", 2, False)
    assert row.reason.startswith("Applied already, at ") and row.reason.endswith(
        "it failed: Scan a code. Nothing changed now: check before doing it again.")
    assert 'value="applied-meanwhile-1"' not in boss.get("/scan/conflicts").get_data(as_text=True)  # no retry form
    assert scan_action.APPLIED["applied-meanwhile-1"] == 1 and applied_rows() == 1
