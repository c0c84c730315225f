"""indexes for the lookups that scanned: roles by member, referrals by the one they were passed
on from, and the due-time columns the scheduler's refresh reads (by status, then time)

Revision ID: 0011
Revises: 0010
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = [
    ('roles', 'ix_roles_member_id', ['member_id']),
    ('referrals', 'ix_referrals_passed_from_id', ['passed_from_id']),
    ('fsm_states', 'ix_fsm_states_state', ['state']),
    ('meetings', 'ix_meetings_status_deadline', ['status', 'deadline']),
    ('meetings', 'ix_meetings_status_starts', ['status', 'starts_at']),
    ('proposals', 'ix_proposals_status_closes', ['status', 'closes_at']),
    ('resource_requests', 'ix_resource_requests_status_needed_by', ['status', 'needed_by']),
    ('equipment_bookings', 'ix_equipment_bookings_status_ends', ['status', 'ends_at']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
