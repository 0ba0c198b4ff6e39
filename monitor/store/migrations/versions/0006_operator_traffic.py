"""traffic by operator: distinct flights per UTC day, FIR, operator and State of registry

``operator_traffic`` (``monitor.store.models.OperatorTrafficRow``): the counts behind
``GET /api/stats/operators``, the status board's chart and operator returns.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import monitor.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_traffic",
        sa.Column("day", monitor.store.types.UTCDateTime(), nullable=False),
        sa.Column("zone_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("operator_icao", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("registry_iso2", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("flights", sa.Integer(), nullable=False),
        sa.Column("updated_at", monitor.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", "zone_id", "operator_icao", "registry_iso2"),
    )
    with op.batch_alter_table("operator_traffic") as batch:
        batch.create_index("ix_operator_traffic_zone_day", ["zone_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("operator_traffic") as batch:
        batch.drop_index("ix_operator_traffic_zone_day")
    op.drop_table("operator_traffic")
