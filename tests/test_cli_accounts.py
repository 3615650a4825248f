"""flask set-password, and seed-demo --if-empty in production (what `make run` calls on every start)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, sign_in


def _hash_and_version(user_id: int) -> tuple[str, int]:
    db.session.remove()
    u = db.session.get(User, user_id)
    return u.password_hash, u.session_version


def test_set_password_with_the_option_lets_the_user_sign_in_with_it_and_ends_their_sessions(app, login):
    staff = login("staff")
    result = app.test_cli_runner().invoke(
        args=["set-password", staff.user.email.upper(), "--password", "scripted-password-1"])
    assert result.exit_code == 0, result.output
    assert f"New password set for {staff.user.email}" in result.output
    assert staff.get("/scan/").status_code == 302
    assert sign_in(app.test_client(), staff.user.email, "scripted-password-1").status_code == 303
    assert sign_in(app.test_client(), staff.user.email, PASSWORD).status_code == 401


def test_set_password_asks_twice_when_no_password_is_given(app, make_user):
    user = make_user("admin")
    result = app.test_cli_runner().invoke(args=["set-password", user.email],
                                          input="typed-password-12\ntyped-password-12\n")
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), user.email, "typed-password-12").status_code == 303


def test_set_password_refuses_a_short_password_or_an_unknown_email_and_changes_nothing(app, make_user):
    user = make_user("staff")
    before = _hash_and_version(user.id)
    runner = app.test_cli_runner()
    short = runner.invoke(args=["set-password", user.email, "--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["set-password", "nobody@example.test", "--password", "long-enough-pw"])
    assert unknown.exit_code == 1 and "No user with the email nobody@example.test" in unknown.output
    assert _hash_and_version(user.id) == before


def test_seed_demo_if_empty_in_production_skips_with_one_line_and_succeeds(app):
    app.config["SEED_DEMO_ALLOWED"] = False
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    finally:
        app.config["SEED_DEMO_ALLOWED"] = True
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == ["Production: demo data is never loaded; skipped."]
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
