"""meetings: series, polls, slots, availability

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=500), nullable=True),
    sa.Column('rule', sa.String(length=255), nullable=False),
    sa.Column('anchor', sa.Date(), nullable=False),
    sa.Column('local_time', sa.String(length=5), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('offsets', sa.JSON(), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('open_days', sa.Integer(), nullable=False),
    sa.Column('poll_hours', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_meeting_series_alliance_id_alliances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_series'))
    )
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_series_alliance_status', ['alliance_id', 'status'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('occurrence_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=500), nullable=True),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('deadline', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('winner_slot_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_meetings_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'], name=op.f('fk_meetings_series_id_meeting_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('series_id', 'occurrence_at', name=op.f('uq_meetings_series_id'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_alliance_status', ['alliance_id', 'status'], unique=False)

    op.create_table('meeting_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_slots_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_slots'))
    )
    with op.batch_alter_table('meeting_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_slots_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_availability_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], name=op.f('fk_meeting_availability_slot_id_meeting_slots')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_meeting_availability_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_availability')),
    sa.UniqueConstraint('slot_id', 'member_id', name=op.f('uq_meeting_availability_slot_id'))
    )
    with op.batch_alter_table('meeting_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_availability_meeting_id'), ['meeting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_availability_meeting_id'))
    op.drop_table('meeting_availability')
    with op.batch_alter_table('meeting_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_slots_meeting_id'))
    op.drop_table('meeting_slots')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_alliance_status')
    op.drop_table('meetings')
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_series_alliance_status')
    op.drop_table('meeting_series')
