"""Label layouts, sheet filling and symbols — without Flask."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def _css_vars(key: str) -> dict[str, str]:
    css = (CSS / "labels.css").read_text()
    return dict(re.findall(r"--([a-z]+):\s*([^;]+);", re.search(r"\.sheet-" + re.escape(key) + r" \{([^}]*)\}",
                                                                   css).group(1)))


def _printed_runs(svg: str) -> tuple[float, list[int], list[int]]:
    """From a placed linear symbol's SVG: the printed width of one module in mm, the widths (in modules) of its
    bars and of the spaces between them."""
    width_mm = float(re.search(r'<svg width="([\d.]+)mm"', svg).group(1))
    view_width = float(re.search(r'viewBox="0 0 ([\d.]+) 1"', svg).group(1))
    bars = [(int(x), int(w)) for x, w in re.findall(r"M(\d+) 0h(\d+)", svg)]
    spaces = [x2 - (x1 + w1) for (x1, w1), (x2, _) in zip(bars, bars[1:], strict=False)]
    return width_mm / view_width, [w for _, w in bars], spaces


SHORT_CODES = ["WH1-A1-1", "LN-0001", "BOLT-M6", "Z1-00", "KIT-01", "A-01"]
PRODUCT_CODES = ["4006381333931", "036000291452", "96385074"]


@pytest.mark.parametrize("key", list(rules.LAYOUTS))
def test_on_every_layout_the_narrowest_bar_and_space_print_at_least_the_minimum_in_whole_printer_dots(key):
    lay = rules.LAYOUTS[key]
    css = _css_vars(key)
    bar_box_mm = _mm(css["lw"]) - 2 * _mm(css["pad"])  # the label's physical width inside its padding
    symbols_ = [symbols.linear("code128", c) for c in SHORT_CODES] + [symbols.product_barcode(c, "X")
                                                                      for c in PRODUCT_CODES]
    placed, notes = rules.fit([_Label(s) for s in symbols_], lay)
    assert notes == [] and all(p.bars is not None for p in placed), "short codes and EANs keep their bars"
    for p in placed:
        svg = str(p.bars.svg)
        module, bars, spaces = _printed_runs(svg)
        narrowest = min(bars + spaces) * module
        assert narrowest >= rules.MIN_MODULE_MM[p.bars.symbology], (key, p.bars.data, narrowest)
        dots = module / (25.4 / 203)
        assert abs(dots - round(dots)) < 0.01, f"{p.bars.data} on {key}: {dots:.2f} dots per module"
        assert module * float(re.search(r'viewBox="0 0 ([\d.]+) 1"', svg).group(1)) <= bar_box_mm + 0.01
        assert "style=" not in svg


@dataclass(frozen=True)
class _Label:
    bars: symbols.Symbol | None


def test_a_20_character_sku_on_a_2x1_label_gets_the_qr_only_and_a_warning_naming_it():
    long_sku = symbols.linear("code128", "HYDRAULIC-HOSE-1234X")
    placed, notes = rules.fit([_Label(long_sku), _Label(symbols.linear("code128", "RAG-1"))],
                              rules.layout("thermal-2x1"))
    assert placed[0].bars is None and placed[1].bars is not None
    assert notes == ["Code 128 of HYDRAULIC-HOSE-1234X does not fit a 2 × 1 in label; the label carries the QR "
                     "only. It fits a 4 × 2 in label."]


def test_on_a_2x1_label_an_ean_13_prints_at_no_less_than_80_percent_of_nominal():
    placed, _ = rules.fit([_Label(symbols.product_barcode("4006381333931", "X"))], rules.layout("thermal-2x1"))
    module, _, _ = _printed_runs(str(placed[0].bars.svg))
    assert module / 0.33 >= 0.8


def test_the_warnings_of_a_whole_sheet_of_long_codes_stay_short():
    labels = [_Label(symbols.linear("code128", f"VERY-LONG-PART-{i:05d}")) for i in range(40)]
    placed, notes = rules.fit(labels, rules.layout("thermal-2x1"))
    assert all(p.bars is None for p in placed)
    assert len(notes) == rules.MAX_NOTES + 1 and notes[-1] == "35 more labels carry the QR only for the same reason."


@pytest.mark.parametrize("key", list(rules.LAYOUTS))
def test_the_padding_of_each_label_in_the_stylesheet_is_the_one_the_bars_are_fitted_to(key):
    assert _mm(_css_vars(key)["pad"]) == rules.LAYOUTS[key].pad_mm


def test_a_placed_symbol_has_a_physical_width_as_an_attribute_and_still_no_style():
    sym = symbols.linear("code128", "A-01").sized(0.25)
    head = str(sym.svg).split(">")[0]
    assert f'width="{sym.modules * 0.25:g}mm"' in head and "style=" not in head and sym.width_mm == sym.modules * 0.25
