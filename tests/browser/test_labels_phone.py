"""On a phone: open the label sheet of a zone's bins, see every label, and read one back from the screen."""

from __future__ import annotations

import io

import pytest

from app.locations.services import create_location
from app.uow import UnitOfWork
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD


def test_a_phone_opens_the_label_sheet_of_a_zone_and_the_labels_scan(phone, make_user):
    create_location(code="S1", name="Site", kind="site", uow=UnitOfWork())
    create_location(code="Z1", name="Zone 1", kind="zone", parent_code="S1", uow=UnitOfWork())
    for i in range(5):
        create_location(code=f"Z1-{i:02d}", name=f"Bin {i}", kind="bin", parent_code="Z1", walk_order=i,
                        uow=UnitOfWork())
    staff = make_user("staff")
    console_errors: list[str] = []
    phone.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    sign_in_page(phone, staff.email, PASSWORD)

    phone.goto("/labels/?kind=location")
    phone.fill("#l-under", "z1")
    phone.select_option("#l-lkind", "bin")
    phone.click("button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "/labels/sheet" in phone.url
    labels = phone.locator("article.label")
    assert labels.count() == 5
    assert phone.locator("[data-print]").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the sheet scrolls sideways on a phone"
    # The label keeps its physical size on screen (70 mm ≈ 265 CSS px).
    box = labels.first.bounding_box()
    assert 255 <= box["width"] <= 275
    assert phone.js_errors == []
    assert [e for e in console_errors if "Content Security Policy" in e] == []  # inline SVG, no inline styles

    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    shot = Image.open(io.BytesIO(labels.first.locator(".label-qr").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == ["Z1-00"]
    bars = Image.open(io.BytesIO(labels.first.locator(".label-bars").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(bars)] == ["Z1-00"]

    # The print rendering uses the layout's paper.
    phone.emulate_media(media="print")
    width = phone.evaluate("getComputedStyle(document.querySelector('.sheet')).width")
    assert abs(float(width.removesuffix("px")) - 210 / 25.4 * 96) < 1
    assert not phone.locator(".labels-toolbar").is_visible()


@pytest.mark.parametrize(("layout", "pages", "points"), [
    ("a4-3x8", 2, (595.3, 841.9)), ("letter-3x10", 2, (612, 792)), ("thermal-62", 31, (175.7, 82.2)),
])
def test_printing_gives_one_page_of_the_layouts_paper_per_sheet(browser, live_server, make_user, layout, pages,
                                                                 points):
    import re

    create_location(code="S1", name="Site", kind="site", uow=UnitOfWork())
    create_location(code="Z1", name="Zone 1", kind="zone", parent_code="S1", uow=UnitOfWork())
    for i in range(31):
        create_location(code=f"Z1-{i:02d}", name=f"Bin {i}", kind="bin", parent_code="Z1", walk_order=i,
                        uow=UnitOfWork())
    staff = make_user("staff")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        sign_in_page(page, staff.email, PASSWORD)
        page.goto(f"/labels/sheet?kind=location&under=Z1&loc_kind=bin&layout={layout}")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == pages
    width, height = (float(x) for x in boxes[0])
    assert abs(width - points[0]) < 1 and abs(height - points[1]) < 1
