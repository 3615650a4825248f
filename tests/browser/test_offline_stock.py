"""The offline queue on the real stock scan actions (merged from the stock branch): receive and pick."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.scanning.models import ScanConflict
from app.stock import queries
from app.stock.models import StockMovement
from tests.browser.conftest import sign_in_page
from tests.browser.helpers import wait_for, wait_until
from tests.conftest import PASSWORD

PENDING = "Number(document.getElementById('pending-badge').dataset.count || 0)"
QUEUED = "Storekeeper.queue.all().then(items => items.length)"


def wait_queued(page, n: int) -> None:
    """Wait until the phone's queue (IndexedDB itself, not the badge a fresh page has not drawn yet) holds n."""
    wait_until(lambda: page.evaluate(QUEUED) == n)


def on_hand(item_id: int) -> dict[str, Decimal]:
    db.session.remove()
    return {loc.code: qty for loc, _lot, qty, _alloc in queries.on_hand_by_location(db.session, item_id)}


def movements(item_id: int) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.item_id == item_id))


def scan_offline(page, code: str, expect_pending: int) -> None:
    page.fill("#scan-code", code)
    page.press("#scan-code", "Enter")
    wait_for(page, f"{PENDING} === {expect_pending}")


def test_three_receipts_scanned_offline_are_booked_exactly_once_when_the_connection_returns(
    phone, warehouse, make_item
):
    item = make_item("OFF-1", name="Offline widget")
    item_id, ean = item.id, item.ean
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    phone.goto("/stock/receive?dst=WH-DOCK")  # the dock was scanned before the connection dropped
    phone.locator("[data-slot=dst]", has_text="WH-DOCK").wait_for()
    assert phone.is_visible("[data-scanner-slot] [data-scanner-toggle]")  # the camera controls fill the slot

    phone.context.set_offline(True)
    for n in (1, 2, 3):
        scan_offline(phone, ean, n)
    kept = phone.evaluate("Storekeeper.queue.all()")
    assert len({k["scan_id"] for k in kept}) == 3
    assert on_hand(item_id) == {} and movements(item_id) == 0

    phone.context.set_offline(False)
    wait_queued(phone, 0)
    assert on_hand(item_id) == {"WH-DOCK": Decimal(3)}
    assert movements(item_id) == 3

    # Replayed again (answers lost on the way back): "already recorded", nothing booked twice.
    phone.evaluate("items => Promise.all(items.map(i => Storekeeper.queue.put(i)))", kept)
    result = phone.evaluate("Storekeeper.queue.replay()")
    assert result["pending"] == 0 and result["sent"] == 3
    assert on_hand(item_id) == {"WH-DOCK": Decimal(3)} and movements(item_id) == 3
    assert phone.js_errors == []


def test_a_pick_scanned_offline_from_an_empty_bin_lands_in_the_conflict_list(phone, warehouse, make_item):
    item = make_item("OFF-2", name="Never there")
    ean = item.ean
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    phone.goto("/stock/pick?src=A-01")
    phone.locator("[data-slot=src]", has_text="A-01").wait_for()
    phone.context.set_offline(True)
    scan_offline(phone, ean, 1)
    phone.context.set_offline(False)
    wait_queued(phone, 0)
    wait_for(phone, "document.getElementById('flash').textContent.includes('could not be applied')")
    db.session.remove()
    [row] = db.session.scalars(select(ScanConflict)).all()
    assert row.http_status == 409 and row.url == "/stock/pick" and row.retryable
    assert row.payload["src"] == "A-01"
    phone.goto("/scan/conflicts")
    assert phone.is_visible("text=Retry")
