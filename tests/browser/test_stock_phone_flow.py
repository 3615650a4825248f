"""On a phone: receive → put away → pick, every code typed into the one scan field (as a wedge scanner does)."""

from __future__ import annotations

from playwright.sync_api import expect

from app.extensions import db
from app.locations.queries import by_code
from app.stock import queries
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD


def settled(page, *, scan_focused: bool = True) -> None:
    """Wait until htmx has swapped and settled — and, after a swap, given the focus back to the scan field.

    Typing into another field within those few milliseconds would lose the keystrokes to the scan field.
    """
    check = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    if scan_focused:
        check += " && document.activeElement && document.activeElement.id === 'scan-code'"
    for _ in range(200):
        if page.evaluate(f"() => {check}"):
            return
        page.wait_for_timeout(25)
    raise AssertionError("the page did not settle with the scan field focused")


def scan(page, code: str) -> None:
    settled(page, scan_focused=False)
    field = page.locator("#scan-code")
    field.fill(code)
    field.press("Enter")


def outcome(page):
    return page.locator("[data-outcome]")


def scan_field_has_focus(page) -> bool:
    return page.evaluate("() => document.activeElement && document.activeElement.id === 'scan-code'")


def test_receive_put_away_and_pick_by_typing_into_the_scan_field(phone, warehouse, make_item):
    item = make_item("PHONE-1", name="Phone test widget")
    item_id, ean = item.id, item.ean
    sign_in_page(phone, warehouse.staff.email, PASSWORD)

    phone.goto("/stock/receive")
    expect(phone.locator("h1")).to_have_text("Receive")
    scan(phone, "WH-DOCK")
    expect(outcome(phone)).to_contain_text("WH-DOCK")
    settled(phone)
    phone.fill("#qty", "3")
    scan(phone, ean)
    expect(outcome(phone)).to_contain_text("Received 3 × PHONE-1")
    assert scan_field_has_focus(phone)

    phone.goto("/stock/put-away")
    scan(phone, "WH-DOCK")
    expect(phone.locator("[data-slot=src]")).to_have_text("WH-DOCK")
    scan(phone, "A-01")
    expect(phone.locator("[data-slot=dst]")).to_have_text("A-01")
    settled(phone)
    phone.fill("#qty", "3")
    scan(phone, ean)
    expect(outcome(phone)).to_contain_text("Put away 3 × PHONE-1")
    expect(phone.locator("[data-slot=dst]")).to_have_text("A-01")  # bin first: it stays for the next item

    phone.goto("/stock/pick")
    scan(phone, "A-01")
    expect(phone.locator("[data-slot=src]")).to_have_text("A-01")
    scan(phone, ean)
    expect(outcome(phone)).to_contain_text("Picked 1 × PHONE-1")
    expect(outcome(phone)).to_contain_text("2 left in A-01")
    assert scan_field_has_focus(phone)
    scan(phone, "4006381333932")
    expect(phone.locator("[data-outcome=error]")).to_contain_text("check digit")

    assert phone.js_errors == []
    db.session.rollback()
    bal = queries.balance_of(db.session, item_id, by_code(db.session, "A-01").id)
    assert bal.on_hand == 2
    assert queries.total_on_hand(db.session, item_id) == 2
    assert queries.verify(db.session) == []
