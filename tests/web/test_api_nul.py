"""A NUL character in any API input is a 422 (refused up front for every request, with the status the API document gives for invalid input), never a 500."""

from __future__ import annotations

from app.api.services import create_token
from app.uow import UnitOfWork


def test_a_nul_character_in_a_search_or_a_body_is_refused_with_422(client, make_user):
    user = make_user("manager")
    headers = {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}
    assert client.get("/api/v1/items", query_string={"q": "a\x00b"}, headers=headers).status_code == 422
    resp = client.post("/api/v1/items", json={"sku": "NUL-1", "name": "x\x00y"}, headers=headers)
    assert resp.status_code == 422 and b"NUL character" in resp.data
