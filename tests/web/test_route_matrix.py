"""Every route refuses anonymous users and wrong roles — read from app.url_map, so new routes are covered."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.web.guards import audience
from tests.conftest import ROLES

SAMPLE_ARGS = {"IntegerConverter": 1, "FloatConverter": 1.0, "PathConverter": "x"}


def _url(rule: Rule) -> str:
    values = {
        name: SAMPLE_ARGS.get(type(conv).__name__, "X-1")
        for name, conv in rule._converters.items()  # noqa: SLF001 - werkzeug exposes no public accessor
    }
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    # Signing out ends the session the matrix runs in, so it goes last.
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    for rule in rules:
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_declares_who_may_use_it(app):
    with app.test_request_context():
        undeclared = [r.endpoint for r, _ in _routes(app) if audience(r.endpoint) is None]
    assert undeclared == [], f"routes without @public or @roles: {undeclared}"


def test_public_routes_are_only_login_health_and_offline_shell(app):
    with app.test_request_context():
        public = {r.endpoint for r, _ in _routes(app) if audience(r.endpoint) == "public"}
    allowed_public = {"auth.login", "web.healthz", "pwa.service_worker", "pwa.offline", "pwa.manifest"}
    assert public <= allowed_public, f"unexpected public routes: {public - allowed_public}"


def test_anonymous_users_are_sent_to_sign_in_on_every_protected_route(app, client):
    token = client.csrf_token()
    failures = []
    for rule, method in _routes(app):
        if audience(rule.endpoint) == "public":
            continue
        url = _url(rule)
        resp = client.open(url, method=method, headers={"X-CSRFToken": token, "Accept": "text/html"})
        expected_api = url.startswith("/api/")
        ok = resp.status_code == 401 if expected_api else (
            resp.status_code == 302 and "/login" in resp.headers.get("Location", "")
        )
        if not ok:
            failures.append((method, url, resp.status_code))
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_routes_outside_its_role(app, login, role):
    c = login(role)
    token = c.csrf_token()
    refused_wrongly, allowed_wrongly = [], []
    for rule, method in _routes(app):
        allowed = audience(rule.endpoint)
        if allowed == "public":
            continue
        url = _url(rule)
        resp = c.open(url, method=method, headers={"X-CSRFToken": token, "Accept": "text/html"})
        if role in allowed and resp.status_code == 403:
            refused_wrongly.append((method, url))
        if role not in allowed and resp.status_code != 403:
            allowed_wrongly.append((method, url, resp.status_code))
    assert allowed_wrongly == [], f"{role} reached routes outside its role"
    assert refused_wrongly == [], f"{role} was refused routes of its role"
