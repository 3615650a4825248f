"""The stock issue's race tests through the real HTTP stack: a gunicorn with several workers and threads, phones
scanning picks at the same moment over loopback (the web pick form, signed in, CSRF token and all).

The same races are proved on the services in tests/services/test_stock_concurrency.py; these add the worker
processes, the request handling and the answers people see.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid

import pytest
from sqlalchemy import create_engine, text

from bench import data
from bench.load import Conn, sign_in

from .server import Server, fresh_postgres, make_token, populate, run_async

pytestmark = [pytest.mark.load, pytest.mark.concurrency]


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    """A gunicorn (3 workers × 4 threads) on a fresh small bench data set, on the suite's kind of database."""
    if database_url.startswith("postgresql"):
        url = fresh_postgres(database_url, "sk_proof_races")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('races') / 'races.sqlite3'}"
    populate(url, 200)
    with Server(url, workers=3, threads=4) as srv:
        srv.token = make_token(url)
        srv.db_url = url
        yield srv


async def _api(srv, path: str, body: dict) -> tuple[int, bytes]:
    c = Conn("127.0.0.1", srv.port)
    st, _h, resp = await c.request("POST", path, {"Authorization": f"Bearer {srv.token}",
                                                  "Content-Type": "application/json"}, json.dumps(body).encode())
    await c.close()
    return st, resp


def _stock(srv, sku: str, qty: int) -> str:
    """A new item with `qty` in a new bin of its own; the bin's code."""
    bin_code = f"R-{uuid.uuid4().hex[:6].upper()}"

    async def setup():
        for path, body in (("/api/v1/items", {"sku": sku, "name": f"Race {sku}"}),
                           ("/api/v1/locations", {"code": bin_code, "name": bin_code, "kind": "bin",
                                                  "parent": "BZ"}),
                           ("/api/v1/stock/receive", {"sku": sku, "location": bin_code, "quantity": str(qty)})):
            st, resp = await _api(srv, path, body)
            assert st in (200, 201), (path, st, resp)

    run_async(setup)
    return bin_code


def _picks(srv, sku: str, bin_code: str, clients: int, each: int) -> list[tuple[int, bytes]]:
    """`clients` phones, each scanning `each` picks of 1 one after another, all phones at once."""

    async def go():
        cookie, csrf = await sign_in("127.0.0.1", srv.port, data.EMAIL, data.PASSWORD)
        start = asyncio.Event()

        async def phone() -> list[tuple[int, bytes]]:
            c = Conn("127.0.0.1", srv.port)
            await start.wait()
            out = []
            for _ in range(each):
                form = urllib.parse.urlencode({"src": bin_code, "qty": "1", "scan": sku, "scan_id": uuid.uuid4().hex,
                                               "source": "wedge"}).encode()
                st, _h, body = await c.request("POST", "/stock/pick", {
                    "Cookie": cookie, "HX-Request": "true", "X-CSRFToken": csrf,
                    "Content-Type": "application/x-www-form-urlencoded"}, form)
                out.append((st, body))
            await c.close()
            return out

        tasks = [asyncio.create_task(phone()) for _ in range(clients)]
        await asyncio.sleep(0.05)
        start.set()
        return [r for t in await asyncio.gather(*tasks) for r in t]

    return run_async(go)


def _ledger(srv, sku: str, bin_code: str) -> tuple[int, int]:
    """(on hand in the bin, pick movements of the item) straight from the database."""
    eng = create_engine(srv.db_url)
    with eng.connect() as conn:
        on_hand = conn.execute(text(
            "SELECT COALESCE(SUM(b.on_hand), 0) FROM stock_balance b JOIN item i ON i.id = b.item_id "
            "JOIN location l ON l.id = b.location_id WHERE i.sku = :sku AND l.code = :loc"),
            {"sku": sku, "loc": bin_code}).scalar()
        picks = conn.execute(text(
            "SELECT COUNT(*) FROM stock_movement m JOIN item i ON i.id = m.item_id WHERE i.sku = :sku AND m.kind = 'pick'"),
            {"sku": sku}).scalar()
    eng.dispose()
    return int(on_hand), int(picks)


def test_eight_phones_picking_fifty_each_from_a_bin_of_400_empty_it_exactly(server):
    bin_code = _stock(server, "RACE-400", 400)
    answers = _picks(server, "RACE-400", bin_code, clients=8, each=50)
    assert [st for st, _ in answers] == [200] * 400, {st for st, _ in answers}
    assert _ledger(server, "RACE-400", bin_code) == (0, 400)
    assert not data.verify(server.db_url)  # every balance equals the sum of its ledger


def test_twenty_phones_picking_one_each_from_a_bin_of_ten_ten_succeed_ten_are_told_why(server):
    bin_code = _stock(server, "RACE-10", 10)
    answers = _picks(server, "RACE-10", bin_code, clients=20, each=1)
    statuses = sorted(st for st, _ in answers)
    assert statuses == [200] * 10 + [409] * 10, statuses
    refusals = [body for st, body in answers if st == 409]
    assert all(b"available" in body or b"Insufficient" in body or b"insufficient" in body for body in refusals), \
        refusals[0][:300]
    assert _ledger(server, "RACE-10", bin_code) == (0, 10)  # never below zero
    assert not data.verify(server.db_url)  # every balance equals the sum of its ledger
