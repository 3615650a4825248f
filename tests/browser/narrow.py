"""The 360 px phone (the narrowest common one) and the walk over every main page of each role, shared by the
browser tests that check those pages for width, touch targets and the like."""

from __future__ import annotations

from collections.abc import Callable

from tests.asset_helpers import an_asset
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}
SETTLED = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"
ROLES = ("manager", "admin", "staff", "technician")


def seed_long_names(make_item, put_stock) -> None:
    """An item and an asset, so lists have rows; long names and codes are what push a layout wider than the screen."""
    item = make_item("LONG-SKU-0000000001", name="Heat pump controller board, revision C, with mounting kit and cables")
    put_stock(item, "A-01", 12, cost="19.90")
    an_asset("LN-0001")


def open_settled(page, path: str) -> None:
    page.goto(path, wait_until="load")
    page.wait_for_function(SETTLED)  # tiles and panels that load themselves are in


def sign_in_settled(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_function(SETTLED)


def walk_main_pages(browser, live_server, make_user, visit: Callable[[str, str, object], None]) -> dict[str, list]:
    """Open every page each role reaches from the bottom bar and the Tasks and More menus on a 360 px phone and call
    visit(role, path, page) on each once it has settled. A page already visited for an earlier role is not loaded
    again (the content is the same; only the bar differs, and each role's bar pages are visited), which keeps a walk
    to about a dozen seconds. Returns each role's bar (its links' paths)."""
    visited: set[str] = set()
    bars: dict[str, list] = {}
    for role in ROLES:
        user = make_user(role)
        context = browser.new_context(base_url=live_server.url, **NARROW)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            sign_in_settled(page, user.email)
            bar = page.eval_on_selector_all("nav.bottomnav a", "els => els.map(a => a.getAttribute('href'))")
            bars[role] = bar
            paths = [page.url.removeprefix(live_server.url), *bar]
            for menu in ("/tasks", "/more"):
                open_settled(page, menu)
                paths += page.eval_on_selector_all("a.menu-item", "els => els.map(a => a.getAttribute('href'))")
            for path in dict.fromkeys(paths):  # each once, in order
                if path in visited and path not in bar:
                    continue
                visited.add(path)
                open_settled(page, path)
                visit(role, path, page)
        finally:
            context.close()
    return bars
