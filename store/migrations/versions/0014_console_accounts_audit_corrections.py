"""console: accounts, the audit log, corrections; transcript paged by time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('console_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_console_user_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_user')),
    sa.UniqueConstraint('username', name=op.f('uq_console_user_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['console_user.id'], name=op.f('fk_audit_log_user_id_console_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=60), nullable=False),
    sa.Column('entities', sa.JSON(), nullable=False),
    sa.Column('previous_intent', sa.String(length=60), nullable=True),
    sa.Column('previous_entities', sa.JSON(), nullable=True),
    sa.Column('author', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['transcript.id'], name=op.f('fk_correction_message_id_transcript')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction'))
    )
    op.create_index('ix_correction_message', 'correction', ['message_id', 'id'], unique=False)
    op.create_index('ix_transcript_at_id', 'transcript', ['at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_transcript_at_id', table_name='transcript')
    op.drop_index('ix_correction_message', table_name='correction')
    op.drop_table('correction')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('console_user')
