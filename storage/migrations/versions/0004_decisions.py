"""decisions: proposals and ballots

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('quorum_pct', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('results_while_open', sa.Boolean(), nullable=False),
    sa.Column('electorate', sa.String(length=16), nullable=False),
    sa.Column('subject_kind', sa.String(length=32), nullable=True),
    sa.Column('subject_ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_proposals_alliance_id_alliances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_alliance_status', ['alliance_id', 'status'], unique=False)
        batch_op.create_index('ix_proposals_subject', ['subject_kind', 'subject_ref'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.String(length=64), nullable=False),
    sa.Column('cast_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ballots_member_id_members')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_ballots_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('proposal_id', 'member_id', name=op.f('uq_ballots_proposal_id'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_member_id'))
    op.drop_table('ballots')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_subject')
        batch_op.drop_index('ix_proposals_alliance_status')
    op.drop_table('proposals')
