"""transcript: an index on reply_to_id

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 10:40:00.000000

A message sent again with the same id (a client's retry, Telegram's resend of a slow
webhook) is answered with the replies it got, found by ``reply_to_id``. Without an index
that read every row of the transcript: 22 ms of a parallel scan at 500,000 rows on
PostgreSQL, against 0.04 ms with it, and retries come when the server is already slow.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_transcript_reply_to_id'), 'transcript', ['reply_to_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_transcript_reply_to_id'), table_name='transcript')
