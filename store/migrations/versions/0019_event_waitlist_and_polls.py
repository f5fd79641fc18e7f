"""event.waitlist, and community polls (poll, poll_vote)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 07:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    op.create_table('poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('audience', sa.String(length=60), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'],
                            name=op.f('fk_poll_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll'))
    )
    op.create_table('poll_vote',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                            name=op.f('fk_poll_vote_person_id_person')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_vote_poll_id_poll')),
    sa.PrimaryKeyConstraint('poll_id', 'person_id', name=op.f('pk_poll_vote'))
    )


def downgrade() -> None:
    op.drop_table('poll_vote')
    op.drop_table('poll')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('waitlist')
