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
    # Plain ADD COLUMNs with the reference inline: a batch foreign key would make SQLite copy
    # and drop the ticket table, which its foreign keys (events, subscribers) forbid.
    op.add_column('ticket', sa.Column('scope', sa.String(length=10), nullable=True))
    op.add_column('ticket', sa.Column('part', sa.String(length=30), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE ticket ADD COLUMN accused_id INTEGER '
                   'CONSTRAINT fk_ticket_accused_id_person REFERENCES person (id)')
    else:
        op.add_column('ticket', sa.Column('accused_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_ticket_accused_id_person', 'ticket', 'person',
                              ['accused_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':  # SQLite's goes with the column
            batch_op.drop_constraint('fk_ticket_accused_id_person', type_='foreignkey')
        batch_op.drop_column('accused_id')
        batch_op.drop_column('part')
        batch_op.drop_column('scope')
