"""API writes commit once: the reply a replay returns is stored in the same transaction as the effect (the
benchmark found a second commit per write that roughly doubled the cost of an API pick)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.api.services import create_token
from app.extensions import db
from app.uow import UnitOfWork


@pytest.fixture
def staff_token(make_user):
    user = make_user("manager")
    return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}


@pytest.fixture
def commits(app):
    seen = []

    def on_commit(conn):
        seen.append(1)

    event.listen(db.engine, "commit", on_commit)
    yield seen
    event.remove(db.engine, "commit", on_commit)


@pytest.mark.parametrize("path, body", [
    ("/api/v1/stock/pick", {"sku": "ONE-1", "location": "A-01", "quantity": 1}),
    ("/api/v1/stock/receive", {"sku": "ONE-1", "location": "A-01", "quantity": 2}),
    ("/api/v1/stock/move", {"sku": "ONE-1", "from_location": "A-01", "to_location": "A-02", "quantity": 1}),
    ("/api/v1/stock/count", {"sku": "ONE-1", "location": "A-01", "counted": 7}),
    ("/api/v1/stock/return", {"sku": "ONE-1", "location": "A-02", "quantity": 1, "reason": "Customer return"}),
])
def test_an_api_write_commits_once_and_its_replay_returns_the_same_reply(client, staff_token, make_item, put_stock,
                                                                          commits, path, body):
    put_stock(make_item("ONE-1"), "A-01", 10)
    client.get("/api/v1/me", headers=staff_token)  # the token's first use stamps last_used_at (its own commit)
    headers = {**staff_token, "Idempotency-Key": "one-commit-0001"}
    commits.clear()
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.json
    assert len(commits) == 1
    again = client.post(path, json=body, headers=headers)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/api/v1/locations", {"code": "WH-NEW", "kind": "site"}, 201),
    ("PATCH", "/api/v1/items/ONE-1", {"name": "Renamed", "active": False}, 200),
    ("POST", "/api/v1/scan", {"code": "ONE-1"}, 200),
])
def test_every_kind_of_api_write_commits_its_effect_key_and_reply_once(client, staff_token, make_item, commits,
                                                                       method, path, body, status):
    make_item("ONE-1")
    client.get("/api/v1/me", headers=staff_token)
    headers = {**staff_token, "Idempotency-Key": "one-commit-0002"}
    commits.clear()
    first = client.open(path, method=method, json=body, headers=headers)
    assert first.status_code == status, first.json
    assert len(commits) == 1
    again = client.open(path, method=method, json=body, headers=headers)
    assert (again.status_code, again.json) == (status, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"
