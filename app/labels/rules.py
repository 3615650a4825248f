"""Label layouts and how labels fill sheets. Pure: no Flask, no session.

Each layout names its paper (`page` is the CSS `@page size`), the label box and the grid. The print stylesheets
in static/css/ (labels.css for the boxes, labels-<layout>.css for the `@page` rule) carry the same numbers;
tests/unit/test_label_rules.py checks that the two agree, so the CSS can be read on its own by whoever tunes a
printer.

Bars are printed at an exact module width, never stretched to their box. A thermal head prints whole dots, and
at 203 dpi a dot is 0.125 mm: a Code 128 squeezed to 0.17 mm per module comes out as bars of one or two dots at
random and does not scan (measured: on a 2 × 1 in label short codes like WH1-A1-1 did not read at 203 dpi). So
every module is a whole number of 203-dpi dots — exact on the coarsest common head, and at least 2.95 dots on a
300-dpi head or 5.9 on a 600-dpi laser, where one dot of rounding no longer matters — and at least the minimum of
its symbology: 0.25 mm (2 dots) for Code 128, 0.264 mm (GS1's 80 % magnification of EAN/UPC, so 3 dots) for
EAN-13/8 and UPC-A. The widest such module that fits the label's bar box is used, up to a sensible maximum. A code
too long for that is printed without bars — the QR, which reads everywhere, carries it alone — and the sheet page
says so (`fit`), rather than printing bars no scanner reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..errors import Invalid

MAX_LABELS = 1000  # one print job; more is a mistake in the selection
MAX_COPIES = 50


@dataclass(frozen=True)
class Layout:
    key: str
    title: str
    page: str  # CSS @page size
    label: str  # label width × height as printed, for people
    columns: int
    rows: int
    short: str  # the label's size in words, for messages
    pad_mm: float  # the label's padding (labels.css --pad); the bars may use the whole width inside it
    thermal: bool = False

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def size_mm(self) -> tuple[float, float]:
        width, height = (to_mm(v) for v in self.label.split())
        return width, height

    @property
    def bars_mm(self) -> float:
        """The widest a linear symbol (quiet zones included) may print on this label."""
        return self.size_mm[0] - 2 * self.pad_mm


def to_mm(length: str) -> float:
    """A CSS length in mm or in, in mm."""
    length = length.strip()
    if length.endswith("in"):
        return float(length[:-2]) * 25.4
    if length.endswith("mm"):
        return float(length[:-2])
    raise ValueError(f"not a length in mm or in: {length!r}")


LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (
        Layout("a4-3x8", "A4, 3 × 8 (70 × 37 mm, 24 per sheet)", "210mm 297mm", "70mm 37mm", 3, 8,
               "70 × 37 mm", 2),
        Layout("a4-3x7", "A4, 3 × 7 (63.5 × 38.1 mm, Avery L7160, 21 per sheet)", "210mm 297mm", "63.5mm 38.1mm", 3, 7,
               "63.5 × 38.1 mm", 2),
        Layout("letter-3x10", "US Letter, 3 × 10 (2⅝ × 1 in, Avery 5160, 30 per sheet)", "8.5in 11in", "2.625in 1in",
               3, 10, "2⅝ × 1 in", 1.5),
        Layout("letter-2x5", "US Letter, 2 × 5 (4 × 2 in, Avery 5163, 10 per sheet)", "8.5in 11in", "4in 2in", 2, 5,
               "4 × 2 in", 2),
        Layout("thermal-62", "Thermal 62 mm continuous, 62 × 29 mm each", "62mm 29mm", "62mm 29mm", 1, 1,
               "62 × 29 mm", 1.5, True),
        Layout("thermal-2x1", "Thermal 2 × 1 in", "2in 1in", "2in 1in", 1, 1, "2 × 1 in", 1.5, True),
    )
}
DEFAULT_SHEET = "a4-3x8"
DEFAULT_SINGLE = "thermal-62"


def layout(key: str | None, *, default: str = DEFAULT_SHEET) -> Layout:
    key = (key or default).strip()
    found = LAYOUTS.get(key)
    if found is None:
        raise Invalid(f"Unknown label layout {key!r}; choose one of {', '.join(LAYOUTS)}.", field="layout")
    return found


def whole(raw, *, field: str, low: int, high: int, default: int) -> int:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise Invalid(f"{field.replace('_', ' ').capitalize()} is a whole number.", field=field) from None
    if not low <= value <= high:
        raise Invalid(f"{field.replace('_', ' ').capitalize()} is between {low} and {high}.", field=field)
    return value


def sheets(labels: list, lay: Layout, *, skip: int = 0, copies: int = 1) -> list[list]:
    """Labels in print order, `copies` of each, cut into pages of the layout; the first `skip` positions of the
    first sheet stay empty (None) so a half-used sheet can go through the printer again."""
    flat = [label for label in labels for _ in range(copies)]
    if len(flat) > MAX_LABELS:
        raise Invalid(f"That is {len(flat)} labels; print at most {MAX_LABELS} at a time (narrow the selection).",
                      field="copies")
    skip = skip if not lay.thermal else 0
    if skip >= lay.per_sheet:
        raise Invalid(f"A sheet of this layout has {lay.per_sheet} labels; skip fewer.", field="skip")
    cells = [None] * skip + flat
    size = lay.per_sheet
    return [cells[i:i + size] for i in range(0, len(cells), size)] or [[]]


DOT_MM = 25.4 / 203  # one dot of a 203-dpi print head, the coarsest in common use
SYMBOLOGY_NAMES = {"code128": "Code 128", "ean13": "EAN-13", "ean8": "EAN-8", "upca": "UPC-A"}
# Narrowest module that still scans: Code 128 at 10 mil (2 dots at 203 dpi); EAN/UPC at GS1's smallest
# magnification, 80 % of 0.33 mm. Widest worth printing: GS1's 200 % for EAN/UPC; 4 dots for Code 128, beyond
# which a wider symbol only crowds the label.
MIN_MODULE_MM = {"code128": 0.25, "ean13": 0.264, "ean8": 0.264, "upca": 0.264}
MAX_MODULE_MM = {"code128": 0.51, "ean13": 0.66, "ean8": 0.66, "upca": 0.66}


def module_mm(lay: Layout, symbology: str, modules: int) -> float | None:
    """The printed width of one module of a linear symbol `modules` wide (quiet zones included) on this layout:
    the most whole 203-dpi dots that fit its bar box, at least the symbology's minimum. None when even the
    minimum does not fit."""
    fewest = math.ceil(MIN_MODULE_MM[symbology] / DOT_MM - 1e-9)
    most = math.floor(min(lay.bars_mm / modules, MAX_MODULE_MM[symbology]) / DOT_MM + 1e-9)
    return most * DOT_MM if most >= fewest else None


MAX_NOTES = 5  # a zone of long codes would otherwise fill the page with the same sentence


def fit(labels: list, lay: Layout) -> tuple[list, list[str]]:
    """The labels as printed on `lay`: each one's bars sized in whole dots, or dropped (bars=None, QR only) when
    they cannot fit at the minimum module width; and what to tell the person about the dropped ones."""
    placed, dropped = [], []
    for label in labels:
        bars = label.bars
        x = module_mm(lay, bars.symbology, bars.modules) if bars is not None else None
        if x is None and bars is not None:
            dropped.append(bars)
        placed.append(replace(label, bars=bars.sized(x) if x is not None else None))
    notes = []
    for bars in list(dict.fromkeys(dropped))[:MAX_NOTES]:
        wider = [other.short for other in sorted(LAYOUTS.values(), key=lambda o: o.bars_mm)
                 if module_mm(other, bars.symbology, bars.modules)]
        notes.append(f"{SYMBOLOGY_NAMES[bars.symbology]} of {bars.data} does not fit a {lay.short} label; the label "
                     "carries the QR only." + (f" It fits a {wider[0]} label." if wider else ""))
    more = len(set(dropped)) - MAX_NOTES
    if more > 0:
        notes.append(f"{more} more {'labels carry' if more != 1 else 'label carries'} the QR only for the same "
                     "reason.")
    return placed, notes
