"""Multi-step scan forms on a phone without a connection: a bin (or a purchase order) fills in the form on the
phone and is never queued (a count's bin is also kept: the count records the visit); an item completes the action
and is queued with the bin; an item without its bin is refused on the spot. When the connection returns, each kept
action is applied once, from the right place."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.scanning.models import ScanConflict
from app.stock import counting, purchasing, queries
from app.stock.models import StockMovement
from app.uow import UnitOfWork
from tests.browser.conftest import sign_in_page
from tests.browser.helpers import wait_for, wait_until
from tests.conftest import PASSWORD

PENDING = "Number(document.getElementById('pending-badge').dataset.count || 0)"
QUEUED = "Storekeeper.queue.all().then(items => items.length)"


def on_hand(item_id: int) -> dict[str, Decimal]:
    db.session.remove()
    return {loc.code: qty for loc, _lot, qty, _alloc in queries.on_hand_by_location(db.session, item_id)}


def moved(item_id: int, kind: str) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.item_id == item_id, StockMovement.kind == kind))


def ledger_agrees() -> bool:
    db.session.remove()
    return queries.verify(db.session) == []


def open_ready(page, url: str) -> None:
    """Open a scan page online and wait until it says the phone knows the places (what it needs offline)."""
    page.goto(url)
    wait_for(page, "(() => { const p = document.querySelector('[data-offline-ready]');"
                   " return p && !p.hidden && p.textContent.includes('this phone knows'); })()")


def scan(page, code: str) -> None:
    page.fill("#scan-code", code)
    page.press("#scan-code", "Enter")


def scan_kept(page, code: str, pending: int) -> None:
    scan(page, code)
    wait_for(page, f"{PENDING} === {pending}")


def outcome(page) -> str:
    return page.text_content("#scan-form .outcome") or ""


def test_offline_pick_of_a_bin_then_two_items_applies_two_picks_from_that_bin(phone, warehouse, make_item,
                                                                               put_stock):
    item = make_item("STEP-PICK", name="Step widget")
    item_id, ean = item.id, item.ean
    put_stock(item, "A-01", 5)
    put_stock(item, "A-02", 5)
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, "/stock/pick")

    phone.context.set_offline(True)
    scan(phone, "a-01")  # typed in lower case: the phone reads codes as the server does
    phone.locator("[data-slot=src]", has_text="A-01").wait_for()  # the form holds the bin, as online
    assert "A-01" in outcome(phone)
    assert phone.evaluate(QUEUED) == 0  # a bin alone is not an action: nothing is kept
    assert phone.get_attribute("#scan-code", "placeholder") == "Scan an item"  # as the server would prompt

    scan_kept(phone, ean, 1)
    scan_kept(phone, ean, 2)
    assert phone.text_content("#pending-badge") == "2 pending"
    assert "Kept on this phone: Pick" in outcome(phone) and "from A-01" in outcome(phone)
    assert phone.text_content("[data-slot=src]") == "A-01"  # pick keeps its bin for the next item
    kept = phone.evaluate("Storekeeper.queue.all()")
    assert [dict(k["fields"])["src"] for k in kept] == ["A-01", "A-01"]
    assert len({k["scan_id"] for k in kept}) == 2
    assert on_hand(item_id) == {"A-01": Decimal(5), "A-02": Decimal(5)}

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    wait_for(phone, "document.getElementById('flash').textContent.includes('2 scans kept on this phone were sent')")
    assert on_hand(item_id) == {"A-01": Decimal(3), "A-02": Decimal(5)}
    assert moved(item_id, "pick") == 2
    assert ledger_agrees()
    db.session.remove()
    assert db.session.scalars(select(ScanConflict)).all() == []
    assert phone.js_errors == []


def test_an_offline_move_of_bin_item_bin_applies_one_move(phone, warehouse, make_item, put_stock):
    item = make_item("STEP-MOVE", name="Moving widget")
    item_id, ean = item.id, item.ean
    put_stock(item, "A-01", 5)
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, "/stock/move")

    phone.context.set_offline(True)
    scan(phone, "A-01")
    phone.locator("[data-slot=src]", has_text="A-01").wait_for()
    scan(phone, ean)
    phone.locator("[data-slot=item]", has_text=ean).wait_for()  # held on the phone until its bin is scanned
    assert "Scan the bin or dock it goes to next" in outcome(phone)
    assert phone.evaluate(QUEUED) == 0
    scan_kept(phone, "A-02", 1)
    assert "Move" in outcome(phone) and "A-01 → A-02" in outcome(phone)
    # Ready for the next move as online: the source stays, the item and the target are cleared.
    assert phone.text_content("[data-slot=src]") == "A-01"
    assert phone.locator("[data-slot=item]").count() == 0 and phone.locator("[data-slot=dst]").count() == 0
    assert phone.input_value("input[name=held]") == ""

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    wait_until(lambda: on_hand(item_id) == {"A-01": Decimal(4), "A-02": Decimal(1)})
    assert moved(item_id, "move") == 1
    assert ledger_agrees()
    assert phone.js_errors == []


def test_an_offline_put_away_of_item_then_dock_then_bin_applies_one_put_away(phone, warehouse, make_item, put_stock):
    item = make_item("STEP-PUT", name="Put widget")
    item_id, ean = item.id, item.ean
    put_stock(item, "WH-DOCK", 5)
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, "/stock/put-away")

    phone.context.set_offline(True)
    scan(phone, ean)
    phone.locator("[data-slot=item]", has_text=ean).wait_for()
    scan(phone, "WH-DOCK")  # after the item, as online: the dock is where it comes from
    phone.locator("[data-slot=src]", has_text="WH-DOCK").wait_for()
    assert phone.locator("[data-slot=dst]").count() == 0 and phone.evaluate(QUEUED) == 0
    scan_kept(phone, "A-01", 1)
    assert "Put away" in outcome(phone) and "WH-DOCK → A-01" in outcome(phone)

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    wait_until(lambda: on_hand(item_id) == {"WH-DOCK": Decimal(4), "A-01": Decimal(1)})
    assert moved(item_id, "put_away") == 1
    assert ledger_agrees()
    assert phone.js_errors == []


def test_an_offline_item_scan_without_a_bin_says_to_scan_the_bin_first_and_keeps_nothing(phone, warehouse,
                                                                                           make_item, put_stock):
    item = make_item("STEP-NOBIN", name="Binless widget")
    item_id, ean = item.id, item.ean
    put_stock(item, "A-01", 5)
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, "/stock/pick")

    phone.context.set_offline(True)
    scan(phone, ean)
    phone.locator("[data-outcome=need]", has_text="Scan the bin to take from first").wait_for()
    assert "nothing is saved until then" in outcome(phone)
    phone.wait_for_timeout(300)
    assert phone.evaluate(QUEUED) == 0 and phone.is_hidden("#pending-badge")

    phone.context.set_offline(False)
    phone.wait_for_timeout(500)
    assert moved(item_id, "pick") == 0 and on_hand(item_id) == {"A-01": Decimal(5)}
    # Back online, the bin completes the pick of the item the phone held (as if it had been online all along).
    scan(phone, "A-01")
    phone.locator("[data-outcome=ok]", has_text="Picked 1").wait_for()
    assert on_hand(item_id) == {"A-01": Decimal(4)} and moved(item_id, "pick") == 1
    assert phone.js_errors == []


def test_an_offline_receipt_against_a_purchase_order_fills_order_and_dock_then_books_each_item(
    phone, warehouse, make_item
):
    item = make_item("STEP-PO", name="Ordered widget")
    item_id, ean = item.id, item.ean
    number = purchasing.create_po(supplier="Acme", lines=[("STEP-PO", 5, "1.00")], actor_id=None,
                                  uow=UnitOfWork()).number
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, "/stock/receive")
    assert "1 open purchase order" in phone.text_content("[data-offline-ready]")

    phone.context.set_offline(True)
    scan(phone, number)
    phone.locator("[data-slot=po]", has_text=number).wait_for()
    assert "Acme" in phone.text_content("[data-slot-box=po]")
    scan(phone, "WH-DOCK")
    phone.locator("[data-slot=dst]", has_text="WH-DOCK").wait_for()
    assert phone.evaluate(QUEUED) == 0
    phone.fill("#qty", "2")
    scan_kept(phone, ean, 1)
    assert phone.input_value("#qty") == ""  # the quantity was for that item
    scan_kept(phone, ean, 2)
    assert [dict(k["fields"])["po"] for k in phone.evaluate("Storekeeper.queue.all()")] == [number, number]

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    wait_until(lambda: on_hand(item_id) == {"WH-DOCK": Decimal(3)})
    db.session.remove()
    [line] = purchasing.get_po(db.session, number).lines
    assert line.received_qty == 3
    assert phone.js_errors == []


def test_an_offline_count_takes_the_bin_on_the_phone_keeps_its_visit_and_refuses_one_outside_the_count(
        phone, warehouse, make_item, put_stock):
    item = make_item("STEP-CNT", name="Counted widget")
    ean = item.ean
    put_stock(item, "A-01", 4)
    number = counting.create_count(location_code="WH-A", blind=True, assigned_to=warehouse.staff_id, actor_id=None,
                                   uow=UnitOfWork()).number
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, f"/stock/counts/{number}")

    phone.context.set_offline(True)
    scan(phone, ean)
    phone.locator("[data-outcome=need]", has_text="Scan the bin first").wait_for()
    scan(phone, "DEP-01")
    phone.locator("[data-outcome=error]", has_text=f"DEP-01 is not part of count {number}").wait_for()
    assert phone.evaluate(QUEUED) == 0  # neither was kept
    scan_kept(phone, "A-02", 1)  # looked in A-02, found it empty: the visit is kept
    phone.locator("[data-bin-line] [data-slot=bin]", has_text="A-02").wait_for()
    scan_kept(phone, "A-01", 2)
    phone.locator("[data-bin-line] [data-slot=bin]", has_text="A-01").wait_for()
    for n in (3, 4, 5):
        scan_kept(phone, ean, n)

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    db.session.remove()
    [line] = [x for x in counting.get_count(db.session, number).lines if x.counted is not None]
    assert (line.location.code, line.counted) == ("A-01", 3)
    rep = counting.report(db.session, number)
    assert [b.code for b in rep.bins_counted] == ["A-01"] and [b.code for b in rep.bins_empty] == ["A-02"]
    assert db.session.scalars(select(ScanConflict)).all() == []
    assert phone.js_errors == []


def test_an_offline_check_out_batch_is_collected_on_the_phone_and_checked_out_all_at_once(phone, make_user):
    from app.assets.models import Loan
    from tests.asset_helpers import a_model, an_asset

    tech = make_user("technician")
    model = a_model()
    for tag in ("OFF-B1", "OFF-B2", "OFF-B3"):
        an_asset(tag, model=model)
    sign_in_page(phone, tech.email, PASSWORD)
    phone.goto("/assets/checkout")

    phone.context.set_offline(True)
    phone.fill("#f-tags", "off-b1")
    phone.get_by_role("button", name="Start a batch").click()
    phone.locator("[data-batch-tag]", has_text="OFF-B1").wait_for()
    for tag in ("OFF-B2", "OFF-B3"):  # a hardware scanner ends each code with Enter: it adds to the batch
        phone.fill("#f-tags", tag)
        phone.press("#f-tags", "Enter")
        phone.locator(f"[data-batch-tag]:has-text('{tag}')").wait_for()
    assert phone.evaluate(QUEUED) == 0  # collecting writes nothing, so nothing is kept
    assert phone.text_content("[data-checkout]") == "Check out all (3)"
    phone.click("[data-checkout]")
    wait_for(phone, f"{PENDING} === 1")
    assert phone.locator("[data-batch-tag]").count() == 0  # the form starts again, as after a check-out online

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    db.session.remove()
    assert sorted(loan.asset.tag for loan in db.session.scalars(select(Loan))) == ["OFF-B1", "OFF-B2", "OFF-B3"]
    assert phone.js_errors == []


def test_an_offline_order_pick_takes_only_a_bin_on_the_pick_list_then_picks_the_item_from_it(phone, warehouse,
                                                                                              make_item, put_stock):
    from app.stock import orders

    item = make_item("STEP-ORD", name="Ordered out")
    item_id, ean = item.id, item.ean
    put_stock(item, "A-02", 5)
    number = orders.create_order(customer="C", lines=[("STEP-ORD", 2)], actor_id=None, uow=UnitOfWork()).number
    orders.allocate(number=number, uow=UnitOfWork())
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    open_ready(phone, f"/stock/orders/{number}/pick")

    phone.context.set_offline(True)
    scan(phone, ean)
    phone.locator("[data-outcome=need]", has_text="Scan the bin first").wait_for()
    scan(phone, "A-01")
    phone.locator("[data-outcome=error]", has_text="Nothing to pick in A-01 for this order").wait_for()
    scan(phone, "A-02")
    phone.locator("[data-task-kind]", has_text="In bin").wait_for()
    assert "Take 2" in phone.text_content("[data-task-item]")
    assert phone.evaluate(QUEUED) == 0
    phone.fill("#qty", "2")
    scan_kept(phone, ean, 1)
    assert f"Pick 2 × {ean} from A-02" in outcome(phone)

    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    wait_until(lambda: on_hand(item_id) == {"A-02": Decimal(3)})
    db.session.remove()
    assert orders.get_order(db.session, number).status == "picked"
    assert db.session.scalars(select(ScanConflict)).all() == []
    assert phone.js_errors == []


def test_a_scan_page_reopened_offline_from_the_phone_does_not_reuse_a_scan_id_the_server_applied(
    phone, warehouse, make_item, put_stock
):
    """The service worker keeps the page as the server rendered it, scan id included. That id was used by the first
    scan made online on that page; a scan on the kept copy must get an id of its own, or its replay would be
    answered "already recorded" and dropped."""
    item = make_item("STEP-KEPT", name="Kept page widget")
    item_id, ean = item.id, item.ean
    put_stock(item, "A-01", 5)
    sign_in_page(phone, warehouse.staff.email, PASSWORD)
    phone.goto("/scan/")
    wait_for(phone, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    open_ready(phone, "/stock/pick?src=A-01")  # under the worker's control: the page is kept as served
    wait_for(phone, "caches.match('/stock/pick?src=A-01', {ignoreVary: true}).then(Boolean)")
    scan(phone, ean)  # online: picked with the id the page was served with
    phone.locator("[data-outcome=ok]", has_text="Picked 1").wait_for()
    assert moved(item_id, "pick") == 1

    phone.context.set_offline(True)
    phone.reload()  # the kept page
    phone.locator("[data-slot=src]", has_text="A-01").wait_for()
    scan_kept(phone, ean, 1)
    phone.context.set_offline(False)
    wait_until(lambda: phone.evaluate(QUEUED) == 0)
    assert "already" not in phone.text_content("#flash")
    wait_until(lambda: moved(item_id, "pick") == 2, timeout=5)
    assert on_hand(item_id) == {"A-01": Decimal(3)}
    assert phone.js_errors == []
