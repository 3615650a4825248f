"""On a phone (390×844): a manager's dashboard shows its tiles in one column, and a tile refreshes itself when a
stock change is announced."""

from __future__ import annotations

from app.dashboard.routes import TILES
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD


def test_the_dashboard_on_a_phone_loads_tiles_and_refreshes_on_stock_changed(phone, make_user, make_item,
                                                                             put_stock):
    manager = make_user("manager")
    item = make_item(valuation_method="fifo")
    put_stock(item, "A-01", 4, cost="2.50")
    sign_in_page(phone, manager.email, PASSWORD)

    phone.goto("/")
    assert phone.url.rstrip("/").endswith("/dashboard")
    for t in TILES:
        phone.locator(f'#tile-{t.name}[data-loaded="1"]').wait_for()
    value = phone.locator("#tile-stock-value .num").first
    assert value.inner_text() == "10.00"

    # One column on a phone: every tile starts at the same left edge, and nothing scrolls sideways.
    lefts = {round(box["x"]) for box in (phone.locator(f"#tile-{t.name}").bounding_box() for t in TILES[:4])}
    assert len(lefts) == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # Tapping a number shows how it was worked out.
    value.click()
    assert "remaining quantity × unit cost" in phone.locator("#tile-stock-value details p").first.inner_text()

    # Stock arrives; the page hears `stock-changed` (the HX-Trigger event stock screens send) and the tile reloads.
    put_stock(item, "A-02", 2, cost="5.00")
    phone.evaluate("document.body.dispatchEvent(new CustomEvent('stock-changed', {bubbles: true}))")
    for _ in range(50):
        if phone.locator("#tile-stock-value .num").first.inner_text() == "20.00":
            break
        phone.wait_for_timeout(100)
    assert phone.locator("#tile-stock-value .num").first.inner_text() == "20.00"
    assert phone.js_errors == []


def test_the_dashboard_on_a_desktop_is_a_grid(browser, live_server, make_user):
    manager = make_user("manager")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in_page(page, manager.email, PASSWORD)
        page.goto("/dashboard/")
        for t in TILES[:3]:
            page.locator(f'#tile-{t.name}[data-loaded="1"]').wait_for()
        boxes = [page.locator(f"#tile-{t.name}").bounding_box() for t in TILES[:3]]
        assert len({round(b["y"]) for b in boxes}) == 1  # three tiles side by side on the first row
        assert len({round(b["x"]) for b in boxes}) == 3
    finally:
        context.close()
