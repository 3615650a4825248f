"""PWA endpoints, public because the browser fetches them without asking who you are.

- /sw.js: the service worker, rendered so it can list the versioned static URLs it precaches. Its cache is named by
  a content version (a hash of that list and of the worker's own source), so any change to a static file makes a new
  worker with a new cache and the old one is deleted on activation. Served with `Cache-Control: no-cache` (and the
  page registers it with updateViaCache "none"), so a stale worker never outlives a deploy.
- /offline: what a navigation shows when the network is gone and the page was never cached. No personal data.
- /manifest.webmanifest: static/manifest.webmanifest with versioned icon URLs, served no-cache (the file's own URL
  would be cached for a year by WhiteNoise without a version to bust it).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, url_for

from ..web.assets import static_url
from ..web.guards import public

bp = Blueprint("pwa", __name__)

# The app shell: what every page needs, cached when the worker installs.
SHELL = [
    "css/app.css",
    "js/app.js",
    "js/queue.js",
    "js/steps.js",
    "js/scanner.js",
    "vendor/htmx.min.js",
    "icons/icon.svg",
    "icons/icon-180.png",
    "icons/icon-192.png",
]
# The camera decoder (≈ 480 KB compressed): cached too, best effort, so the camera works offline.
DECODER = ["js/decoder-worker.js", "vendor/barcode-detector/ponyfill.js", "vendor/zxing_reader.wasm"]
# Imported by the ponyfill by a relative URL, so without a version query.
DECODER_PLAIN = ["vendor/barcode-detector/zxing-exported.js"]


def _template_source(name: str) -> str:
    path = Path(current_app.template_folder) / name
    return path.read_text(encoding="utf-8")


def worker_context() -> dict:
    shell = [static_url(p) for p in SHELL]
    decoder = [static_url(p) for p in DECODER] + [url_for("static", filename=p) for p in DECODER_PLAIN]
    offline = url_for("pwa.offline")
    digest = hashlib.sha256()
    for part in [*shell, *decoder, offline, _template_source("pwa/sw.js"), _template_source("pwa/offline.html")]:
        digest.update(part.encode())
        digest.update(b"\0")
    return {
        "version": digest.hexdigest()[:12],
        "shell": shell,
        "decoder": decoder,
        "offline_url": offline,
        "login_url": url_for("auth.login"),
        "logout_url": url_for("auth.logout"),
    }


@bp.get("/sw.js")
@public
def service_worker():
    body = render_template("pwa/sw.js", **worker_context())
    resp = make_response(body)
    resp.mimetype = "text/javascript"
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/offline")
@public
def offline():
    resp = make_response(render_template("pwa/offline.html"))
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/manifest.webmanifest")
@public
def manifest():
    source = Path(current_app.static_folder) / "manifest.webmanifest"
    data = json.loads(source.read_text(encoding="utf-8"))
    prefix = url_for("static", filename="")
    for icon in data.get("icons", []) + [i for s in data.get("shortcuts", []) for i in s.get("icons", [])]:
        if icon["src"].startswith(prefix):
            icon["src"] = static_url(icon["src"][len(prefix):])
    resp = make_response(json.dumps(data, indent=1))
    resp.mimetype = "application/manifest+json"
    resp.headers["Cache-Control"] = "no-cache"
    return resp
