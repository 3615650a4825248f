"""Pure rules of the asset register: the lifecycle, classification, depreciation. No Flask, no session.

Lifecycle. An asset's status is never set directly: every change is an AssetEvent, and the status is the fold of
`transition` over the events (`replay`). Services call `transition` on the current status before appending an
event, in the same transaction, so the stored status and the replayed one cannot differ.

Depreciation. Periods are calendar years (the fiscal year is the calendar year). Within a year a charge accrues
evenly over the time in service, measured by the month convention (a setting):
- "full_month" (the default): the month of purchase counts as a whole month — simple to explain and to audit;
- "half_month": the month of purchase (and so the last month of life) counts as half a month;
- "actual_days": service is counted in days, the day of purchase included.
Straight-line spreads cost − salvage evenly over the useful life. Declining balance charges `factor / life in years`
of the opening book value each year (pro rata in a part year), never below salvage, and takes the book value to
salvage in the year the useful life ends. Amounts are Decimal, charges rounded to cents (half up).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..errors import Conflict, Invalid

# ---------------------------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------------------------

STATUSES = (
    "planned",
    "in_stock",
    "deployed",
    "checked_out",
    "reserved",
    "in_maintenance",
    "retired",
    "disposed",
    "lost",
)
STATUS_LABELS = {
    "planned": "Planned",
    "in_stock": "In stock",
    "deployed": "Deployed",
    "checked_out": "Checked out",
    "reserved": "Reserved",
    "in_maintenance": "In maintenance",
    "retired": "Retired",
    "disposed": "Disposed",
    "lost": "Lost",
}
POOLS = ("loaner", "demo", "rental")
INITIAL = ("planned", "in_stock", "deployed")
LIVE = tuple(s for s in STATUSES if s not in ("disposed",))

# event kind → {status before: status after}. Kinds not listed here never change the status (see NEUTRAL).
TRANSITIONS: dict[str, dict[str, str]] = {
    "received": {"planned": "in_stock"},
    "deployed": {"in_stock": "deployed"},
    "undeployed": {"deployed": "in_stock"},
    "checked_out": {"in_stock": "checked_out", "reserved": "checked_out"},
    "checked_in": {"checked_out": "in_stock"},
    "reserved": {"in_stock": "reserved"},
    "released": {"reserved": "in_stock"},
    "maintenance_opened": {"in_stock": "in_maintenance", "deployed": "in_maintenance", "reserved": "in_maintenance"},
    "maintenance_closed": {"in_maintenance": "in_stock"},
    "retired": {s: "retired" for s in ("planned", "in_stock", "deployed", "in_maintenance", "lost")},
    "disposed": {s: "disposed" for s in ("planned", "in_stock", "retired", "lost", "in_maintenance")},
    "lost": {s: "lost" for s in ("in_stock", "deployed", "checked_out", "reserved", "in_maintenance")},
    "found": {"lost": "in_stock"},
}
# Facts that leave the status as it is (but are refused once the asset is disposed of).
NEUTRAL = ("edited", "transferred", "seen", "maintenance_logged", "meter_read", "replaced", "replaces", "note")

# Events that show an asset in use (for "idle assets"): a check-out, return, transfer, deployment or receipt.
ACTIVITY_KINDS = ("checked_out", "checked_in", "transferred", "deployed", "undeployed", "received", "registered")

EVENT_LABELS = {
    "registered": "Registered",
    "received": "Received",
    "deployed": "Deployed",
    "undeployed": "Back from deployment",
    "checked_out": "Checked out",
    "checked_in": "Checked in",
    "reserved": "Set aside for a reservation",
    "released": "Released from a reservation",
    "maintenance_opened": "Maintenance opened",
    "maintenance_closed": "Maintenance closed",
    "maintenance_logged": "Maintenance logged",
    "meter_read": "Meter read",
    "retired": "Retired",
    "disposed": "Disposed of",
    "lost": "Reported lost",
    "found": "Found",
    "edited": "Edited",
    "transferred": "Transferred",
    "seen": "Seen in an audit",
    "replaced": "Replaced",
    "replaces": "Replaces another asset",
    "note": "Note",
}

WHY_NOT = {
    "checked_out": {
        "checked_out": "It is already checked out.",
        "in_maintenance": "It is in maintenance; it can go out once the maintenance is closed.",
        "retired": "It is retired and no longer lent out.",
        "disposed": "It has been disposed of.",
        "lost": "It is reported lost; scan it in as found first.",
        "deployed": "It is deployed; bring it back to stock first.",
        "planned": "It has not been received yet.",
    },
    "checked_in": {"*": "It is not checked out, so there is nothing to check in."},
    "disposed": {"checked_out": "It is checked out; check it in before disposing of it."},
}


# What each status-changing event does to the asset, as the refusal says it ("… so it cannot be sent to maintenance").
DOING = {
    "deployed": "deployed",
    "undeployed": "brought back from a deployment",
    "checked_out": "checked out",
    "reserved": "set aside for a reservation",
    "released": "released from a reservation",
    "maintenance_opened": "sent to maintenance",
    "maintenance_closed": "brought back from maintenance",
    "retired": "retired",
    "disposed": "disposed of",
    "lost": "reported lost",
    "found": "marked as found (only a lost asset is)",
}


class ImpossibleTransition(Conflict):
    code = "impossible_transition"


def transition(status: str | None, kind: str, data: dict | None = None) -> str:
    """The status after an event of this kind, or ImpossibleTransition with a reason a person understands."""
    data = data or {}
    if kind == "registered":
        if status is not None:
            raise ImpossibleTransition("This asset is already registered.")
        initial = data.get("status", "in_stock")
        if initial not in INITIAL:
            raise Invalid(f"A new asset starts as planned, in stock or deployed, not {initial!r}.", field="status")
        return initial
    if status is None:
        raise ImpossibleTransition("The asset has no registration event.")
    if kind in NEUTRAL:
        if status == "disposed":
            raise ImpossibleTransition("This asset has been disposed of; nothing more can happen to it.")
        return status
    table = TRANSITIONS.get(kind)
    if table is None:
        raise Invalid(f"Unknown asset event {kind!r}.")
    if status in table:
        return table[status]
    reasons = WHY_NOT.get(kind, {})
    reason = reasons.get(status) or reasons.get("*")
    if reason is None:
        reason = f"It is {STATUS_LABELS[status].lower()}, so it cannot be {DOING.get(kind, EVENT_LABELS[kind].lower())}."
    raise ImpossibleTransition(reason, status=status, event=kind)


def replay(events: Iterable[tuple[str, dict | None]]) -> str | None:
    """The status an ordered history of (kind, data) events leads to."""
    status: str | None = None
    for kind, data in events:
        status = transition(status, kind, data)
    return status


# ---------------------------------------------------------------------------------------------------------------
# Classification: inventory or asset
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassificationPolicy:
    capitalization_threshold: Decimal = Decimal("1000.00")
    min_useful_life_months: int = 12


@dataclass(frozen=True)
class Verdict:
    kind: str  # "asset" or "inventory"
    reason: str
    also_stock: bool = False


def classify(
    policy: ClassificationPolicy, *, unit_cost: Decimal, useful_life_months: int, serialized: bool = False,
    rental: bool = False,
) -> Verdict:
    """Whether a new kind of thing is tracked one by one as an asset, or by quantity as inventory — and why.

    An asset when the unit cost reaches the capitalization threshold AND it is used for longer than the minimum
    useful life; anything cheaper or shorter-lived is inventory (expensed when consumed). A serialized rental unit
    that is an asset is also available stock for rental orders.
    """
    if unit_cost is None or unit_cost < 0:
        raise Invalid("Give the unit cost (zero or more).", field="unit_cost")
    if useful_life_months is None or useful_life_months < 0:
        raise Invalid("Give the expected useful life in months (zero or more).", field="useful_life_months")
    threshold = money(policy.capitalization_threshold)
    cost = money(unit_cost)
    life = policy.min_useful_life_months
    if cost < threshold:
        return Verdict("inventory", f"Unit cost {cost} is below the capitalization threshold of {threshold}.")
    if useful_life_months <= life:
        return Verdict(
            "inventory", f"Useful life of {useful_life_months} months is not more than the {life} months an asset must last."
        )
    reason = (
        f"Unit cost {cost} reaches the capitalization threshold of {threshold} and it lasts "
        f"{useful_life_months} months (more than {life})."
    )
    if serialized and rental:
        return Verdict("asset", reason + " As a serialized rental unit it is also counted as available stock.", True)
    return Verdict("asset", reason)


# ---------------------------------------------------------------------------------------------------------------
# Depreciation
# ---------------------------------------------------------------------------------------------------------------

METHODS = ("straight_line", "declining_balance", "none")
METHOD_LABELS = {"straight_line": "Straight-line", "declining_balance": "Declining balance", "none": "Not depreciated"}
CONVENTIONS = ("full_month", "half_month", "actual_days")
CONVENTION_LABELS = {
    "full_month": "Full month (the month of purchase counts in full)",
    "half_month": "Half month (the month of purchase counts as half)",
    "actual_days": "Actual days",
}
DEFAULT_CONVENTION = "full_month"
CENT = Decimal("0.01")
# The largest amount of money an asset's figures take (cost, salvage, proceeds, maintenance cost): the columns hold
# Numeric(14, 2), and nothing a stockroom owns is worth ten billion; a bigger figure is a typing slip.
MAX_MONEY = Decimal("9999999999.99")
# The longest useful life an asset may be given (as the API's document says): the depreciation schedule has a row
# per year of it, and a life of two billion months kept the asset's page computing for ever.
MAX_LIFE_MONTHS = 1200


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Depreciable:
    cost: Decimal
    in_service: date
    life_months: int
    salvage: Decimal = Decimal("0")
    method: str = "straight_line"
    convention: str = DEFAULT_CONVENTION
    factor: Decimal = Decimal("2")  # 2 = double declining balance
    disposed_on: date | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise Invalid(f"Unknown depreciation method {self.method!r}.", field="depreciation_method")
        if self.convention not in CONVENTIONS:
            raise Invalid(f"Unknown month convention {self.convention!r}.", field="convention")
        if self.cost is None or Decimal(self.cost) < 0:
            raise Invalid("The cost must be zero or more.", field="cost")
        if Decimal(self.salvage or 0) < 0 or Decimal(self.salvage or 0) > Decimal(self.cost):
            raise Invalid("The salvage value must be between zero and the cost.", field="salvage_value")
        if self.method != "none" and (self.life_months is None or self.life_months <= 0):
            raise Invalid("A depreciated asset needs a useful life of at least one month.", field="useful_life_months")


@dataclass(frozen=True)
class YearRow:
    year: int
    opening: Decimal
    charge: Decimal
    closing: Decimal
    accumulated: Decimal


@dataclass
class _Clock:
    """Measures service time in one unit: months (full/half month) or days (actual days)."""

    start: Decimal
    end: Decimal
    by_days: bool

    @classmethod
    def of(cls, a: Depreciable) -> _Clock:
        if a.convention == "actual_days":
            start = a.in_service.toordinal()
            return cls(Decimal(start), Decimal(add_months(a.in_service, a.life_months).toordinal()), True)
        start = Decimal(a.in_service.year * 12 + a.in_service.month - 1)
        if a.convention == "half_month":
            start += Decimal("0.5")
        return cls(start, start + a.life_months, False)

    def year_bounds(self, year: int) -> tuple[Decimal, Decimal]:
        if self.by_days:
            return Decimal(date(year, 1, 1).toordinal()), Decimal(date(year + 1, 1, 1).toordinal())
        return Decimal(year * 12), Decimal(year * 12 + 12)

    def through(self, d: date) -> Decimal:
        """The position at the end of day d (its month counted in full under the month conventions)."""
        if self.by_days:
            return Decimal(d.toordinal() + 1)
        return Decimal(d.year * 12 + d.month)

    def overlap(self, lo: Decimal, hi: Decimal) -> Decimal:
        return max(Decimal(0), min(hi, self.end) - max(lo, self.start))

    def first_year(self) -> int:
        if self.by_days:
            return date.fromordinal(int(self.start)).year
        return int(self.start) // 12

    def last_year(self) -> int:
        if self.by_days:
            return date.fromordinal(int(self.end) - 1).year
        return (int(self.end.to_integral_value(rounding="ROUND_CEILING")) - 1) // 12


def schedule(a: Depreciable) -> list[YearRow]:
    """The depreciation of every calendar year of the asset's useful life."""
    cost, salvage = money(a.cost), money(a.salvage or 0)
    if a.method == "none":
        return []
    clock = _Clock.of(a)
    total = clock.end - clock.start
    depreciable = cost - salvage
    rate = Decimal(a.factor) * 12 / a.life_months  # per year
    rows: list[YearRow] = []
    opening, accumulated = cost, Decimal("0.00")
    last = clock.last_year()
    for year in range(clock.first_year(), last + 1):
        lo, hi = clock.year_bounds(year)
        part = clock.overlap(lo, hi)
        if year == last:
            charge = opening - salvage
        elif a.method == "straight_line":
            charge = money(depreciable * part / total)
        else:
            charge = money(opening * rate * part / (hi - lo))
        charge = max(Decimal("0.00"), min(charge, opening - salvage))
        closing = opening - charge
        accumulated += charge
        rows.append(YearRow(year, opening, charge, closing, accumulated))
        opening = closing
    return rows


def book_value(a: Depreciable, at: date) -> Decimal:
    """The book value at the end of day `at`: cost less depreciation so far; zero before it was bought (it was not
    the business's yet) and once disposed of."""
    if (a.disposed_on is not None and at >= a.disposed_on) or at < a.in_service:
        return Decimal("0.00")
    return _carrying(a, at)


def _carrying(a: Depreciable, at: date) -> Decimal:
    cost = money(a.cost)
    if a.method == "none" or at < a.in_service:
        return cost
    rows = schedule(a)
    if not rows:
        return cost
    if at.year > rows[-1].year:
        return rows[-1].closing
    row = next((r for r in rows if r.year == at.year), None)
    if row is None:
        return cost
    clock = _Clock.of(a)
    lo, hi = clock.year_bounds(at.year)
    part = clock.overlap(lo, hi)
    done = clock.overlap(lo, min(hi, clock.through(at)))
    if part == 0:
        return row.opening
    return money(row.opening - row.charge * done / part)


@dataclass(frozen=True)
class Disposal:
    on: date
    book_value: Decimal
    proceeds: Decimal
    gain: Decimal  # negative = loss


def dispose(a: Depreciable, *, on: date, proceeds: Decimal) -> Disposal:
    """Book value at the disposal date and the gain (proceeds above it) or loss (below)."""
    if proceeds is None or Decimal(proceeds) < 0:
        raise Invalid("Proceeds must be zero or more (zero when scrapped).", field="proceeds")
    value = _carrying(a, on)
    proceeds = money(proceeds)
    return Disposal(on, value, proceeds, proceeds - value)


# ---------------------------------------------------------------------------------------------------------------
# Loans and reservations
# ---------------------------------------------------------------------------------------------------------------


MAX_LOAN_DAYS = 5 * 366  # the furthest due date a loan may have: five years ahead


def check_due(due: date | None, today: date) -> date:
    if due is None:
        raise Invalid("Choose a due date.", field="due_on")
    if due < today:
        raise Invalid(f"The due date {due.isoformat()} is in the past; choose today or later.", field="due_on")
    if (due - today).days > MAX_LOAN_DAYS:
        # A loan ends within a few years; a date like 9999-12-31 is a typing slip (and overflowed the end of its day).
        raise Invalid(f"The due date {due.isoformat()} is more than five years away; choose the day it is really "
                      "due back.", field="due_on")
    return due


def check_window(starts, ends, now=None) -> None:
    if starts is None or ends is None:
        raise Invalid("A reservation needs a start and an end.", field="starts_at")
    for name, moment in (("starts_at", starts), ("ends_at", ends)):
        if moment.tzinfo is None:
            raise Invalid("Give the time with its time zone (e.g. 2030-02-01T09:00:00+01:00 or …Z); a time without "
                          "one means a different moment in every place.", field=name)
    if ends <= starts:
        raise Invalid("The reservation ends before it starts; the end must be after the start.", field="ends_at")
    # Within five years either side of now, as a loan's due date (check_due): a year like 0001 or 9999 is a typing
    # slip, and near those ends a moment shifted to UTC leaves the calendar (it was a 500 in the overlap query).
    # Aware datetimes compare without converting, so these checks are safe before anything is shifted.
    from datetime import UTC, datetime

    now = now or datetime.now(UTC)
    reach = timedelta(days=MAX_LOAN_DAYS)
    if starts < now - reach:
        raise Invalid(f"The reservation starts on {starts:%Y-%m-%d}, more than five years ago; choose when it really "
                      "starts.", field="starts_at")
    if ends > now + reach:
        raise Invalid(f"The reservation ends on {ends:%Y-%m-%d}, more than five years from now; choose a nearer "
                      "end.", field="ends_at")


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Half-open windows [start, end) overlap."""
    return a_start < b_end and b_start < a_end


def days_overdue(due: date, today: date) -> int:
    return max(0, (today - due).days)


def end_of_day(d: date):
    from datetime import UTC, datetime, time

    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC)
