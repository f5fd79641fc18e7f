"""tickets: where the problem is (scope, part) and whom a complaint is about

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:12:05.118210
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('part', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('accused_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ticket_accused_id_person'), 'person',
                                    ['accused_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_accused_id_person'), type_='foreignkey')
        batch_op.drop_column('accused_id')
        batch_op.drop_column('part')
        batch_op.drop_column('scope')
