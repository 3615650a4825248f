"""updated_at on item and asset: the dashboard's change stamps

The dashboard keeps each rendered tile until what it shows changes: the newest ledger movement, asset event, and
the newest change to an item's or asset's settings (these columns). Existing rows start at their creation time.
The column is nullable in the database only so that adding it is a plain ALTER TABLE on SQLite (no table copy,
which foreign keys referencing item and asset would refuse); the app always sets it.

Revision ID: 13fab98071f9
Revises: 1de45fa2bd8c
Create Date: 2026-11-25 04:23:01.661238

"""
from alembic import op
import sqlalchemy as sa
import app.types


# revision identifiers, used by Alembic.
revision = '13fab98071f9'
down_revision = '1de45fa2bd8c'
branch_labels = None
depends_on = None


def upgrade():
    for table in ("asset", "item"):
        op.add_column(table, sa.Column('updated_at', app.types.UTCDateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = created_at")  # noqa: S608 - our two table names
        op.create_index(op.f(f'ix_{table}_updated_at'), table, ['updated_at'], unique=False)


def downgrade():
    for table in ("item", "asset"):
        op.drop_index(op.f(f'ix_{table}_updated_at'), table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN updated_at")  # native on PostgreSQL and SQLite ≥ 3.35
