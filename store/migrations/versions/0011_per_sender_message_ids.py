"""transcript: message ids unique per (channel, sender, chat); claims on unanswered messages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:40:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_transcript = sa.table('transcript', sa.column('id', sa.Integer()),
                       sa.column('channel', sa.String()), sa.column('sender', sa.String()),
                       sa.column('parse', sa.JSON()))


def _columns(claims: bool) -> list[sa.Column[Any]]:
    """The transcript's columns, with this revision's two or without them."""
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('chat_id', sa.String(length=100), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        *([sa.Column('sender', sa.String(length=100), nullable=True)] if claims else []),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('direction', sa.Enum('in', 'out', name='direction', native_enum=False,
                                       length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('parse', sa.JSON(), nullable=True),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.Column('reply_to_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        *([sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True)]
          if claims else []),
    ]


def _rebuild_on_sqlite(unique: list[str], claims: bool) -> None:
    """SQLite cannot drop a unique constraint: the table is rebuilt. The old one is renamed
    first (which repoints its self-reference, reply_to_id, at itself) so that dropping it
    leaves no reference dangling; Alembic's batch copy would drop it while the copy still
    referred to it, which the foreign keys refuse."""
    op.execute('ALTER TABLE transcript RENAME TO transcript_old')
    op.drop_index('ix_transcript_chat', table_name='transcript_old')
    columns = _columns(claims)
    op.create_table(
        'transcript', *columns,
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_transcript_person_id_person')),
        sa.ForeignKeyConstraint(['reply_to_id'], ['transcript.id'],
                                name=op.f('fk_transcript_reply_to_id_transcript')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript')),
        sa.UniqueConstraint(*unique, name=op.f(f"uq_transcript_{'_'.join(unique)}")))
    names = ', '.join(column.name for column in columns)
    op.execute(f'INSERT INTO transcript ({names}) SELECT {names} FROM transcript_old')
    op.drop_table('transcript_old')
    op.create_index('ix_transcript_chat', 'transcript', ['channel', 'chat_id', 'id'])


def upgrade() -> None:
    op.add_column('transcript', sa.Column('sender', sa.String(length=100), nullable=True))
    op.add_column('transcript', sa.Column('claimed_at', sa.DateTime(timezone=True),
                                          nullable=True))
    # Incoming messages so far: their sender is the identity of their person on that channel.
    op.execute("UPDATE transcript SET sender = (SELECT chat_identity.external_id "
               "FROM chat_identity WHERE chat_identity.person_id = transcript.person_id "
               "AND chat_identity.channel = transcript.channel "
               "ORDER BY chat_identity.id LIMIT 1) "
               "WHERE direction = 'in' AND person_id IS NOT NULL")
    # Group messages kept for a private continuation had their sender in the parse.
    connection = op.get_bind()
    for row_id, parse in connection.execute(sa.select(_transcript.c.id, _transcript.c.parse)
                                            .where(_transcript.c.channel == 'telegram-group')):
        if isinstance(parse, dict) and parse.get('sender'):
            connection.execute(_transcript.update().where(_transcript.c.id == row_id)
                               .values(sender=str(parse['sender'])))
    if connection.dialect.name == 'sqlite':
        _rebuild_on_sqlite(['channel', 'sender', 'chat_id', 'external_id'], claims=True)
    else:
        op.drop_constraint('uq_transcript_channel_external_id', 'transcript', type_='unique')
        op.create_unique_constraint('uq_transcript_channel_sender_chat_id_external_id',
                                    'transcript',
                                    ['channel', 'sender', 'chat_id', 'external_id'])
    op.create_index('ix_transcript_claimed_at', 'transcript', ['claimed_at'])


def downgrade() -> None:
    op.drop_index('ix_transcript_claimed_at', table_name='transcript')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(['channel', 'external_id'], claims=False)
        return
    op.drop_constraint('uq_transcript_channel_sender_chat_id_external_id', 'transcript',
                       type_='unique')
    op.create_unique_constraint('uq_transcript_channel_external_id', 'transcript',
                                ['channel', 'external_id'])
    op.drop_column('transcript', 'claimed_at')
    op.drop_column('transcript', 'sender')
