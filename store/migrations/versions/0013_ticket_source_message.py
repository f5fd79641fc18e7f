"""ticket source message: a turn run again after a crash finds the ticket it opened

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 02:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column with no constraint: SQLite adds it in place, no table copy.
    op.add_column('ticket', sa.Column('source_message_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_ticket_source_message_id'), 'ticket', ['source_message_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_source_message_id'), table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('source_message_id')
