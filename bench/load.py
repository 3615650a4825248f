"""The load generator: a separate process that drives the server over loopback with a small asyncio HTTP/1.1
client (keep-alive, one connection per virtual client). A raw client keeps the generator's own CPU cost low on a
2-core machine, where an elaborate client would steal time from the server it measures.

Input (JSON on stdin): base URL, the scenario list, the concurrency levels, request and time caps. Output (JSON on
stdout): per operation and concurrency, the client-side latencies summarised, throughput and status counts.
Every write carries a fresh scan id / Idempotency-Key. Every loop is bounded by a request count and a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .stats import summary


class Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict | None = None, body: bytes = b"") -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("closed")
            status = int(status_line.split()[1])
            hdrs: dict[str, str] = {}
            cookies = []
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                k = k.strip().lower()
                if k == "set-cookie":
                    cookies.append(v.strip())
                hdrs[k] = v.strip()
            hdrs["_cookies"] = cookies
            if hdrs.get("transfer-encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int((await self.reader.readline()).strip(), 16)
                    if size == 0:
                        await self.reader.readline()
                        break
                    data += await self.reader.readexactly(size)
                    await self.reader.readline()
            else:
                data = await self.reader.readexactly(int(hdrs.get("content-length", "0")))
            if hdrs.get("connection", "").lower() == "close":
                await self.close()
            return status, hdrs, data
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            await self.close()
            raise

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:  # noqa: BLE001, S110 - closing a broken socket
                pass
        self.reader = self.writer = None


class Session:
    """A signed-in browser-like client: session cookie and CSRF token."""

    def __init__(self, cookie: str, csrf: str, token: str):
        self.cookie, self.csrf, self.token = cookie, csrf, token


async def sign_in(host, port, email, password) -> tuple[str, str]:
    c = Conn(host, port)
    st, h, body = await c.request("GET", "/login")
    cookie = _cookie(h)
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()
    form = f"email={email}&password={password}&csrf_token={csrf}".replace("@", "%40").encode()
    st, h, body = await c.request("POST", "/login", {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                                                     "X-CSRFToken": csrf}, form)
    if st != 303:
        text = re.sub(rb"\s+", b" ", re.sub(rb"<[^>]+>", b" ", body))[-400:]
        raise SystemExit(f"bench sign-in failed: {st} {text!r} {cookie!r}")
    cookie = _cookie(h) or cookie
    st, h, body = await c.request("GET", "/scan/", {"Cookie": cookie})
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()
    cookie = _cookie(h) or cookie  # the page put a fresh CSRF secret in the session
    await c.close()
    return cookie, csrf


def _cookie(h) -> str:
    for c in h.get("_cookies", []):
        if c.startswith(("session=", "storekeeper_session=")):
            return c.split(";", 1)[0]
    return ""


def make_request(op: str, k: int, ctx: dict, sess: Session) -> tuple[str, str, dict, bytes]:
    """(method, path, headers, body) of the k-th request of an operation."""
    items, bins = ctx["items"], ctx["bins"]
    i = 1 + (k * 7919) % items
    sku, gtin, loc = f"SKU{i:07d}", ctx["gtins"][i], f"B-{i % bins:04d}"
    web = {"Cookie": sess.cookie}
    api = {"Authorization": f"Bearer {sess.token}", "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    if op == "http_floor":
        return "GET", "/healthz", {}, b""
    if op == "write_floor":  # bench/serve.py: one INSERT + COMMIT through the app, nothing else
        return "POST", "/api/_bench/write", {}, b""
    if op == "scan_resolve":
        return "GET", f"/scan/resolve?code={gtin}", {**web, "HX-Request": "true"}, b""
    if op == "scan_page":
        return "GET", "/scan/", {**web, "Accept-Encoding": "gzip, br"}, b""
    if op in ("dashboard", "dashboard_fresh"):
        return "GET", "/dashboard/", {**web, "Accept-Encoding": "gzip, br"}, b""
    if op == "pick_scan":  # the phone's path: the pick screen with the bin chosen, then the item's barcode scanned
        form = f"src={loc}&qty=1&scan={gtin}&scan_id={uuid.uuid4().hex}&source=wedge".encode()
        return "POST", "/stock/pick", {**web, "HX-Request": "true", "X-CSRFToken": sess.csrf,
                                       "Content-Type": "application/x-www-form-urlencoded"}, form
    if op == "pick_api":
        return "POST", "/api/v1/stock/pick", api, json.dumps({"sku": sku, "location": loc, "quantity": "1"}).encode()
    if op == "receive":
        return "POST", "/api/v1/stock/receive", api, json.dumps({"sku": sku, "location": loc, "quantity": "2"}).encode()
    if op == "count":
        return "POST", "/api/v1/stock/count", api, json.dumps({"sku": sku, "location": loc, "counted": str(5000 + k % 7)}).encode()
    if op in ("checkout", "checkin"):
        tag = f"BA-{1 + k % ctx['assets']:06d}"
        if op == "checkout":
            due = (date.today() + timedelta(days=7)).isoformat()
            return "POST", f"/api/v1/assets/{tag}/checkout", api, json.dumps({"assignee": ctx["email"], "due": due}).encode()
        return "POST", f"/api/v1/assets/{tag}/checkin", api, json.dumps({"condition": "good"}).encode()
    raise ValueError(op)


TILE = re.compile(rb'hx-get="(/dashboard/tile/[^"]+)"')


async def dashboard(c: Conn, path: str, headers: dict, seq: str) -> tuple[int, bytes]:
    """The whole dashboard as a manager's phone loads it: the page, then every tile it asks for (one after the
    other on this connection; a browser fetches several at once). All are tagged with one X-Bench-Seq so the
    server's times add up to the dashboard's server time. Returns the worst status and all the bytes."""
    headers = {**headers, "X-Bench-Seq": seq}
    st, _h, page = await c.request("GET", path, headers)
    worst, size = st, len(page)
    for tile in TILE.findall(page):
        s2, _h, part = await c.request("GET", tile.decode(), {**headers, "HX-Request": "true"})
        worst = s2 if not 200 <= s2 < 300 else worst
        size += len(part)
    return worst, b"x" * size


def cpu_seconds(server_pid: int | None) -> dict[str, float]:
    """CPU time used so far by the server's workers ("app") and by PostgreSQL's processes ("db"; SQLite runs inside
    the workers), from /proc. Differences over a cell divided by its requests say what one request costs the
    machine: on 2 cores, throughput under load cannot exceed 2 s / (app + db + the load generator's share)."""
    out = {"app": 0.0, "db": 0.0}
    if not server_pid:
        return out
    tick = os.sysconf("SC_CLK_TCK")
    try:
        workers = set(Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split())
    except OSError:
        workers = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if entry.name in workers:
            out["app"] += used
        elif name.startswith("postgres"):
            out["db"] += used
    return out


class Tally:
    """What the clients of one cell saw, added up over the cell's slices, and the CPU the server used meanwhile."""

    def __init__(self, op: str, conc: int):
        self.op, self.conc = op, conc
        self.lat: list[float] = []
        self.statuses: dict[str, int] = {}
        self.sizes: list[int] = []
        self.wall = 0.0
        self.cpu = {"app": 0.0, "db": 0.0}

    def summary(self) -> dict:
        out = summary(self.lat)
        if self.lat and self.cpu["app"]:
            out["cpu_ms_per_request"] = {k: round(v * 1000 / len(self.lat), 2) for k, v in self.cpu.items()}
        out.update(op=self.op, concurrency=self.conc, requests=len(self.lat), seconds=round(self.wall, 3),
                   throughput=round(len(self.lat) / self.wall, 1) if self.wall else 0.0, statuses=self.statuses,
                   bytes_median=sorted(self.sizes)[len(self.sizes) // 2] if self.sizes else 0)
        return out


async def run_cell(host, port, op, conc, n, seconds, ctx, sess, cell_id: str | None = None,
                   tally: Tally | None = None, first_k: int = 0) -> Tally:
    """n requests of op by conc clients (or until the deadline), each client on its own keep-alive connection;
    added to tally (a new one if none)."""
    tally = tally or Tally(op, conc)
    next_k, stop_k = first_k, first_k + n
    deadline = time.monotonic() + seconds
    cell_id = cell_id or f"{op}-c{conc}"

    async def client():
        nonlocal next_k
        c = Conn(host, port)
        while next_k < stop_k and time.monotonic() < deadline:
            k = next_k
            next_k += 1
            method, path, headers, body = make_request(op, k, ctx, sess)
            headers["X-Bench-Cell"] = cell_id
            if op == "dashboard_fresh":  # a pick first, not counted: no tile may then come from the tile cache
                m2, p2, h2, b2 = make_request("pick_scan", k, ctx, sess)
                await c.request(m2, p2, {**h2, "X-Bench-Cell": "setup"}, b2)
            t0 = time.perf_counter()
            try:
                if op in ("dashboard", "dashboard_fresh"):
                    st, data = await dashboard(c, path, headers, f"{cell_id}.{k}")
                else:
                    st, h, data = await c.request(method, path, headers, body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                st, data = 0, b""
            tally.lat.append(time.perf_counter() - t0)
            tally.statuses[str(st)] = tally.statuses.get(str(st), 0) + 1
            tally.sizes.append(len(data))
        await c.close()

    cpu0 = cpu_seconds(ctx.get("server_pid"))
    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conc)))
    tally.wall += time.perf_counter() - t0
    for key, used in cpu_seconds(ctx.get("server_pid")).items():
        tally.cpu[key] += used - cpu0[key]
    return tally


async def main_async(spec: dict) -> dict:
    """Per concurrency level: every operation warmed up, then measured in `rounds` interleaved slices (each
    operation's share of requests and time split evenly). The machine's speed drifts (a shared 2-core host swings
    by tens of per cent within a minute); interleaving gives an operation and the floors it is compared with the
    same drift, instead of measuring the floor in one minute and the operation in the next."""
    u = urlsplit(spec["base"])
    host, port = u.hostname, u.port
    cookie, csrf = await sign_in(host, port, spec["email"], spec["password"])
    sess = Session(cookie, csrf, spec["token"])
    ctx = {"items": spec["items"], "bins": spec["bins"], "assets": spec["assets"], "email": spec["email"],
           "server_pid": spec.get("server_pid"), "gtins": {i: _ean13(i) for i in range(1, spec["items"] + 1)}}
    rounds = max(1, int(spec.get("rounds", 1)))
    results = []
    for conc in spec["concurrency"]:
        plan = []
        for op in spec["ops"]:
            if op == "dashboard_fresh" and conc != 1:
                continue  # the first view after a change is one manager's experience, not a load pattern
            if conc == 1:
                n = spec["requests"].get(op, spec["requests"]["default"])
            else:
                n = spec["requests_targeted"] if op in spec.get("targeted_ops", ()) else spec["requests_concurrent"]
            if op in ("checkout", "checkin"):
                n = min(n, spec["assets"])
            # Warm-up, not counted (and tagged apart in the server's log): on 8 connections, so every worker —
            # whichever one the measured connections land on — has compiled this operation's SQL and templates.
            await run_cell(host, port, op if op not in ("checkout", "checkin") else "scan_resolve", 8, 24, 5, ctx, sess,
                           cell_id="warmup")
            plan.append((op, n, Tally(op, conc)))
        for r in range(rounds):
            for op, n, tally in plan:
                share = n // rounds + (1 if r < n % rounds else 0)
                # check-out and check-in walk the assets in order: each slice goes on where the last one stopped
                await run_cell(host, port, op, conc, share, spec["seconds"] / rounds, ctx, sess, tally=tally,
                               first_k=len(tally.lat))
        for op, _n, tally in plan:
            cell = tally.summary()
            results.append(cell)
            print(json.dumps({"progress": f"{op} c{conc}: p50 {cell['p50_ms']} ms, {cell['throughput']}/s, {cell['statuses']}"}),
                  file=sys.stderr, flush=True)
    return {"cells": results}


def _ean13(i: int) -> str:
    from .data import ean13

    return ean13(i)


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    print(json.dumps(asyncio.run(main_async(spec))))
