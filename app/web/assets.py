"""Versioned static URLs: every reference carries a content hash, so files can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for


@lru_cache(maxsize=512)
def _digest(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def file_version(filename: str) -> str:
    path = Path(current_app.static_folder) / filename
    try:
        return _digest(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return "missing"


def static_url(filename: str) -> str:
    return url_for("static", filename=filename, v=file_version(filename))


COMPRESSIBLE = {".js", ".css", ".svg", ".wasm", ".webmanifest", ".html", ".json", ".mjs"}


def refresh_compressed(root: Path) -> int:
    """Write NAME.gz beside every compressible static file whose .gz is missing or older than it.

    WhiteNoise serves a .gz when one exists, so a stale one would serve old CSS or JS after an edit. Runs at app
    start (a few stat calls when nothing changed); writes are atomic so several workers starting together are safe.
    Returns how many files were (re)compressed. A read-only file system is left as it is.
    """
    import gzip
    import os
    import tempfile

    written = 0
    for path in root.rglob("*"):
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        gz = path.with_name(path.name + ".gz")
        try:
            if gz.exists() and gz.stat().st_mtime >= path.stat().st_mtime:
                continue
            data = path.read_bytes()
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            if len(packed) >= len(data) * 0.95:
                gz.unlink(missing_ok=True)
                continue
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gz-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(packed)
            os.replace(tmp, gz)
            written += 1
        except OSError:
            continue
    return written
