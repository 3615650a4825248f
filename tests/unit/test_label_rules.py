"""Label layouts, sheet filling and symbols — without Flask."""

from __future__ import annotations

import re
from pathlib import Path

import barcode
import pytest

from app.errors import Invalid
from app.labels import rules, symbols
from app.scanning.rules import parse

CSS = Path(__file__).resolve().parents[2] / "static" / "css"


@pytest.mark.parametrize("key", list(rules.LAYOUTS))
def test_each_layout_has_a_page_rule_of_its_paper_size(key):
    lay = rules.LAYOUTS[key]
    css = (CSS / f"labels-{key}.css").read_text()
    assert re.search(r"@page\s*\{\s*size:\s*" + re.escape(lay.page) + r";\s*margin:\s*0;", css)


@pytest.mark.parametrize("key", list(rules.LAYOUTS))
def test_the_sheet_class_of_each_layout_matches_the_layout_table(key):
    lay = rules.LAYOUTS[key]
    css = (CSS / "labels.css").read_text()
    block = re.search(r"\.sheet-" + re.escape(key) + r" \{([^}]*)\}", css).group(1)
    values = dict(re.findall(r"--([a-z]+):\s*([^;]+);", block))
    assert f"{values['pw']} {values['ph']}" == lay.page
    assert f"{values['lw']} {values['lh']}" == lay.label
    assert (int(values["cols"]), int(values["rows"])) == (lay.columns, lay.rows)


def _mm(value: str) -> float:
    number = float(re.match(r"[\d.]+", value).group(0))
    return number * 25.4 if value.endswith("in") else number


@pytest.mark.parametrize("key", list(rules.LAYOUTS))
def test_the_grid_of_each_layout_fits_on_its_paper(key):
    css = (CSS / "labels.css").read_text()
    v = dict(re.findall(r"--([a-z]+):\s*([^;]+);", re.search(r"\.sheet-" + key + r" \{([^}]*)\}", css).group(1)))
    cols, rows = int(v["cols"]), int(v["rows"])
    width = _mm(v["left"]) + cols * _mm(v["lw"]) + (cols - 1) * _mm(v["gx"])
    height = _mm(v["top"]) + rows * _mm(v["lh"]) + (rows - 1) * _mm(v["gy"])
    assert width <= _mm(v["pw"]) + 0.01 and height <= _mm(v["ph"]) + 0.01


def test_avery_5160_is_thirty_labels_of_two_and_five_eighths_by_one_inch_on_letter():
    lay = rules.layout("letter-3x10")
    assert lay.per_sheet == 30 and lay.label == "2.625in 1in" and lay.page == "8.5in 11in"


def test_labels_fill_sheets_in_order_and_the_last_sheet_is_partial():
    pages = rules.sheets(list(range(50)), rules.layout("a4-3x8"))
    assert [len(p) for p in pages] == [24, 24, 2]
    assert pages[1][0] == 24


def test_skipped_positions_stay_empty_on_the_first_sheet_only():
    pages = rules.sheets(["a", "b"], rules.layout("a4-3x8"), skip=22, copies=2)
    assert pages[0][:22] == [None] * 22 and pages[0][22:] == ["a", "a"] and pages[1] == ["b", "b"]


def test_thermal_labels_are_one_per_page_and_ignore_skip():
    pages = rules.sheets(["a", "b"], rules.layout("thermal-62"), skip=0, copies=1)
    assert pages == [["a"], ["b"]]


def test_too_many_labels_are_refused():
    with pytest.raises(Invalid, match="at most 1000"):
        rules.sheets(list(range(600)), rules.layout("a4-3x8"), copies=2)


def test_an_unknown_layout_is_refused_by_name():
    with pytest.raises(Invalid, match="Unknown label layout 'a5'"):
        rules.layout("a5")


def test_an_ean13_is_drawn_as_its_own_symbology_with_python_barcodes_modules():
    sym = symbols.product_barcode("4006381333931", "SKU-1")
    assert sym.symbology == "ean13" and sym.data == "4006381333931"
    modules = symbols.linear_modules("ean13", "4006381333931")
    bars = re.findall(r"M(\d+) 0h(\d+)", str(sym.svg))
    drawn = ["0"] * len(modules)
    for x, w in bars:
        for i in range(int(x) - 11, int(x) - 11 + int(w)):
            drawn[i] = "1"
    assert "".join(drawn) == modules


def test_an_item_without_an_ean_gets_code_128_of_its_sku():
    sym = symbols.product_barcode(None, "SKU-0042")
    assert sym.symbology == "code128" and sym.data == "SKU-0042"
    assert symbols.linear_modules("code128", "SKU-0042") == "".join(barcode.get("code128", "SKU-0042").build())


def test_svg_symbols_use_no_inline_style_and_carry_no_fixed_size():
    for sym in (symbols.qr("A-01"), symbols.linear("code128", "A-01"), symbols.product_barcode("036000291452", "X")):
        svg = str(sym.svg)
        assert "style=" not in svg and " width=\"" not in svg.split(">")[0] and "id=" not in svg


def test_a_payload_with_markup_is_escaped_in_the_svg_attributes():
    svg = str(symbols.qr('A"><script>').svg)
    assert "<script>" not in svg and "&#34;&gt;&lt;script&gt;" in svg


def test_the_qr_path_draws_exactly_the_dark_modules_of_the_matrix():
    matrix = symbols.qr_matrix("LN-0042")
    svg = str(symbols.qr("LN-0042").svg)
    dark = set()
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", svg):
        for i in range(int(w)):
            dark.add((int(x) + i - symbols.QR_QUIET, int(y) - symbols.QR_QUIET))
    assert dark == {(x, y) for y, row in enumerate(matrix) for x, v in enumerate(row) if v}


def _raster(svg: str, scale: int = 8, bar_height: int = 60):
    """Draw our SVG's rectangles with Pillow (they are the whole drawing: one path of axis-aligned boxes)."""
    from PIL import Image, ImageDraw

    vb = [float(x) for x in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    linear_ = vb[3] == 1
    height = bar_height if linear_ else int(vb[3] * scale)
    img = Image.new("L", (int(vb[2] * scale), height), 255)
    draw = ImageDraw.Draw(img)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", svg):
        x, y, w = int(x), int(y), int(w)
        top, bottom = (0, height) if linear_ else (y * scale, (y + 1) * scale)
        draw.rectangle([x * scale, top, (x + w) * scale - 1, bottom - 1], fill=0)
    return img


@pytest.mark.parametrize(("make", "payload", "fmt"), [
    (lambda: symbols.qr("A-01"), "A-01", "qrcode"),
    (lambda: symbols.qr("LN-0042"), "LN-0042", "qrcode"),
    (lambda: symbols.linear("code128", "SKU-0042"), "SKU-0042", "code128"),
    (lambda: symbols.product_barcode("4006381333931", "X"), "4006381333931", "ean13"),
    (lambda: symbols.product_barcode("036000291452", "X"), "036000291452", "ean13"),  # zxing reports UPC-A as EAN-13
])
def test_the_svg_decodes_back_to_the_same_scan_key_with_zxing(make, payload, fmt):
    zxingcpp = pytest.importorskip("zxingcpp")
    found = zxingcpp.read_barcodes(_raster(str(make().svg)))
    assert len(found) == 1
    assert re.sub(r"[^a-z0-9]", "", str(found[0].format).split(".")[-1].lower()) == fmt
    assert parse(found[0].text).key == parse(payload).key
