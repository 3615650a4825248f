"""Small helpers for browser tests under our strict CSP."""

from __future__ import annotations

import time


def wait_for(page, js: str, timeout: float = 20.0, arg=None):
    """Poll a JS expression with page.evaluate until it is truthy (wait_for_function's eval is blocked by the CSP)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {js!r} (last value {value!r})")


def wait_until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out (last value {value!r})")
