"""The API's lists come a page at a time with a `next` cursor, so nothing is cut off silently; and an administrator
can revoke another user's API token from the command line."""

from __future__ import annotations

import pytest

from app.api.services import create_token
from app.locations.services import create_location
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset


@pytest.fixture
def token_for(make_user):
    def make(role: str, user=None) -> dict:
        user = user or make_user(role)
        return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}

    return make


def _walk(client, headers, url: str, key, limit: int) -> tuple[list, int]:
    """Every row of a list, following `next`; and how many pages it took."""
    rows, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in url else "?"
        resp = client.get(f"{url}{sep}limit={limit}" + (f"&after={cursor}" if cursor else ""), headers=headers)
        assert resp.status_code == 200, resp.json
        pages += 1
        rows += [key(row) for row in resp.json["items"]]
        cursor = resp.json["next"]
        if cursor is None:
            return rows, pages
        assert pages < 50


def test_items_come_page_by_page_in_sku_order_and_the_last_page_says_so(client, token_for, make_item):
    skus = [f"PAGE-{n:02d}" for n in range(7)]
    for sku in reversed(skus):
        make_item(sku)
    headers = token_for("staff")
    assert _walk(client, headers, "/api/v1/items?q=page", lambda r: r["sku"], 3) == (skus, 3)
    whole = client.get("/api/v1/items?q=page", headers=headers).json
    assert len(whole["items"]) == 7 and whole["next"] is None


def test_locations_come_page_by_page_in_walking_order(client, token_for, warehouse):
    headers = token_for("staff")
    everything = [row["code"] for row in client.get("/api/v1/locations", headers=headers).json["items"]]
    assert len(everything) == 8
    assert _walk(client, headers, "/api/v1/locations", lambda r: r["code"], 3) == (everything, 3)
    bins, _pages = _walk(client, headers, "/api/v1/locations?kind=bin", lambda r: r["code"], 2)
    assert bins == ["A-01", "A-02", "A-03", "DEP-01"]


def test_a_location_added_between_pages_shifts_nothing(client, token_for, warehouse):
    headers = token_for("staff")
    first = client.get("/api/v1/locations?kind=bin&limit=2", headers=headers).json
    assert [r["code"] for r in first["items"]] == ["A-01", "A-02"]
    create_location(code="A-00", name="new", kind="bin", parent_code="WH-A", walk_order=0, uow=UnitOfWork())
    rest = client.get(f"/api/v1/locations?kind=bin&limit=10&after={first['next']}", headers=headers).json
    assert [r["code"] for r in rest["items"]] == ["A-03", "DEP-01"] and rest["next"] is None


def test_stock_balances_come_page_by_page(client, token_for, make_item, put_stock):
    for sku in ("BAL-1", "BAL-2"):
        item = make_item(sku)
        for where in ("A-01", "A-02", "A-03"):
            put_stock(item, where, 2)
    headers = token_for("staff")
    rows, pages = _walk(client, headers, "/api/v1/stock", lambda r: (r["sku"], r["location"]), 4)
    assert pages == 2
    assert rows == [(sku, where) for sku in ("BAL-1", "BAL-2") for where in ("A-01", "A-02", "A-03")]


def test_assets_come_page_by_page_by_tag(client, token_for):
    model = a_model()
    tags = [f"PG-{n:03d}" for n in range(5)]
    for tag in tags:
        an_asset(tag, model=model)
    assert _walk(client, token_for("technician"), "/api/v1/assets?q=PG-", lambda r: r["tag"], 2) == (tags, 3)


@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/locations", "/api/v1/stock", "/api/v1/assets"])
def test_a_malformed_cursor_is_a_422_naming_after(client, token_for, path):
    headers = token_for("staff")
    for bad in ("not-a-cursor", "WzFd", "e30"):  # garbage, a key of the wrong shape ([1]), an object
        resp = client.get(f"{path}?after={bad}", headers=headers)
        assert resp.status_code == 422 and resp.json["field"] == "after", (bad, resp.json)


def test_the_document_describes_the_paging(client, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for("staff")).json
    for path in ("/api/v1/items", "/api/v1/locations", "/api/v1/stock", "/api/v1/assets"):
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"after", "limit"} <= names, path
    assert "null on the last page" in spec["components"]["schemas"]["ItemList"]["properties"]["next"]["description"]


def test_an_admin_revokes_another_users_token_from_the_command_line(app, client, make_user, token_for):
    user = make_user("staff")
    kept, revoked = token_for("staff", user), token_for("staff", user)
    prefix = revoked["Authorization"].removeprefix("Bearer ")[:10]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["revoke-token", user.email, "--prefix", prefix])
    assert result.exit_code == 0, result.output
    assert f"Revoked {prefix}" in result.output
    assert client.get("/api/v1/me", headers=revoked).status_code == 401
    assert client.get("/api/v1/me", headers=kept).status_code == 200
    assert runner.invoke(args=["revoke-token", user.email]).exit_code != 0  # which one? it says so, revokes nothing
    assert client.get("/api/v1/me", headers=kept).status_code == 200
    unknown = runner.invoke(args=["revoke-token", user.email, "--prefix", "skt_zzzzzz"])
    assert unknown.exit_code != 0 and "no active token" in unknown.output
    everything = runner.invoke(args=["revoke-token", user.email, "--all"])
    assert everything.exit_code == 0 and client.get("/api/v1/me", headers=kept).status_code == 401
