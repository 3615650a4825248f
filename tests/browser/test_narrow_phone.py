"""At 360 px wide (the narrowest common phone) no main page of any role scrolls sideways, and the links that open
list rows are touch targets of 44 px."""

from __future__ import annotations

import pytest

from tests.browser.narrow import NARROW, open_settled, seed_long_names, sign_in_settled, walk_main_pages


@pytest.fixture
def some_data(make_item, put_stock):
    seed_long_names(make_item, put_stock)


@pytest.fixture
def narrow(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **NARROW)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_no_main_page_of_any_role_is_wider_than_a_360_px_phone(browser, live_server, make_user, some_data):
    """Every page each role reaches from the bottom bar and the Tasks and More menus."""
    checked: list[str] = []
    too_wide: dict[str, int] = {}

    def measure(role: str, path: str, page) -> None:
        checked.append(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 360:
            too_wide[f"{role} {path}"] = width

    bars = walk_main_pages(browser, live_server, make_user, measure)
    assert all(len(bar) >= 3 for bar in bars.values()), bars
    assert too_wide == {}, f"pages wider than 360 px: {too_wide}"
    assert len(set(checked)) >= 20


def test_the_links_of_item_and_asset_lists_are_44_px_tall(narrow, make_user, some_data):
    manager = make_user("manager")
    sign_in_settled(narrow, manager.email)
    for path in ("/stock/items", "/assets/"):
        open_settled(narrow, path)
        links = narrow.locator(".cards .card > a")
        assert links.count() >= 1, path
        heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
        assert min(heights) >= 44, (path, heights)
