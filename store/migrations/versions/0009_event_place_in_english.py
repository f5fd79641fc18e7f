"""event places in English: event.place_en, split out of "1号楼活动室 / Activity room, Building 1"

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:12:40.512733
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _split(place: str) -> tuple[str, str] | None:
    """Chinese and English halves of a place written both ways in one string (a copy of
    store.community.split_place as it was: a migration does not follow later code)."""
    halves = [half.strip() for half in place.split(" / ")]
    if len(halves) != 2 or not all(halves):
        return None
    for zh, en in (halves, halves[::-1]):
        if _CJK.search(zh) and not _CJK.search(en) and _LATIN.search(en):
            return zh, en
    return None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_en', sa.String(length=200), nullable=True))
    event = sa.table('event', sa.column('id', sa.Integer()), sa.column('place', sa.String()),
                     sa.column('place_en', sa.String()))
    connection = op.get_bind()
    for row in connection.execute(sa.select(event.c.id, event.c.place)).all():
        halves = _split(row.place or "")
        if halves is not None:
            connection.execute(event.update().where(event.c.id == row.id).values(
                place=halves[0], place_en=halves[1]))


def downgrade() -> None:
    event = sa.table('event', sa.column('place', sa.String()), sa.column('place_en', sa.String()))
    op.get_bind().execute(event.update().where(event.c.place_en.is_not(None)).values(
        place=event.c.place + " / " + event.c.place_en))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('place_en')
