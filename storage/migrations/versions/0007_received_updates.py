"""polling: updates stored before they are confirmed to Telegram

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_updates',
    sa.Column('bot_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('bot_id', 'update_id', name=op.f('pk_received_updates'))
    )
    with op.batch_alter_table('received_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_updates_received_at'), ['received_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('received_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_updates_received_at'))
    op.drop_table('received_updates')
