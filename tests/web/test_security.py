"""CSRF on every state change, a strict CSP, security headers, errors as pages or partials, health check."""

from __future__ import annotations

from sqlalchemy import func, select

from app import create_app
from app.auth.models import User
from app.extensions import db


def test_a_post_without_csrf_token_is_refused_with_a_clear_message_and_writes_nothing(login):
    admin = login("admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    resp = admin.post("/admin/users", csrf=False, data={"name": "X", "email": "x@example.test", "role": "staff",
                                                        "password": "long-enough-pw"})
    assert resp.status_code == 400
    assert b"security token missing or wrong" in resp.data
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_forged_csrf_token_is_refused(login):
    admin = login("admin")
    resp = admin.post("/admin/users", csrf=False, headers={"X-CSRFToken": "forged.token.value"},
                      data={"name": "X", "email": "x@example.test", "role": "staff", "password": "long-enough-pw"})
    assert resp.status_code == 400
    assert _no_user("x@example.test")


def test_a_token_from_another_session_is_refused(app, login):
    admin = login("admin")
    stranger = app.test_client()
    token = stranger.csrf_token()
    resp = admin.post("/admin/users", csrf=False, headers={"X-CSRFToken": token},
                      data={"name": "X", "email": "x@example.test", "role": "staff", "password": "long-enough-pw"})
    assert resp.status_code == 400
    assert _no_user("x@example.test")


def _no_user(email: str) -> bool:
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    db.session.rollback()
    return db.session.scalar(select(User.id).where(User.email == email)) is None


def _page_token(client, path: str = "/scan/") -> str:
    import re

    page = client.get(path)
    assert page.status_code == 200
    return re.search(rb'name="csrf-token" content="([^"]+)"', page.data).group(1).decode()


def test_a_token_handed_out_again_works_and_never_crosses_to_another_session(login, client, make_user):
    """Pages reuse the token signed for their session a moment ago (web/security.csrf_token): each session still gets
    only a token of its own, and one from before a sign-out is dead."""
    from tests.conftest import sign_in

    admin, other = login("admin"), login("admin")
    first, again = _page_token(admin), _page_token(admin, "/admin/users")
    theirs = _page_token(other)
    assert theirs not in (first, again)
    refused = admin.post("/admin/users", csrf=False, headers={"X-CSRFToken": theirs},
                         data={"name": "X", "email": "x@example.test", "role": "staff", "password": "long-enough-pw"})
    assert refused.status_code == 400 and _no_user("x@example.test")
    made = admin.post("/admin/users", csrf=False, headers={"X-CSRFToken": again},
                      data={"name": "Y", "email": "y@example.test", "role": "staff", "password": "long-enough-pw"})
    assert made.status_code in (200, 303) and not _no_user("y@example.test")

    user = make_user("staff")
    assert sign_in(client, user.email).status_code == 303
    before = _page_token(client)
    assert client.post("/logout", csrf=False, headers={"X-CSRFToken": before}).status_code in (302, 303)
    client.forget_csrf()
    assert sign_in(client, user.email).status_code == 303
    after = _page_token(client)
    assert after != before
    stale = client.post("/logout", csrf=False, headers={"X-CSRFToken": before})
    assert stale.status_code == 400


def test_htmx_csrf_failure_is_shown_in_the_message_area(login):
    admin = login("admin")
    resp = admin.post("/admin/users", csrf=False, htmx=True, data={})
    assert resp.status_code == 400
    assert resp.headers["HX-Retarget"] == "#flash"
    assert b"<html" not in resp.data


def test_sign_in_form_itself_needs_the_csrf_token(client, make_user):
    user = make_user("staff")
    resp = client.post("/login", csrf=False, data={"email": user.email, "password": "correct-horse-battery"})
    assert resp.status_code == 400


def test_every_page_carries_a_csp_without_inline_script_and_security_headers(login):
    c = login("staff")
    for url in ("/scan/", "/more", "/tasks"):
        resp = c.get(url)
        csp = resp.headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Cache-Control"] == "no-store"
        assert b"<script>" not in resp.data and b" onclick=" not in resp.data


def test_user_text_is_escaped_in_pages(login, make_user):
    make_user("staff", name='<script>alert("x")</script>')
    admin = login("admin")
    page = admin.get("/admin/users").data
    assert b'<script>alert("x")</script>' not in page
    assert b"&lt;script&gt;" in page


def test_unknown_page_is_a_full_404_page_or_an_htmx_partial(login):
    c = login("staff")
    full = c.get("/no/such/page")
    assert full.status_code == 404 and b"<html" in full.data and b"Not found" in full.data
    partial = c.hx_get("/no/such/page")
    assert partial.status_code == 404 and b"<html" not in partial.data
    assert "HX-Request" in partial.headers["Vary"]


def test_api_style_requests_get_problem_json(login):
    c = login("staff")
    resp = c.get("/no/such/page", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    assert resp.json["status"] == 404


def test_anonymous_htmx_request_is_told_to_go_to_sign_in(client):
    resp = client.hx_get("/scan/")
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"].startswith("/login?next=")


def test_health_check_answers_without_sign_in(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "ok"}


def test_health_check_says_503_when_the_database_is_unreachable(tmp_path):
    broken = create_app({
        "STOREKEEPER_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
    })
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["database"] == "unreachable"


def test_static_files_are_cached_for_a_year_and_served_compressed(client):
    resp = client.get("/static/css/app.css?v=1", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert "max-age=31536000" in resp.headers["Cache-Control"]
    assert resp.headers.get("Content-Encoding") == "gzip"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_reference_static_files_by_content_version(login):
    page = login("staff").get("/scan/").data.decode()
    assert "/static/css/app.css?v=" in page and "/static/vendor/htmx.min.js?v=" in page
    assert "https://" not in page  # nothing from the internet


def test_an_edited_static_file_is_never_served_from_a_stale_compressed_copy(tmp_path):
    import gzip
    import os

    from app.web.assets import refresh_compressed

    css = tmp_path / "a.css"
    css.write_text("body { color: red; }" * 50)
    assert refresh_compressed(tmp_path) == 1
    css.write_text("body { color: blue; }" * 50)
    gz = tmp_path / "a.css.gz"
    os.utime(gz, (gz.stat().st_atime, css.stat().st_mtime - 5))  # the compressed copy predates the edit
    assert refresh_compressed(tmp_path) == 1
    assert gzip.decompress((tmp_path / "a.css.gz").read_bytes()).startswith(b"body { color: blue; }")
    assert refresh_compressed(tmp_path) == 0


def test_an_unexpected_failure_is_a_500_page_or_partial_that_says_nothing_was_changed(app, login, monkeypatch):
    def broken():
        raise RuntimeError("bug")

    broken._roles = app.view_functions["web.tasks"]._roles
    monkeypatch.setitem(app.view_functions, "web.tasks", broken)
    c = login("staff")
    full = c.get("/tasks")
    assert full.status_code == 500 and b"Nothing was changed" in full.data and b"<html" in full.data
    partial = c.hx_get("/tasks")
    assert partial.status_code == 500 and partial.headers["HX-Retarget"] == "#flash"
    assert b"RuntimeError" not in partial.data


def test_a_nul_character_anywhere_in_a_request_is_a_clear_400_and_writes_nothing(login, client):
    from app.api.services import create_token
    from app.uow import UnitOfWork

    admin = login("admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    form = admin.post("/admin/users", data={"name": "A\x00B", "email": "nul@example.test", "role": "staff",
                                            "password": "long-enough-pw"})
    assert form.status_code == 400 and b"NUL character" in form.data
    assert admin.get("/scan/resolve?code=AB%00C").status_code == 400
    token = create_token(user_id=admin.user.id, name="t", uow=UnitOfWork()).token
    api = client.post("/api/v1/locations", json={"code": "WH1", "name": "x\u0000y", "kind": "site"},
                      headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and api.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(User)) == before
