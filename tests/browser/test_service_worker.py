"""The service worker keeps the app shell: reloading without a connection shows the kept page or the offline page."""

from __future__ import annotations

from tests.browser.conftest import sign_in_page
from tests.browser.helpers import wait_for
from tests.conftest import PASSWORD

CONTROLLED = "!!(navigator.serviceWorker && navigator.serviceWorker.controller)"


def test_the_service_worker_serves_the_shell_and_kept_pages_offline(phone, make_user):
    page = phone
    user = make_user("staff")
    sign_in_page(page, user.email, PASSWORD)
    page.goto("/scan/")
    wait_for(page, CONTROLLED)
    page.reload()  # now under the worker's control, the page is kept
    wait_for(page, CONTROLLED)
    shell = page.evaluate("caches.keys()")
    assert any(name.startswith("sk-shell-") for name in shell)

    page.context.set_offline(True)
    page.reload()
    assert page.title() == "Scan · Storekeeper"
    assert page.is_visible("[data-scan-input]")
    # The stylesheet came from the worker's cache too.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"
    assert page.is_visible("#offline-badge")

    page.goto("/tasks")  # never opened: the offline page
    assert "No connection" in page.text_content("h1")

    page.context.set_offline(False)
    page.goto("/tasks")
    assert page.text_content("h1") == "Tasks"
    assert page.js_errors == []


def test_signing_out_forgets_the_kept_pages(phone, make_user):
    page = phone
    user = make_user("staff")
    sign_in_page(page, user.email, PASSWORD)
    page.goto("/scan/")
    wait_for(page, CONTROLLED)
    page.reload()
    wait_for(page, "caches.keys().then(k => k.some(n => n.startsWith('sk-pages-')))")
    page.goto("/more")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.context.set_offline(True)
    page.goto("/scan/")
    assert "No connection" in page.text_content("h1")
