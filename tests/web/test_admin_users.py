"""The admin's user screen: add, deactivate, change role — with clear refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_admin_adds_a_user_who_can_then_sign_in(app, login):
    admin = login("admin")
    resp = admin.post("/admin/users", data={"name": "Kim", "email": "kim@example.test", "role": "technician",
                                            "password": "long-enough-pw"})
    assert resp.status_code == 303
    page = admin.get("/admin/users")
    assert b"kim@example.test" in page.data and b"Added Kim" in page.data
    c = app.test_client()
    assert c.post("/login", data={"email": "kim@example.test", "password": "long-enough-pw"}).status_code == 303


def test_adding_a_user_with_a_taken_email_says_so_in_the_form_and_writes_nothing(login):
    admin = login("admin")
    before = _count()
    resp = admin.post("/admin/users", htmx=True, data={"name": "Dup", "email": admin.user.email, "role": "staff",
                                                       "password": "long-enough-pw"})
    assert resp.status_code == 409
    assert b"already exists" in resp.data
    assert b'id="users-panel"' in resp.data and b"<html" not in resp.data
    assert _count() == before


def test_bad_user_input_gets_a_specific_message(login):
    admin = login("admin")
    cases = [
        ({"email": "not-an-email", "role": "staff", "password": "long-enough-pw"}, b"valid email"),
        ({"email": "a@example.test", "role": "wizard", "password": "long-enough-pw"}, b"Unknown role"),
        ({"email": "a@example.test", "role": "staff", "password": "short"}, b"at least 10 characters"),
    ]
    before = _count()
    for data, message in cases:
        resp = admin.post("/admin/users", data={"name": "X", **data})
        assert resp.status_code == 422
        assert message in resp.data
    assert _count() == before


def test_an_admin_cannot_deactivate_themselves(login):
    admin = login("admin")
    resp = admin.post(f"/admin/users/{admin.user.id}/active", data={"active": "0"})
    assert resp.status_code == 409
    assert b"cannot deactivate your own account" in resp.data
    assert db.session.get(User, admin.user.id).active


def test_the_last_admin_cannot_be_demoted(login):
    admin = login("admin")
    resp = admin.post(f"/admin/users/{admin.user.id}/role", data={"role": "staff"})
    assert resp.status_code == 409
    assert b"last active administrator" in resp.data


def test_a_reactivated_user_can_sign_in_again(app, login, make_user):
    user = make_user("staff")
    admin = login("admin")
    admin.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    admin.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": "correct-horse-battery"}).status_code == 303


def test_admin_sets_a_new_password_and_old_sessions_end(app, login):
    staff = login("staff")
    admin = login("admin")
    assert admin.post(f"/admin/users/{staff.user.id}/password", data={"password": "brand-new-password"}).status_code == 303
    assert staff.get("/scan/").status_code == 302
    c = app.test_client()
    assert c.post("/login", data={"email": staff.user.email, "password": "brand-new-password"}).status_code == 303
