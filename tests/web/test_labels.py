"""Label pages: the right number of labels per sheet layout, the payloads, the @page stylesheet, the links."""

from __future__ import annotations

import re

import pytest

from app.assets import services as asset_services
from app.extensions import db
from app.locations.services import create_location
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset

LABEL = re.compile(r'<article class="label label-(\w+)[^"]*" data-code="([^"]+)"')


def _labels(html: str) -> list[tuple[str, str]]:
    return LABEL.findall(html)


def _bins(n: int, zone: str = "Z1") -> None:
    create_location(code="S1", name="Site", kind="site", uow=UnitOfWork())
    create_location(code=zone, name="Zone", kind="zone", parent_code="S1", uow=UnitOfWork())
    for i in range(n):
        create_location(code=f"{zone}-{i:02d}", name=f"Bin {i}", kind="bin", parent_code=zone, walk_order=i,
                        uow=UnitOfWork())


@pytest.mark.parametrize(("layout", "per_sheet", "page_size"), [
    ("a4-3x8", 24, "210mm 297mm"), ("a4-3x7", 21, "210mm 297mm"), ("letter-3x10", 30, "8.5in 11in"),
    ("letter-2x5", 10, "8.5in 11in"), ("thermal-62", 1, "62mm 29mm"), ("thermal-2x1", 1, "2in 1in"),
])
def test_all_bins_of_a_zone_fill_sheets_of_the_chosen_layout(login, layout, per_sheet, page_size):
    _bins(31)
    c = login("staff")
    resp = c.get(f"/labels/sheet?kind=location&under=Z1&loc_kind=bin&layout={layout}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    sheets = re.findall(r'<section class="sheet sheet-([\w-]+)"', html)
    assert sheets == [layout] * -(-31 // per_sheet)
    labels = _labels(html)
    assert len(labels) == 31 and labels[0] == ("location", "Z1-00") and labels[-1] == ("location", "Z1-30")
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)" data-page-rule>', html).group(1)
    css = c.get(stylesheet).get_data(as_text=True)
    assert f"size: {page_size}; margin: 0;" in css


def test_each_label_carries_its_code_as_qr_and_as_code_128(login):
    _bins(1)
    html = login("staff").get("/labels/sheet?kind=location&code=Z1-00").get_data(as_text=True)
    assert 'data-symbology="qr" data-payload="Z1-00"' in html
    assert 'data-symbology="code128" data-payload="Z1-00"' in html


def test_an_item_label_uses_its_ean_and_an_item_without_one_code_128_of_its_sku(login, make_item):
    from app.stock import services as stock

    with_ean = make_item("BOLT-M6", name="Bolt M6")
    stock.create_item(sku="RAG-1", name="Cleaning rag", uow=UnitOfWork())
    html = login("staff").get("/labels/sheet?kind=item&q=&layout=a4-3x8").get_data(as_text=True)
    assert _labels(html) == [("item", "BOLT-M6"), ("item", "RAG-1")]
    assert f'data-symbology="ean13" data-payload="{with_ean.ean}"' in html
    assert 'data-symbology="code128" data-payload="RAG-1"' in html
    assert 'data-symbology="qr" data-payload="BOLT-M6"' in html


def test_items_by_search(login, make_item):
    make_item("BOLT-M6", name="Bolt M6")
    make_item("NUT-M6", name="Nut M6")
    make_item("WASHER", name="Washer")
    html = login("staff").get("/labels/sheet?kind=item&q=m6").get_data(as_text=True)
    assert [code for _, code in _labels(html)] == ["BOLT-M6", "NUT-M6"]


def test_skip_and_copies_place_labels_after_the_used_positions(login):
    _bins(2)
    html = login("staff").get("/labels/sheet?kind=location&under=Z1&loc_kind=bin&skip=5&copies=2").get_data(
        as_text=True)
    assert html.count('class="label label-empty"') == 5
    assert [code for _, code in _labels(html)] == ["Z1-00", "Z1-00", "Z1-01", "Z1-01"]


def test_one_asset_label_opens_from_its_page_for_a_thermal_printer(login):
    an_asset("LN-0042")
    c = login("manager")
    page = c.get("/assets/LN-0042").get_data(as_text=True)
    assert 'href="/labels/code/LN-0042"' in page
    html = c.get("/labels/code/LN-0042").get_data(as_text=True)
    assert _labels(html) == [("asset", "LN-0042")]
    assert "sheet-thermal-62" in html and "labels-thermal-62.css" in html
    assert 'href="/labels/code/LN-0042?layout=thermal-2x1"' in html


def test_the_scan_result_offers_to_print_the_label_of_what_was_scanned(login, make_item):
    item = make_item("BOLT-M6")
    c = login("staff")
    html = c.hx_get(f"/scan/resolve?code={item.ean}").get_data(as_text=True)
    link = re.search(r'href="(/labels/code/[^"]+)"[^>]*data-print-label', html).group(1)
    assert _labels(c.get(link).get_data(as_text=True)) == [("item", "BOLT-M6")]


def test_a_kit_label_and_the_location_list_links(login):
    an_asset("LN-0001")
    asset_services.create_kit(code="KIT-01", name="Survey kit", tags=["LN-0001"], uow=UnitOfWork())
    _bins(1)
    c = login("manager")
    assert 'href="/labels/code/KIT-01"' in c.get("/assets/kits").get_data(as_text=True)
    assert _labels(c.get("/labels/code/KIT-01").get_data(as_text=True)) == [("kit", "KIT-01")]
    locations = c.get("/locations/").get_data(as_text=True)
    assert 'href="/labels/code/Z1-00"' in locations
    assert "/labels/sheet?kind=location&amp;under=Z1&amp;loc_kind=bin" in locations


def test_a_name_with_markup_is_shown_escaped_on_the_label(login):
    create_location(code="S9", name='<img src=x onerror=alert(1)>', kind="site", uow=UnitOfWork())
    html = login("staff").get("/labels/code/S9").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_an_empty_selection_and_an_unknown_code_say_so(login):
    c = login("staff")
    resp = c.get("/labels/sheet?kind=location&q=nothing-like-this")
    assert resp.status_code == 422 and "Nothing matches" in resp.get_data(as_text=True)
    assert c.get("/labels/code/NOPE-1").status_code == 404
    resp = c.get("/labels/sheet?kind=location&layout=a5")
    assert resp.status_code == 422 and "Unknown label layout" in resp.get_data(as_text=True)


def test_labels_need_a_signed_in_user(client):
    resp = client.get("/labels/sheet?kind=location")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_every_qr_payload_resolves_in_the_scan_hub_to_the_labelled_thing(login, make_item):
    from app.scanning import services as scanning

    make_item("BOLT-M6")
    an_asset("LN-0001")
    asset_services.create_kit(code="KIT-01", name="Kit", tags=["LN-0001"], uow=UnitOfWork())
    _bins(1)
    c = login("manager")
    seen = []
    for kind in ("item", "location", "asset", "kit"):
        html = c.get(f"/labels/sheet?kind={kind}").get_data(as_text=True)
        for payload in re.findall(r'data-symbology="qr" data-payload="([^"]+)"', html):
            with c.application.test_request_context():
                seen.append((scanning.resolve(db.session, payload, user=c.user).kind, payload))
    assert ("item", "BOLT-M6") in seen and ("asset", "LN-0001") in seen and ("kit", "KIT-01") in seen
    assert ("location", "Z1-00") in seen
    assert all(kind != "unknown" for kind, _ in seen)


def _print_link(html: str) -> str:
    return re.search(r'href="(/labels/code/[^"]+)"[^>]*data-print-label', html).group(1)


def test_receiving_an_item_offers_to_print_its_label_right_away(login, make_item):
    import uuid

    item = make_item("BOLT-M6", name="Bolt M6", tracking="lot")
    c = login("staff")
    done = c.post("/stock/receive", htmx=True, data={"scan_id": uuid.uuid4().hex, "source": "wedge",
                                                      "scan": item.ean, "dst": "WH-DOCK", "lot": "L-7"})
    assert done.status_code == 200 and "Received" in done.text and "lot L-7" in done.text
    link = _print_link(done.text)
    assert link == "/labels/code/BOLT-M6"
    label = c.get(link)
    assert label.status_code == 200 and _labels(label.text) == [("item", "BOLT-M6")]


def test_a_step_of_the_receive_flow_offers_no_label_yet(login, make_item):
    import uuid

    make_item("BOLT-M6")
    step = login("staff").post("/stock/receive", htmx=True,
                               data={"scan_id": uuid.uuid4().hex, "source": "wedge", "scan": "WH-DOCK"})
    assert step.status_code == 200 and "data-print-label" not in step.text


def test_the_item_page_offers_its_label(login, make_item):
    make_item("BOLT-M6", name="Bolt M6")
    c = login("staff")
    link = _print_link(c.get("/stock/items/BOLT-M6").text)
    assert _labels(c.get(link).text) == [("item", "BOLT-M6")]


LONG_SKU = "HYDRAULIC-HOSE-1234X"


def test_a_long_sku_on_a_2x1_label_prints_the_qr_only_and_the_page_says_so(login):
    from app.stock import services as stock

    stock.create_item(sku=LONG_SKU, name="Hydraulic hose", uow=UnitOfWork())
    c = login("staff")
    html = c.get(f"/labels/code/{LONG_SKU}?layout=thermal-2x1").text
    assert _labels(html) == [("item", LONG_SKU)]
    assert 'class="label label-item label-qr-only"' in html
    assert f'data-symbology="qr" data-payload="{LONG_SKU}"' in html and 'data-symbology="code128"' not in html
    warning = re.search(r"<p class=\"labels-warn\"[^>]*>([^<]+)</p>", html).group(1)
    assert warning == (f"Code 128 of {LONG_SKU} does not fit a 2 × 1 in label; the label carries the QR only. "
                       "It fits a 4 × 2 in label.")
    # On the wide stock the bars fit, at a printable module width, and nothing is said.
    wide = c.get(f"/labels/code/{LONG_SKU}?layout=letter-2x5").text
    assert f'data-symbology="code128" data-payload="{LONG_SKU}"' in wide and "labels-warn" not in wide


def test_a_sheet_names_each_code_whose_bars_were_dropped_and_prints_the_others_with_bars(login):
    from app.stock import services as stock

    stock.create_item(sku=LONG_SKU, name="Hydraulic hose", uow=UnitOfWork())
    stock.create_item(sku="RAG-1", name="Cleaning rag", uow=UnitOfWork())
    html = login("staff").get("/labels/sheet?kind=item&layout=thermal-2x1").text
    assert re.findall(r'data-symbology="code128" data-payload="([^"]+)"', html) == ["RAG-1"]
    assert re.findall(r"<p class=\"labels-warn\"[^>]*>Code 128 of ([A-Z0-9-]+) ", html) == [LONG_SKU]
