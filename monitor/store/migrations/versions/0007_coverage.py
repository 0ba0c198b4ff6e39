"""coverage: positions per source and hour, from imported archives and live feeds

``coverage``: one row per source, hour and origin (the run that counted the positions),
see ``monitor.store.models.CoverageRow``.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import monitor.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("hour", monitor.store.types.UTCDateTime(), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("updated_at", monitor.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "hour", "origin"),
    )
    with op.batch_alter_table("coverage") as batch:
        batch.create_index("ix_coverage_hour", ["hour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coverage") as batch:
        batch.drop_index("ix_coverage_hour")
    op.drop_table("coverage")
