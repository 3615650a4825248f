"""Where does a request's time go? In-process profile of one operation against a bench data set.

    python -m bench.profile [--db sqlite|postgresql] [--size 1k] [--op pick_scan] [-n 300] [--top 30] [--sql] [--cpu]

Operations: pick_scan, scan_resolve, healthz, floor (the database floor of bench/serve.py), dashboard (the page and all its tiles), dashboard_fresh (the same
right after a pick, so no tile can be served from the tile cache).

Runs the production app in this process (no HTTP server), signs in, warms up, then times n requests with the
WSGI test client and prints the median, the statements per request and the cProfile top entries. It is a tool
for finding hot spots; the figures that count come from `make bench` (a real gunicorn over loopback).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event

from . import data
from .load import cpu_seconds
from .run import PG_URL


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--size", default="1k")
    ap.add_argument("--op", default="pick_scan")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--cpu", action="store_true", help="profile CPU time (time.process_time), not wall time: "
                    "what a request costs the machine, without the waits on the database")
    ap.add_argument("--sql", action="store_true", help="print the statements of one request, each with its time")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sk-profile-"))
    url, sh = data.prepare(args.db, args.size, PG_URL.replace("/sk_bench", "/sk_profile"), tmp)
    os.environ.update(STOREKEEPER_ENV="production", DATABASE_URL=url, SECRET_KEY="profile-" + uuid.uuid4().hex)
    from app import create_app
    from app.extensions import db

    app = create_app()
    if args.op == "floor":
        from .floor import ensure_table
        from .serve import bp as floor_bp

        ensure_table(url)
        app.register_blueprint(floor_bp)
    ctx = {"items": sh["items"], "bins": sh["bins"]}
    statements: list[str] = []
    took: list[float] = []  # each statement's time, in the order of `statements`
    started: list[float] = [0.0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a: (statements.append(a[2]), started.__setitem__(0, time.perf_counter())))
        event.listen(db.engine, "after_cursor_execute", lambda *a: took.append(time.perf_counter() - started[0]))
    client, anonymous = app.test_client(), app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get("/login")
    csrf = _csrf(page.get_data(as_text=True))
    r = client.post("/login", data={"email": data.EMAIL, "password": data.PASSWORD, "csrf_token": csrf})
    if r.status_code not in (302, 303):
        raise SystemExit(f"bench sign-in failed: {r.status_code}")
    csrf = _csrf(client.get("/stock/pick").get_data(as_text=True))

    skipped: list[float] = []  # time spent on untimed set-up inside one()
    per_path: dict[str, list[float]] = defaultdict(list)  # the dashboard's page and tiles, each on its own

    def pick(k: int):
        i = 1 + (k * 7919) % ctx["items"]
        loc, gtin = f"B-{i % ctx['bins']:04d}", data.ean13(i)
        return client.post("/stock/pick", data={"src": loc, "qty": "1", "scan": gtin, "scan_id": uuid.uuid4().hex,
                                                "source": "wedge"},
                           headers={"HX-Request": "true", "X-CSRFToken": csrf})

    def one(k: int):
        if args.op == "pick_scan":
            resp = pick(k)
        elif args.op == "scan_resolve":
            resp = client.get(f"/scan/resolve?code={data.ean13(1 + (k * 7919) % ctx['items'])}", headers={"HX-Request": "true"})
        elif args.op in ("dashboard", "dashboard_fresh"):
            if args.op == "dashboard_fresh":  # a change first (not timed), so every tile is recomputed
                pause = time.perf_counter()
                pick(k)
                skipped.append(time.perf_counter() - pause)
            t_page = time.perf_counter()
            resp = client.get("/dashboard/")
            per_path["/dashboard/"].append(time.perf_counter() - t_page)
            for tile in re.findall(r'hx-get="(/dashboard/tile/[^"]+)"', resp.get_data(as_text=True)):
                t_tile = time.perf_counter()
                part = client.get(tile, headers={"HX-Request": "true"})
                per_path[tile].append(time.perf_counter() - t_tile)
                if part.status_code != 200:
                    raise SystemExit(f"{tile}: {part.status_code}")
        elif args.op == "healthz":
            resp = client.get("/healthz")
        elif args.op == "floor":
            resp = anonymous.post("/api/_bench/write")  # no session cookie: nothing to forge, as in make bench
        else:
            raise SystemExit(f"unknown op {args.op}")
        if resp.status_code not in (200, 204):
            raise SystemExit(f"{args.op}: {resp.status_code} {resp.get_data(as_text=True)[:500]}")

    for k in range(30):
        one(k)
    statements.clear()
    took.clear()
    one(31)
    per_request = len(statements)
    if args.sql:
        print("\n".join(f"{ms * 1000:7.2f} ms  {s.replace(chr(10), ' ')[:200]}" for s, ms in zip(statements, took, strict=False)))
    times = []
    prof = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    for k in range(args.n):
        t = time.perf_counter()
        skipped.clear()
        prof.enable()
        one(100 + k)
        prof.disable()
        times.append((time.perf_counter() - t - sum(skipped)) * 1000)
    print(f"{args.op} on {args.db} {args.size}: median {statistics.median(times):.2f} ms (with profiler on), "
          f"{per_request} statements per request")
    t_plain = []
    cpu, db_cpu = time.process_time(), cpu_seconds(os.getpid())["db"]
    for k in range(args.n):
        skipped.clear()
        t = time.perf_counter()
        one(10_000 + k)
        t_plain.append((time.perf_counter() - t - sum(skipped)) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / args.n
    db_cpu = (cpu_seconds(os.getpid())["db"] - db_cpu) * 1000 / args.n
    print(f"without profiler: median {statistics.median(t_plain):.2f} ms, p99 {sorted(t_plain)[int(len(t_plain) * .99)]:.2f} ms, "
          f"CPU of this process {cpu:.2f} ms per request (set-up steps included), of PostgreSQL {db_cpu:.2f} ms")
    if per_path:
        print("median per part: " + ", ".join(f"{path.rsplit('/', 1)[-1] or 'page'} {statistics.median(v) * 1000:.1f}"
                                              for path, v in sorted(per_path.items(), key=lambda kv: -statistics.median(kv[1]))))
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not m:
        raise SystemExit("no CSRF token on the page")
    return m.group(1)


if __name__ == "__main__":
    main()
