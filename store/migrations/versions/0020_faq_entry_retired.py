"""faq_entry.retired: an operator takes an FAQ entry out of the answers (console FAQ page)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_column('retired')
