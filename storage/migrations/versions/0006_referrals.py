"""referrals: hand-offs, their events and their private cards

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('referrer_person_id', sa.BigInteger(), nullable=True),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('passed_from_id', sa.Integer(), nullable=True),
    sa.Column('customer_name', sa.String(length=255), nullable=True),
    sa.Column('customer_contact', sa.String(length=255), nullable=True),
    sa.Column('need', sa.Text(), nullable=False),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('expected_value', storage.types.DecimalText(), nullable=True),
    sa.Column('expected_currency', sa.String(length=3), nullable=True),
    sa.Column('won_value', storage.types.DecimalText(), nullable=True),
    sa.Column('won_currency', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('accepted_by', sa.BigInteger(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('rated_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('nudged_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('touched_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('purged_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_referrals_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referrals_referrer_id_members')),
    sa.ForeignKeyConstraint(['receiver_id'], ['members.id'], name=op.f('fk_referrals_receiver_id_members')),
    sa.ForeignKeyConstraint(['passed_from_id'], ['referrals.id'], name=op.f('fk_referrals_passed_from_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_alliance_created', ['alliance_id', 'created_at'], unique=False)
        batch_op.create_index('ix_referrals_receiver_status', ['receiver_id', 'status'], unique=False)
        batch_op.create_index('ix_referrals_referrer_status', ['referrer_id', 'status'], unique=False)
        batch_op.create_index('ix_referrals_status', ['status'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_events_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_cards_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_cards')),
    sa.UniqueConstraint('referral_id', 'chat_id', name=op.f('uq_referral_cards_referral_id'))
    )


def downgrade() -> None:
    op.drop_table('referral_cards')
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_events_referral_id'))
    op.drop_table('referral_events')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status')
        batch_op.drop_index('ix_referrals_referrer_status')
        batch_op.drop_index('ix_referrals_receiver_status')
        batch_op.drop_index('ix_referrals_alliance_created')
    op.drop_table('referrals')
