"""The database floor: the cheapest durable write — one INSERT and COMMIT per transaction through SQLAlchemy —
against the same database the server uses, from this separate process, with c threads each on its own
connection (SQLite with the app's own pragmas: WAL, synchronous=NORMAL, busy_timeout, BEGIN IMMEDIATE).

Why from the load generator and not through a tiny endpoint: the brief forbids bench-only routes, and the floor
should isolate what the database itself costs per transaction; the HTTP/Flask share is measured separately by the
framework floor (/healthz). A pick needs at least both, so op/(http floor + db floor) reads as an overhead factor.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

from sqlalchemy import create_engine, event, text

from .stats import summary


def engine_for(url: str, size: int):
    if url.startswith("sqlite"):
        eng = create_engine(url, pool_size=size, connect_args={"check_same_thread": False})

        @event.listens_for(eng, "connect")
        def _c(conn, _rec):
            conn.isolation_level = None
            cur = conn.cursor()
            for p in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
                cur.execute(f"PRAGMA {p}")
            cur.close()

        @event.listens_for(eng, "begin")
        def _b(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        return eng
    return create_engine(url, pool_size=size)


def ensure_table(url: str) -> None:
    eng = engine_for(url, 1)
    with eng.begin() as conn:
        ident = "INTEGER PRIMARY KEY AUTOINCREMENT" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS bench_floor (id {ident}, k VARCHAR(100) NOT NULL, at TIMESTAMP)"))
    eng.dispose()


def run(url: str, conc: int, n: int, seconds: float) -> dict:
    eng = engine_for(url, conc)
    lat: list[float] = []
    lock = threading.Lock()
    left = [n]
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            t0 = time.perf_counter()
            with eng.begin() as conn:
                conn.execute(text("INSERT INTO bench_floor (k, at) VALUES (:k, CURRENT_TIMESTAMP)"), {"k": uuid.uuid4().hex})
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)

    for _ in range(3):
        with eng.begin() as conn:
            conn.execute(text("SELECT 1"))
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    eng.dispose()
    out = summary(lat)
    out.update(op="db_floor", concurrency=conc, requests=len(lat), seconds=round(wall, 3),
               throughput=round(len(lat) / wall, 1), statuses={"ok": len(lat)})
    return out


if __name__ == "__main__":
    url, concs, n, seconds = sys.argv[1], [int(c) for c in sys.argv[2].split(",")], int(sys.argv[3]), float(sys.argv[4])
    ensure_table(url)
    print(json.dumps({"cells": [run(url, c, n, seconds) for c in concs]}))
