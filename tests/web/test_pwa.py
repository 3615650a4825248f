"""The installable app: manifest, service worker, offline page, and the scan page's first-load budget."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import app.pwa.routes as pwa_routes

ROOT = Path(__file__).resolve().parents[2]


def test_the_service_worker_is_served_at_the_root_as_javascript_that_is_never_cached_stale(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    version = re.search(r'const VERSION = "([0-9a-f]{12})";', body).group(1)
    assert '"sk-shell-" + VERSION' in body
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    assert any(u.startswith("/static/js/scanner.js?v=") for u in shell)
    assert any(u.startswith("/static/js/queue.js?v=") for u in shell)
    assert any(u.startswith("/static/css/app.css?v=") for u in shell)
    assert 'const OFFLINE_URL = "/offline"' in body
    assert version


def test_each_precached_file_exists_so_the_worker_installs(client):
    body = client.get("/sw.js").get_data(as_text=True)
    urls = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    urls += json.loads(re.search(r"const DECODER = (\[.*?\]);", body).group(1))
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_worker_cache_version_changes_when_a_static_file_changes(app, monkeypatch):
    with app.test_request_context():
        before = pwa_routes.worker_context()["version"]
        original = pwa_routes.static_url
        monkeypatch.setattr(pwa_routes, "static_url", lambda p: original(p) + ("x" if p == "css/app.css" else ""))
        after = pwa_routes.worker_context()["version"]
    assert before != after


def test_the_offline_page_is_public_and_carries_nothing_personal(login):
    c = login("manager")
    resp = c.get("/offline")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert c.user.name not in body and c.user.email not in body
    assert "csrf-token" not in body
    assert "No connection" in body


def test_the_manifest_has_what_install_prompts_want_with_versioned_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    assert resp.headers["Cache-Control"] == "no-cache"
    m = resp.get_json(force=True)
    assert m["name"] and m["short_name"] and m["start_url"] == "/scan/" and m["display"] == "standalone"
    assert m["theme_color"] and m["background_color"] and m["id"] and m["scope"] == "/"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        assert "?v=" in icon["src"]
        assert client.get(icon["src"]).status_code == 200


def test_every_page_links_the_manifest_and_loads_the_scanner_and_queue(login):
    page = login("staff").get("/scan/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert re.search(r'src="/static/js/queue\.js\?v=\w+" defer', page)
    assert re.search(r'src="/static/js/scanner\.js\?v=\w+" defer', page)
    assert 'name="apple-mobile-web-app-capable"' in page


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def test_the_scan_page_first_load_stays_under_60_kb_compressed_without_the_decoder(login):
    c = login("staff")
    html = c.get("/scan/").data
    # Everything the page itself references (counting the icons too, which browsers fetch lazily).
    urls = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    assert not [u for u in urls if re.search(rb"zxing|ponyfill|decoder-worker", u)]
    total = _gz(html)
    for url in set(urls):
        total += _gz(c.get(url.decode()).data)
    assert total <= 60 * 1024, f"first load is {total} bytes compressed"
    # The decoder files are only named in data attributes, never loaded by the page itself.
    assert not re.search(rb'<script[^>]+src="[^"]*(zxing|ponyfill|decoder-worker)', html)
