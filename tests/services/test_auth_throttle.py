"""The sign-in throttle holds when attempts race, and an unknown email costs what a wrong password costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import services
from app.auth.models import LoginFailure
from app.auth.rules import Throttle
from app.auth.services import BadCredentials, TooManyAttempts, authenticate, create_user
from app.extensions import db
from app.types import utcnow
from app.uow import UnitOfWork

# A hash slow enough (tens of ms) that attempts really overlap while one is being checked, as with scrypt.
SLOW = "pbkdf2:sha256:60000"


def _failures() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(LoginFailure))


def _outcomes(results) -> tuple[int, int]:
    unexpected = [r for r in results if not isinstance(r, BadCredentials | TooManyAttempts)]
    assert not unexpected, unexpected
    checked = sum(isinstance(r, BadCredentials) for r in results)  # got "the email or password is incorrect"
    return checked, len(results) - checked


@pytest.mark.concurrency
def test_simultaneous_wrong_passwords_for_one_account_get_only_the_limit_checked(concurrently):
    create_user(email="target@example.test", name="Target", role="staff", password="the-real-password",
                hash_method=SLOW, uow=UnitOfWork())
    throttle = Throttle(window_seconds=900, max_per_account=5, max_per_client=1000)

    def attempt(i: int):
        # Different clients: only the account limit applies.
        authenticate(email="target@example.test", password=f"guess-{i:04d}", client=f"10.0.0.{i}",
                     throttle=throttle, hash_method=SLOW, uow=UnitOfWork())

    checked, throttled = _outcomes(concurrently(24, attempt))
    assert checked == 5, f"{checked} of 24 simultaneous guesses were checked against the password"
    assert throttled == 19
    assert _failures() == 5


@pytest.mark.concurrency
def test_simultaneous_guesses_from_one_client_get_only_the_client_limit_checked(concurrently):
    throttle = Throttle(window_seconds=900, max_per_account=1000, max_per_client=6)

    def attempt(i: int):
        authenticate(email=f"guess{i}@example.test", password="wrong-password-1", client="203.0.113.9",
                     throttle=throttle, hash_method=SLOW, uow=UnitOfWork())

    checked, throttled = _outcomes(concurrently(24, attempt))
    assert checked == 6, f"{checked} of 24 simultaneous guesses from one client were checked"
    assert throttled == 18
    assert _failures() == 6


def test_the_dummy_hash_for_unknown_emails_uses_the_configured_method(app, make_user):
    method = app.config["PASSWORD_HASH_METHOD"]
    real = make_user("staff").password_hash
    assert services.dummy_hash(method).split("$")[0] == real.split("$")[0]
    assert services.dummy_hash("scrypt").startswith("scrypt:")
    assert services.dummy_hash(method) is services.dummy_hash(method)  # made once, then reused


def test_an_unknown_email_is_checked_against_a_hash_of_the_configured_method(app, monkeypatch):
    seen = []
    real_check = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: seen.append(h) or real_check(h, p))
    with pytest.raises(BadCredentials):
        authenticate(email="nobody@example.test", password="whatever-it-is", client="c1",
                     throttle=Throttle(900, 5, 20), hash_method="scrypt", uow=UnitOfWork())
    assert len(seen) == 1 and seen[0].startswith("scrypt:")


def test_a_successful_sign_in_purges_failures_older_than_the_window(make_user):
    user = make_user("staff")
    throttle = Throttle(window_seconds=900, max_per_account=5, max_per_client=20)
    old = utcnow() - timedelta(seconds=901)
    with UnitOfWork() as uow:
        uow.session.add_all([
            LoginFailure(account="someone@example.test", client="c-old", at=old),
            LoginFailure(account="other@example.test", client="c-old", at=old - timedelta(days=3)),
            LoginFailure(account="recent@example.test", client="c-new", at=utcnow() - timedelta(seconds=60)),
        ])
        uow.commit()
    from tests.conftest import PASSWORD

    authenticate(email=user.email, password=PASSWORD, client="c1", throttle=throttle,
                 hash_method="pbkdf2:sha256:1000", uow=UnitOfWork())
    db.session.remove()
    left = db.session.scalars(select(LoginFailure.account)).all()
    assert left == ["recent@example.test"]  # still inside the window: it still counts


@pytest.mark.concurrency
def test_signing_in_while_the_same_person_changes_their_password_never_deadlocks(concurrently):
    """Both take the sign-in locks before the person's row; in the other order PostgreSQL found a deadlock."""
    uid = create_user(email="both@example.test", name="Both", role="staff", password="the-old-password",
                      hash_method=SLOW, uow=UnitOfWork()).id  # read here: the threads must not load it from this session
    throttle = Throttle(window_seconds=900, max_per_account=1000, max_per_client=1000)

    def work(i: int):
        if i % 2:
            return services.change_own_password(
                user_id=uid, current="the-old-password", new=f"a-new-password-{i}", repeat=f"a-new-password-{i}",
                client="10.1.1.1", throttle=throttle, hash_method=SLOW, uow=UnitOfWork())
        return authenticate(email="both@example.test", password="the-old-password", client="10.1.1.2",
                            throttle=throttle, hash_method=SLOW, uow=UnitOfWork())

    results = concurrently(8, work)
    # Whatever order they ran in, each either succeeded or was told the password had changed: no database error.
    problems = [r for r in results if isinstance(r, Exception) and not isinstance(r, BadCredentials | services.Invalid)]
    assert not problems, problems
    assert any(not isinstance(r, Exception) for r in results)
