"""Demo data for a first run: realistic enough to try every flow on a phone.

Each feature adds a seed step when it is registered (app.extensions["storekeeper_seeds"]); steps run in order
and share a context dict (users, locations …). Every write goes through the features' services, as a user's would.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from .auth import services as auth_services
from .auth.models import User
from .extensions import db
from .locations import services as location_services
from .uow import UnitOfWork

DEMO_PASSWORD = "storekeeper-demo"  # noqa: S105 - printed to the console for the demo; never in production
DEMO_USERS = [
    ("admin@storekeeper.test", "Ada Admin", "admin"),
    ("manager@storekeeper.test", "Maya Manager", "manager"),
    ("staff@storekeeper.test", "Sam Staff", "staff"),
    ("tech@storekeeper.test", "Theo Technician", "technician"),
]

SeedStep = Callable[[dict], None]


def add_step(app: Flask, name: str, step: SeedStep) -> None:
    app.extensions.setdefault("storekeeper_seeds", []).append((name, step))


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def seed(app: Flask, *, log=print) -> dict:
    if not app.config.get("SEED_DEMO_ALLOWED"):
        raise RuntimeError("Demo data is never loaded in production.")
    ctx: dict = {"rng": random.Random(20261125), "hash_method": app.config["PASSWORD_HASH_METHOD"]}  # noqa: S311
    for name, step in [("users and locations", _users_and_locations), *app.extensions.get("storekeeper_seeds", [])]:
        log(f"  seeding {name} …")
        step(ctx)
    return ctx


def _users_and_locations(ctx: dict) -> None:
    users = {}
    for email, name, role in DEMO_USERS:
        users[role] = auth_services.create_user(
            email=email, name=name, role=role, password=DEMO_PASSWORD, hash_method=ctx["hash_method"], uow=UnitOfWork()
        )
    ctx["users"] = users
    ctx["locations"] = {}

    def loc(code, name, kind, parent=None, walk=0, holder=None):
        ctx["locations"][code] = location_services.create_location(
            code=code, name=name, kind=kind, parent_code=parent, walk_order=walk, holder_id=holder, uow=UnitOfWork()
        )

    # Two sites: a main warehouse and a smaller service depot.
    loc("WH1", "Main warehouse", "site")
    loc("WH1-DOCK", "Receiving dock", "dock", "WH1", 0)
    walk = 1
    for zone in ("A", "B", "C"):
        loc(f"WH1-{zone}", f"Zone {zone}", "zone", "WH1", walk)
        for aisle in (1, 2):
            for level in (1, 2, 3):
                walk += 1
                loc(f"WH1-{zone}{aisle}-{level}", f"Zone {zone} aisle {aisle} level {level}", "bin", f"WH1-{zone}", walk)
    loc("DEP2", "Service depot", "site")
    loc("DEP2-DOCK", "Depot dock", "dock", "DEP2", 100)
    loc("DEP2-S", "Spares room", "zone", "DEP2", 101)
    for shelf in range(1, 5):
        loc(f"DEP2-S-{shelf:02d}", f"Spares shelf {shelf}", "bin", "DEP2-S", 101 + shelf)
    loc("DEP2-POOL", "Loaner pool", "zone", "DEP2", 110)
    loc("VAN-07", "Theo's van", "van", None, 200, users["technician"].id)
