"""The API's lists come a page at a time with a `next` cursor, so nothing is cut off silently; and an administrator
can revoke another user's API token from the command line."""

from __future__ import annotations

import pytest

from app.locations.services import create_location
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset


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


def test_reservations_come_page_by_page_by_start_and_say_which_they_list(client, token_for, make_user):
    from datetime import UTC, datetime, timedelta

    from app.assets import services as assets

    tech = make_user("technician")
    units = [an_asset(f"RS-{n:03d}", model=a_model()) for n in range(3)]
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    made = []
    for day in range(3):  # two bookings share each start: the id keeps them in order across pages
        for unit in units[:2]:
            made.append(assets.reserve(tag=unit.tag, starts_at=base + timedelta(days=day),
                                       ends_at=base + timedelta(days=day, hours=4), holder_id=tech.id,
                                       actor_id=tech.id, uow=UnitOfWork()).id)
    gone = assets.reserve(tag=units[2].tag, starts_at=base, ends_at=base + timedelta(hours=1), holder_id=tech.id,
                          actor_id=tech.id, uow=UnitOfWork())
    assets.cancel_reservation(reservation_id=gone.id, actor_id=tech.id, uow=UnitOfWork())
    headers = token_for("technician")
    # By default the open ones that have not ended: the cancelled one is left out.
    assert _walk(client, headers, "/api/v1/reservations", lambda r: r["id"], 4) == (made, 2)
    cancelled = client.get("/api/v1/reservations?state=cancelled", headers=headers).json
    assert [r["id"] for r in cancelled["items"]] == [gone.id] and cancelled["next"] is None
    later = (base + timedelta(days=1, hours=5)).isoformat().replace("+00:00", "Z")
    assert [r["id"] for r in client.get(f"/api/v1/reservations?since={later}", headers=headers).json["items"]] \
        == made[4:]
    one = client.get(f"/api/v1/reservations?tag={units[1].tag}", headers=headers).json
    assert [r["id"] for r in one["items"]] == made[1::2]
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    op = spec["paths"]["/api/v1/reservations"]["get"]
    assert {"after", "limit", "state", "since", "tag"} <= {p["name"] for p in op["parameters"]}
    assert "not ended" in op["summary"]
