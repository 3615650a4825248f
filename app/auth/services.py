"""Use cases for accounts: create, sign in (throttled), deactivate, change role or password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, DomainError, NotFound
from ..types import utcnow
from ..uow import UnitOfWork
from .models import LoginFailure, User
from .rules import Throttle, check_password, check_role, normalise_email

# Compared against when the account does not exist, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000", method="pbkdf2:sha256:1000")


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
        name=name[:120],
        role=role,
        password_hash=generate_password_hash(password, method=hash_method),
        active=True,
        session_version=1,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, email: str, password: str, client: str, throttle: Throttle, uow: UnitOfWork) -> User:
    """Return the user for these credentials, or raise one specific, non-enumerating error.

    Failures are recorded per account and per client in the database, so the throttle holds across workers.
    """
    account = (email or "").strip().lower()[:254]
    client = (client or "unknown")[:64]
    with uow:
        now = utcnow()
        since = now - timedelta(seconds=throttle.window_seconds)
        s = uow.session
        acc = list(s.scalars(select(LoginFailure.at).where(LoginFailure.account == account, LoginFailure.at > since)))
        cli = list(s.scalars(select(LoginFailure.at).where(LoginFailure.client == client, LoginFailure.at > since)))
        wait = throttle.wait_seconds(acc, cli, now)
        if wait:
            minutes = max(1, round(wait / 60))
            raise TooManyAttempts(
                f"Too many sign-in attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after=wait,
            )
        user = s.scalar(select(User).where(User.email == account))
        ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
        if not (user and ok):
            s.add(LoginFailure(account=account, client=client, at=now))
            uow.commit()
            raise BadCredentials("The email or password is incorrect.")
        if not user.active:
            raise AccountDeactivated("This account has been deactivated. Ask an administrator to reactivate it.")
        s.execute(delete(LoginFailure).where(LoginFailure.account == account))
        user.last_login_at = now
        uow.commit()
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
    check_password(password)
    with uow:
        user = _get(uow, user_id)
        user.password_hash = generate_password_hash(password, method=hash_method)
        user.session_version += 1
        uow.commit()
        return user
