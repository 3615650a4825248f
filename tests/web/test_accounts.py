"""Passwords and details: an admin sets a password or corrects a name and email; a person changes their own
password. Each refusal says what is wrong, with the right status, and changes nothing."""

from __future__ import annotations

import re

import pytest

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, sign_in

NEW = "a-brand-new-password"


def _state(user_id: int) -> tuple[str, int, str, str]:
    db.session.remove()
    u = db.session.get(User, user_id)
    return u.password_hash, u.session_version, u.name, u.email


def _signed_in_again(app, email: str, password: str) -> int:
    return sign_in(app.test_client(), email, password).status_code


# --- the admin screen ----------------------------------------------------------------------------------------------


def test_the_users_screen_offers_a_password_and_a_details_form_for_every_user(login, make_user):
    admin = login("admin")
    others = [make_user("staff"), make_user("technician")]
    page = admin.get("/admin/users").data.decode()
    for u in [admin.user, *others]:
        assert f'action="/admin/users/{u.id}/password"' in page
        assert f'action="/admin/users/{u.id}/details"' in page
        assert f'id="password2-{u.id}"' in page


def test_admin_sets_a_password_from_the_form_and_every_session_of_that_user_ends(app, login):
    staff = login("staff")
    admin = login("admin")
    resp = admin.post(f"/admin/users/{staff.user.id}/password", data={"password": NEW, "password2": NEW})
    assert resp.status_code == 303
    assert "New password set for" in admin.get("/admin/users").data.decode()
    assert staff.get("/scan/").status_code == 302
    assert _signed_in_again(app, staff.user.email, PASSWORD) == 401
    assert _signed_in_again(app, staff.user.email, NEW) == 303


@pytest.mark.parametrize(("data", "message"), [
    ({"password": NEW, "password2": NEW + "x"}, "The two passwords differ"),
    ({"password": "short", "password2": "short"}, "at least 10 characters"),
])
def test_a_bad_password_from_the_admin_says_so_on_that_users_card_and_changes_nothing(app, login, data, message):
    staff = login("staff")
    admin = login("admin")
    before = _state(staff.user.id)
    resp = admin.post(f"/admin/users/{staff.user.id}/password", data=data)
    assert resp.status_code == 422
    card_error = re.search(rf'id="user-{staff.user.id}-error">([^<]*)<', resp.data.decode())
    assert card_error and message in card_error.group(1)
    assert _state(staff.user.id) == before
    assert staff.get("/scan/").status_code == 200  # still signed in


def test_admin_corrects_a_name_and_email_and_the_person_signs_in_with_the_new_email(app, login, make_user):
    tech = make_user("technician", email="theo@example.test")
    admin = login("admin")
    resp = admin.post(f"/admin/users/{tech.id}/details", data={"name": " Theo Tech ", "email": "Theo.T@Example.test"})
    assert resp.status_code == 303
    assert _state(tech.id)[2:] == ("Theo Tech", "theo.t@example.test")
    assert "Saved Theo Tech (theo.t@example.test)" in admin.get("/admin/users").data.decode()
    assert _signed_in_again(app, "theo.t@example.test", PASSWORD) == 303
    assert _signed_in_again(app, "theo@example.test", PASSWORD) == 401


def test_a_renamed_persons_badge_scans_as_their_new_name(login, make_user):
    from app.auth.rules import badge_code
    from app.extensions import db
    from app.scanning.models import ScanCode

    tech = make_user("technician", email="theo@example.test")
    resp = login("admin").post(f"/admin/users/{tech.id}/details", data={"name": "Theo Renamed",
                                                                        "email": "theo@example.test"})
    assert resp.status_code in (200, 303)
    db.session.rollback()
    assert db.session.get(ScanCode, badge_code(tech.id)).label == "Theo Renamed"


def test_an_email_that_belongs_to_someone_else_is_refused_clearly_and_nothing_changes(login, make_user):
    make_user("staff", email="taken@example.test")
    tech = make_user("technician", email="theo@example.test")
    admin = login("admin")
    before = _state(tech.id)
    resp = admin.post(f"/admin/users/{tech.id}/details", data={"name": "Renamed", "email": "TAKEN@example.test"})
    assert resp.status_code == 409
    assert "A user with the email taken@example.test already exists." in resp.data.decode()
    # The form keeps what was typed, so the admin can correct it.
    assert f'id="name-{tech.id}" name="name" required maxlength="120" value="Renamed"' in resp.data.decode()
    assert _state(tech.id) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "Theo", "email": "not-an-email"}, "Enter a valid email address"),
    ({"name": "   ", "email": "theo@example.test"}, "Enter a name."),
])
def test_bad_details_get_a_specific_message_and_change_nothing(login, make_user, data, message):
    tech = make_user("technician", email="theo@example.test")
    admin = login("admin")
    before = _state(tech.id)
    resp = admin.post(f"/admin/users/{tech.id}/details", data=data)
    assert resp.status_code == 422
    assert message in resp.data.decode()
    assert _state(tech.id) == before


def test_details_of_a_user_that_does_not_exist_are_a_404(login):
    admin = login("admin")
    resp = admin.post("/admin/users/999999/details", data={"name": "X", "email": "x@example.test"})
    assert resp.status_code == 404 and b"No such user." in resp.data


# --- changing one's own password -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "technician", "manager", "admin"])
def test_everyone_finds_change_my_password_on_the_more_page_and_the_profile(login, role):
    c = login(role)
    assert 'href="/account/password"' in c.get("/more").data.decode()
    assert 'href="/account/password"' in c.get("/profile/").data.decode()
    page = c.get("/account/password")
    assert page.status_code == 200 and b'name="current_password"' in page.data


def test_changing_my_password_keeps_this_phone_signed_in_and_signs_out_the_others(app, login):
    phone = login("staff")
    laptop = app.test_client()
    assert sign_in(laptop, phone.user.email).status_code == 303
    resp = phone.post("/account/password",
                      data={"current_password": PASSWORD, "new_password": NEW, "new_password2": NEW})
    assert resp.status_code == 303 and resp.headers["Location"] == "/profile/"
    phone.forget_csrf()  # a fresh session, with a fresh token
    assert "Your password is changed" in phone.get("/profile/").data.decode()
    assert phone.get("/scan/").status_code == 200
    assert laptop.get("/scan/").status_code == 302
    assert _signed_in_again(app, phone.user.email, PASSWORD) == 401
    assert _signed_in_again(app, phone.user.email, NEW) == 303


def test_the_session_is_renewed_when_my_password_changes(login):
    phone = login("staff")
    version = _state(phone.user.id)[1]
    with phone.session_transaction() as s:
        s["planted"] = "before"
    phone.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW, "new_password2": NEW})
    with phone.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"] == f"{phone.user.id}:{version + 1}"


@pytest.mark.parametrize(("data", "message"), [
    ({"current_password": "not-my-password", "new_password": NEW, "new_password2": NEW},
     "Your current password is not right"),
    ({"current_password": PASSWORD, "new_password": NEW, "new_password2": NEW + "!"}, "The two new passwords differ"),
    ({"current_password": PASSWORD, "new_password": "short", "new_password2": "short"}, "at least 10 characters"),
    ({"current_password": "", "new_password": NEW, "new_password2": NEW}, "Enter your current password."),
    ({"current_password": PASSWORD, "new_password": PASSWORD, "new_password2": PASSWORD}, "same as the current one"),
])
def test_a_bad_password_change_says_what_is_wrong_and_changes_nothing(app, login, data, message):
    phone = login("technician")
    other = app.test_client()
    sign_in(other, phone.user.email)
    before = _state(phone.user.id)
    resp = phone.post("/account/password", data=data)
    assert resp.status_code == 422
    assert re.search(rf'id="password-error">[^<]*{re.escape(message)}', resp.data.decode())
    assert b"<html" in resp.data  # a plain form post gets the whole page back
    assert _state(phone.user.id) == before
    assert phone.get("/scan/").status_code == 200 and other.get("/scan/").status_code == 200


def test_an_htmx_password_change_that_fails_gets_the_form_alone(login):
    phone = login("staff")
    resp = phone.post("/account/password", htmx=True,
                      data={"current_password": PASSWORD, "new_password": NEW, "new_password2": "other-one-!!"})
    assert resp.status_code == 422
    assert b'id="password-panel"' in resp.data and b"<html" not in resp.data


def test_guessing_the_current_password_is_throttled_like_signing_in(app, login):
    phone = login("staff")
    wrong = {"current_password": "not-my-password", "new_password": NEW, "new_password2": NEW}
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert phone.post("/account/password", data=wrong).status_code == 422
    before = _state(phone.user.id)
    resp = phone.post("/account/password", data={**wrong, "current_password": PASSWORD})
    assert resp.status_code == 429
    assert "Too many wrong passwords" in resp.data.decode() and int(resp.headers["Retry-After"]) > 0
    assert _state(phone.user.id) == before


# --- error pages under htmx ----------------------------------------------------------------------------------------


def test_an_error_on_a_boosted_form_is_the_message_alone_shown_in_the_message_area(login):
    admin = login("admin")
    resp = admin.post(f"/admin/users/{admin.user.id}/active", data={"active": "0"},
                      headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert resp.status_code == 409
    body = resp.data.decode()
    assert "<html" not in body and "<nav" not in body and 'id="flash"' not in body
    assert 'id="error-panel"' in body and "You cannot deactivate your own account." in body
    assert resp.headers["HX-Retarget"] == "#flash"
    assert resp.headers["HX-Reswap"] == "innerHTML"
    assert resp.headers["HX-Push-Url"] == "false"


def test_a_boosted_link_to_a_missing_page_keeps_the_address_and_shows_the_message(login):
    c = login("staff")
    resp = c.get("/no/such/page", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert resp.status_code == 404
    assert "<html" not in resp.data.decode() and "There is nothing at this address." in resp.data.decode()
    assert resp.headers["HX-Retarget"] == "#flash" and resp.headers["HX-Push-Url"] == "false"


def test_a_403_for_an_htmx_request_is_a_partial_in_the_message_area(login):
    staff = login("staff")
    resp = staff.hx_get("/admin/users")
    assert resp.status_code == 403
    assert b"<html" not in resp.data and b'id="error-panel"' in resp.data
    assert b"Your role does not allow this." in resp.data
    assert resp.headers["HX-Retarget"] == "#flash"
    full = staff.get("/admin/users")
    assert full.status_code == 403 and b"<html" in full.data


# --- the bottom navigation by role ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "sees_dashboard"), [
    ("staff", False), ("technician", False), ("manager", True), ("admin", True),
])
def test_only_managers_and_admins_have_the_dashboard_tab(login, role, sees_dashboard):
    c = login(role)
    page = c.get("/more").data.decode()
    nav = re.search(r'<nav class="bottomnav".*?</nav>', page, re.S).group(0)
    labels = re.findall(r"</span>([^<]+)</a>", nav)
    assert labels == (["Scan", "Tasks", "Dashboard", "More"] if sees_dashboard else ["Scan", "Tasks", "More"])


def test_an_admin_setting_their_own_password_on_the_users_screen_stays_signed_in(app, login):
    admin = login("admin")
    resp = admin.post(f"/admin/users/{admin.user.id}/password", data={"password": NEW, "password2": NEW})
    assert resp.status_code == 303
    admin.forget_csrf()
    assert "Your new password is set" in admin.get("/admin/users").data.decode()
    assert _signed_in_again(app, admin.user.email, NEW) == 303
