"""the asset's last activity, kept with its status

The idle-assets tile looked up every asset's newest check-out, return, transfer or deployment event to list the
idlest five (25 ms at 10,000 assets on PostgreSQL, on every view after any change). assets.services.append_event
now keeps the time of the newest such event on the asset row, in the event's own transaction; this fills it in
from the events already there.

Revision ID: 7c3d9e1f2a55
Revises: 5b1e2c7d9a40
Create Date: 2026-11-25 09:45:00

"""
from alembic import op
import sqlalchemy as sa
import app.types


# revision identifiers, used by Alembic.
revision = '7c3d9e1f2a55'
down_revision = '5b1e2c7d9a40'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('asset', sa.Column('last_activity_at', app.types.UTCDateTime(timezone=True), nullable=True))
    # The kinds are app.assets.rules.ACTIVITY_KINDS as of this revision (a migration must not change with the code).
    op.execute("""
        UPDATE asset SET last_activity_at =
          (SELECT MAX(e.at) FROM asset_event e WHERE e.asset_id = asset.id AND e.kind IN
             ('checked_out', 'checked_in', 'transferred', 'deployed', 'undeployed', 'received', 'registered'))
    """)


def downgrade():
    op.execute("ALTER TABLE asset DROP COLUMN last_activity_at")  # native on PostgreSQL and SQLite ≥ 3.35
