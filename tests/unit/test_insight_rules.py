"""Worked examples for the insight rules, each computed by hand in the test."""

from datetime import date
from decimal import Decimal

import pytest

from app.errors import Invalid
from app.insights import rules


def test_tsb_on_a_short_intermittent_series_matches_the_hand_calculation():
    # p0 = 2/5 = 0.4, z0 = (3+6)/2 = 4.5, alpha = beta = 0.5
    # d=0: p=0.2 | d=3: p=0.6, z=3.75 | d=0: p=0.3 | d=0: p=0.15 | d=6: p=0.575, z=4.875
    f = rules.tsb([0, 3, 0, 0, 6], alpha=0.5, beta=0.5)
    assert f.probability == pytest.approx(0.575)
    assert f.size == pytest.approx(4.875)
    assert f.per_period == pytest.approx(0.575 * 4.875)
    assert f.derivation.method.startswith("TSB")
    assert f.confident


def test_tsb_forecast_decays_when_demand_stops():
    busy = rules.tsb([5, 5, 5, 5], alpha=0.5, beta=0.5)
    stopped = rules.tsb([5, 5, 5, 5, 0, 0, 0, 0], alpha=0.5, beta=0.5)
    assert busy.per_period == pytest.approx(5)
    assert stopped.per_period < busy.per_period / 4


def test_tsb_with_no_history_forecasts_zero_and_says_why():
    f = rules.tsb([])
    assert f.per_period == 0 and "No history" in f.derivation.note and not f.confident


def test_tsb_with_all_zeros_forecasts_zero():
    f = rules.tsb([0, 0, 0])
    assert f.per_period == 0 and "No demand" in f.derivation.note


def test_tsb_with_one_data_point_repeats_it_and_warns():
    f = rules.tsb([4])
    assert f.per_period == pytest.approx(4) and "one period" in f.derivation.note


def test_tsb_refuses_smoothing_constants_out_of_range():
    with pytest.raises(Invalid):
        rules.tsb([1, 2], alpha=0)


def test_reorder_point_at_95_percent_service_level():
    # z(0.95) = 1.6449; lead demand = 2 × 9 = 18; safety = 1.6449 × 1 × √9 = 4.9346; ROP = ⌈22.93⌉ = 23
    # position = 10 + 5 = 15 ≤ 23 → order ⌈23 + 2 × 30 − 15⌉ = 68
    advice = rules.reorder(daily_demand=2, daily_sigma=1, lead_time_days=9, service_level=0.95,
                           available=Decimal(10), on_order=Decimal(5))
    assert rules.z_for(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert advice.ok and advice.reorder_point == 23 and advice.suggested_qty == 68
    assert advice.safety_stock == Decimal("4.935")
    assert any("Safety stock" in s for s in advice.derivation.steps)


def test_reorder_above_the_point_suggests_nothing():
    advice = rules.reorder(daily_demand=2, daily_sigma=1, lead_time_days=9, service_level=0.95,
                           available=Decimal(30), on_order=Decimal(0))
    assert advice.suggested_qty == 0 and advice.message == "No order needed."


def test_reorder_without_a_lead_time_gives_a_clear_message():
    advice = rules.reorder(daily_demand=2, daily_sigma=1, lead_time_days=0, service_level=0.95,
                           available=Decimal(0), on_order=Decimal(0), sku="BOLT")
    assert not advice.ok and advice.reorder_point is None and "lead time" in advice.message


@pytest.mark.parametrize("level", [0.2, 1.0, 1.5])
def test_service_level_out_of_range_is_invalid(level):
    with pytest.raises(Invalid):
        rules.z_for(level)


def test_modified_z_score_flags_the_outlier_by_hand():
    # sorted 9 10 10 11 12 50 → median 10.5; |dev| 0.5 0.5 0.5 1.5 1.5 39.5 → MAD 1.0
    # M(50) = 0.6745 × 39.5 / 1 = 26.6 > 3.5; M(12) = 0.6745 × 1.5 = 1.01
    found = rules.modified_z([("a", 10), ("b", 11), ("c", 9), ("d", 10), ("e", 12), ("f", 50)])
    assert found.median == 10.5 and found.mad == 1.0
    assert [s.key for s in found.flagged] == ["f"]
    assert found.flagged[0].score == pytest.approx(0.6745 * 39.5)


def test_modified_z_with_zero_mad_uses_mean_absolute_deviation():
    # median 0, MAD 0; mean |dev| = 10/5 = 2; M(10) = 10 / (1.253314 × 2) = 3.99 > 3.5
    found = rules.modified_z([(i, v) for i, v in enumerate([0, 0, 0, 0, 10])])
    assert [s.key for s in found.flagged] == [4]
    assert found.flagged[0].score == pytest.approx(10 / (1.253314 * 2))


def test_modified_z_with_too_few_values_flags_nothing():
    assert rules.modified_z([("a", 1), ("b", 100)]).flagged == []


def test_mtbf_and_next_expected_failure_by_hand():
    # intervals: 1 Jan → 2 Mar = 60, → 11 Apr = 40, → 10 Jun = 60; MTBF = 160/3 = 53.3; next = 10 Jun + 53 = 2 Aug
    r = rules.mtbf(in_service=date(2025, 1, 1), failures=[date(2025, 4, 11), date(2025, 3, 2), date(2025, 6, 10)],
                   today=date(2025, 7, 1))
    assert r.failures == 3
    assert r.mtbf_days == pytest.approx(160 / 3)
    assert r.next_failure == date(2025, 8, 2)


def test_mtbf_without_failures_has_no_rate():
    r = rules.mtbf(in_service=date(2025, 1, 1), failures=[], today=date(2025, 3, 1))
    assert r.mtbf_days is None and "59 days" in r.derivation.note


def test_stock_turns_annualised():
    # 900 over 90 days → 3650 a year; ÷ 1000 → 3.65 turns
    turns, how = rules.stock_turns(cost_of_goods=Decimal(900), days=90, inventory_value=Decimal(1000))
    assert turns == Decimal("3.65") and how.steps


def test_days_of_cover():
    assert rules.days_of_cover(Decimal(30), 2.0) == 15
    assert rules.days_of_cover(Decimal(30), 0) is None


def test_date_range_refuses_an_end_before_the_start_and_malformed_dates():
    with pytest.raises(Invalid, match="before the start"):
        rules.date_range("2025-02-01", "2025-01-01")
    with pytest.raises(Invalid, match="not a date"):
        rules.date_range("2025-13-01", None)
    assert rules.date_range("", None) == (None, None)
