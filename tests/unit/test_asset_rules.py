"""Pure rules of the asset register: lifecycle, classification, depreciation (worked examples done by hand)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.assets import rules
from app.assets.rules import Depreciable, ImpossibleTransition
from app.errors import Invalid

# --------------------------------------------------------------------------------------------------- lifecycle


def test_a_new_asset_starts_in_the_status_it_was_registered_with():
    assert rules.replay([("registered", {"status": "planned"})]) == "planned"
    assert rules.replay([("registered", {})]) == "in_stock"


def test_replaying_a_loan_and_a_repair_gives_the_status_step_by_step():
    events = [("registered", {"status": "in_stock"}), ("checked_out", {}), ("checked_in", {}),
              ("maintenance_opened", {}), ("maintenance_closed", {}), ("transferred", {}), ("retired", {})]
    assert rules.replay(events) == "retired"
    assert rules.replay(events[:2]) == "checked_out"
    assert rules.replay(events[:4]) == "in_maintenance"


def test_checking_in_an_asset_that_is_not_out_is_refused_with_a_reason():
    with pytest.raises(ImpossibleTransition, match="not checked out"):
        rules.transition("in_stock", "checked_in")


@pytest.mark.parametrize("status, reason", [
    ("checked_out", "already checked out"), ("in_maintenance", "in maintenance"), ("retired", "retired"),
    ("lost", "lost"), ("disposed", "disposed"),
])
def test_a_second_check_out_or_one_of_an_unavailable_asset_is_refused(status, reason):
    with pytest.raises(ImpossibleTransition, match=reason):
        rules.transition(status, "checked_out")


def test_a_checked_out_asset_cannot_be_disposed_of():
    with pytest.raises(ImpossibleTransition, match="check it in before disposing"):
        rules.transition("checked_out", "disposed")


def test_nothing_happens_to_a_disposed_asset_any_more():
    with pytest.raises(ImpossibleTransition):
        rules.transition("disposed", "transferred")
    with pytest.raises(ImpossibleTransition):
        rules.transition("disposed", "found")


def test_a_reserved_unit_can_go_out_or_be_released():
    assert rules.transition("in_stock", "reserved") == "reserved"
    assert rules.transition("reserved", "checked_out") == "checked_out"
    assert rules.transition("reserved", "released") == "in_stock"


def test_registering_twice_or_with_a_strange_status_is_refused():
    with pytest.raises(ImpossibleTransition):
        rules.transition("in_stock", "registered")
    with pytest.raises(Invalid):
        rules.transition(None, "registered", {"status": "checked_out"})


# --------------------------------------------------------------------------------------------------- classification

POLICY = rules.ClassificationPolicy(D("1000.00"), 12)


def test_an_expensive_long_lived_thing_is_an_asset_and_the_reason_says_why():
    v = rules.classify(POLICY, unit_cost=D("1499.00"), useful_life_months=36)
    assert v.kind == "asset"
    assert "1499.00" in v.reason and "1000.00" in v.reason


def test_a_cheap_thing_is_inventory_whatever_its_life():
    v = rules.classify(POLICY, unit_cost=D("999.99"), useful_life_months=120)
    assert v.kind == "inventory" and "below the capitalization threshold" in v.reason


def test_a_short_lived_expensive_thing_is_inventory():
    v = rules.classify(POLICY, unit_cost=D("5000"), useful_life_months=12)
    assert v.kind == "inventory" and "12 months" in v.reason


def test_the_threshold_itself_counts_as_an_asset_and_the_verdict_is_the_same_every_time():
    verdicts = {rules.classify(POLICY, unit_cost=D("1000"), useful_life_months=13) for _ in range(5)}
    assert len(verdicts) == 1 and verdicts.pop().kind == "asset"


def test_a_serialized_rental_unit_is_an_asset_and_also_stock():
    v = rules.classify(POLICY, unit_cost=D("2000"), useful_life_months=48, serialized=True, rental=True)
    assert v.kind == "asset" and v.also_stock


def test_a_negative_cost_cannot_be_classified():
    with pytest.raises(Invalid):
        rules.classify(POLICY, unit_cost=D("-1"), useful_life_months=24)


# --------------------------------------------------------------------------------------------------- depreciation


def test_straight_line_with_salvage_and_a_partial_first_year_full_month_convention():
    # Cost 12,000, salvage 2,000, 60 months, bought 15 Apr 2024. Depreciable 10,000 → 2,000 a year.
    a = Depreciable(cost=D("12000"), salvage=D("2000"), life_months=60, in_service=date(2024, 4, 15))
    rows = rules.schedule(a)
    # 2024: April counts in full → Apr..Dec = 9 months → 10,000 × 9/60 = 1,500
    assert [r.year for r in rows] == [2024, 2025, 2026, 2027, 2028, 2029]
    assert rows[0].charge == D("1500.00")
    assert [r.charge for r in rows[1:5]] == [D("2000.00")] * 4
    # 2029: Jan..Mar = 3 months → 500, ending exactly at salvage
    assert rows[-1].charge == D("500.00") and rows[-1].closing == D("2000.00")
    # Mid-2025: 12,000 − 1,500 − 2,000 × 6/12 = 9,500
    assert rules.book_value(a, date(2025, 6, 30)) == D("9500.00")
    # In the month of purchase a whole month is gone: 12,000 − 10,000/60 = 11,833.33
    assert rules.book_value(a, date(2024, 4, 15)) == D("11833.33")
    assert rules.book_value(a, date(2024, 4, 14)) == D("0.00")  # the day before it was bought
    assert rules.book_value(a, date(2040, 1, 1)) == D("2000.00")


def test_double_declining_balance_with_salvage_and_a_partial_first_year():
    # Cost 10,000, salvage 1,000, 60 months → rate 2/5 = 40 % a year; bought 1 Jul 2024 (6 months in 2024).
    a = Depreciable(cost=D("10000"), salvage=D("1000"), life_months=60, in_service=date(2024, 7, 1),
                    method="declining_balance")
    rows = rules.schedule(a)
    # 2024: 10,000 × 40 % × 6/12 = 2,000 → 8,000
    # 2025: 8,000 × 40 % = 3,200 → 4,800;  2026: 1,920 → 2,880;  2027: 1,152 → 1,728;  2028: 691.20 → 1,036.80
    # 2029 (life ends June): down to salvage: 36.80 → 1,000
    assert [(r.year, r.charge, r.closing) for r in rows] == [
        (2024, D("2000.00"), D("8000.00")),
        (2025, D("3200.00"), D("4800.00")),
        (2026, D("1920.00"), D("2880.00")),
        (2027, D("1152.00"), D("1728.00")),
        (2028, D("691.20"), D("1036.80")),
        (2029, D("36.80"), D("1000.00")),
    ]
    # End of March 2025: 8,000 − 3,200 × 3/12 = 7,200
    assert rules.book_value(a, date(2025, 3, 31)) == D("7200.00")


def test_declining_balance_never_goes_below_salvage():
    # Cost 1,000, salvage 600, 24 months → rate 100 %: the first full year would take 1,000; it stops at 600.
    a = Depreciable(cost=D("1000"), salvage=D("600"), life_months=24, in_service=date(2024, 1, 1),
                    method="declining_balance")
    rows = rules.schedule(a)
    assert rows[0].charge == D("400.00") and rows[0].closing == D("600.00")
    assert rows[1].charge == D("0.00")


def test_half_month_convention_counts_the_month_of_purchase_as_half():
    # Cost 3,600, no salvage, 36 months (100 a month), bought 20 Apr 2024: 2024 has 8.5 months → 850.
    a = Depreciable(cost=D("3600"), life_months=36, in_service=date(2024, 4, 20), convention="half_month")
    rows = rules.schedule(a)
    assert rows[0].charge == D("850.00")
    assert rows[-1].year == 2027 and rows[-1].charge == D("350.00")  # Jan..Mar + half of April = 3.5 months
    assert sum(r.charge for r in rows) == D("3600.00")


def test_actual_days_convention_counts_days_in_service():
    # Cost 3,660, no salvage, 12 months from 1 Jan 2024 (a leap year: 366 days) → 10 a day.
    a = Depreciable(cost=D("3660"), life_months=12, in_service=date(2024, 1, 1), convention="actual_days")
    # After 31 days (1–31 Jan): 3,660 − 310 = 3,350
    assert rules.book_value(a, date(2024, 1, 31)) == D("3350.00")
    assert rules.book_value(a, date(2024, 12, 31)) == D("0.00")


def test_an_asset_bought_on_a_month_end_uses_the_right_end_of_life():
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_disposal_gain_or_loss_is_proceeds_minus_book_value():
    a = Depreciable(cost=D("12000"), salvage=D("2000"), life_months=60, in_service=date(2024, 4, 15))
    sold = rules.dispose(a, on=date(2025, 6, 30), proceeds=D("10000"))
    assert sold.book_value == D("9500.00") and sold.gain == D("500.00")
    scrapped = rules.dispose(a, on=date(2025, 6, 30), proceeds=D("0"))
    assert scrapped.gain == D("-9500.00")
    gone = Depreciable(cost=D("12000"), salvage=D("2000"), life_months=60, in_service=date(2024, 4, 15),
                       disposed_on=date(2025, 6, 30))
    assert rules.book_value(gone, date(2025, 7, 1)) == D("0.00")


def test_salvage_above_cost_or_no_life_is_refused():
    with pytest.raises(Invalid):
        Depreciable(cost=D("100"), salvage=D("200"), life_months=12, in_service=date(2024, 1, 1))
    with pytest.raises(Invalid):
        Depreciable(cost=D("100"), life_months=0, in_service=date(2024, 1, 1))


# --------------------------------------------------------------------------------------------------- loans


def test_a_due_date_in_the_past_is_refused_and_today_is_fine():
    with pytest.raises(Invalid, match="in the past"):
        rules.check_due(date(2026, 1, 1), date(2026, 1, 2))
    assert rules.check_due(date(2026, 1, 2), date(2026, 1, 2)) == date(2026, 1, 2)


def test_a_reservation_that_ends_before_it_starts_is_refused():
    from datetime import UTC, datetime

    with pytest.raises(Invalid, match="ends before it starts"):
        rules.check_window(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


# --------------------------------------------------------------------------------------------------- replay, any history

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KINDS = sorted([*rules.TRANSITIONS, *rules.NEUTRAL])


@given(st.sampled_from(rules.INITIAL), st.lists(st.sampled_from(KINDS), max_size=40))
def test_any_accepted_history_replays_to_the_status_reached_step_by_step(initial, attempts):
    history = [("registered", {"status": initial})]
    status = initial
    for kind in attempts:
        try:
            status = rules.transition(status, kind)
        except ImpossibleTransition:
            continue  # refused events are never recorded
        history.append((kind, {}))
        assert status in rules.STATUSES
    assert rules.replay(history) == status


def test_a_refused_transition_says_what_cannot_be_done_in_plain_words():
    with pytest.raises(rules.ImpossibleTransition, match="It is retired, so it cannot be sent to maintenance"):
        rules.transition("retired", "maintenance_opened")
    with pytest.raises(rules.ImpossibleTransition, match="only a lost asset is"):
        rules.transition("in_stock", "found")
