"""The app shell on a phone (390×844): sign in, navigation by role, sign out."""

from __future__ import annotations

from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD


def test_staff_signs_in_on_a_phone_and_lands_on_the_scanner(phone, make_user):
    user = make_user("staff")
    sign_in_page(phone, user.email, PASSWORD)
    assert phone.url.endswith("/scan/")
    assert phone.locator("#scan-code").evaluate("el => el === document.activeElement")
    nav = phone.locator("nav.bottomnav a")
    assert nav.all_inner_texts() == ["Scan", "Tasks", "More"]
    for box in (nav.nth(i).bounding_box() for i in range(nav.count())):
        assert box["height"] >= 44 and box["width"] >= 44
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.js_errors == []


def test_admin_sees_the_users_entry_and_staff_does_not(phone, make_user):
    admin = make_user("admin")
    sign_in_page(phone, admin.email, PASSWORD)
    phone.click("nav.bottomnav >> text=More")
    phone.click("text=Users")
    phone.wait_for_url("**/admin/users")
    assert phone.locator("h1").inner_text() == "Users"


def test_staff_more_page_has_no_admin_entries(phone, make_user):
    staff = make_user("staff")
    sign_in_page(phone, staff.email, PASSWORD)
    phone.click("nav.bottomnav >> text=More")
    phone.wait_for_url("**/more")
    assert phone.locator("text=Users").count() == 0
    response = phone.goto("/admin/users")
    assert response.status == 403
    assert "Not allowed" in phone.content()


def test_wrong_password_shows_the_message_on_the_phone(phone, make_user):
    user = make_user("staff")
    sign_in_page(phone, user.email, "wrong-password")
    assert phone.locator("#login-error").inner_text() == "The email or password is incorrect."


def test_signing_out_returns_to_the_sign_in_page_and_protects_pages(phone, make_user):
    user = make_user("technician")
    sign_in_page(phone, user.email, PASSWORD)
    phone.click("nav.bottomnav >> text=More")
    phone.click("text=Sign out")
    phone.wait_for_url("**/login")
    assert "You are signed out." in phone.content()
    phone.goto("/scan/")
    assert "/login" in phone.url


def test_typing_a_code_and_enter_resolves_it_without_reloading_the_page(phone, make_user):
    from app.locations.services import create_location
    from app.uow import UnitOfWork

    create_location(code="DEP9", name="Depot nine", kind="site", uow=UnitOfWork())
    user = make_user("staff")
    sign_in_page(phone, user.email, PASSWORD)
    phone.evaluate("window.__marker = 1")
    phone.fill("#scan-code", "dep9")
    phone.press("#scan-code", "Enter")
    phone.locator("#scan-result h2").filter(has_text="Depot nine").wait_for()
    assert phone.evaluate("window.__marker") == 1  # htmx swapped the result in; no full reload
    assert phone.locator("#scan-code").evaluate("el => el === document.activeElement")


def test_offline_and_pending_badges_stay_hidden_while_online_with_nothing_pending(phone, make_user):
    user = make_user("staff")
    sign_in_page(phone, user.email, PASSWORD)
    assert not phone.locator("#offline-badge").is_visible()
    assert not phone.locator("#pending-badge").is_visible()
