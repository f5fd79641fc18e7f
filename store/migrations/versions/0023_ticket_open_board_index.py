"""ticket: a partial covering index of the open tickets for the staff board (PostgreSQL)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 08:25:00.000000

The board (store/board.py) ranks and counts only open tickets, about 2% of them; with 300,000
tickets its query read each open row from the table (spread over the year) to rank it. This
index holds just the open rows with every column the ranking, the scope and the filters read,
so the board's sort key and its counts come from the index alone and only the page's rows are
read from the table. SQLite has none: its deployments are small.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new', 'assigned', 'acknowledged', 'in_progress', 'reopened')"


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE INDEX ix_ticket_open_board ON ticket (community_id, status) '
               'INCLUDE (id, kind, escalation_level, acknowledged_at, respond_by, resolve_by, '
               'reporter_id, accused_id, building_id, assignee_id, category) '
               f'WHERE {OPEN}')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_ticket_open_board')
