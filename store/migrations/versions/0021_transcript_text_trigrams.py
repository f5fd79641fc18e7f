"""transcript.text trigram index (pg_trgm, GIN) for the console's text search; none on SQLite

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 07:20:00.000000

``ILIKE '%…%'`` cannot use a b-tree, so a search that matches nothing read every row (0.65 s
at 1,000,000 rows). A trigram index answers it for searches of three characters or more.
SQLite has no such index: its deployments are small, and the search there stays a scan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema holding pg_trgm's operator classes, creating the extension if needed."""
    found = bind.scalar(sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
    if found is None:
        # Into public when there is one: a test schema dropped with CASCADE must not take
        # the database's extension with it.
        has_public = bind.scalar(sa.text(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'"))
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm"
                   + (" WITH SCHEMA public" if has_public else ""))
        found = bind.scalar(sa.text(
            "SELECT extnamespace::regnamespace::text FROM pg_extension"
            " WHERE extname = 'pg_trgm'"))
    return str(found) if found is not None else None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    schema = _trigram_schema(bind)
    op.execute(f'CREATE INDEX ix_transcript_text_trgm ON transcript '
               f'USING gin (text "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_transcript_text_trgm', table_name='transcript')
