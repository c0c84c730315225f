"""membership: member card fields, applications, join codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:30:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_person_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('contact_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('sponsor_member_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('joined_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_members_owner_person_id_persons'), 'persons',
                                    ['owner_person_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_members_sponsor_member_id_members'), 'members',
                                    ['sponsor_member_id'], ['id'])

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('approval_mode', sa.String(length=16), nullable=False),
    sa.Column('join_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('join_user_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('cards', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_applications_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_applications_member_id_members')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_applications_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_alliance_status', ['alliance_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_person_id'), ['person_id'], unique=False)

    op.create_table('join_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name=op.f('fk_join_codes_alliance_id_alliances')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_join_codes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_join_codes_code'))
    )
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_codes_alliance_id'), ['alliance_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_codes_alliance_id'))
    op.drop_table('join_codes')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_person_id'))
        batch_op.drop_index('ix_applications_alliance_status')
    op.drop_table('applications')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_sponsor_member_id_members'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_members_owner_person_id_persons'), type_='foreignkey')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('joined_at')
        batch_op.drop_column('sponsor_member_id')
        batch_op.drop_column('contact_kind')
        batch_op.drop_column('owner_person_id')
