"""The JSON API: bearer tokens limited by role, problem+json errors, Idempotency-Key semantics, OpenAPI 3.1."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.api.models import ApiToken
from app.extensions import db
from app.locations.models import Location
from app.locations.services import create_location
from app.uow import UnitOfWork


def _locations() -> int:
    return db.session.scalar(select(func.count()).select_from(Location))


def test_a_token_authenticates_as_its_user(client, token_for):
    headers = token_for("technician")
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 200 and resp.json["role"] == "technician"


def test_no_token_or_a_wrong_one_gets_401_problem_json(client):
    for headers in ({}, {"Authorization": "Bearer skt_not-a-real-token"}, {"Authorization": "Basic abc"}):
        resp = client.get("/api/v1/me", headers=headers)
        assert resp.status_code == 401
        assert resp.mimetype == "application/problem+json"


def test_tokens_are_stored_hashed_and_shown_once(login):
    c = login("staff")
    page = c.post("/profile/tokens", data={"name": "ERP sync"}).data.decode()
    token = re.search(r'<code class="token">(skt_[^<]+)</code>', page).group(1)
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash and stored.prefix == token[:10]
    again = c.get("/profile/").data.decode()
    assert token not in again and "ERP sync" in again


def test_a_revoked_token_stops_working_at_once(client, login):
    c = login("manager")
    page = c.post("/profile/tokens", data={"name": "shop"}).data.decode()
    token = re.search(r'<code class="token">(skt_[^<]+)</code>', page).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token_id = db.session.scalar(select(ApiToken.id))
    assert c.post(f"/profile/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_of_a_deactivated_user_stops_working(client, token_for, login):
    headers = token_for("staff")
    user_id = db.session.scalar(select(ApiToken.user_id))
    login("admin").post(f"/admin/users/{user_id}/active", data={"active": "0"})
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_carries_its_users_role_limits(client, token_for):
    body = {"code": "WH7", "name": "Seven", "kind": "site"}
    assert client.post("/api/v1/locations", json=body, headers=token_for("staff"), csrf=False).status_code == 403
    resp = client.post("/api/v1/locations", json=body, headers=token_for("manager"), csrf=False)
    assert resp.status_code == 201 and resp.json["code"] == "WH7"


def test_bearer_requests_need_no_csrf_token_but_cookie_requests_do(login, token_for, client):
    body = {"code": "WH8", "kind": "site"}
    cookie_client = login("manager")
    assert cookie_client.post("/api/v1/locations", json=body, csrf=False).status_code == 400
    assert cookie_client.post("/api/v1/locations", json=body).status_code == 201
    assert client.post("/api/v1/locations", json={"code": "WH9", "kind": "site"}, headers=token_for("manager"),
                       csrf=False).status_code == 201


def test_invalid_input_gets_422_naming_the_field_and_writes_nothing(client, token_for):
    headers = token_for("manager")
    resp = client.post("/api/v1/locations", json={"code": "WH1", "kind": "castle"}, headers=headers, csrf=False)
    assert resp.status_code == 422 and resp.json["field"] == "kind"
    resp = client.post("/api/v1/locations", json={"code": "WH1", "kind": "site", "extra": 1}, headers=headers,
                       csrf=False)
    assert resp.status_code == 422 and resp.json["field"] == "extra"
    resp = client.post("/api/v1/locations", data="not json", headers=headers, csrf=False)
    assert resp.status_code == 400
    assert _locations() == 0


def test_domain_refusals_are_specific_problems(client, token_for):
    headers = token_for("manager")
    client.post("/api/v1/locations", json={"code": "WH1", "kind": "site"}, headers=headers, csrf=False)
    dup = client.post("/api/v1/locations", json={"code": "wh1", "kind": "site"}, headers=headers, csrf=False)
    assert dup.status_code == 409 and "already used" in dup.json["detail"]
    orphan = client.post("/api/v1/locations", json={"code": "Z", "kind": "zone", "parent": "NOPE"}, headers=headers,
                         csrf=False)
    assert orphan.status_code == 404 and "NOPE" in orphan.json["detail"]


def test_the_same_idempotency_key_and_body_returns_the_first_answer_without_a_second_effect(client, token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "erp-order-000123"}
    body = {"code": "WH5", "name": "Five", "kind": "site"}
    first = client.post("/api/v1/locations", json=body, headers=headers, csrf=False)
    second = client.post("/api/v1/locations", json=body, headers=headers, csrf=False)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _locations() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(client, token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "erp-order-000124"}
    client.post("/api/v1/locations", json={"code": "WH5", "kind": "site"}, headers=headers, csrf=False)
    other = client.post("/api/v1/locations", json={"code": "WH6", "kind": "site"}, headers=headers, csrf=False)
    assert other.status_code == 422 and other.json["code"] == "idempotency_mismatch"
    assert _locations() == 1


def test_a_failed_request_does_not_use_up_its_idempotency_key(client, token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "erp-order-000125"}
    assert client.post("/api/v1/locations", json={"code": "Z1", "kind": "zone", "parent": "WH1"}, headers=headers,
                       csrf=False).status_code == 404
    create_location(code="WH1", name="one", kind="site", uow=UnitOfWork())
    assert client.post("/api/v1/locations", json={"code": "Z1", "kind": "zone", "parent": "WH1"}, headers=headers,
                       csrf=False).status_code == 201


def test_scan_endpoint_says_what_a_code_is_with_gs1_fields(client, token_for):
    create_location(code="WH1", name="Main", kind="site", uow=UnitOfWork())
    headers = token_for("staff")
    loc = client.post("/api/v1/scan", json={"code": "wh1"}, headers=headers, csrf=False)
    assert loc.status_code == 200 and loc.json["kind"] == "location" and loc.json["title"] == "Main"
    gs1 = client.post("/api/v1/scan", json={"code": "0107032069804988172612311012AB"}, headers=headers, csrf=False)
    assert gs1.json["kind"] == "unknown"
    assert gs1.json["gs1"] == {"gtin": "07032069804988", "lot": "12AB", "expiry": "2026-12-31", "best_before": None,
                               "serial": None, "quantity": None, "sscc": None}
    bad = client.post("/api/v1/scan", json={"code": "4006381333932"}, headers=headers, csrf=False)
    assert bad.status_code == 422 and "check digit" in bad.json["detail"]


def test_the_openapi_document_is_3_1_and_lists_every_api_route(app, client, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for("staff")).json
    assert spec["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_create_token_command_prints_a_working_token(app, client, make_user):
    user = make_user("staff")
    result = app.test_cli_runner().invoke(args=["create-token", user.email, "--name", "cron"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["email"] == user.email
