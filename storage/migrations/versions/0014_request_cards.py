"""request cards: copies of a request's card in the alliance's linked chats (the home card's
place stays on the request), so every change edits every copy

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('request_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['resource_requests.id'], name=op.f('fk_request_cards_request_id_resource_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_cards')),
    sa.UniqueConstraint('request_id', 'chat_id', name=op.f('uq_request_cards_request_id'))
    )


def downgrade() -> None:
    op.drop_table('request_cards')
