"""shared resources: requests, offers, equipment and bookings, joint purchases and pledges

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('equipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('deposit', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('fee', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('booking_seq', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('retired_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_equipment_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['holder_id'], ['members.id'], name=op.f('fk_equipment_holder_id_members')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_equipment_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment'))
    )
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.create_index('ix_equipment_alliance_retired', ['alliance_id', 'retired_at'], unique=False)

    op.create_table('resource_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('requester_person_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=True),
    sa.Column('needed_by', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accepted_offer_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_resource_requests_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['requester_id'], ['members.id'], name=op.f('fk_resource_requests_requester_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_requests'))
    )
    with op.batch_alter_table('resource_requests', schema=None) as batch_op:
        batch_op.create_index('ix_resource_requests_alliance_status', ['alliance_id', 'status', 'kind'], unique=False)
        batch_op.create_index('ix_resource_requests_requester_status', ['requester_id', 'status'], unique=False)

    op.create_table('equipment_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('picked_up_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.BigInteger(), nullable=True),
    sa.Column('reminder_sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_borrower_sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_holder_sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_equipment_bookings_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_equipment_bookings_member_id_members')),
    sa.ForeignKeyConstraint(['request_id'], ['resource_requests.id'], name=op.f('fk_equipment_bookings_request_id_resource_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_bookings'))
    )
    with op.batch_alter_table('equipment_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_equipment_bookings_item_status', ['equipment_id', 'status', 'starts_at'], unique=False)
        batch_op.create_index('ix_equipment_bookings_member_status', ['member_id', 'status'], unique=False)

    op.create_table('purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('pricing', sa.String(length=8), nullable=False),
    sa.Column('unit_price', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('total_price', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=True),
    sa.Column('deadline', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pledge_seq', sa.Integer(), nullable=False),
    sa.Column('settled_total', sa.Integer(), nullable=True),
    sa.Column('settled_price', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('settled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_purchases_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['organiser_id'], ['members.id'], name=op.f('fk_purchases_organiser_id_members')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_purchases_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['request_id'], ['resource_requests.id'], name=op.f('fk_purchases_request_id_resource_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_purchases_proposal_id')),
    sa.UniqueConstraint('request_id', name=op.f('uq_purchases_request_id'))
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index('ix_purchases_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('resource_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['resource_requests.id'], name=op.f('fk_resource_events_request_id_resource_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_events'))
    )
    with op.batch_alter_table('resource_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_events_request_id'), ['request_id'], unique=False)

    op.create_table('purchase_pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cost', storage.types.DecimalText(length=40), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_purchase_pledges_member_id_members')),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], name=op.f('fk_purchase_pledges_purchase_id_purchases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_pledges')),
    sa.UniqueConstraint('purchase_id', 'member_id', name=op.f('uq_purchase_pledges_purchase_id'))
    )
    with op.batch_alter_table('purchase_pledges', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_pledges_member_status', ['member_id', 'status'], unique=False)

    op.create_table('resource_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_resource_offers_member_id_members')),
    sa.ForeignKeyConstraint(['request_id'], ['resource_requests.id'], name=op.f('fk_resource_offers_request_id_resource_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_offers')),
    sa.UniqueConstraint('request_id', 'member_id', name=op.f('uq_resource_offers_request_id'))
    )
    with op.batch_alter_table('resource_offers', schema=None) as batch_op:
        batch_op.create_index('ix_resource_offers_member_status', ['member_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('resource_offers', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_offers_member_status')

    op.drop_table('resource_offers')
    with op.batch_alter_table('purchase_pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_pledges_member_status')

    op.drop_table('purchase_pledges')
    with op.batch_alter_table('resource_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_events_request_id'))

    op.drop_table('resource_events')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index('ix_purchases_status_deadline')

    op.drop_table('purchases')
    with op.batch_alter_table('equipment_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_equipment_bookings_member_status')
        batch_op.drop_index('ix_equipment_bookings_item_status')

    op.drop_table('equipment_bookings')
    with op.batch_alter_table('resource_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_requests_requester_status')
        batch_op.drop_index('ix_resource_requests_alliance_status')

    op.drop_table('resource_requests')
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.drop_index('ix_equipment_alliance_retired')

    op.drop_table('equipment')
