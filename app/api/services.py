"""API tokens: made per user, shown once, stored hashed, revocable; they carry the user's role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..auth.models import User
from ..errors import Invalid, NotFound
from ..types import utcnow
from ..uow import UnitOfWork
from .models import ApiToken

PREFIX = "skt_"
TOUCH_EVERY = timedelta(minutes=5)  # last-used is refreshed at most this often, not on every call


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # the only time the secret exists outside the client


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, user_id: int, name: str, uow: UnitOfWork) -> IssuedToken:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid("Give the token a name of 1–80 characters (what will use it, e.g. 'ERP sync').", field="name")
    raw = PREFIX + secrets.token_urlsafe(32)
    with uow:
        if uow.session.get(User, user_id) is None:
            raise NotFound("No such user.")
        token = ApiToken(user_id=user_id, name=name, token_hash=digest(raw), prefix=raw[:10])
        uow.session.add(token)
        uow.commit()
        return IssuedToken(id=token.id, name=token.name, token=raw)


def revoke_token(*, token_id: int, user_id: int | None, uow: UnitOfWork) -> ApiToken:
    """Revoke a token; user_id limits it to the owner's tokens (None: an admin revoking anyone's)."""
    with uow:
        token = uow.session.get(ApiToken, token_id)
        if token is None or (user_id is not None and token.user_id != user_id):
            raise NotFound("No such token.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        uow.commit()
        return token


def revoke_tokens_of(*, email: str, prefix: str | None, uow: UnitOfWork) -> list[ApiToken]:
    """An administrator revokes another user's tokens: the one whose prefix (as listed on the profile page) is
    given, or every active one when prefix is None. Returns the tokens revoked now."""
    with uow:
        s = uow.session
        user = s.scalar(select(User).where(User.email == (email or "").strip().lower()))
        if user is None:
            raise NotFound(f"No user with the email {email}.", field="email")
        stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        if prefix is not None:
            prefix = prefix.strip()
            if len(prefix) < len(PREFIX) + 4:
                raise Invalid(f"Give at least the first {len(PREFIX) + 4} characters of the token "
                              f"(e.g. {PREFIX}AbCd).", field="prefix")
            # The stored prefix is the token's first 10 characters: a longer one given is compared on those.
            stmt = stmt.where(ApiToken.prefix.startswith(prefix[:10], autoescape=True))
        tokens = list(s.scalars(stmt.with_for_update()))
        if prefix is not None and len(tokens) != 1:
            if not tokens:
                raise NotFound(f"{user.email} has no active token beginning {prefix}.", field="prefix")
            raise Invalid(f"{len(tokens)} tokens of {user.email} begin {prefix}; give more of it.", field="prefix")
        now = utcnow()
        for token in tokens:
            token.revoked_at = now
        uow.commit()
        return tokens


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user behind a bearer token, or None (unknown, revoked, or the user is deactivated)."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest(raw))
    ).first()
    if found is None:
        return None
    token, user = found
    if token.revoked_at is not None or not user.active:
        return None
    # Loaded and kept for the request (see app._detached): the touch below ends this transaction.
    session.expunge(user)
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        # A write of its own (on SQLite a read transaction must not turn into a write: it would fail at once if
        # another writer committed since it began).
        with UnitOfWork() as uow:
            uow.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            uow.commit()
    return user


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())))
