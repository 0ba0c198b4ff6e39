"""zone versions say whom they bind, every source address, and what sources disagree on

``binds``: the version's binding scope as text (``all``, ``civil``, ``operators:US``,
``carriers:IBE,AEA``, ``nobody``; ``monitor.domain.zone.BindingScope``), NULL for versions
recorded before this migration (their scope then follows their status, as before).
``more_sources``: source addresses beyond ``source_url``, separated by spaces.
``notes``: conflicts between sources (both values with their sources) and area caveats.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zone_version") as batch:
        batch.add_column(sa.Column("binds", sa.String(length=400), nullable=True))
        batch.add_column(
            sa.Column("more_sources", sa.Text(), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("zone_version") as batch:
        batch.drop_column("notes")
        batch.drop_column("more_sources")
        batch.drop_column("binds")
