from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.services import active_person
from ..errors import Conflict, Invalid, NotFound
from ..scanning.registry import register_code
from ..uow import UnitOfWork
from .models import Location
from .rules import check_kind, normalise_code


def create_location(
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    walk_order: int = 0,
    holder_id: int | None = None,
    uow: UnitOfWork,
) -> Location:
    with uow:
        loc = create_location_within(uow.session, code=code, name=name, kind=kind, parent_code=parent_code,
                                     walk_order=walk_order, holder_id=holder_id)
        uow.commit()
        return loc


KEEP = object()  # update_location: leave the holder as it is


def _holder(s: Session, kind: str, holder_id: int | None) -> int | None:
    """Only a van has a holder: the technician who drives it (maintenance takes their spare parts from it)."""
    if holder_id is None:
        return None
    if kind != "van":
        raise Invalid("Only a van is held by a person; leave 'Held by' empty for this kind of location.",
                      field="holder_id")
    return active_person(s, holder_id, field="holder_id", message="No active person has that id; choose who drives "
                         "the van.").id


def update_location(*, code: str, name: str | None = None, walk_order=None, holder_id=KEEP,
                    uow: UnitOfWork) -> Location:
    """Rename a location, move it on the walking route or hand a van to another technician. Its code is printed
    on labels, so it never changes."""
    with uow:
        s = uow.session
        loc = s.scalar(select(Location).where(Location.code == normalise_code(code)))
        if loc is None:
            raise NotFound(f"No location with code {code}.", field="code")
        if holder_id is not KEEP:
            loc.holder_id = _holder(s, loc.kind, holder_id)
        if name is not None:
            name = name.strip()
            if not name:
                raise Invalid("Give the location a name.", field="name")
            loc.name = name
        if walk_order not in (None, ""):
            try:
                loc.walk_order = int(str(walk_order).strip())
            except ValueError:
                raise Invalid("The walking order is a whole number.", field="walk_order") from None
            if not 0 <= loc.walk_order <= 1_000_000:
                raise Invalid("The walking order is between 0 and 1000000.", field="walk_order")
        uow.commit()
        return loc


def set_location_active(*, code: str, active: bool, uow: UnitOfWork) -> Location:
    with uow:
        s = uow.session
        loc = s.scalar(select(Location).where(Location.code == normalise_code(code)))
        if loc is None:
            raise NotFound(f"No location with code {code}.", field="code")
        if not active:
            # Stock or equipment still there could never leave a deactivated place: say what holds it.
            for blocker in current_app.extensions.get("storekeeper_location_blockers", []):
                reason = blocker(s, loc)
                if reason:
                    raise Conflict(f"{loc.code} cannot be deactivated: {reason}", field="active")
        loc.active = active
        uow.commit()
        return loc


def create_location_within(
    s: Session,
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    walk_order: int = 0,
    holder_id: int | None = None,
) -> Location:
    """create_location inside the caller's open transaction (no commit): the CSV import creates many at once."""
    code = normalise_code(code)
    parent = None
    if parent_code:
        parent = s.scalar(select(Location).where(Location.code == normalise_code(parent_code)))
        if parent is None:
            raise NotFound(f"No location with code {parent_code}.", field="parent")
    check_kind(kind, parent.kind if parent else None)
    if s.scalar(select(Location.id).where(Location.code == code)):
        raise Conflict(f"The location code {code} is already used.", field="code")
    holder_id = _holder(s, kind, holder_id)
    if not 0 <= (walk_order or 0) <= 1_000_000:
        raise Invalid("The walking order is between 0 and 1000000.", field="walk_order")
    loc = Location(
        code=code,
        name=(name or code).strip(),
        kind=kind,
        parent=parent,
        walk_order=walk_order,
        holder_id=holder_id,
        active=True,
    )
    s.add(loc)
    s.flush()
    register_code(s, code, kind="location", target_id=loc.id)
    return loc
