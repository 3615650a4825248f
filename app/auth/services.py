"""Use cases for accounts: create, sign in (throttled), deactivate, change role or password."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, DomainError, Invalid, NotFound
from ..scanning.models import ScanCode
from ..scanning.registry import register_code
from ..types import MAX_ROW_ID, utcnow
from ..uow import UnitOfWork
from .models import LoginFailure, User
from .rules import Throttle, badge_code, check_password, check_role, normalise_email

_dummy_hashes: dict[str, str] = {}
_dummy_lock = threading.Lock()


def dummy_hash(method: str) -> str:
    """A hash of a random password made with `method`, compared against when the account does not exist, so an
    unknown email costs the same time as a wrong password (a cheaper method would tell who has an account).
    Made on first use, once per process and method: scrypt costs ~100 ms, not something to pay at import."""
    found = _dummy_hashes.get(method)
    if found is None:
        with _dummy_lock:
            found = _dummy_hashes.get(method)
            if found is None:
                found = _dummy_hashes[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return found


def _advisory_key(kind: str, value: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock (Python's hash() differs per process)."""
    digest = hashlib.blake2b(f"storekeeper:{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _serialise_attempts(session, account: str, client: str) -> None:
    """Make concurrent sign-in attempts for one account or from one client wait their turn, so each counts the
    failures of those before it: without this, 30 simultaneous guesses all counted 0-4 failures and 17 were
    checked against the password instead of 5. PostgreSQL: transaction-scoped advisory locks, taken in a fixed
    order so two attempts sharing one key never deadlock. SQLite: the unit of work already holds the one write
    lock (BEGIN IMMEDIATE behind our writer lock), which serialises every attempt."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({_advisory_key("login-account", account), _advisory_key("login-client", client)}):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


class TooManyAttempts(DomainError):
    status = 429
    code = "throttled"


class AccountDeactivated(DomainError):
    status = 403
    code = "deactivated"


def create_user(
    *, email: str, name: str, role: str, password: str, uow: UnitOfWork, hash_method: str = "scrypt"
) -> User:
    with uow:
        user = create_user_within(uow.session, email=email, name=name, role=role, password=password,
                                  hash_method=hash_method)
        uow.commit()
        return user


def create_user_within(session, *, email: str, name: str, role: str, password: str, hash_method: str = "scrypt") -> User:
    """create_user inside the caller's open transaction (no commit): the CSV import creates many at once."""
    email = normalise_email(email)
    role = check_role(role)
    check_password(password)
    name = (name or "").strip() or email.split("@")[0]
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"A user with the email {email} already exists.", field="email")
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=generate_password_hash(password, method=hash_method),
        active=True,
        session_version=1,
    )
    session.add(user)
    session.flush()
    register_code(session, badge_code(user.id), kind="person", target_id=user.id, label=user.name[:80])
    return user


def _refuse_when_throttled(session, account: str, client: str, throttle: Throttle, now, since, what: str) -> None:
    acc = list(session.scalars(select(LoginFailure.at).where(LoginFailure.account == account, LoginFailure.at > since)))
    cli = list(session.scalars(select(LoginFailure.at).where(LoginFailure.client == client, LoginFailure.at > since)))
    wait = throttle.wait_seconds(acc, cli, now)
    if wait:
        minutes = max(1, round(wait / 60))
        raise TooManyAttempts(f"{what} Try again in {minutes} minute{'s' if minutes != 1 else ''}.", retry_after=wait)


def authenticate(
    *, email: str, password: str, client: str, throttle: Throttle, uow: UnitOfWork, hash_method: str = "scrypt"
) -> User:
    """Return the user for these credentials, or raise one specific, non-enumerating error.

    Failures are recorded per account and per client in the database, so the throttle holds across workers.
    hash_method: the configured one, so an unknown email is checked against a hash of the same cost.
    """
    account = (email or "").strip().lower()[:254]
    client = (client or "unknown")[:64]
    with uow:
        s = uow.session
        _serialise_attempts(s, account, client)
        now = utcnow()  # after the wait: the window is measured from when this attempt's turn came
        since = now - timedelta(seconds=throttle.window_seconds)
        _refuse_when_throttled(s, account, client, throttle, now, since, "Too many sign-in attempts.")
        user = s.scalar(select(User).where(User.email == account))
        ok = check_password_hash(user.password_hash if user else dummy_hash(hash_method), password or "")
        if not (user and ok):
            s.add(LoginFailure(account=account, client=client, at=now))
            uow.commit()
            raise BadCredentials("The email or password is incorrect.")
        if not user.active:
            raise AccountDeactivated("This account has been deactivated. Ask an administrator to reactivate it.")
        # This account's failures are forgiven; everyone's failures older than the window count for nothing and
        # go too, so the table stays as small as the window (sign-ins happen every shift).
        s.execute(delete(LoginFailure).where((LoginFailure.account == account) | (LoginFailure.at <= since)))
        user.last_login_at = now
        uow.commit()
        return user


def active_person(session, user_id: int, *, field: str, message: str = "That person is not an active user.") -> User:
    """The active user with this id, or NotFound naming the form's field. An id beyond the column's range names
    nobody (PostgreSQL would refuse even to look it up).

    Read afresh, and share-locked on PostgreSQL: the form that chose the person loaded them earlier in the request,
    and someone deactivated meanwhile must not be given anything (their deactivation, which locks the row, waits
    for this transaction; SQLite's writer is alone)."""
    user = (session.get(User, user_id, populate_existing=True, with_for_update={"read": True})
            if 0 < user_id <= MAX_ROW_ID else None)
    if user is None or not user.active:
        raise NotFound(message, field=field)
    return user


def _get(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("No such user.")
    return user


def _last_active_admin(uow: UnitOfWork, user: User) -> bool:
    if user.role != "admin" or not user.active:
        return False
    admins = uow.session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))
    return admins <= 1


def set_active(*, user_id: int, active: bool, actor_id: int, uow: UnitOfWork) -> User:
    with uow:
        user = _get(uow, user_id)
        if not active and user.id == actor_id:
            raise Conflict("You cannot deactivate your own account.")
        if not active and _last_active_admin(uow, user):
            raise Conflict("This is the last active administrator; make another one first.")
        if user.active != active:
            user.active = active
            user.session_version += 1
        uow.commit()
        return user


def change_role(*, user_id: int, role: str, actor_id: int, uow: UnitOfWork) -> User:
    role = check_role(role)
    with uow:
        user = _get(uow, user_id)
        if user.role != role:
            if _last_active_admin(uow, user):
                raise Conflict("This is the last active administrator; make another one first.")
            user.role = role
            user.session_version += 1
        uow.commit()
        return user


def set_password(*, user_id: int, password: str, uow: UnitOfWork, hash_method: str = "scrypt") -> User:
    """An administrator (or `flask set-password`) sets a new password; every session of the user ends."""
    check_password(password)
    with uow:
        user = _get(uow, user_id)
        user.password_hash = generate_password_hash(password, method=hash_method)
        user.session_version += 1
        uow.commit()
        return user


def change_own_password(
    *, user_id: int, current: str, new: str, repeat: str, client: str, throttle: Throttle, uow: UnitOfWork,
    hash_method: str = "scrypt",
) -> User:
    """A person changes their own password. Their other sessions end (the session version moves on); the caller
    signs the current session in again with the new version.

    A wrong current password counts as a failed sign-in, so this form is no faster a way to guess it than the
    sign-in page (someone at an unlocked phone could otherwise try passwords here without limit).
    """
    if len(current or "") == 0:
        raise Invalid("Enter your current password.", field="current_password")
    if (new or "") != (repeat or ""):
        raise Invalid("The two new passwords differ; type the same new password twice.", field="new_password2")
    check_password(new)
    client = (client or "unknown")[:64]
    with uow:
        s = uow.session
        # The sign-in locks first, then the person's row, in the order authenticate takes them (else a sign-in and
        # this change can deadlock on PostgreSQL).
        account = s.scalar(select(User.email).where(User.id == user_id))
        if account is None:
            raise NotFound("No such user.")
        _serialise_attempts(s, account, client)
        user = _get(uow, user_id)
        now = utcnow()
        since = now - timedelta(seconds=throttle.window_seconds)
        _refuse_when_throttled(s, account, client, throttle, now, since, "Too many wrong passwords.")
        if not check_password_hash(user.password_hash, current):
            s.add(LoginFailure(account=account, client=client, at=now))
            uow.commit()
            raise Invalid("Your current password is not right; nothing was changed.", field="current_password")
        if check_password_hash(user.password_hash, new):
            raise Invalid("The new password is the same as the current one; choose another.", field="new_password")
        user.password_hash = generate_password_hash(new, method=hash_method)
        user.session_version += 1
        uow.commit()
        return user


def update_details(*, user_id: int, name: str, email: str, uow: UnitOfWork) -> User:
    """An administrator corrects a person's name or sign-in email (unique, as at creation)."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise Invalid("Enter a name.", field="name")
    if len(name) > 120:
        raise Invalid("The name is too long (120 characters at most).", field="name")
    with uow:
        s = uow.session
        user = _get(uow, user_id)
        taken = s.scalar(select(User.id).where(User.email == email, User.id != user_id))
        if taken:
            raise Conflict(f"A user with the email {email} already exists.", field="email")
        user.name = name
        user.email = email
        badge = s.get(ScanCode, badge_code(user.id))
        if badge is not None:  # the badge's label is the person's name (what a scan of it says)
            badge.label = name[:80]
        try:
            s.flush()
        except IntegrityError:
            # Another admin gave this email to someone else at the same moment.
            raise Conflict(f"A user with the email {email} already exists.", field="email") from None
        uow.commit()
        return user
