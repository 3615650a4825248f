"""rental units linked to their stock item; people get a scannable badge code

A serialized rental unit is an asset and also stock of a serial-tracked item (table rental_unit). A person is
scanned at check-out by the badge code registered for them in the scan registry (kind "person"); this gives every
existing account its code, as app.auth.services.create_user does for new ones.

Revision ID: a4e8c2d61b07
Revises: 7c3d9e1f2a55
Create Date: 2026-11-25 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4e8c2d61b07'
down_revision = '7c3d9e1f2a55'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rental_unit',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_rental_unit_asset_id_asset')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_rental_unit_item_id_item')),
    sa.PrimaryKeyConstraint('asset_id', name=op.f('pk_rental_unit'))
    )
    with op.batch_alter_table('rental_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rental_unit_item_id'), ['item_id'], unique=False)
    # The badge format is app.auth.rules.badge_code as of this revision (a migration must not change with the code).
    bind = op.get_bind()
    users = bind.execute(sa.text("SELECT id, name FROM user_account ORDER BY id")).all()
    taken = {row[0] for row in bind.execute(sa.text("SELECT code FROM scan_code WHERE kind <> 'person'"))}
    have = {row[0] for row in bind.execute(sa.text("SELECT code FROM scan_code WHERE kind = 'person'"))}
    rows = [{"code": f"USR-{uid:05d}", "target_id": uid, "label": (name or "")[:80]}
            for uid, name in users if f"USR-{uid:05d}" not in taken | have]
    if rows:
        bind.execute(sa.text("INSERT INTO scan_code (code, kind, target_id, pack_qty, label, created_at) "
                             "VALUES (:code, 'person', :target_id, 1, :label, CURRENT_TIMESTAMP)"), rows)


def downgrade():
    op.execute("DELETE FROM scan_code WHERE kind = 'person'")
    with op.batch_alter_table('rental_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rental_unit_item_id'))
    op.drop_table('rental_unit')
