from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow

KINDS = ("site", "zone", "bin", "dock", "van")


class Location(db.Model):
    """A place stock or assets can be: site → zone → bin, a receiving dock, a technician's van."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    # Position on the walking route through the building; pick lists are sorted by it.
    walk_order: Mapped[int] = mapped_column(Integer, default=0)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # the technician whose van it is
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Location | None] = relationship(remote_side=[id])

    def path(self) -> str:
        parts, node, seen = [], self, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            parts.append(node.code)
            node = node.parent
        return " › ".join(reversed(parts))
