"""Security checks added by the proof issue, next to test_route_matrix (sessions), test_api_operations (tokens),
test_security (CSRF, CSP) and test_auth (fixation, throttling, redirects): they close the gaps between them."""

from __future__ import annotations

import pytest

from app.api.openapi import OPERATIONS
from app.api.services import create_token
from app.uow import UnitOfWork
from tests.conftest import PASSWORD, ROLES
from tests.web.test_route_matrix import _routes, _url


@pytest.fixture
def bearer(make_user):
    def make(role: str) -> dict:
        user = make_user(role)
        return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}

    return make


def test_an_api_token_opens_no_page_of_the_web_app(app, client, bearer):
    """A token is for /api/v1 only: on the web app it counts for nothing (sign-in page, 401 or 403, never 2xx)."""
    headers = bearer("admin")
    public = {"auth.login", "web.healthz", "pwa.offline", "pwa.service_worker", "pwa.manifest"}
    opened = []
    for rule, method in _routes(app):
        if rule.rule.startswith("/api/") or rule.endpoint in public or rule.endpoint.startswith("pwa."):
            continue
        resp = client.open(_url(rule), method=method, headers=headers, data={})
        if resp.status_code < 300:
            opened.append((method, rule.rule, resp.status_code))
    assert opened == []


def test_a_browser_session_cannot_write_through_the_api_without_the_csrf_token(login):
    """A signed-in browser's cookie alone (what a forged cross-site request would carry) opens no API write: without
    a bearer token the API is under the same CSRF protection as the pages."""
    c = login("admin")
    written = []
    for op in OPERATIONS:
        if op.method == "get":
            continue
        path = op.path
        for param in op.path_params:
            path = path.replace("{" + param + "}", "NOPE-1")
        resp = c.open(path, method=op.method.upper(), json={})
        if resp.status_code not in (400, 401, 403) or (resp.status_code == 400 and b"csrf" not in resp.data.lower()):
            written.append((op.method, op.path, resp.status_code))
    assert written == []


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_every_response_kind_carries_nosniff_and_no_framing(app, client, login, role):
    c = client if role == "anonymous" else login(role)
    for url, kind in (("/login", "page"), ("/scan/", "page"), ("/nope-404", "404"), ("/api/v1/me", "json"),
                      ("/api/v1/openapi.json", "json"), ("/healthz", "json"), ("/static/css/app.css", "static"),
                      ("/sw.js", "sw"), ("/manifest.webmanifest", "manifest")):
        resp = c.get(url)
        if resp.status_code == 404 and kind in ("sw", "manifest"):
            continue
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", (url, role)
        if "html" in (resp.mimetype or ""):
            csp = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], url
        elif resp.mimetype:
            assert "html" not in resp.mimetype, (url, resp.mimetype)


def test_stored_markup_comes_back_from_the_api_as_json_never_as_html(client, bearer):
    headers = bearer("manager")
    evil = "<script>alert(1)</script>"
    r = client.post("/api/v1/items", json={"sku": "HTML-1", "name": evil, "description": evil}, headers=headers)
    assert r.status_code in (200, 201), r.data
    got = client.get("/api/v1/items/HTML-1", headers=headers)
    assert got.mimetype == "application/json" and got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.get_json()["name"] == evil


def test_uploaded_or_imported_files_are_never_served_as_html(app, login):
    """The only upload is the CSV import: its content is read in memory, shown escaped, and never stored where a
    URL could serve it back."""
    import io
    from pathlib import Path

    readers = {p.relative_to(app.root_path).as_posix() for p in Path(app.root_path).rglob("*.py")
               if "request.files" in p.read_text()}
    assert readers == {"csvio/routes.py"}, f"a new upload reader needs its own test: {readers}"
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
    csv_file = f"code,name,kind,parent\nXSS1,{payload.replace(',', ' ')},site,\n".encode()
    c = login("manager")
    resp = c.post("/csv/locations/import", data={"mode": "check", "file": (io.BytesIO(csv_file), "x.csv")},
                  content_type="multipart/form-data")
    assert resp.mimetype == "text/html" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>window.__xss" not in resp.data and b"<img src=x" not in resp.data
    stored = [p for p in Path(app.static_folder).rglob("*") if p.is_file() and b"__xss" in p.read_bytes()[:200000]]
    assert stored == []


def test_csv_exports_neutralise_spreadsheet_formulas(app, login, make_item):
    csv_routes = [r for r in app.url_map.iter_rules() if "csv" in r.rule or "export" in r.rule]
    assert len(csv_routes) >= 3, "the CSV downloads (exports, templates, report CSVs) are where this looks"
    make_item(sku="CSV-1", name="=HYPERLINK(\"http://evil.example\",\"x\")")
    c = login("admin")
    for rule in csv_routes:
        if "GET" not in rule.methods:
            continue
        body = c.get(_url(rule)).data.decode(errors="replace")
        for cell in body.replace("\r", "").replace("\n", ",").split(","):
            cell = cell.strip().strip('"')
            assert not cell.startswith(("=", "+", "-", "@")) or cell.lstrip("-").replace(".", "").isdigit(), (rule.rule, cell)


@pytest.mark.parametrize("evil", ["//evil.example", "/\\evil.example", "https:evil.example", "\\\\evil.example",
                                  "/%2F/evil.example", "/\t/evil.example", "http://127.0.0.1.evil.example/",
                                  " //evil.example", "data:text/html,x"])
def test_sign_in_never_redirects_off_site(client, make_user, evil):
    user = make_user("staff")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": evil})
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location or location.startswith("/%"), location
