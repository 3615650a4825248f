"""With a keyboard alone (a phone with a keyboard, a desktop, a switch device) the scan page and the dashboard can
be worked: the first Tab stop is the skip link and it jumps to the content, every control shows where the focus is
and is not hidden under the sticky bars when it gets it, and the bottom bar can be reached."""

from __future__ import annotations

import pytest

from tests.browser.narrow import NARROW, open_settled, seed_long_names, sign_in_settled

SAMPLE = 15  # Tab stops checked for a focus indicator, from the top of the page
MOST = 150  # Tab presses allowed to reach the bottom bar

# What has the focus: a description; whether it shows a focus indicator (an outline or a box shadow of its own when
# focused); and whether it is hidden — the topmost element at its centre is something else (a sticky bar over it).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    && style.outlineColor !== 'transparent' && style.outlineColor !== 'rgba(0, 0, 0, 0)';
  const shadow = style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${text.slice(0, 30)}"`,
    id: el.id,
    skip: el.matches('a.skip'),
    indicator: outline || shadow,
    hidden: !(top && (top === el || el.contains(top))),
    in_nav: !!el.closest('nav.bottomnav'),
    in_main: !!el.closest('#main'),
  };
}"""


@pytest.fixture
def keyboard_phone(browser, live_server, make_user, make_item, put_stock):
    seed_long_names(make_item, put_stock)
    context = browser.new_context(base_url=live_server.url, **NARROW)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in_settled(page, make_user("manager").email)
    yield page
    context.close()


def _tab(page) -> dict | None:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def _walk_the_tab_order(page, first: dict) -> None:
    """From the focused stop, Tab through the page: the first SAMPLE stops show a focus indicator and are not hidden
    under a sticky bar, and the bottom bar comes within MOST presses."""
    faults = []
    stop = first
    for n in range(MOST):
        if stop is not None:
            if n < SAMPLE and not stop["indicator"]:
                faults.append(f"{stop['what']} shows no focus indicator")
            if n < SAMPLE and stop["hidden"]:
                faults.append(f"{stop['what']} is hidden under something else when focused")
            if stop["in_nav"]:
                break
        stop = _tab(page)
    else:
        faults.append(f"the bottom bar is not reached in {MOST} Tab presses")
    assert faults == [], faults
    assert stop["indicator"] and not stop["hidden"], stop  # the bottom bar's own link shows its focus too


def test_on_the_dashboard_tab_reaches_the_skip_link_first_and_it_jumps_to_the_content(keyboard_phone):
    page = keyboard_phone
    open_settled(page, "/dashboard/")
    first = _tab(page)
    assert first is not None and first["skip"], first
    assert first["indicator"] and not first["hidden"], first  # parked off-screen until it has the focus

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    after = _tab(page)
    assert after is not None and after["in_main"], after  # the next stop is the content's first control

    open_settled(page, "/dashboard/")
    _walk_the_tab_order(page, _tab(page))


def test_on_the_scan_page_the_focus_starts_in_the_scan_field_and_the_skip_link_opens_the_tab_order(keyboard_phone):
    """The scan field has the focus when the page opens (a hardware scanner types into it), so the skip link's job
    is done already; the skip link is still the first stop of the page's Tab order — Tab past the bottom bar comes
    round to it before anything else."""
    page = keyboard_phone
    open_settled(page, "/scan/")
    assert page.evaluate("document.activeElement.id") == "scan-code"

    stop = None
    for _ in range(MOST):
        stop = _tab(page)
        if stop is not None and not stop["in_main"] and not stop["in_nav"]:
            break  # left the page's end and came round to its start
    assert stop is not None and stop["skip"], stop
    assert stop["indicator"] and not stop["hidden"], stop

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert _tab(page)["id"] == "scan-code"

    _walk_the_tab_order(page, page.evaluate(FOCUSED))
