from datetime import UTC, datetime, timedelta

from app.auth.rules import Throttle

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T = Throttle(window_seconds=900, max_per_account=5, max_per_client=20)


def test_under_the_limit_sign_in_is_allowed():
    assert T.wait_seconds([NOW - timedelta(minutes=1)] * 4, [], NOW) == 0


def test_at_the_account_limit_the_wait_lasts_until_the_oldest_failure_leaves_the_window():
    failures = [NOW - timedelta(minutes=m) for m in (10, 8, 6, 4, 2)]
    assert T.wait_seconds(failures, failures, NOW) == 5 * 60


def test_the_client_limit_applies_on_its_own():
    failures = [NOW - timedelta(seconds=s) for s in range(20)]
    assert T.wait_seconds([], failures, NOW) == 900 - 19
