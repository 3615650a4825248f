"""count bin visits: a count keeps which places were scanned, so a bin found empty is told apart from one skipped

A bin scanned during a count and found empty used to leave no trace; the review listed it with the bins nobody
went to. app.stock.counting now records each place scanned in a count (once per count and place). Counts made
before this revision have no visits: their bins read as counted (something was counted there) or not visited.

Revision ID: e6a1c4b8d2f0
Revises: b3f7d2e8c914
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa
import app.types


# revision identifiers, used by Alembic.
revision = 'e6a1c4b8d2f0'
down_revision = 'b3f7d2e8c914'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('count_bin_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('visited_by', sa.Integer(), nullable=True),
    sa.Column('visited_at', app.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_count_bin_visit_location_id_location')),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'],
                            name=op.f('fk_count_bin_visit_session_id_count_session')),
    sa.ForeignKeyConstraint(['visited_by'], ['user_account.id'],
                            name=op.f('fk_count_bin_visit_visited_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_bin_visit')),
    sa.UniqueConstraint('session_id', 'location_id', name=op.f('uq_count_bin_visit_session_id_location_id'))
    )


def downgrade():
    op.drop_table('count_bin_visit')
