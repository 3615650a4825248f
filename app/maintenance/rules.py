"""When maintenance is due. Pure: no Flask, no session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import Invalid

DUE_SOON_DAYS = 7
DUE_SOON_SHARE = 0.1  # within the last 10 % of an hours interval


@dataclass(frozen=True)
class Due:
    state: str  # ok, due, overdue
    due_on: date | None
    due_hours: int | None
    reason: str


def check_interval(every_days: int | None, every_hours: int | None) -> None:
    if not every_days and not every_hours:
        raise Invalid("A schedule needs an interval: every N days, every N hours of use, or both.", field="every_days")
    for value, field in ((every_days, "every_days"), (every_hours, "every_hours")):
        if value is not None and value <= 0:
            raise Invalid("An interval must be at least 1.", field=field)


def due(*, every_days: int | None, every_hours: int | None, last_done_on: date, last_done_hours: int,
        current_hours: int | None, today: date) -> Due:
    """Whichever comes first: the date interval or the hours of use since the last service."""
    due_on = last_done_on + timedelta(days=every_days) if every_days else None
    due_hours = last_done_hours + every_hours if every_hours else None
    reasons, state = [], "ok"
    if due_on is not None:
        if today > due_on:
            state = "overdue"
            reasons.append(f"{(today - due_on).days} day(s) past {due_on.isoformat()}")
        elif (due_on - today).days <= DUE_SOON_DAYS:
            state = "due"
            reasons.append(f"due by {due_on.isoformat()}")
    if due_hours is not None and current_hours is not None:
        if current_hours >= due_hours:
            state = "overdue"
            reasons.append(f"{current_hours} h used, service at {due_hours} h")
        elif due_hours - current_hours <= max(1, int(every_hours * DUE_SOON_SHARE)):
            state = "due" if state == "ok" else state
            reasons.append(f"{due_hours - current_hours} h to go")
    return Due(state, due_on, due_hours, "; ".join(reasons) or "not yet due")
