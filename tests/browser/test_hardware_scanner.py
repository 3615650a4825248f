"""Hardware scanners (keyboard wedge): a code typed in milliseconds per key, ending in Enter or Tab, is a scan —
wherever the focus is on a scan page. People typing slowly are left alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.locations.services import create_location
from app.uow import UnitOfWork
from tests.browser.conftest import sign_in_page
from tests.browser.helpers import wait_until
from tests.conftest import PASSWORD


@pytest.fixture
def hub(phone, make_user):
    create_location(code="LOC-B2", name="Cage two", kind="site", uow=UnitOfWork())
    # Key events from the test driver arrive late on a loaded test machine (4 suites on 2 cores): allow a wider
    # average gap and pause than the defaults (40 / 250 ms) — still far below a person's 700 ms in the slow test.
    phone.context.add_init_script("localStorage.setItem('sk.wedge.gap', '100'); localStorage.setItem('sk.wedge.pause', '450')")
    sign_in_page(phone, make_user("staff").email, PASSWORD)
    resolves: list[dict] = []
    phone.on("request", lambda r: resolves.append(parse_qs(urlsplit(r.url).query)) if "/scan/resolve" in r.url else None)
    phone.goto("/scan/")
    phone.resolves = resolves
    return phone


def blur(page):
    """Nothing focused, as when a phone's screen was tapped outside the field. The page's autofocus can land just
    after a first blur while it is still settling, so blur until the body stays active."""
    def blurred() -> bool:
        page.evaluate("document.activeElement && document.activeElement.blur()")
        return page.evaluate("document.activeElement === document.body")

    wait_until(blurred, timeout=5)


def test_a_fast_burst_of_keys_on_the_page_is_a_scan_without_touching_the_field(hub):
    blur(hub)
    hub.keyboard.type("LOC-B2", delay=5)
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="Cage two").wait_for()
    assert hub.resolves[-1]["code"] == ["LOC-B2"] and hub.resolves[-1]["source"] == ["wedge"]
    assert hub.input_value("[data-scan-input]") == "LOC-B2"
    assert hub.js_errors == []


def test_a_wedge_sending_gs_as_ctrl_bracket_and_tab_as_suffix_keeps_the_gs1_fields_apart(hub):
    blur(hub)
    hub.keyboard.type("010950110153000310LOT42", delay=5)
    hub.keyboard.press("Control+BracketRight")
    hub.keyboard.type("17261231", delay=5)
    hub.keyboard.press("Tab")
    result = hub.locator("#scan-result")
    result.filter(has_text="LOT42").wait_for()
    text = result.inner_text()
    assert "2026-12-31" in text and "09501101530003" in text
    assert hub.resolves[-1]["code"] == ["010950110153000310LOT42\x1d17261231"]
    assert hub.resolves[-1]["source"] == ["wedge"]


def test_a_wedge_typing_into_the_focused_scan_field_is_recognised_as_a_wedge(hub):
    hub.focus("[data-scan-input]")
    hub.keyboard.type("LOC-B2", delay=5)
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="Cage two").wait_for()
    assert hub.resolves[-1]["source"] == ["wedge"]


def test_slow_typing_on_the_page_goes_into_the_scan_field_and_waits_for_the_person(hub):
    blur(hub)
    hub.keyboard.type("LOC-B2", delay=700)
    wait_until(lambda: hub.input_value("[data-scan-input]") == "LOC-B2")
    assert hub.evaluate("document.activeElement.matches('[data-scan-input]')")
    assert hub.resolves == []  # nothing sent until the person presses Enter
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="Cage two").wait_for()
    assert hub.resolves[-1]["source"] == ["typed"]


def test_the_phone_vibrates_and_beeps_differently_for_a_known_and_an_unknown_code(hub):
    hub.evaluate("() => { window.vibrations = []; navigator.vibrate = (p) => { window.vibrations.push(p); return true; }; }")
    blur(hub)
    hub.keyboard.type("LOC-B2", delay=5)
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="Cage two").wait_for()
    wait_until(lambda: hub.evaluate("window.vibrations.length") == 1)
    assert hub.evaluate("Storekeeper.lastFeedback") == "ok"
    blur(hub)
    hub.keyboard.type("NOPE-404", delay=5)
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="Unknown code").wait_for()
    wait_until(lambda: hub.evaluate("window.vibrations.length") == 2)
    assert hub.evaluate("window.vibrations") == [60, [150, 80, 150]]
    assert hub.evaluate("Storekeeper.lastFeedback") == "error"


def test_a_wedge_configured_to_send_a_stand_in_for_gs_keeps_the_gs1_fields_apart(hub):
    hub.evaluate("localStorage.setItem('sk.wedge.gs', '~')")
    blur(hub)
    hub.keyboard.type("010950110153000310LOT42~17261231", delay=5)
    hub.keyboard.press("Enter")
    hub.locator("#scan-result").filter(has_text="LOT42").wait_for()
    assert hub.resolves[-1]["code"] == ["010950110153000310LOT42\x1d17261231"]
