"""Where a pick by scan's CPU goes, part by part, without a profiler's distortion.

    python -m bench.parts [--db sqlite|postgresql] [-n 3000]

Runs the production app in this process against the 1k bench data set, signs in, warms up, then makes n picks by
scan with the WSGI test client. A few functions on the path are wrapped to add up their CPU time
(time.process_time). Printed: the CPU of this process and of PostgreSQL's backends per pick, and each part's CPU
per pick (a part includes the parts it calls). cProfile (bench.profile --cpu) names every function but inflates
small Python calls several times over; this says what the parts really cost. To compare two versions of the code,
run it from each checkout, alternately, a few times: the host drifts.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from . import data
from .load import cpu_seconds
from .run import PG_URL

# (module, attribute, label): what is timed. Labels are indented as the calls nest.
PARTS = [
    ("app.stock.queries", "classify", "classify the scan"),
    ("app.stock.services", "take_out", "take_out (the service)"),
    ("app.uow", "UnitOfWork.__enter__", "  begin the unit of work"),
    ("app.stock.services", "claim_scan", "  claim the scan id"),
    ("app.stock.services", "find_item_and_lock_at", "  find the item and the bin, lock the item"),
    ("app.stock.services", "stock_out", "  stock_out"),
    ("app.stock.services", "_balance_with_layers", "    the balance with the layers (PostgreSQL)"),
    ("app.stock.services", "_balance", "    the balance"),
    ("app.stock.services", "_plan_draw", "    the cost layers"),
    ("app.uow", "UnitOfWork.commit", "  commit"),
    ("app.uow", "UnitOfWork._write_claim", "    write the scan id"),
    ("sqlalchemy.engine.base", "Connection._commit_impl", "    the database's commit"),
    ("app.stock.scan_routes", "_render", "render the panel"),
    ("flask.sessions", "SecureCookieSessionInterface.open_session", "open the session"),
    ("flask.sessions", "SecureCookieSessionInterface.save_session", "save the session"),
    ("flask_wtf.csrf", "CSRFProtect.protect", "check the CSRF token"),
    ("app.stock.scan_routes", "run_flow", "the pick screen's view"),
]


def _wrap(acc: dict, module: str, name: str, label: str) -> None:
    import importlib

    owner = importlib.import_module(module)
    *path, attr = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, attr)

    @functools.wraps(original)
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            acc[label] += time.process_time() - started

    setattr(owner, attr, timed)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("-n", type=int, default=3000)
    args = ap.parse_args()
    url, shape = data.prepare(args.db, "1k", PG_URL.replace("/sk_bench", "/sk_profile"),
                              Path(tempfile.mkdtemp(prefix="sk-parts-")))
    os.environ.update(STOREKEEPER_ENV="production", DATABASE_URL=url, SECRET_KEY="parts-" + uuid.uuid4().hex)
    from app import create_app

    app = create_app()
    acc: dict[str, float] = defaultdict(float)
    for module, name, label in PARTS:
        _wrap(acc, module, name, label)
    loader = app.login_manager._user_callback

    def load_user(token):
        started = time.process_time()
        try:
            return loader(token)
        finally:
            acc["load the signed-in person"] += time.process_time() - started

    app.login_manager._user_callback = load_user
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": data.EMAIL, "password": data.PASSWORD, "csrf_token": token.group(1)})
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/stock/pick").get_data(as_text=True)).group(1)

    def pick(k: int) -> None:
        i = 1 + (k * 7919) % shape["items"]
        resp = client.post("/stock/pick", data={"src": f"B-{i % shape['bins']:04d}", "qty": "1", "scan": data.ean13(i),
                                                "scan_id": uuid.uuid4().hex, "source": "wedge"},
                           headers={"HX-Request": "true", "X-CSRFToken": csrf})
        if resp.status_code != 200:
            raise SystemExit(f"pick: {resp.status_code} {resp.get_data(as_text=True)[:300]}")

    for k in range(200):
        pick(k)
    acc.clear()
    cpu, db_cpu = time.process_time(), cpu_seconds(os.getpid())["db"]
    for k in range(args.n):
        pick(1000 + k)
    cpu = (time.process_time() - cpu) * 1000 / args.n
    db_cpu = (cpu_seconds(os.getpid())["db"] - db_cpu) * 1000 / args.n
    print(f"pick by scan on {args.db}: CPU per pick {cpu:.3f} ms in this process, {db_cpu:.3f} ms in PostgreSQL")
    for label, seconds in acc.items():
        print(f"  {label:32s} {seconds * 1000 / args.n:.3f} ms")


if __name__ == "__main__":
    main()
