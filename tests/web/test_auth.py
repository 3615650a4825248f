"""Signing in and out: clear messages, right statuses, no user enumeration, throttling shared via the database."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import LoginFailure, User
from app.extensions import db
from tests.conftest import PASSWORD, sign_in


def test_sign_in_with_right_password_lands_on_the_scanner_for_staff(client, make_user):
    user = make_user("staff")
    resp = sign_in(client, user.email)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/scan/"


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    user = make_user("staff")
    wrong = sign_in(client, user.email, "not-the-password")
    unknown = sign_in(client, "nobody@example.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert b"The email or password is incorrect." in wrong.data
    assert b"The email or password is incorrect." in unknown.data


def test_email_is_matched_without_regard_to_case_or_spaces(client, make_user):
    make_user("staff", email="Mixed.Case@Example.test")
    assert sign_in(client, "  MIXED.case@example.TEST ").status_code == 303


def test_deactivated_user_is_refused_sign_in_with_a_clear_message(client, login, make_user):
    user = make_user("technician")
    admin = login("admin")
    admin.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    resp = sign_in(client, user.email)
    assert resp.status_code == 403
    assert b"deactivated" in resp.data


def test_deactivating_a_user_ends_their_open_session_at_once(app, login):
    tech = login("technician")
    assert tech.get("/scan/").status_code == 200
    admin = login("admin")
    assert admin.post(f"/admin/users/{tech.user.id}/active", data={"active": "0"}).status_code == 303
    resp = tech.get("/scan/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_changing_a_role_takes_effect_on_the_next_request(login):
    staff = login("staff")
    admin = login("admin")
    admin.post(f"/admin/users/{staff.user.id}/role", data={"role": "manager"})
    # The old session was for a staff member; it ends, and signing in again gives the new role.
    assert staff.get("/scan/").status_code == 302
    staff.forget_csrf()
    assert sign_in(staff, staff.user.email).status_code == 303
    assert staff.get("/locations/").status_code == 200


def test_sign_in_renews_the_session_so_a_planted_session_is_not_reused(client, make_user):
    user = make_user("staff")
    with client.session_transaction() as s:
        s["planted"] = "by-attacker"
    sign_in(client, user.email)
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"].startswith(f"{user.id}:")


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user("staff")
    resp = sign_in(client, user.email)
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("storekeeper_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_parameter_only_allows_paths_on_this_site(client, make_user):
    user = make_user("staff")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client.forget_csrf()
        resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": evil})
        assert resp.status_code == 303
        assert resp.headers["Location"] == "/", evil
        client.post("/logout")
    client.forget_csrf()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/more"})
    assert resp.headers["Location"] == "/more"


def test_five_failures_lock_the_account_for_everyone_with_a_retry_time(app, client, make_user):
    user = make_user("staff")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert sign_in(client, user.email, "wrong-password").status_code == 401
    # Even the right password is refused now, from any client: the state lives in the database.
    other = app.test_client()
    resp = sign_in(other, user.email)
    assert resp.status_code == 429
    assert b"Too many sign-in attempts" in resp.data
    assert int(resp.headers["Retry-After"]) > 0


def test_one_client_guessing_many_accounts_is_throttled(app, client):
    limit = app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    for i in range(limit):
        sign_in(client, f"guess{i}@example.test", "wrong-password")
    resp = sign_in(client, "guess-new@example.test", "wrong-password")
    assert resp.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == limit


def test_a_successful_sign_in_clears_the_account_failures(client, make_user):
    user = make_user("staff")
    sign_in(client, user.email, "wrong-password")
    assert sign_in(client, user.email).status_code == 303
    assert db.session.scalar(select(func.count()).where(LoginFailure.account == user.email)) == 0


def test_sign_out_requires_post_and_ends_the_session(login):
    c = login("staff")
    assert c.get("/logout").status_code == 405
    resp = c.post("/logout")
    assert resp.status_code == 303
    assert c.get("/scan/").status_code == 302


def test_passwords_are_stored_hashed(make_user):
    user = make_user("staff")
    stored = db.session.get(User, user.id).password_hash
    assert PASSWORD not in stored and stored.startswith(("pbkdf2:", "scrypt:"))


def test_a_session_lasts_twelve_hours_from_sign_in_however_busy_the_shift(client, make_user, monkeypatch):
    from itsdangerous import TimestampSigner

    now = [TimestampSigner.get_timestamp(None)]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now[0])
    user = make_user("staff")
    sign_in(client, user.email)
    assert client.get("/scan/").status_code == 200  # the first page puts a CSRF secret in the new session
    now[0] += 11 * 3600
    busy = client.get("/scan/")
    assert busy.status_code == 200
    # Working does not stretch the session: the cookie is not signed again.
    assert not [c for c in busy.headers.getlist("Set-Cookie") if c.startswith("storekeeper_session=")]
    now[0] += 3600 + 60
    late = client.get("/scan/")
    assert late.status_code == 302 and "/login" in late.headers["Location"]
