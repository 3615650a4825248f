"""Barcode and QR symbols as small, self-contained SVG. Pure: no Flask, no session.

Encoding is done by the libraries — `python-barcode` (Code 128 with its automatic code-set switching and check
character; EAN-13, EAN-8, UPC-A with their guard patterns) and `qrcode` (QR, error correction M). We draw the
modules ourselves as ONE `<path>` with a `viewBox` in module units and `preserveAspectRatio="none"` (bars) or
square (QR), because:
- python-barcode's SVGWriter writes `style="fill:black"` on every bar, which our Content-Security-Policy
  (`style-src 'self'`, no inline styles) blocks when the SVG is inlined into the page; presentation attributes
  (`fill=`) are not styles and are allowed;
- its output and qrcode's have absolute sizes in mm (and qrcode repeats `id="qr-path"`, invalid when several labels
  share one page); ours carry no size at all, so the print stylesheet gives each symbol its exact box in mm/in.
The quiet zones (10 modules for Code 128, 11/7 for EAN/UPC, 2 for QR — enough for phone decoders, the label's
own padding adds the rest) are part of the viewBox, so a symbol scaled into its box keeps them.

A linear symbol is printed at an exact width: `Symbol.sized(module_mm)` gives its `<svg>` a `width` in mm (an
attribute, not a style), chosen per layout by app/labels/rules.py so that every module is a whole number of
printer dots. Only its height follows the label's box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import barcode
import qrcode
from markupsafe import Markup

QUIET = {"code128": (10, 10), "ean13": (11, 7), "ean8": (7, 7), "upca": (9, 9)}
QR_QUIET = 2


@dataclass(frozen=True)
class Symbol:
    """One symbol ready for a label: what it encodes, in which symbology, and its SVG."""

    symbology: str  # code128, ean13, ean8, upca, qr
    data: str  # exactly what a scanner reads back
    svg: Markup
    modules: int = 0  # width in modules, quiet zones included
    module_mm: float | None = None  # the printed width of one module, once placed on a layout

    @property
    def width_mm(self) -> float | None:
        return None if self.module_mm is None else self.modules * self.module_mm

    def sized(self, module_mm: float) -> Symbol:
        """The same symbol printed `module_mm` per module (its SVG gets that physical width)."""
        width = f"{self.modules * module_mm:.4f}".rstrip("0").rstrip(".")
        svg = str(self.svg).replace("<svg ", f'<svg width="{width}mm" ', 1)
        return replace(self, svg=Markup(svg), module_mm=module_mm)  # noqa: S704 - our own SVG plus a number


def linear_modules(symbology: str, data: str) -> str:
    """The bar pattern ('1' dark, '0' light modules) python-barcode encodes for `data`."""
    code = barcode.get(symbology, data)
    return "".join(code.build())


def linear(symbology: str, data: str, *, css_class: str = "sym sym-bars") -> Symbol:
    modules = linear_modules(symbology, data)
    left, right = QUIET[symbology]
    width = left + len(modules) + right
    parts, x = [], 0
    while x < len(modules):
        if modules[x] == "1":
            start = x
            while x < len(modules) and modules[x] == "1":
                x += 1
            parts.append(f"M{left + start} 0h{x - start}v1h-{x - start}z")
        else:
            x += 1
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} 1" '
        f'preserveAspectRatio="none" role="img" aria-label="{symbology} {_attr(data)}" data-symbology="{symbology}" '
        f'data-payload="{_attr(data)}" shape-rendering="crispEdges"><rect width="{width}" height="1" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>'
    )
    return Symbol(symbology, data, Markup(svg), width)  # noqa: S704 - built from digits/our own code, attributes escaped


def qr_matrix(data: str) -> list[list[bool]]:
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def qr(data: str, *, css_class: str = "sym sym-qr") -> Symbol:
    matrix = qr_matrix(data)
    n = len(matrix) + 2 * QR_QUIET
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start + QR_QUIET} {y + QR_QUIET}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {n} {n}" role="img" '
        f'aria-label="QR {_attr(data)}" data-symbology="qr" data-payload="{_attr(data)}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{"".join(parts)}"/></svg>'
    )
    return Symbol("qr", data, Markup(svg), n)  # noqa: S704 - path data is numbers only, attributes escaped


def product_barcode(printed: str | None, fallback: str) -> Symbol:
    """The item's own EAN/UPC when it has one (13, 12 or 8 digits as printed), else Code 128 of `fallback` (SKU)."""
    digits = (printed or "").strip()
    if digits.isdigit():
        kind = {13: "ean13", 12: "upca", 8: "ean8"}.get(len(digits))
        if kind:
            return linear(kind, digits)
    return linear("code128", fallback)


def _attr(value: str) -> str:
    return str(Markup.escape(value))
