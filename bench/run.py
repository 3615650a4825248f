"""`make bench` — run the Storekeeper benchmark and write bench/results/latest.{md,json}.

    python -m bench [--sizes 1k,100k,1m] [--dbs sqlite,postgresql] [--concurrency 1,16,64] [--quick] [--no-camera]

For each database × size: a cached data set is copied fresh (bench/data.py), gunicorn serves it (production
profile, several gthread workers, access log with per-request server time in µs), and a separate load-generator
process (bench/load.py) drives it over 127.0.0.1. The framework floor is GET /healthz on the same server; the
database floor is POST /api/_bench/write on the same server (bench/serve.py: one INSERT+COMMIT in the app's unit
of work, nothing else); the raw database (one INSERT+COMMIT per transaction from another process, no HTTP,
bench/floor.py) is reported for information. Server time is read from gunicorn's access log (%(D)s: from request parsed to response
written), so the app carries no timing code. Once per database, at the smallest size, the camera benchmark
(bench/camera.py, in its own process) drives Chromium with a fake camera against the same server: camera frame →
result on screen, the scan page's first load in the browser, and the decoder served from cache on a second load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from . import data
from .pages import page_sizes
from .stats import summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sk_bench")
OPS = ["http_floor", "write_floor", "scan_resolve", "scan_page", "dashboard", "dashboard_fresh", "receive", "pick_scan", "pick_api", "count", "checkout", "checkin"]
# The two cells the c16 targets compare (bench/report.py): measured with --requests-targeted requests.
TARGETED_OPS = ("pick_scan", "write_floor")
LABELS = {"http_floor": "framework floor (GET /healthz)",
          "write_floor": "database floor (POST: one INSERT+COMMIT through the app)",
          "db_floor": "raw database (INSERT+COMMIT, no HTTP)",
          "scan_resolve": "scan resolution (GET /scan/resolve)", "scan_page": "scan page (GET /scan/)",
          "dashboard": "dashboard (page + its 13 tiles)",
          "dashboard_fresh": "dashboard right after a pick (no tile from the cache)", "receive": "receive (API)", "pick_scan": "pick by scan (POST /stock/pick)",
          "pick_api": "pick (API)", "count": "count (API spot count)", "checkout": "check-out (API)", "checkin": "check-in (API)"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_average_at_start": os.getloadavg()}


class Server:
    def __init__(self, url: str, workers: int, threads: int, logdir: Path):
        self.port = free_port()
        self.log = logdir / f"access-{self.port}.log"
        env = {**os.environ, "STOREKEEPER_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
               "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
        cmd = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket",
               "--access-logfile", str(self.log), "--access-logformat", "%({x-bench-cell}i)s %({x-bench-seq}i)s %(s)s %(D)s %(p)s",
               "--max-requests", "0", "--error-logfile", str(logdir / f"error-{self.port}.log"), "bench.serve:app"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - our own gunicorn
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not come up; see " + str(logdir))

    def worker_rss_mb(self) -> list[float]:
        out = []
        for child in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
        return out

    def server_times(self) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
        """Server time per request of each cell; the requests of one composite operation (the dashboard: its page
        and every tile, tagged with one X-Bench-Seq) are added up into one figure. Also, per cell, how many requests
        each worker served (most first): keep-alive connections stay with the worker that accepted them."""
        times: dict[str, list[float]] = defaultdict(list)
        grouped: dict[tuple[str, str], float] = defaultdict(float)
        per_worker: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for line in self.log.read_text().splitlines():
            parts = line.split()
            if len(parts) != 5 or parts[0] == "-":
                continue
            per_worker[parts[0]][parts[4]] += 1
            if parts[1] != "-":
                grouped[(parts[0], parts[1])] += int(parts[3]) / 1e6
            else:
                times[parts[0]].append(int(parts[3]) / 1e6)
        for (cell, _seq), total in grouped.items():
            times[cell].append(total)
        return times, {cell: sorted(counts.values(), reverse=True) for cell, counts in per_worker.items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_token(url: str) -> str:
    from sqlalchemy import select

    from app.api.services import create_token
    from app.auth.models import User
    from app.extensions import db
    from app.uow import UnitOfWork

    app = data._app(url)
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == data.EMAIL))
        token = create_token(user_id=uid, name="bench", uow=UnitOfWork()).token
        db.session.remove()
        db.engine.dispose()
    return token


def camera_run(base: str, items: int, args, workdir: Path) -> dict:
    """bench/camera.py in a separate process with a hard time limit: whatever happens, the bench run goes on."""
    cmd = [sys.executable, "-m", "bench.camera", "--base", base, "--items", str(items), "--seconds",
           str(args.camera_seconds), "--workdir", str(workdir), "--json"]
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT,  # noqa: S603 - our own module
                             timeout=args.camera_seconds + 240, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as err:
        return {"ok": False, "error": f"the camera benchmark process failed: {type(err).__name__}: {err}"}


def bench_one(kind: str, size: str, args, workdir: Path, camera: bool = False) -> dict:
    t0 = time.monotonic()
    url, sh = data.prepare(kind, size, PG_URL, workdir, check=args.verify)
    token = make_token(url)
    from .floor import ensure_table

    ensure_table(url)
    server = Server(url, args.workers, args.threads, workdir)
    try:
        has_dash = _status(server.base + "/dashboard/") != 404
        wanted = set(args.ops.split(",")) | {"http_floor", "write_floor"} if args.ops else set(OPS)
        ops = [op for op in OPS if op in wanted and (has_dash or not op.startswith("dashboard"))]
        spec = {"base": server.base, "email": data.EMAIL, "password": data.PASSWORD, "token": token,
                "items": sh["items"], "bins": sh["bins"], "assets": sh["assets"], "concurrency": args.concurrency,
                "ops": ops, "requests": {"default": args.requests}, "requests_concurrent": args.requests_concurrent,
                "requests_targeted": args.requests_targeted, "targeted_ops": list(TARGETED_OPS),
                "seconds": args.seconds, "rounds": args.rounds,
                "server_pid": server.proc.pid}
        gen = subprocess.run([sys.executable, "-m", "bench.load"], input=json.dumps(spec),  # noqa: S603
                             stdout=subprocess.PIPE, text=True, cwd=ROOT, timeout=1800, check=True)
        cells = json.loads(gen.stdout)["cells"]
        rss = server.worker_rss_mb()
        times, spread = server.server_times()
        pages = page_sizes(server.base, data.EMAIL, data.PASSWORD)
        cam = None
        if camera:
            print(f"== {kind} {size}: camera", flush=True)
            cam = camera_run(server.base, sh["items"], args, workdir)
    finally:
        server.stop()
    fl = subprocess.run([sys.executable, "-m", "bench.floor", url, ",".join(map(str, args.concurrency)),  # noqa: S603
                         str(args.requests_concurrent), str(args.seconds)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                        timeout=600, check=True)
    cells += json.loads(fl.stdout)["cells"]
    for c in cells:
        st = times.get(f"{c['op']}-c{c['concurrency']}")
        if st:
            c["server"] = summary(st)
        if f"{c['op']}-c{c['concurrency']}" in spread:
            c["per_worker"] = spread[f"{c['op']}-c{c['concurrency']}"]
    problems = data.verify(url) if args.verify or size == "1k" else None
    if kind == "postgresql":
        pass
    else:
        for p in workdir.glob(f"bench-{size}.sqlite3*"):
            p.unlink()
    return {"db": kind, "size": size, "shape": sh, "cells": cells, "worker_rss_mb": rss, "pages": pages, "camera": cam,
            "has_dashboard": has_dash, "reconciles_after": None if problems is None else not problems,
            "seconds": round(time.monotonic() - t0, 1)}


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--sizes", default="1k,100k,1m")
    p.add_argument("--dbs", default="sqlite,postgresql")
    p.add_argument("--concurrency", default="1,16,64")
    p.add_argument("--requests", type=int, default=200, help="requests per operation at concurrency 1")
    p.add_argument("--requests-concurrent", type=int, default=400, help="requests per operation at concurrency > 1")
    p.add_argument("--requests-targeted", type=int, default=1200,
                   help="requests per concurrency > 1 for pick by scan and the database floor, the cells the c16 targets "
                   "read: the p99 of 400 requests is the 4th slowest one and swings by tens of ms from run to run")
    p.add_argument("--seconds", type=float, default=8.0, help="time cap per operation and concurrency")
    p.add_argument("--rounds", type=int, default=4,
                   help="measure each concurrency level's operations in this many interleaved slices (bench/load.py)")
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--ops", default="", help="only these operations (comma-separated; the two floors always run): "
                   "for trying a change, not for the report")
    p.add_argument("--verify", action="store_true", help="verify() the ledger at every size (always at 1k)")
    p.add_argument("--camera", action=argparse.BooleanOptionalAction, default=True,
                   help="the camera benchmark in Chromium, once per database at the smallest size (default: on)")
    p.add_argument("--camera-seconds", type=float, default=25.0, help="how long the camera benchmark scans")
    p.add_argument("--quick", action="store_true", help="a smoke run: 1k, few requests")
    p.add_argument("--report-only", action="store_true", help="rewrite latest.md from latest.json")
    args = p.parse_args(argv)
    if args.report_only:
        from .report import markdown, targets

        report = json.loads((RESULTS / "latest.json").read_text())
        report["targets"] = targets(report)
        (RESULTS / "latest.json").write_text(json.dumps(report, indent=1, default=str))
        (RESULTS / "latest.md").write_text(markdown(report))
        print((RESULTS / "latest.md").read_text())
        return 0
    if args.ops and (unknown := set(args.ops.split(",")) - set(OPS)):
        p.error(f"unknown operations: {', '.join(sorted(unknown))}")
    if args.quick:
        args.sizes, args.requests, args.requests_concurrent, args.seconds = "1k", 40, 80, 4.0
        args.requests_targeted = 80
        args.camera_seconds = min(args.camera_seconds, 12.0)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    started = time.monotonic()
    report = {"machine": machine(), "config": {k: v for k, v in vars(args).items()}, "runs": []}
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sk-bench-") as tmp:
        sizes = [size.lower() for size in args.sizes.split(",")]
        camera_size = min(sizes, key=lambda size: data.SIZES[size])
        for kind in args.dbs.split(","):
            for size in sizes:
                print(f"== {kind} {size}", flush=True)
                report["runs"].append(bench_one(kind, size, args, Path(tmp), camera=args.camera and size == camera_size))
                _write(report, started)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    _write(report, started)
    print((RESULTS / "latest.md").read_text())
    return 0


def _write(report: dict, started: float) -> None:
    from .report import markdown, targets

    report["targets"] = targets(report)
    report["elapsed_seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=1, default=str))
    (RESULTS / "latest.md").write_text(markdown(report))
