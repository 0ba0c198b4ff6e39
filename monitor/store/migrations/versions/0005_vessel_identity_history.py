"""vessel static data over time: one row per value of a name, call sign, IMO, type, destination

``vessel_identity_history``: for each MMSI, every value of its broadcast static data from
when it was first heard (``old_value`` NULL for the first value, the value it replaced
otherwise), in data time; append only (``monitor.store.models.VesselIdentityHistoryRow``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import monitor.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vessel_identity_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mmsi", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attribute", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("changed_at", monitor.store.types.UTCDateTime(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vessel_identity_history") as batch:
        batch.create_index(
            "ix_vessel_identity_history_mmsi_at", ["mmsi", "changed_at"], unique=False
        )
        batch.create_index("ix_vessel_identity_history_at", ["changed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vessel_identity_history") as batch:
        batch.drop_index("ix_vessel_identity_history_at")
        batch.drop_index("ix_vessel_identity_history_mmsi_at")
    op.drop_table("vessel_identity_history")
