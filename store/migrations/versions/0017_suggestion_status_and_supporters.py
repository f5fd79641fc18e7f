"""suggestion status: the committee's public reply, who changed it when, and supporters

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('status_changed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_suggestion_status_changed_by_id_person'), 'person',
            ['status_changed_by_id'], ['id'])
        batch_op.create_index('ix_suggestion_inbox', ['community_id', 'status', 'id'],
                              unique=False)
    op.create_table('suggestion_supporter',
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                            name=op.f('fk_suggestion_supporter_person_id_person')),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'],
                            name=op.f('fk_suggestion_supporter_suggestion_id_suggestion')),
    sa.PrimaryKeyConstraint('suggestion_id', 'person_id', name=op.f('pk_suggestion_supporter'))
    )


def downgrade() -> None:
    op.drop_table('suggestion_supporter')
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_inbox')
        batch_op.drop_constraint(batch_op.f('fk_suggestion_status_changed_by_id_person'),
                                 type_='foreignkey')
        batch_op.drop_column('status_changed_by_id')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('reply')
