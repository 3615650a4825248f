from __future__ import annotations

from datetime import date

import pytest

from app.errors import Invalid
from app.maintenance import rules


def test_a_day_interval_is_overdue_after_its_date_and_due_a_week_before():
    last = date(2026, 1, 1)
    assert rules.due(every_days=30, every_hours=None, last_done_on=last, last_done_hours=0, current_hours=None,
                     today=date(2026, 1, 10)).state == "ok"
    assert rules.due(every_days=30, every_hours=None, last_done_on=last, last_done_hours=0, current_hours=None,
                     today=date(2026, 1, 25)).state == "due"
    d = rules.due(every_days=30, every_hours=None, last_done_on=last, last_done_hours=0, current_hours=None,
                  today=date(2026, 2, 3))
    assert d.state == "overdue" and d.due_on == date(2026, 1, 31) and "3 day(s)" in d.reason


def test_hours_of_use_make_it_overdue_before_the_date_does():
    d = rules.due(every_days=365, every_hours=250, last_done_on=date(2026, 1, 1), last_done_hours=1000,
                  current_hours=1260, today=date(2026, 2, 1))
    assert d.state == "overdue" and d.due_hours == 1250


def test_a_schedule_needs_an_interval():
    with pytest.raises(Invalid):
        rules.check_interval(None, None)
    with pytest.raises(Invalid):
        rules.check_interval(0, None)
