"""The offline queue, proven on a second app instance that has a tiny scan action (tests/support/scan_action.py):
its service claims the scan id with UnitOfWork.claim and counts how often each scan was applied."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scanning.models import ScanConflict
from tests.browser.conftest import PHONE, LiveServer, sign_in_page
from tests.browser.helpers import wait_for, wait_until
from tests.conftest import PASSWORD
from tests.support import scan_action
from tests.support.scan_action import make_action_app

PENDING = "Number(document.getElementById('pending-badge').dataset.count || 0)"
QUEUED = "Storekeeper.queue.all().then(items => items.length)"


def wait_queued(page, n: int) -> None:
    """Wait until the phone's queue (IndexedDB itself, not the badge a fresh page has not drawn yet) holds n."""
    wait_until(lambda: page.evaluate(QUEUED) == n)


@pytest.fixture(scope="module")
def action_server(database_url):
    app = make_action_app(database_url)
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def action_page(browser, action_server, make_user):
    scan_action.reset()
    context = browser.new_context(base_url=action_server.url, service_workers="block", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    user = make_user("staff")
    sign_in_page(page, user.email, PASSWORD)
    page.goto("/test-scan/")
    page.user = user
    yield page, context
    context.close()


def scan_offline(page, code: str, expect_pending: int) -> None:
    page.fill("[data-scan-input]", code)
    page.press("[data-scan-input]", "Enter")
    wait_for(page, f"{PENDING} === {expect_pending}")


def test_three_scans_made_offline_are_applied_exactly_once_when_the_connection_returns(action_page):
    page, context = action_page
    context.set_offline(True)
    for n, code in enumerate(["BOX-1", "BOX-2", "BOX-3"], start=1):
        scan_offline(page, code, n)
    assert page.is_visible("#pending-badge") and page.text_content("#pending-badge") == "3 pending"
    assert "Saved on this phone" in page.text_content("#flash")
    kept = page.evaluate("Storekeeper.queue.all()")
    assert len({item["scan_id"] for item in kept}) == 3  # each scan has its own id
    assert {item["url"] for item in kept} == {"/test-scan/apply"}
    assert all(item["device_time"] for item in kept)
    assert [dict(item["fields"])["code"] for item in kept] == ["BOX-1", "BOX-2", "BOX-3"]
    assert sum(scan_action.APPLIED.values()) == 0

    context.set_offline(False)  # the "online" event replays the queue
    wait_queued(page, 0)
    wait_for(page, "document.getElementById('pending-badge').hidden")
    assert dict(scan_action.APPLIED) == {item["scan_id"]: 1 for item in kept}
    assert set(scan_action.SOURCES.values()) == {"offline"}
    wait_for(page, "document.getElementById('flash').textContent.includes('3 scans kept on this phone were sent')")

    # The answers got lost on the way back: the phone sends all three again. Nothing changes on the server.
    page.evaluate("items => Promise.all(items.map(i => Storekeeper.queue.put(i)))", kept)
    assert page.evaluate(PENDING) == 3
    result = page.evaluate("Storekeeper.queue.replay()")
    assert result["pending"] == 0 and result["sent"] == 3
    assert dict(scan_action.APPLIED) == {item["scan_id"]: 1 for item in kept}
    assert page.js_errors == []


def test_an_offline_scan_that_can_no_longer_apply_lands_in_the_conflict_list(action_page):
    page, context = action_page
    context.set_offline(True)
    scan_offline(page, "GONE-9", 1)
    [item] = page.evaluate("Storekeeper.queue.all()")
    context.set_offline(False)
    wait_queued(page, 0)
    wait_for(page, "document.getElementById('flash').textContent.includes('could not be applied')")
    db.session.remove()
    [row] = db.session.scalars(select(ScanConflict)).all()
    assert (row.scan_id, row.http_status, row.actor_id, row.status) == (item["scan_id"], 409, page.user.id, "open")
    assert row.payload["code"] == "GONE-9"
    assert scan_action.APPLIED == {}
    page.click("#flash a")
    page.wait_for_url("**/scan/conflicts")
    assert "GONE-9 is gone" in page.text_content("#conflicts")


def test_a_replay_refused_for_a_stale_security_token_stays_on_the_phone_until_the_person_signs_in(action_page):
    page, context = action_page
    context.set_offline(True)
    scan_offline(page, "BOX-7", 1)
    page.evaluate("document.querySelector('meta[name=csrf-token]').setAttribute('content', 'stale')")
    context.set_offline(False)
    wait_for(page, "document.getElementById('pending-badge').textContent.includes('sign in')")
    assert page.evaluate(PENDING) == 1
    assert "sign in again" in page.text_content("#flash")
    assert scan_action.APPLIED == {}
    # A fresh page carries a fresh token; opening the app replays the queue.
    page.reload()
    wait_queued(page, 0)
    wait_until(lambda: sum(scan_action.APPLIED.values()) == 1)


def test_the_more_page_lists_the_scans_kept_on_the_phone_while_the_server_cannot_be_reached(action_page):
    page, context = action_page
    # The phone is online but the server's scan action cannot be reached (a proxy is down): the request fails
    # and the scan is kept on the phone.
    page.route("**/test-scan/apply", lambda route: route.abort("connectionrefused"))
    scan_offline(page, "BOX-4", 1)
    page.goto("/more")
    wait_for(page, "document.querySelectorAll('[data-queue-item]').length === 1")
    assert "BOX-4" in page.text_content("[data-queue-list]")
    assert "1 scan kept on this phone" in page.text_content("[data-queue-summary]")
    assert scan_action.APPLIED == {}
    page.unroute("**/test-scan/apply")
    page.click("[data-queue-send]")
    wait_for(page, "document.querySelectorAll('[data-queue-item]').length === 0")
    assert sum(scan_action.APPLIED.values()) == 1


def test_conflicts_are_retried_or_dismissed_from_the_conflicts_page(action_page):
    page, context = action_page
    context.set_offline(True)
    scan_offline(page, "GONE-1", 1)
    scan_offline(page, "GONE-2", 2)
    context.set_offline(False)
    wait_queued(page, 0)
    page.goto("/scan/conflicts")
    assert page.text_content("[data-conflict-count]") == "2"
    scan_action.WORLD["gone_is_gone"] = False  # the stock is back for the first one

    first = page.locator("li.conflict", has_text="GONE-1")
    first.get_by_role("button", name="Retry").click()
    page.locator("[data-status=retried]", has_text="GONE-1").wait_for()
    assert sum(scan_action.APPLIED.values()) == 1

    second = page.locator("li.conflict", has_text="GONE-2")
    second.get_by_label("Note").fill("Bin was empty, recounted")
    second.get_by_role("button", name="Dismiss").click()
    page.locator("[data-status=dismissed]", has_text="Bin was empty, recounted").wait_for()
    assert page.text_content("[data-conflict-count]") == "0"
    assert sum(scan_action.APPLIED.values()) == 1
    assert page.js_errors == []


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/scan/")


def test_scans_kept_on_a_shared_phone_are_sent_only_as_the_person_who_made_them(action_page, make_user):
    from app.idempotency import AppliedRequest

    page, context = action_page
    alice = page.user
    bob = make_user("staff")
    context.set_offline(True)
    scan_offline(page, "BOX-8", 1)
    page.route("**/test-scan/apply", lambda route: route.abort("connectionrefused"))  # keep it on the phone
    context.set_offline(False)
    page.wait_for_timeout(300)
    assert page.evaluate(PENDING) == 1
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.goto("/more")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert dialogs and "1 scan is still waiting" in dialogs[0]

    sign_in(page, bob.email)
    page.goto("/more")
    wait_for(page, "document.querySelectorAll('[data-queue-item]').length === 1")
    page.wait_for_timeout(500)
    assert scan_action.APPLIED == {}  # not sent as Bob
    assert "waiting for the person who scanned it" in page.text_content("[data-queue-list]")
    page.unroute("**/test-scan/apply")  # the server is reachable again; still nothing is sent as Bob
    page.click("[data-queue-send]")
    page.wait_for_timeout(500)
    assert scan_action.APPLIED == {}

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    sign_in(page, alice.email)
    wait_queued(page, 0)
    assert sum(scan_action.APPLIED.values()) == 1
    db.session.remove()
    [row] = db.session.scalars(select(AppliedRequest).where(AppliedRequest.scope == "test.apply")).all()
    assert row.actor_id == alice.id
