"""command menus: which chat-scoped menu a person's private chat and an alliance group last got

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('persons', 'chats'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('menu', sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in ('persons', 'chats'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('menu')
