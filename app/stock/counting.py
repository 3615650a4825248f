"""Stock counts: a session per zone, bin or item, assigned to one person, blind or showing what is expected.

The counter scans a bin, then the items in it: each scan adds the scanned code's pack quantity (a typed quantity
is multiplied by it, for cases). The first count of a line snapshots the balance at that moment as its expected
quantity, and the variance is taken against that snapshot: a pick from the bin while the count goes on is not a
false variance, because approval adjusts the balance by the variance, not to the counted number.

Each place scanned is kept as a visit of the count, so the review tells a bin found empty from one nobody went to.
On submit, every balance in scope that nobody counted becomes a line counted 0 — "expected but not found".
A line counted where the item has no balance but the item is elsewhere is "found in the wrong bin". A manager
may ask for a recount of lines, then approves: each non-zero variance becomes a count_adjustment movement with a
reason code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.services import active_person
from ..errors import Conflict, Invalid, NotFound
from ..types import utcnow
from ..uow import UnitOfWork
from .models import CountBinVisit, CountLine, CountSession, StockBalance
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


def _check_counter(s: Session, cs: CountSession, who: Actor) -> None:
    if cs.status != "open":
        raise Conflict(f"Count {cs.number} is {cs.status}; it takes no more counts.", field="count")
    if cs.assigned_to and who.actor_id != cs.assigned_to and not _is_manager(s, who.actor_id):
        raise Conflict(f"Count {cs.number} is assigned to someone else.", field="count")


def _record_visit(s: Session, cs: CountSession, loc, who: Actor) -> None:
    """The first visit of a place in a count is kept; later ones (and replays of it) change nothing. The caller
    holds the count's row lock, so two scans of the same bin cannot both insert."""
    seen = s.scalar(select(CountBinVisit.id).where(CountBinVisit.session_id == cs.id,
                                                   CountBinVisit.location_id == loc.id))
    if seen is None:
        s.add(CountBinVisit(session_id=cs.id, location_id=loc.id, visited_by=who.actor_id, visited_at=utcnow()))


def visit_bin(*, number: str, location_code: str, who: Actor, uow: UnitOfWork) -> str:
    """The counter scanned a place of the count: it is the bin counted next, and the count remembers it was
    visited, so a bin found empty is reported as such rather than as skipped. Returns the place's code."""
    with uow:
        s = uow.session
        cs = _session(s, number, lock=True)
        _check_counter(s, cs, who)
        loc = find_location(s, location_code)
        _check_scope(s, cs, loc)
        _record_visit(s, cs, loc, who)
        code = loc.code
        uow.commit()
        return code


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
            active_person(s, assigned_to, field="assigned_to", message="Assign the count to an active person.")
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
    expiry: str | None = None  # the lot's, typed or read from the label (AI 17)
    notes: list[str] = field(default_factory=list)

    def as_outcome(self) -> dict:
        return dict(self.__dict__)


def count_scan(*, number: str, location_code: str, code: str | None = None, sku: str | None = None, quantity=None,
               lot: str | None = None, expiry: date | None = None, who: Actor, uow: UnitOfWork) -> Counted:
    """Add what was scanned (or typed) in a bin to the count. expiry (typed, or AI 17 of a GS1 label) is the
    lot's; a lot new to the system is counted without one when nobody knows it."""
    with uow:
        s = uow.session
        # expiry only when given: a scan kept before it existed keeps its fingerprint when replayed
        claim_scan(uow, "stock.count", who, number=number, loc=location_code, code=code, sku=sku, qty=quantity, lot=lot,
                   **({"expiry": expiry.isoformat()} if expiry else {}))
        cs = _session(s, number, lock=True)
        _check_counter(s, cs, who)
        loc = find_location(s, location_code)
        _check_scope(s, cs, loc)
        ref = find_item(s, code, sku=sku)
        item = ref.item
        if cs.item_id and item.id != cs.item_id:
            raise Conflict(f"Count {cs.number} is only for {cs.item.sku}; {item.sku} is not counted here.", field="code")
        qty = scanned_quantity(ref, quantity)
        lock_items(s, [item.id])
        # An expired lot on the shelf is counted like any other: the count is how it is found and written off. And a
        # lot found without a readable expiry is still counted: leaving it off the books would be worse.
        lot_key, expiry = tracking_key(s, ref, lot, expiry, incoming=True, allow_expired=True, expiry_optional=True)
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
        _record_visit(s, cs, loc, who)
        s.flush()
        notes = [warning] if (warning := expiry_warning(lot_key, expiry, date.today())) else []
        if lot_key and expiry is None and item.expiry_required:
            notes.append(f"Lot {lot_key} has no expiry date on record: type it with the next scan of this lot, or "
                         "its next receipt sets it.")
        # Where else the system has it would tell a blind counter what to expect: only a non-blind count says it.
        if line.expected == 0 and not cs.blind:
            elsewhere = _elsewhere(s, item.id, loc.id)
            if elsewhere:
                notes.append(f"Not expected in {loc.code}; the system has it in {', '.join(elsewhere)}.")
        result = Counted(number=cs.number, sku=item.sku, name=item.name, location=loc.code, lot=lot_key,
                         counted=str(line.counted), expected=None if cs.blind else str(line.expected),
                         added=str(qty), expiry=expiry.isoformat() if lot_key and expiry else None, notes=notes)
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
        lot_key, _ = tracking_key(s, ref, lot, None, incoming=True, allow_expired=True, expiry_optional=True)
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
class BinReport:
    """One place of the count on the review: what was counted there, who scanned it, and what approving books as
    counted 0 there (what the system had and nobody counted)."""

    location: Any
    lines: list[CountLine] = field(default_factory=list)  # counted there by a person (above zero)
    zeroed: list[CountLine] = field(default_factory=list)  # expected there, counted 0
    visited_by: str | None = None
    visited_at: datetime | None = None

    @property
    def code(self) -> str:
        return self.location.code


@dataclass
class CountReport:
    session: CountSession
    lines: list[CountLine]
    not_found: list[CountLine]  # expected but not found
    wrong_bin: list[tuple[CountLine, list[str]]]  # found where the system did not expect it, and where it is
    bins_counted: list[BinReport] = field(default_factory=list)  # something was counted there
    bins_empty: list[BinReport] = field(default_factory=list)  # scanned in the count, nothing counted: found empty
    bins_not_visited: list[BinReport] = field(default_factory=list)  # nobody scanned it


def report(s: Session, number: str) -> CountReport:
    cs = _session(s, number)
    lines = sorted(cs.lines, key=lambda x: (x.location.walk_order, x.location.code, x.item.sku, x.lot))
    not_found = [x for x in lines if x.counted == 0 and (x.expected or 0) > 0]
    wrong = [(x, _elsewhere(s, x.item_id, x.location_id)) for x in lines
             if (x.counted or 0) > 0 and x.expected == 0]
    counted, empty, not_visited = _bins(s, cs, lines)
    return CountReport(cs, lines, not_found, [(x, w) for x, w in wrong if w], counted, empty, not_visited)


def _bins(s: Session, cs: CountSession, lines: list[CountLine]) -> tuple[list, list, list]:
    """The places of the count (its scope's bins, docks and vans, and wherever something was counted or scanned;
    for a count of an item alone, the places it was expected, found or looked for), split three ways: something
    counted there; scanned and nothing counted (found empty); never scanned (skipped).

    A scan always counts at least one, so a line above zero is a person's count; the lines counted 0 are what
    submit added for stock nobody counted, which approving books as counted 0 — the same for a bin found empty
    and for one nobody went to, which is why the review tells them apart."""
    from ..auth.models import User
    from ..locations.models import Location

    visits = {v.location_id: (v, name) for v, name in s.execute(
        select(CountBinVisit, User.name).outerjoin(User, User.id == CountBinVisit.visited_by)
        .where(CountBinVisit.session_id == cs.id))}
    places = {x.location for x in lines} | {v.location for v, _ in visits.values()}
    scope = _scope_location_ids(s, cs)
    if scope is not None:
        places |= set(s.scalars(select(Location).where(Location.id.in_(scope), Location.active,
                                                       Location.kind.not_in(("site", "zone")))))
    counted, empty, not_visited = [], [], []
    for loc in sorted(places, key=lambda loc: (loc.walk_order, loc.code)):
        here = [x for x in lines if x.location_id == loc.id]
        visit, name = visits.get(loc.id, (None, None))
        row = BinReport(loc, [x for x in here if (x.counted or 0) > 0],
                        [x for x in here if x.counted == 0 and (x.expected or 0) > 0],
                        name if visit else None, visit.visited_at if visit else None)
        (counted if row.lines else empty if visit else not_visited).append(row)
    return counted, empty, not_visited


__all__ = ["REASONS", "approve_count", "count_now", "count_scan", "create_count", "expected_in", "report",
           "request_recount", "submit_count", "visit_bin"]
