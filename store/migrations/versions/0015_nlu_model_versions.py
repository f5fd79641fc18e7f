"""nlu model versions: trained models with their report, and which one is active

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('model_version',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('training', 'ready', 'failed', 'active', 'retired',
                                name='modelstatus', native_enum=False, length=20),
              nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fingerprint', sa.String(length=40), nullable=True),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('stage', sa.String(length=300), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=True),
    sa.Column('archive', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_model_version'))
    )
    # At most one training job and one active model, whichever worker or host asks.
    op.create_index('ux_model_version_one_per_status', 'model_version', ['status'], unique=True,
                    sqlite_where=sa.text("status IN ('training', 'active')"),
                    postgresql_where=sa.text("status IN ('training', 'active')"))


def downgrade() -> None:
    op.drop_index('ux_model_version_one_per_status', table_name='model_version')
    op.drop_table('model_version')
