from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Location


def by_code(session: Session, code: str) -> Location | None:
    return session.scalar(select(Location).where(Location.code == code.strip().upper()))


def all_active(session: Session) -> list[Location]:
    return list(session.scalars(select(Location).where(Location.active).order_by(Location.walk_order, Location.code)))
