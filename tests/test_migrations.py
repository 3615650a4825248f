"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
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
