"""Stock counts: a session per zone, bin or item, assigned to one person, blind or showing what is expected.

The counter scans a bin, then the items in it: each scan adds the scanned code's pack quantity (a typed quantity
is multiplied by it, for cases). The first count of a line snapshots the balance at that moment as its expected
quantity, and the variance is taken against that snapshot: a pick from the bin while the count goes on is not a
false variance, because approval adjusts the balance by the variance, not to the counted number.

On submit, every balance in scope that nobody counted becomes a line counted 0 — "expected but not found".
A line counted where the item has no balance but the item is elsewhere is "found in the wrong bin". A manager
may ask for a recount of lines, then approves: each non-zero variance becomes a count_adjustment movement with a
reason code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..errors import Conflict, Invalid, NotFound
from ..types import MAX_ROW_ID, utcnow
from ..uow import UnitOfWork
from .models import CountLine, CountSession, StockBalance
from .queries import descendant_ids
from .rules import expiry_warning
from .services import (
    Actor,
    adjust_within,
    by_number,
    claim_scan,
    find_item,
    find_location,
    lock_items,
    new_number,
    placeholder_number,
    scanned_quantity,
    tracking_key,
)

ZERO = Decimal(0)
REASONS = {
    "miscount": "Earlier miscount",
    "damaged": "Damaged",
    "lost": "Lost or missing",
    "found": "Found",
    "theft": "Theft",
    "expired": "Expired, thrown away",
    "wrong_bin": "Was in the wrong bin",
    "other": "Other",
}


def check_reason(reason: str) -> str:
    if reason not in REASONS:
        raise Invalid(f"Choose a reason code: {', '.join(REASONS)}.", field="reason")
    return reason


def _session(s: Session, number: str, *, lock: bool = False) -> CountSession:
    return by_number(s, CountSession, number, "count", lock=lock, field="count")


def get_count(s: Session, number: str) -> CountSession:
    return _session(s, number)


def _scope_location_ids(s: Session, cs: CountSession) -> set[int] | None:
    return set(descendant_ids(s, cs.location_id)) if cs.location_id else None


def check_bin(s: Session, number: str, location_code: str):
    """The place scanned is part of the count (else a Conflict naming the count)."""
    cs = _session(s, number)
    loc = find_location(s, location_code)
    _check_scope(s, cs, loc)
    return loc


def _check_scope(s: Session, cs: CountSession, loc) -> None:
    scope = _scope_location_ids(s, cs)
    if scope is not None and loc.id not in scope:
        raise Conflict(f"{loc.code} is not part of count {cs.number}.", field="location")


def _balance_on_hand(s: Session, item_id: int, location_id: int, lot: str) -> Decimal:
    bal = s.scalar(select(StockBalance).where(StockBalance.item_id == item_id, StockBalance.location_id == location_id,
                                              StockBalance.lot == lot).with_for_update())
    return bal.on_hand if bal else ZERO


def create_count(*, location_code: str | None = None, sku: str | None = None, blind: bool = True,
                 assigned_to: int | None = None, actor_id: int | None, uow: UnitOfWork) -> CountSession:
    if not location_code and not sku:
        raise Invalid("Say what to count: a zone or bin, an item, or both.", field="location")
    with uow:
        s = uow.session
        loc = find_location(s, location_code) if location_code else None
        item = find_item(s, sku=sku).item if sku else None
        if assigned_to is not None:
            # An id beyond the column's range names nobody (PostgreSQL would refuse even to look it up).
            person = s.get(User, assigned_to) if 0 < assigned_to <= MAX_ROW_ID else None
            if person is None or not person.active:
                raise NotFound("Assign the count to an active person.", field="assigned_to")
        cs = CountSession(number=placeholder_number(), location_id=loc.id if loc else None,
                          item_id=item.id if item else None, blind=bool(blind), assigned_to=assigned_to,
                          status="open", created_by=actor_id)
        s.add(cs)
        cs.number = new_number(s, CountSession, cs, "CNT-")
        uow.commit()
        return cs


@dataclass
class Counted:
    number: str
    sku: str
    name: str
    location: str
    lot: str
    counted: str
    expected: str | None  # None on a blind count
    added: str
    notes: list[str] = field(default_factory=list)

    def as_outcome(self) -> dict:
        return dict(self.__dict__)


def count_scan(*, number: str, location_code: str, code: str | None = None, sku: str | None = None, quantity=None,
               lot: str | None = None, who: Actor, uow: UnitOfWork) -> Counted:
    """Add what was scanned (or typed) in a bin to the count."""
    with uow:
        s = uow.session
        claim_scan(uow, "stock.count", who, number=number, loc=location_code, code=code, sku=sku, qty=quantity, lot=lot)
        cs = _session(s, number, lock=True)
        if cs.status != "open":
            raise Conflict(f"Count {cs.number} is {cs.status}; it takes no more counts.", field="count")
        if cs.assigned_to and who.actor_id != cs.assigned_to and not _is_manager(s, who.actor_id):
            raise Conflict(f"Count {cs.number} is assigned to someone else.", field="count")
        loc = find_location(s, location_code)
        _check_scope(s, cs, loc)
        ref = find_item(s, code, sku=sku)
        item = ref.item
        if cs.item_id and item.id != cs.item_id:
            raise Conflict(f"Count {cs.number} is only for {cs.item.sku}; {item.sku} is not counted here.", field="code")
        qty = scanned_quantity(ref, quantity)
        lock_items(s, [item.id])
        # An expired lot on the shelf is counted like any other: the count is how it is found and written off.
        lot_key, expiry = tracking_key(s, ref, lot, None, incoming=True, allow_expired=True)
        line = s.scalar(select(CountLine).where(CountLine.session_id == cs.id, CountLine.item_id == item.id,
                                                CountLine.location_id == loc.id, CountLine.lot == lot_key))
        if line is None:
            line = CountLine(session_id=cs.id, item_id=item.id, location_id=loc.id, lot=lot_key)
            s.add(line)
        if line.counted is None:
            line.expected = _balance_on_hand(s, item.id, loc.id, lot_key)
            line.counted = ZERO
            line.recount = False
        line.counted = line.counted + qty
        line.counted_by = who.actor_id
        line.counted_at = utcnow()
        s.flush()
        notes = [warning] if (warning := expiry_warning(lot_key, expiry, date.today())) else []
        if line.expected == 0:
            elsewhere = _elsewhere(s, item.id, loc.id)
            if elsewhere:
                notes.append(f"Not expected in {loc.code}; the system has it in {', '.join(elsewhere)}.")
        result = Counted(number=cs.number, sku=item.sku, name=item.name, location=loc.code, lot=lot_key,
                         counted=str(line.counted), expected=None if cs.blind else str(line.expected),
                         added=str(qty), notes=notes)
        uow.record(result.as_outcome())
        uow.commit()
        return result


def _is_manager(s: Session, user_id: int | None) -> bool:
    from ..auth.roles import MANAGERS

    user = s.get(User, user_id) if user_id else None
    return bool(user and user.role in MANAGERS)


def _elsewhere(s: Session, item_id: int, location_id: int) -> list[str]:
    from ..locations.models import Location

    return list(s.scalars(
        select(Location.code).join(StockBalance, StockBalance.location_id == Location.id)
        .where(StockBalance.item_id == item_id, StockBalance.location_id != location_id, StockBalance.on_hand > 0)
        .order_by(Location.walk_order).limit(3)
    ))


def reset_line(*, number: str, line_id: int, uow: UnitOfWork) -> None:
    """Start a line over (the counter lost track)."""
    with uow:
        s = uow.session
        cs = _session(s, number, lock=True)
        if cs.status != "open":
            raise Conflict(f"Count {cs.number} is {cs.status}.", field="count")
        line = _line(cs, line_id)
        line.counted = None
        line.expected = None
        uow.commit()


def _line(cs: CountSession, line_id: int) -> CountLine:
    line = next((x for x in cs.lines if x.id == line_id), None)
    if line is None:
        raise NotFound(f"Count {cs.number} has no line {line_id}.", field="line")
    return line


def submit_count(*, number: str, who: Actor, uow: UnitOfWork) -> CountSession:
    """The counter is done. Balances in scope nobody counted become lines counted 0 (expected but not found)."""
    with uow:
        s = uow.session
        cs = _session(s, number, lock=True)
        if cs.status != "open":
            raise Conflict(f"Count {cs.number} is {cs.status}.", field="count")
        if not any(line.counted is not None for line in cs.lines) and not _in_scope_balances(s, cs):
            raise Invalid("Nothing was counted yet.", field="count")
        counted_keys = {(x.item_id, x.location_id, x.lot) for x in cs.lines}
        uncounted = [b for b in _in_scope_balances(s, cs) if (b.item_id, b.location_id, b.lot) not in counted_keys]
        lock_items(s, [b.item_id for b in uncounted])
        now = utcnow()
        for b in uncounted:
            s.add(CountLine(session_id=cs.id, item_id=b.item_id, location_id=b.location_id, lot=b.lot,
                            counted=ZERO, expected=b.on_hand, counted_by=who.actor_id, counted_at=now))
        for line in cs.lines:
            if line.counted is None:  # asked to recount but not recounted: keep the earlier count
                line.counted = line.previous_count if line.previous_count is not None else ZERO
                line.expected = _balance_on_hand(s, line.item_id, line.location_id, line.lot)
        cs.status = "submitted"
        cs.submitted_at = now
        uow.commit()
        return cs


def _in_scope_balances(s: Session, cs: CountSession) -> list[StockBalance]:
    q = select(StockBalance).where(StockBalance.on_hand > 0)
    if cs.item_id:
        q = q.where(StockBalance.item_id == cs.item_id)
    scope = _scope_location_ids(s, cs)
    if scope is not None:
        q = q.where(StockBalance.location_id.in_(scope))
    return list(s.scalars(q))


def request_recount(*, number: str, line_ids: list[int], uow: UnitOfWork) -> CountSession:
    """Send lines back to be counted again; the count reopens."""
    if not line_ids:
        raise Invalid("Choose the lines to recount.", field="lines")
    with uow:
        s = uow.session
        cs = _session(s, number, lock=True)
        if cs.status not in ("open", "submitted"):
            raise Conflict(f"Count {cs.number} is {cs.status}.", field="count")
        for line_id in line_ids:
            line = _line(cs, int(line_id))
            line.previous_count = line.counted
            line.counted = None
            line.expected = None
            line.recount = True
        cs.status = "open"
        uow.commit()
        return cs


def approve_count(*, number: str, who: Actor, uow: UnitOfWork, reasons: dict[int, str] | None = None,
                  default_reason: str = "miscount") -> CountSession:
    """A manager accepts the count: every non-zero variance becomes a count_adjustment with its reason code."""
    check_reason(default_reason)
    reasons = {int(k): check_reason(v) for k, v in (reasons or {}).items() if v}
    with uow:
        s = uow.session
        claim_scan(uow, "stock.count_approve", who, number=number)
        cs = _session(s, number, lock=True)
        if cs.status != "submitted":
            raise Conflict(f"Count {cs.number} is {cs.status}; only a submitted count can be approved.", field="count")
        lines = [x for x in cs.lines if x.variance]
        lock_items(s, [x.item_id for x in lines])
        for line in lines:
            line.reason = reasons.get(line.id, default_reason)
            mv = adjust_within(s, item=line.item, location=line.location, lot=line.lot, delta=line.variance, who=who,
                               reference=cs.number, reason=line.reason)
            line.movement_id = mv.id if mv else None
        cs.status = "approved"
        cs.approved_by = who.actor_id
        cs.approved_at = utcnow()
        uow.record({"number": cs.number, "adjusted": len(lines)})
        uow.commit()
        return cs


def cancel_count(*, number: str, uow: UnitOfWork) -> CountSession:
    with uow:
        cs = _session(uow.session, number, lock=True)
        if cs.status == "approved":
            raise Conflict(f"Count {cs.number} is approved already.", field="count")
        cs.status = "cancelled"
        uow.commit()
        return cs


def count_now(*, sku: str, location_code: str, counted, who: Actor, uow: UnitOfWork, lot: str | None = None,
              reason: str = "miscount") -> CountSession:
    """A manager's spot count of one item in one place, approved at once (a count session of one line)."""
    check_reason(reason)
    with uow:
        s = uow.session
        claim_scan(uow, "stock.count_now", who, sku=sku, loc=location_code, counted=counted, lot=lot)
        ref = find_item(s, sku=sku)
        item = ref.item
        loc = find_location(s, location_code)
        from .rules import parse_quantity

        qty = parse_quantity(counted, uom=item.uom, field="counted", allow_zero=True)
        lock_items(s, [item.id])
        lot_key, _ = tracking_key(s, ref, lot, None, incoming=True, allow_expired=True)
        expected = _balance_on_hand(s, item.id, loc.id, lot_key)
        now = utcnow()
        cs = CountSession(number=placeholder_number(), location_id=loc.id, item_id=item.id, blind=False,
                          assigned_to=who.actor_id, status="approved", created_by=who.actor_id,
                          submitted_at=now, approved_by=who.actor_id, approved_at=now)
        s.add(cs)
        cs.number = new_number(s, CountSession, cs, "CNT-")
        line = CountLine(session_id=cs.id, item_id=item.id, location_id=loc.id, lot=lot_key, counted=qty,
                         expected=expected, counted_by=who.actor_id, counted_at=now, reason=reason)
        s.add(line)
        mv = adjust_within(s, item=item, location=loc, lot=lot_key, delta=qty - expected, who=who,
                           reference=cs.number, reason=reason)
        line.movement_id = mv.id if mv else None
        uow.record({"number": cs.number})
        uow.commit()
        return cs


@dataclass
class Expected:
    """One item (and lot) that should be in the bin being counted, and what has been counted of it so far."""

    sku: str
    name: str
    lot: str
    expected: Decimal
    counted: Decimal | None


def expected_in(s: Session, number: str, location_code: str) -> list[Expected]:
    """What a non-blind count shows for the bin being counted: each item and lot the bin holds (the snapshot taken
    when a line was first counted, else the balance now). A blind count, or a place outside the count, shows
    nothing."""
    from ..locations.models import Location
    from .models import Item

    cs = _session(s, number)
    loc = s.scalar(select(Location).where(Location.code == (location_code or "").strip().upper()))
    if cs.blind or loc is None:
        return []
    scope = _scope_location_ids(s, cs)
    if scope is not None and loc.id not in scope:
        return []
    q = (select(StockBalance, Item).join(Item, Item.id == StockBalance.item_id)
         .where(StockBalance.location_id == loc.id, StockBalance.on_hand > 0).order_by(Item.sku, StockBalance.lot))
    if cs.item_id:
        q = q.where(StockBalance.item_id == cs.item_id)
    lines = {(x.item_id, x.lot): x for x in cs.lines if x.location_id == loc.id and x.counted is not None}
    out = []
    for bal, item in s.execute(q):
        line = lines.get((item.id, bal.lot))
        out.append(Expected(item.sku, item.name, bal.lot, line.expected if line else bal.on_hand,
                            line.counted if line else None))
    return out


@dataclass
class CountReport:
    session: CountSession
    lines: list[CountLine]
    not_found: list[CountLine]  # expected but not found
    wrong_bin: list[tuple[CountLine, list[str]]]  # found where the system did not expect it, and where it is
    bins_counted: list = field(default_factory=list)  # places of the scope where something was counted
    bins_not_counted: list = field(default_factory=list)  # places of the scope where nothing was


def report(s: Session, number: str) -> CountReport:
    cs = _session(s, number)
    lines = sorted(cs.lines, key=lambda x: (x.location.walk_order, x.location.code, x.item.sku, x.lot))
    not_found = [x for x in lines if x.counted == 0 and (x.expected or 0) > 0]
    wrong = [(x, _elsewhere(s, x.item_id, x.location_id)) for x in lines
             if (x.counted or 0) > 0 and x.expected == 0]
    counted, not_counted = _bins(s, cs, lines)
    return CountReport(cs, lines, not_found, [(x, w) for x, w in wrong if w], counted, not_counted)


def _bins(s: Session, cs: CountSession, lines: list[CountLine]) -> tuple[list, list]:
    """The places of the count's scope that hold stock (its bins, docks and vans; for a count of an item alone, the
    places it was expected or found), split into those where something was counted and those where nothing was.

    A scan always counts at least one, so a counted line above zero is a person's count; the lines counted 0 are
    the ones submit added for stock nobody counted. A bin visited and found empty writes nothing, so it is among
    "nothing counted" — which is what the manager needs to see next to its expected-but-not-found lines."""
    from ..locations.models import Location

    places = {x.location for x in lines}
    scope = _scope_location_ids(s, cs)
    if scope is not None:
        places |= set(s.scalars(select(Location).where(Location.id.in_(scope), Location.active,
                                                       Location.kind.not_in(("site", "zone")))))
    done = {x.location_id for x in lines if (x.counted or 0) > 0}
    ordered = sorted(places, key=lambda loc: (loc.walk_order, loc.code))
    return [x for x in ordered if x.id in done], [x for x in ordered if x.id not in done]


__all__ = ["REASONS", "approve_count", "count_now", "count_scan", "create_count", "expected_in", "report",
           "request_recount", "submit_count"]
