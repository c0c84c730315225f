"""indexes for the scheduler's window: each due-time column a refresh reads up to its horizon
(sent referrals by creation, referrals in hand by last touch, closed referrals still holding a
customer by closing — a partial index over just those rows — and forms under way by last step)

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The purge read must spell this condition the same way (bot.services.referrals.HOLDS_CUSTOMER)
# for PostgreSQL and SQLite to use the partial index.
HOLDS_CUSTOMER = 'customer_contact IS NOT NULL OR customer_name IS NOT NULL'

INDEXES = [
    ('referrals', 'ix_referrals_status_created', ['status', 'created_at'], None),
    ('referrals', 'ix_referrals_status_touched', ['status', 'touched_at'], None),
    ('referrals', 'ix_referrals_purge', ['closed_at'], HOLDS_CUSTOMER),
    ('fsm_states', 'ix_fsm_states_state_updated', ['state', 'updated_at'], None),
]


def upgrade() -> None:
    for table, name, columns, where in INDEXES:
        partial = {} if where is None else {'postgresql_where': sa.text(where),
                                            'sqlite_where': sa.text(where)}
        op.create_index(name, table, columns, unique=False, **partial)


def downgrade() -> None:
    for table, name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
