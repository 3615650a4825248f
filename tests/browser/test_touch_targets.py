"""On a 360 px phone every control a thumb can tap — link, button, field, summary — is at least 44×44 CSS px, on
every main page of every role. The one exception is WCAG 2.5.8's: a link inside running text (a sentence around
it) keeps the height of its line."""

from __future__ import annotations

import pytest

from tests.browser.narrow import seed_long_names, walk_main_pages

MIN = 44

# Each visible control smaller than MIN either way, as [description, width, height]. Every <details> is opened
# first (what a tap reveals is tapped next) and the pending-scans badge shown as it is when scans wait offline. A
# checkbox or radio inside (or named by) a label is measured by its label, which is what a finger hits. Zero-size,
# hidden and parked-off-screen elements (the skip link until it has focus) are not targets.
SMALL_TARGETS = """(min) => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  document.getElementById('pending-badge')?.removeAttribute('hidden');
  const SELECTOR = 'a[href], button, input, select, textarea, summary, [role=button]';
  const isInline = el => getComputedStyle(el).display === 'inline';
  // Running text: the link is inline and a text node beside it (in its parent or an inline ancestor up to the
  // enclosing block) has words — "…, or <a>check it here</a>." A separator (" · ") between links is not text.
  const WORDS = /[\\p{L}\\p{N}]/u;
  const inRunningText = el => {
    if (el.tagName !== 'A' || !isInline(el)) return false;
    for (let node = el; node.parentElement; node = node.parentElement) {
      const parent = node.parentElement;
      for (const sibling of parent.childNodes) {
        if (sibling !== node && sibling.nodeType === Node.TEXT_NODE && WORDS.test(sibling.textContent)) return true;
      }
      if (!isInline(parent)) return false;
    }
    return false;
  };
  const describe = el => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    if (el.classList.length) d += '.' + [...el.classList].join('.');
    if (el.getAttribute('type')) d += `[type=${el.getAttribute('type')}]`;
    if (el.getAttribute('name')) d += `[name=${el.getAttribute('name')}]`;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    const where = el.parentElement?.closest('[id]');
    if (where && where.id !== 'main') d = `#${where.id} ${d}`;
    return text ? `${d} "${text.slice(0, 40)}"` : d;
  };
  const small = [];
  for (const el of document.querySelectorAll(SELECTOR)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el;
    }
    // A link wrapped over lines is several boxes, each as tall as its line: the largest is its target.
    const boxes = [...target.getClientRects()];
    const width = Math.max(0, ...boxes.map(b => b.width));
    const height = Math.max(0, ...boxes.map(b => b.height));
    const right = Math.max(0, ...boxes.map(b => b.right));
    if (width <= 1 || height <= 1 || getComputedStyle(el).visibility === 'hidden' || right <= 0) continue;
    if (el.matches('input[type=hidden]') || inRunningText(el)) continue;
    if (width + 0.01 < min || height + 0.01 < min) {
      small.push([describe(el), Math.round(width * 10) / 10, Math.round(height * 10) / 10]);
    }
  }
  return small;
}"""


@pytest.fixture
def some_data(make_item, put_stock):
    seed_long_names(make_item, put_stock)


def test_every_control_on_every_main_page_is_a_44_px_touch_target_at_360_px(browser, live_server, make_user, some_data):
    too_small: list[tuple[str, str]] = []
    pages: list[str] = []

    def measure(role: str, path: str, page) -> None:
        pages.append(path)
        too_small.extend(
            (f"{role} {path}", f"{what} is {w}×{h} px") for what, w, h in page.evaluate(SMALL_TARGETS, MIN)
        )

    walk_main_pages(browser, live_server, make_user, measure)
    assert "/dashboard/" in pages and "/scan/" in pages, pages
    # The same control of the shell (the top and bottom bars) on every page is listed once, with its pages.
    where: dict[str, list[str]] = {}
    for on, control in too_small:
        where.setdefault(control, []).append(on)
    if where:
        lines = []
        for control, seen in where.items():
            seen = list(dict.fromkeys(seen))
            more = f" and {len(seen) - 4} more" if len(seen) > 4 else ""
            lines.append(f"{control} on {', '.join(seen[:4])}{more}")
        pytest.fail(f"{len(where)} controls smaller than {MIN}×{MIN} px:\n" + "\n".join(lines), pytrace=False)
