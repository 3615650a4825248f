"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"sk_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_produce_exactly_the_models_schema(empty_database):
    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree — run `flask db migrate`: {diff}"


def test_migrations_can_be_applied_twice_without_change(empty_database):
    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        upgrade()
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.engine.dispose()
    assert version


def test_the_item_totals_migration_fills_them_in_from_the_stock_already_there(empty_database):
    """A database upgraded with stock in it gets the same on-hand totals and values the movements would have kept."""
    from flask_migrate import downgrade

    from app.locations.services import create_location
    from app.stock import queries
    from app.stock import services as stock
    from app.stock.models import Item
    from app.uow import UnitOfWork

    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        create_location(code="M", name="M", kind="site", uow=UnitOfWork())
        create_location(code="M-1", name="M-1", kind="bin", parent_code="M", uow=UnitOfWork())
        for sku, method in (("MIG-F", "fifo"), ("MIG-A", "average")):
            stock.create_item(sku=sku, name=sku, valuation_method=method, uow=UnitOfWork())
            for qty, cost in ((3, "1.10"), (4, "2.35")):
                stock.receive(sku=sku, location_code="M-1", quantity=qty, unit_cost=cost, who=stock.Actor(None),
                              uow=UnitOfWork())
            stock.take_out(sku=sku, location_code="M-1", quantity=2, who=stock.Actor(None), uow=UnitOfWork())
        kept = sorted(db.session.execute(select(Item.sku, Item.on_hand_total, Item.stock_value)).all())
        db.session.remove()
        downgrade(revision="13fab98071f9")  # drops the columns
        upgrade()  # adds them back and fills them in
        filled = sorted(db.session.execute(select(Item.sku, Item.on_hand_total, Item.stock_value)).all())
        assert queries.verify(db.session) == []
        db.session.remove()
        db.engine.dispose()
    assert filled == kept
    assert [(sku, total) for sku, total, _ in kept] == [("MIG-A", 5), ("MIG-F", 5)]


def test_the_asset_last_activity_migration_fills_it_in_from_the_events(empty_database):
    """A database upgraded with assets in it gets the same last-activity times the events would have kept."""
    from datetime import date, timedelta
    from decimal import Decimal

    from flask_migrate import downgrade

    from app.assets import services as assets
    from app.assets.models import Asset
    from app.auth.services import create_user
    from app.uow import UnitOfWork

    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        tech = create_user(email="tech@example.test", name="Tech", role="technician", password="a long password 1",
                           uow=UnitOfWork())
        model = assets.ensure_model(manufacturer="Fluke", name="87V", category="Test equipment", uow=UnitOfWork())
        for tag in ("MIG-1", "MIG-2"):
            assets.register_asset(tag=tag, fields=assets.AssetFields(model_id=model.id, cost=Decimal("100"), pool="loaner",
                                                                    depreciation_method="none"),
                                  actor_id=tech.id, uow=UnitOfWork())
        assets.check_out(tags=["MIG-2"], borrower_id=tech.id, due_on=date.today() + timedelta(days=2),
                         actor_id=tech.id, scan_id="mig-checkout", uow=UnitOfWork())
        kept = sorted(db.session.execute(select(Asset.tag, Asset.last_activity_at)).all())
        db.session.remove()
        downgrade(revision="5b1e2c7d9a40")  # drops the column
        upgrade()  # adds it back and fills it in
        filled = sorted(db.session.execute(select(Asset.tag, Asset.last_activity_at)).all())
        db.session.remove()
        db.engine.dispose()
    assert filled == kept
    assert kept[1][1] > kept[0][1]  # the check-out is newer than either registration


def test_the_badge_migration_gives_every_existing_account_its_badge_code(empty_database):
    """Accounts made before badges existed scan as themselves after the upgrade, as new ones do."""
    from flask_migrate import downgrade

    from app.auth.rules import badge_code
    from app.auth.services import create_user
    from app.scanning.models import ScanCode
    from app.uow import UnitOfWork

    app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        people = [create_user(email=f"p{n}@example.test", name=f"P{n}", role="staff", password="a long password 1",
                              uow=UnitOfWork()).id for n in range(3)]
        kept = sorted(db.session.execute(select(ScanCode.code, ScanCode.target_id).where(ScanCode.kind == "person")))
        db.session.remove()
        downgrade(revision="7c3d9e1f2a55")  # forgets the badges
        gone = db.session.scalar(select(func.count()).select_from(ScanCode).where(ScanCode.kind == "person"))
        db.session.remove()
        upgrade()
        filled = sorted(db.session.execute(select(ScanCode.code, ScanCode.target_id).where(ScanCode.kind == "person")))
        db.session.remove()
        db.engine.dispose()
    assert gone == 0
    assert filled == kept == sorted((badge_code(p), p) for p in people)


def _triggers(conn) -> set[str]:
    if conn.dialect.name == "postgresql":
        return set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
    return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())


def test_a_migrated_database_keeps_the_ledger_and_asset_history_append_only_as_the_models_do(empty_database, app):
    """The triggers of app/append_only.py are in a migrated database too, by the same names as in one made from the
    models; a later migration that rebuilds either table on SQLite (and so drops its triggers) fails this test."""
    from sqlalchemy.exc import DBAPIError

    from app.locations.services import create_location
    from app.stock import services as stock
    from app.stock.models import StockMovement
    from app.uow import UnitOfWork

    with app.app_context(), db.engine.connect() as conn:
        from_models = _triggers(conn)
    migrated_app = create_app({"STOREKEEPER_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with migrated_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            migrated = _triggers(conn)
        create_location(code="M", name="M", kind="site", uow=UnitOfWork())
        stock.create_item(sku="MIG-L", name="MIG-L", uow=UnitOfWork())
        stock.receive(sku="MIG-L", location_code="M", quantity=3, unit_cost="1.00", who=stock.Actor(None),
                      uow=UnitOfWork())
        db.session.remove()
        for sql in ("UPDATE stock_movement SET quantity = 30", "DELETE FROM stock_movement"):
            with pytest.raises(DBAPIError, match="stock_movement is append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(sql))
        quantities = db.session.execute(select(StockMovement.quantity)).scalars().all()
        db.session.remove()
        db.engine.dispose()
    assert migrated == from_models
    assert {name for name in from_models if name.startswith(("stock_movement_", "asset_event_"))} == from_models
    assert len(from_models) == 4
    assert quantities == [3]
