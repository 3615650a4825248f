"""Bench data sets, loaded FAST with bulk inserts of consistent rows (not through the services).

Per size N (ledger movements): N/20 items (each with a SKU code and an EAN-13 barcode in the scan registry), one
balance per item in one of up to 400 bins, one receipt then picks of one unit, so the balance is exactly the sum
of its movements and the item's single FIFO cost layer holds what the balance holds; N/100 assets (at least 300,
so the check-out runs have enough loaners), each registered with its first event and its tag in the registry.
The few users and locations are made through the services, as a person would. `verify()` proves the result.

Built databases are cached: SQLite files under bench/data/, PostgreSQL template databases sk_bench_tpl_<size>; a
run works on a copy (the file copied, or `CREATE DATABASE sk_bench TEMPLATE …`), so re-runs start in seconds.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text

DATA = Path(__file__).parent / "data"
SIZES = {"1k": 1_000, "100k": 100_000, "1m": 1_000_000}
BINS_MAX = 400
EMAIL = "bench@example.test"
PASSWORD = "bench-password-123"  # noqa: S105 - a local throwaway benchmark user
DATA_VERSION = 7  # bump when the shape changes: cached data sets are rebuilt


def shape(n: int) -> dict:
    items = max(50, n // 20)
    return {"movements": n, "items": items, "assets": max(300, n // 100), "bins": min(BINS_MAX, max(20, items // 10)),
            "per_item": max(2, n // items)}


def ean13(i: int) -> str:
    body = f"200{i:09d}"
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def pg_admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def _pg_db(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _app(url: str):
    from app import create_app

    return create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def _log(msg: str) -> None:
    print(f"[bench data] {msg}", flush=True)


def populate(url: str, n: int, seed: int = 8) -> dict:
    """Create the schema in an empty database at `url` and load a data set of n movements into it."""
    from app.assets.models import Asset, AssetEvent, AssetModel
    from app.auth.services import create_user
    from app.extensions import db
    from app.locations.services import create_location
    from app.scanning.models import ScanCode
    from app.scanning.rules import parse as parse_code
    from app.stock.models import CostLayer, Item, ItemBarcode, StockBalance, StockMovement
    from app.uow import UnitOfWork

    rnd = random.Random(seed)  # noqa: S311 - reproducible bench data, not secrets
    sh = shape(n)
    t0 = time.monotonic()
    app = _app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = create_user(email=EMAIL, name="Bench", role="admin", password=PASSWORD, uow=UnitOfWork(),
                           hash_method="pbkdf2:sha256:1000")
        uid = user.id
        create_location(code="BENCH", name="Bench site", kind="site", uow=UnitOfWork())
        create_location(code="BZ", name="Bench zone", kind="zone", parent_code="BENCH", uow=UnitOfWork())
        bins = []
        for b in range(sh["bins"]):
            loc = create_location(code=f"B-{b:04d}", name=f"Bin {b}", kind="bin", parent_code="BZ", walk_order=b,
                                  uow=UnitOfWork())
            bins.append(loc.id)
        db.session.remove()
        now = datetime.now(UTC)
        start = now - timedelta(days=365)
        chunk = 20_000

        def put(model, rows):
            for k in range(0, len(rows), chunk):
                db.session.execute(insert(model), rows[k:k + chunk])

        items, codes, barcodes, balances, layers, moves = [], [], [], [], [], []
        mid = 0
        per = sh["per_item"]
        for i in range(1, sh["items"] + 1):
            sku = f"SKU{i:07d}"
            created = start + timedelta(seconds=i)
            items.append({"id": i, "sku": sku, "name": f"Bench item {i}", "description": "", "uom": "ea",
                          "tracking": "none", "expiry_required": False, "reorder_point": Decimal(5),
                          "safety_stock": Decimal(0), "lead_time_days": 7, "standard_cost": Decimal("2.50"),
                          "valuation_method": "fifo", "active": True, "created_at": created})
            gtin = ean13(i)
            key = parse_code(gtin).key
            codes.append({"code": sku, "kind": "item", "target_id": i, "pack_qty": 1, "label": sku, "created_at": created})
            codes.append({"code": key, "kind": "item", "target_id": i, "pack_qty": 1, "label": gtin, "created_at": created})
            barcodes.append({"code": key, "item_id": i, "level": "each"})
            loc = bins[i % len(bins)]
            received = Decimal(10 * per + 1000)
            cost = Decimal("2.50")
            mid += 1
            receipt_id = mid
            moves.append({"id": mid, "kind": "receipt", "item_id": i, "from_location_id": None, "to_location_id": loc,
                          "quantity": received, "lot": "", "unit_cost": cost, "total_cost": cost * received,
                          "reference": "", "reason": "", "actor_id": uid, "source": "typed", "scan_id": None,
                          "created_at": created})
            for k in range(per - 1):
                mid += 1
                moves.append({"id": mid, "kind": "pick", "item_id": i, "from_location_id": loc, "to_location_id": None,
                              "quantity": Decimal(1), "lot": "", "unit_cost": cost, "total_cost": cost,
                              "reference": "", "reason": "", "actor_id": uid, "source": "typed", "scan_id": None,
                              "created_at": created + timedelta(hours=k + 1, seconds=rnd.randint(0, 3000))})
            on_hand = received - (per - 1)
            items[-1].update(on_hand_total=on_hand, stock_value=on_hand * cost)
            balances.append({"id": i, "item_id": i, "location_id": loc, "lot": "", "on_hand": on_hand,
                             "allocated": Decimal(0), "updated_at": now})
            layers.append({"id": i, "item_id": i, "movement_id": receipt_id, "unit_cost": cost,
                           "original_qty": received, "remaining_qty": on_hand, "created_at": created})
            if len(moves) >= 100_000:
                _flush(db, put, items, codes, barcodes, balances, moves, layers, Item, ScanCode, ItemBarcode,
                       StockBalance, StockMovement, CostLayer)
        _flush(db, put, items, codes, barcodes, balances, moves, layers, Item, ScanCode, ItemBarcode, StockBalance,
               StockMovement, CostLayer)
        models = [{"id": m, "manufacturer": "Bench", "name": f"Loaner model {m}", "category": "laptop",
                   "created_at": start} for m in range(1, 11)]
        put(AssetModel, models)
        assets, events, acodes = [], [], []
        for a in range(1, sh["assets"] + 1):
            tag = f"BA-{a:06d}"
            assets.append({"id": a, "tag": tag, "model_id": 1 + a % 10, "serial": f"SN{a:08d}", "status": "in_stock",
                           "location_id": bins[a % len(bins)], "cost": Decimal("900.00"), "salvage_value": Decimal(0),
                           "depreciation_method": "straight_line", "useful_life_months": 36, "pool": "loaner",
                           "purchase_date": date(2025, 1, 1), "event_count": 1, "notes": None, "created_at": start,
                           "last_seen_location_id": bins[a % len(bins)], "last_seen_at": start,
                           "last_activity_at": start})
            events.append({"id": a, "asset_id": a, "seq": 1, "kind": "registered", "status_after": "in_stock",
                           "at": start, "actor_id": uid, "data": {"status": "in_stock"}})
            acodes.append({"code": tag, "kind": "asset", "target_id": a, "pack_qty": 1, "label": tag, "created_at": start})
        put(Asset, assets)
        put(AssetEvent, events)
        put(ScanCode, acodes)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                for table in ("item", "stock_balance", "cost_layer", "stock_movement", "asset", "asset_event", "asset_model"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))  # noqa: S608 - fixed names
                conn.execute(text("ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.session.remove()
        db.engine.dispose()
    sh["load_seconds"] = round(time.monotonic() - t0, 1)
    _log(f"loaded {n} movements, {sh['items']} items, {sh['assets']} assets in {sh['load_seconds']} s")
    return sh


def _flush(db, put, items, codes, barcodes, balances, moves, layers, Item, ScanCode, ItemBarcode, StockBalance,
           StockMovement, CostLayer):
    put(Item, items)
    put(ScanCode, codes)
    put(ItemBarcode, barcodes)
    put(StockBalance, balances)
    put(StockMovement, moves)
    put(CostLayer, layers)
    db.session.commit()
    for rows in (items, codes, barcodes, balances, moves, layers):
        rows.clear()


def verify(url: str) -> list:
    from app.extensions import db
    from app.stock.queries import verify as check

    app = _app(url)
    with app.app_context():
        problems = check(db.session)
        db.session.remove()
        db.engine.dispose()
    return problems


def prepare(kind: str, size: str, pg_url: str, workdir: Path, check: bool = False) -> tuple[str, dict]:
    """A fresh working copy of the data set, built once and cached. Returns (database URL, shape)."""
    n = SIZES[size]
    DATA.mkdir(exist_ok=True)
    stamp = DATA / f"{kind}-{size}.v{DATA_VERSION}.done"
    if kind == "sqlite":
        cached = DATA / f"{size}.v{DATA_VERSION}.sqlite3"
        if not stamp.exists():
            for p in DATA.glob(f"{size}.v{DATA_VERSION}.sqlite3*"):
                p.unlink()
            populate(f"sqlite:///{cached}", n)
            if check or size == "1k":
                _check(f"sqlite:///{cached}")
            stamp.write_text(str(time.time()))
        work = workdir / f"bench-{size}.sqlite3"
        for p in workdir.glob(f"bench-{size}.sqlite3*"):
            p.unlink()
        shutil.copyfile(cached, work)
        return f"sqlite:///{work}", shape(n)
    template = f"sk_bench_tpl_{size}_v{DATA_VERSION}"
    admin = create_engine(pg_admin_url(pg_url), isolation_level="AUTOCOMMIT")
    run_db = _pg_db(pg_url)
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}).scalar()
        if not exists or not stamp.exists():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{template}"'))
            populate(_with_db(pg_url, template), n)
            if check or size == "1k":
                _check(_with_db(pg_url, template))
            stamp.write_text(str(time.time()))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{run_db}" TEMPLATE "{template}"'))
    admin.dispose()
    return pg_url, shape(n)


def _check(url: str) -> None:
    t0 = time.monotonic()
    problems = verify(url)
    if problems:
        raise SystemExit(f"bench data set at {url} does not reconcile: {problems[:5]}")
    _log(f"verify(): the ledger reconciles ({time.monotonic() - t0:.1f} s)")


if __name__ == "__main__":  # pragma: no cover - manual use: python -m bench.data sqlite 1k
    import sys

    url, sh = prepare(sys.argv[1], sys.argv[2], os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sk_bench"),
                      Path(tempfile.mkdtemp()), check=True)
    print(url, sh)
