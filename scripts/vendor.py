"""Copy the front-end libraries installed by npm into static/vendor (no bundler, no CDN) and pre-compress
static files so WhiteNoise can serve them gzipped."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NM = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    # barcode-detector's ES ponyfill is self-contained; the zxing-wasm reader must be the version it nests
    # (FIELD-NOTES: a newer .wasm crashes it), served from our own origin instead of its default CDN.
    "barcode-detector/dist/es/ponyfill.js": "barcode-detector/ponyfill.js",
    "barcode-detector/dist/es/zxing-exported.js": "barcode-detector/zxing-exported.js",
    "zxing-wasm/dist/reader/zxing_reader.wasm": "zxing_reader.wasm",
}


def copy() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for src, dst in FILES.items():
        source = NM / src
        if not source.exists():
            sys.exit(f"missing {source}: run `npm ci` first")
        target = VENDOR / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def compress() -> None:
    sys.path.insert(0, str(ROOT))
    from app.web.assets import refresh_compressed

    refresh_compressed(ROOT / "static")


if __name__ == "__main__":
    if "--compress-only" not in sys.argv:
        copy()
    compress()
