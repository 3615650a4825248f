"""the stock ledger and the asset history are append-only in the database: triggers refuse UPDATE and DELETE

Until this revision only the ORM refused to change a stock movement; a Core statement, a script or another tool
could rewrite or delete one, and nothing stopped an UPDATE of an asset event. Now both databases refuse it with
triggers (PostgreSQL: TRUNCATE too), as app/append_only.py creates them for a schema made from the models. The
statements are written out here, as they were at this revision.

On SQLite a later migration that rebuilds one of these tables (batch_alter_table copies it into a new table) drops
its triggers: such a migration must create them again. tests/test_migrations.py checks the head schema has them.

Revision ID: 0c4f7a2e9b13
Revises: e6a1c4b8d2f0
Create Date: 2026-11-25 14:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0c4f7a2e9b13'
down_revision = 'e6a1c4b8d2f0'
branch_labels = None
depends_on = None

TABLES = ("stock_movement", "asset_event")

PG_FUNCTION = """CREATE OR REPLACE FUNCTION storekeeper_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP
    || ' refused; record a correcting entry instead';
END
$body$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION storekeeper_append_only()")
            op.execute(f"CREATE TRIGGER {table}_never_truncated BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION storekeeper_append_only()")
        return
    for table in TABLES:
        for verb in ("update", "delete"):
            op.execute(f"CREATE TRIGGER {table}_never_{verb}d BEFORE {verb.upper()} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb.upper()} refused; "
                       "record a correcting entry instead'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_never_truncated ON {table}")
        op.execute("DROP FUNCTION IF EXISTS storekeeper_append_only()")
        return
    for table in TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_never_{verb}d")
