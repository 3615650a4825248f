"""Label layouts and how labels fill sheets. Pure: no Flask, no session.

Each layout names its paper (`page` is the CSS `@page size`), the label box and the grid. The print stylesheets
in static/css/ (labels.css for the boxes, labels-<layout>.css for the `@page` rule) carry the same numbers;
tests/unit/test_label_rules.py checks that the two agree, so the CSS can be read on its own by whoever tunes a
printer.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    thermal: bool = False

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (
        Layout("a4-3x8", "A4, 3 × 8 (70 × 37 mm, 24 per sheet)", "210mm 297mm", "70mm 37mm", 3, 8),
        Layout("a4-3x7", "A4, 3 × 7 (63.5 × 38.1 mm, Avery L7160, 21 per sheet)", "210mm 297mm", "63.5mm 38.1mm", 3, 7),
        Layout("letter-3x10", "US Letter, 3 × 10 (2⅝ × 1 in, Avery 5160, 30 per sheet)", "8.5in 11in", "2.625in 1in", 3, 10),
        Layout("letter-2x5", "US Letter, 2 × 5 (4 × 2 in, Avery 5163, 10 per sheet)", "8.5in 11in", "4in 2in", 2, 5),
        Layout("thermal-62", "Thermal 62 mm continuous, 62 × 29 mm each", "62mm 29mm", "62mm 29mm", 1, 1, True),
        Layout("thermal-2x1", "Thermal 2 × 1 in", "2in 1in", "2in 1in", 1, 1, True),
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
