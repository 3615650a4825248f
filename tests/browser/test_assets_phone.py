"""On a phone: a technician checks a loaner out and back in by typing its tag into the scan field."""

from __future__ import annotations

from app.assets import queries
from app.extensions import db
from tests.asset_helpers import an_asset
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD


def test_a_technician_checks_a_loaner_out_and_in_from_the_scan_field(phone, make_user):
    tech = make_user("technician")
    an_asset("LN-0042")
    sign_in_page(phone, tech.email, PASSWORD)

    phone.goto("/assets/checkout")
    field = phone.locator("#f-tags")
    assert field.evaluate("el => document.activeElement === el")  # ready for the next scan
    field.fill("ln-0042")
    field.press("Enter")
    phone.locator("#checkout-panel .msg-ok").wait_for()
    assert "Checked out LN-0042" in phone.locator("#checkout-panel .msg-ok").inner_text()
    # A new scan id and an empty, focused field for the next scan.
    assert phone.locator("#f-tags").input_value() == ""
    phone.wait_for_timeout(100)
    assert phone.locator("#f-tags").evaluate("el => document.activeElement === el")
    db.session.rollback()
    assert queries.by_tag(db.session, "LN-0042").status == "checked_out"

    # A second scan of the same tag is refused with the reason, on the same panel.
    phone.locator("#f-tags").fill("LN-0042")
    phone.locator("#f-tags").press("Enter")
    phone.locator("#checkout-panel .msg-error").wait_for()
    assert "already checked out" in phone.locator("#checkout-panel .msg-error").inner_text()

    phone.goto("/assets/checkin")
    phone.locator("#f-tag").fill("LN-0042")
    phone.locator("#f-tag").press("Enter")
    phone.locator("#checkin-panel .msg-ok").wait_for()
    assert "Checked in LN-0042" in phone.locator("#checkin-panel .msg-ok").inner_text()
    db.session.rollback()
    assert queries.by_tag(db.session, "LN-0042").status == "in_stock"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    assert phone.js_errors == []


def start_a_batch(phone, make_user, tags: tuple[str, ...]) -> None:
    """A technician with loaners `tags` opens the check-out page and starts a batch with the first one."""
    from tests.asset_helpers import a_model

    tech = make_user("technician")
    m = a_model()
    for t in tags:
        an_asset(t, model=m)
    sign_in_page(phone, tech.email, PASSWORD)
    phone.goto("/assets/checkout")
    phone.locator("#f-tags").fill(tags[0])
    phone.get_by_role("button", name="Start a batch").click()
    phone.locator("[data-batch-tag]").first.wait_for()


def test_a_technician_scans_a_batch_then_checks_it_all_out(phone, make_user):
    start_a_batch(phone, make_user, ("B-1", "B-2", "B-3"))
    for tag in ("B-2", "B-3"):  # a hardware scanner ends each scan with Enter: it adds to the batch
        phone.locator("#f-tags").fill(tag)
        phone.locator("#f-tags").press("Enter")
        phone.locator(f"[data-batch-tag]:has-text('{tag}')").wait_for()
    assert phone.locator("[data-batch-tag]").count() == 3
    phone.locator("[data-checkout]").click()
    phone.locator("#checkout-panel .msg-ok:has-text('Checked out')").wait_for()
    assert "B-1, B-2, B-3" in phone.locator("#checkout-panel .msg-ok").inner_text()
    db.session.rollback()
    assert {queries.by_tag(db.session, t).status for t in ("B-1", "B-2", "B-3")} == {"checked_out"}
    assert phone.js_errors == []


def test_a_camera_scan_adds_to_a_check_out_batch_like_the_scanners_enter(phone, make_user):
    # The camera hands its reads to the same pipeline as a decoded frame does (Storekeeper.submitScan); in batch
    # mode a read must add the asset to the batch, not check the whole batch out.
    start_a_batch(phone, make_user, ("C-1", "C-2"))
    phone.evaluate("Storekeeper.submitScan({text: 'C-2', format: 'qr_code', source: 'camera'})")
    phone.locator("[data-batch-tag]:has-text('C-2')").wait_for()
    assert phone.locator("[data-batch-tag]").count() == 2
    db.session.rollback()
    assert {queries.by_tag(db.session, t).status for t in ("C-1", "C-2")} == {"in_stock"}  # nothing out yet
    assert phone.js_errors == []
