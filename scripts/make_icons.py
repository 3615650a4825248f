"""Draw the PNG app icons (home screen, splash, maskable) from the same design as static/icons/icon.svg."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BARS = [(12, 4), (19, 2), (24, 5), (32, 2), (37, 3), (43, 2), (48, 4)]


def draw(size: int, *, maskable: bool) -> Image.Image:
    img = Image.new("RGB", (size, size), "#0b3d2e")
    d = ImageDraw.Draw(img)
    # Maskable icons keep their drawing inside the central 80 % safe zone.
    scale = size / 64 * (0.7 if maskable else 1.0)
    offset = (size - 64 * scale) / 2
    for x, w in BARS:
        d.rectangle([offset + x * scale, offset + 14 * scale, offset + (x + w) * scale - 1, offset + 50 * scale], fill="#ffffff")
    d.rectangle([offset + 8 * scale, offset + 30 * scale, offset + 56 * scale, offset + 34 * scale], fill="#f59e0b")
    return img


if __name__ == "__main__":
    for size in (180, 192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
