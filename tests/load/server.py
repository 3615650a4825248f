"""A real gunicorn serving its own data set (bench.data, 1 000 movements), for load and fault tests.

The tests talk to it over 127.0.0.1 with the benchmark's small asyncio client; every loop is bounded by a count
and a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import data
from bench.load import Conn, sign_in

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_postgres(base_url: str, name: str) -> str:
    admin = create_engine(base_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def populate(url: str, n: int = 1000) -> dict:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return data.populate(url, n)


class Server:
    def __init__(self, url: str, workers: int = 2, threads: int = 4, env: dict | None = None, ready=(200,)):
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.errors = Path(os.environ.get("TMPDIR", "/tmp")) / f"sk-gunicorn-{self.port}.log"  # noqa: S108
        environ = {**os.environ, "STOREKEEPER_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
                   "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
                   "GUNICORN_THREADS": str(threads), **(env or {})}
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket",
             "--access-logfile", "/dev/null", "--error-logfile", str(self.errors), "--max-requests", "0", "wsgi:app"],
            cwd=ROOT, env=environ, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:  # noqa: S310 - loopback
                    if r.status in ready:
                        return
            except urllib.error.HTTPError as err:
                if err.code in ready:
                    return
                time.sleep(0.3)
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; {self.errors.read_text() if self.errors.exists() else ''}")

    def workers(self) -> list[int]:
        return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_async(make_coro):
    """asyncio.run in a thread of its own: Playwright's sync API (browser tests in the same session) keeps an event
    loop running in the main thread, where asyncio.run refuses to start."""
    import threading

    box: dict = {}

    def target():
        try:
            box["result"] = asyncio.run(make_coro())
        except BaseException as err:  # noqa: BLE001 - handed back to the caller
            box["error"] = err

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def make_token(url: str) -> str:
    from bench.run import make_token as make

    return make(url)


@dataclass
class Outcome:
    op: str
    key: str
    status: int
    body: bytes = b""


@dataclass
class Load:
    """Mixed scan work by n clients until a deadline; records every request's op, key and status."""

    server: Server
    token: str
    items: int = 50
    bins: int = 20
    assets: int = 300
    outcomes: list[Outcome] = field(default_factory=list)

    def request(self, op: str, k: int, cookie: str, csrf: str) -> tuple[str, str, dict, bytes, str]:
        key = uuid.uuid4().hex
        i = 1 + (k * 7919) % self.items
        sku, gtin, loc = f"SKU{i:07d}", data.ean13(i), f"B-{i % self.bins:04d}"
        api = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Idempotency-Key": key}
        if op == "pick_scan":
            form = f"src={loc}&qty=1&scan={gtin}&scan_id={key}&source=wedge".encode()
            return "POST", "/stock/pick", {"Cookie": cookie, "HX-Request": "true", "X-CSRFToken": csrf,
                                           "Content-Type": "application/x-www-form-urlencoded"}, form, key
        if op == "pick":
            return "POST", "/api/v1/stock/pick", api, json.dumps({"sku": sku, "location": loc, "quantity": "3"}).encode(), key
        if op == "receive":
            return "POST", "/api/v1/stock/receive", api, json.dumps({"sku": sku, "location": loc, "quantity": "2"}).encode(), key
        if op == "move":
            dst = f"B-{(i + 1) % self.bins:04d}"
            return "POST", "/api/v1/stock/move", api, json.dumps({"sku": sku, "from_location": loc, "to_location": dst,
                                                                  "quantity": "1"}).encode(), key
        if op == "count":
            return "POST", "/api/v1/stock/count", api, json.dumps({"sku": sku, "location": loc, "counted": "900"}).encode(), key
        if op in ("checkout", "checkin"):
            tag = f"BA-{1 + k % self.assets:06d}"
            if op == "checkout":
                body = {"assignee": data.EMAIL, "due": (date.today() + timedelta(days=3)).isoformat()}
            else:
                body = {"condition": "good"}
            return "POST", f"/api/v1/assets/{tag}/{op}", api, json.dumps(body).encode(), key
        if op == "resolve":
            return "GET", f"/scan/resolve?code={gtin}", {"Cookie": cookie, "HX-Request": "true"}, b"", key
        raise ValueError(op)

    async def run(self, clients: int, seconds: float, ops: list[str], max_requests: int = 100_000,
                  during=None) -> list[Outcome]:
        host, port = "127.0.0.1", self.server.port
        cookie = csrf = ""
        if {"pick_scan", "resolve"} & set(ops):
            cookie, csrf = await sign_in(host, port, data.EMAIL, data.PASSWORD)
        deadline = time.monotonic() + seconds
        counter = [0]

        async def client(n: int):
            c = Conn(host, port)
            while time.monotonic() < deadline and counter[0] < max_requests:
                k = counter[0]
                counter[0] += 1
                op = ops[(k + n) % len(ops)]
                method, path, headers, body, key = self.request(op, k, cookie, csrf)
                try:
                    st, _h, resp = await asyncio.wait_for(c.request(method, path, headers, body), 35)
                except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                    st, resp = 0, b""
                    await c.close()
                self.outcomes.append(Outcome(op, key, st, resp[:300]))
            await c.close()

        tasks = [asyncio.create_task(client(n)) for n in range(clients)]
        if during is not None:
            await during()
        await asyncio.gather(*tasks)
        return self.outcomes

    def statuses(self) -> Counter:
        return Counter((o.op, o.status) for o in self.outcomes)


def ledger_check(url: str, outcomes: list[Outcome]) -> None:
    """The ledger reconciles, every acknowledged (2xx) stock write is in it exactly once and every acknowledged
    check-out/in in the asset history exactly once; a write whose answer was lost is in it at most once."""
    from collections import Counter as C

    problems = data.verify(url)
    assert not problems, f"the ledger does not reconcile: {problems[:5]}"
    import re

    def key(scan_id: str) -> str:
        # An API write's scan id is its Idempotency-Key scoped to its user ("u<user id>:<key>").
        return re.sub(r"^u\d+:", "", scan_id)

    eng = create_engine(url)
    with eng.connect() as conn:
        moves = C(key(r[0]) for r in conn.execute(text("SELECT scan_id FROM stock_movement WHERE scan_id IS NOT NULL")))
        events = C(key(r[0]) for r in conn.execute(text("SELECT scan_id FROM asset_event WHERE scan_id IS NOT NULL")))
    eng.dispose()
    for o in outcomes:
        if o.op in ("pick", "pick_scan", "receive", "move"):
            seen = moves.get(o.key, 0)
            if 200 <= o.status < 300:
                assert seen == 1, f"{o.op} {o.key} answered {o.status} but is in the ledger {seen} times"
            elif o.status in (0, 502, 503, 504):
                assert seen <= 1, f"{o.op} {o.key} is in the ledger {seen} times"
            else:
                assert seen == 0, f"{o.op} {o.key} failed with {o.status} but is in the ledger {seen} times"
        elif o.op in ("checkout", "checkin"):
            seen = events.get(o.key, 0)
            if 200 <= o.status < 300:
                assert seen == 1, f"{o.op} {o.key} answered {o.status} but is in the history {seen} times"
            else:
                assert seen <= 1, f"{o.op} {o.key} ({o.status}) is in the history {seen} times"
