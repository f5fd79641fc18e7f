"""transcript.text character-pair index (PostgreSQL) for 2-character console searches

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 07:55:00.000000

Trigrams (0021) need three characters; most Chinese words have two ("火锅"), and such a search
that matches nothing read every row (1.6 s at 1,000,000 rows on a busy machine). A GIN index
over each text's character pairs answers it; console/search.py asks it for 2-character
searches. SQLite has no such index: its deployments are small, and the search there scans.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # The distinct character pairs of the lower-cased text; one character is its own pair.
    op.execute("""
        CREATE FUNCTION linli_bigrams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
            FROM generate_series(1, greatest(length(t) - 1, 1)) AS i
        $$""")
    op.execute('CREATE INDEX ix_transcript_text_bigrams ON transcript '
               'USING gin (linli_bigrams(text))')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_transcript_text_bigrams')
        op.execute('DROP FUNCTION linli_bigrams(text)')
