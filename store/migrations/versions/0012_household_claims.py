"""household claims: a flat already held by someone else is bound once a grid member confirms

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: nothing existing is altered, so SQLite needs no batch copy.
    op.create_table('household_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'refused', 'withdrawn',
                                name='claimstatus', native_enum=False, length=20),
              nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'],
                            name=op.f('fk_household_claim_decided_by_id_person')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'],
                            name=op.f('fk_household_claim_household_id_household')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                            name=op.f('fk_household_claim_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_claim'))
    )
    with op.batch_alter_table('household_claim', schema=None) as batch_op:
        batch_op.create_index('ix_household_claim_person_status', ['person_id', 'status'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('household_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_household_claim_person_status')

    op.drop_table('household_claim')
