"""At 360 px wide (the narrowest common phone) no main page of any role scrolls sideways, and the links that open
list rows are touch targets of 44 px."""

from __future__ import annotations

import pytest

from tests.asset_helpers import an_asset
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}
SETTLED = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


@pytest.fixture
def some_data(make_item, put_stock):
    # Long names and codes are what push a layout wider than the screen.
    item = make_item("LONG-SKU-0000000001", name="Heat pump controller board, revision C, with mounting kit and cables")
    put_stock(item, "A-01", 12, cost="19.90")
    an_asset("LN-0001")


@pytest.fixture
def narrow(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **NARROW)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _open(page, path: str) -> None:
    page.goto(path, wait_until="load")
    page.wait_for_function(SETTLED)  # tiles and panels that load themselves are in


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_function(SETTLED)


def test_no_main_page_of_any_role_is_wider_than_a_360_px_phone(browser, live_server, make_user, some_data):
    """Every page each role reaches from the bottom bar and the Tasks and More menus. A page already checked for
    an earlier role is not loaded again (the content is the same; only the bar differs, and each role's bar pages
    are checked), which keeps this to about a dozen seconds."""
    checked: set[str] = set()
    too_wide: dict[str, int] = {}
    for role in ("manager", "admin", "staff", "technician"):
        user = make_user(role)
        context = browser.new_context(base_url=live_server.url, **NARROW)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            _sign_in(page, user.email)
            bar = page.eval_on_selector_all("nav.bottomnav a", "els => els.map(a => a.getAttribute('href'))")
            paths = [page.url.removeprefix(live_server.url), *bar]
            for menu in ("/tasks", "/more"):
                _open(page, menu)
                paths += page.eval_on_selector_all("a.menu-item", "els => els.map(a => a.getAttribute('href'))")
            for path in dict.fromkeys(paths):  # each once, in order
                if path in checked and path not in bar:
                    continue
                checked.add(path)
                _open(page, path)
                width = page.evaluate("document.scrollingElement.scrollWidth")
                if width > 360:
                    too_wide[f"{role} {path}"] = width
            assert len(bar) >= 3, (role, bar)
        finally:
            context.close()
    assert too_wide == {}, f"pages wider than 360 px: {too_wide}"
    assert len(checked) >= 20


def test_the_links_of_item_and_asset_lists_are_44_px_tall(narrow, make_user, some_data):
    manager = make_user("manager")
    _sign_in(narrow, manager.email)
    for path in ("/stock/items", "/assets/"):
        _open(narrow, path)
        links = narrow.locator(".cards .card > a")
        assert links.count() >= 1, path
        heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
        assert min(heights) >= 44, (path, heights)
