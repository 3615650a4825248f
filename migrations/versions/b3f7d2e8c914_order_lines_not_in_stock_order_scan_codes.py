"""order lines keep what was never reserved (not in stock) for their backorder; order numbers are scan codes

What no allocation could reserve used to vanish when the order shipped; it is now counted on the line
(unallocated_qty) and backordered with that reason. An order's number opens its pick list at the scan hub, so
every existing order gets its number in the scan registry, as app.stock.orders.create_order does for new ones (a
number some other thing already owns is left out: it keeps meaning that thing).

Revision ID: b3f7d2e8c914
Revises: a4e8c2d61b07
Create Date: 2026-11-25 12:30:00

"""
from alembic import op
import sqlalchemy as sa
import app.stock.types


# revision identifiers, used by Alembic.
revision = 'b3f7d2e8c914'
down_revision = 'a4e8c2d61b07'
branch_labels = None
depends_on = None


def upgrade():
    # NOT NULL with a default: a plain ALTER TABLE on SQLite too.
    op.add_column('customer_order_line', sa.Column('unallocated_qty', app.stock.types.Qty(), server_default='0',
                                                   nullable=False))
    op.execute("""
        INSERT INTO scan_code (code, kind, target_id, pack_qty, label, created_at)
        SELECT o.number, 'order', o.id, 1, o.number, CURRENT_TIMESTAMP FROM customer_order o
        WHERE NOT EXISTS (SELECT 1 FROM scan_code c WHERE c.code = o.number)
    """)


def downgrade():
    op.execute("DELETE FROM scan_code WHERE kind = 'order'")
    op.execute("ALTER TABLE customer_order_line DROP COLUMN unallocated_qty")  # native on PostgreSQL and SQLite ≥ 3.35
