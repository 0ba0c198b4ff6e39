"""incident R*Tree over space and time (SQLite)

A bbox + time-range query used to find every incident in the box through a 2-D R*Tree
and then check each one's times in the main table; with a million incidents that is
thousands of lookups per query. The R*Tree now also holds each incident's active
interval (started_at .. last_seen_at, epoch seconds), so the index answers both at once.
R*Tree coordinates are 32-bit floats, rounded outwards: the index is a prefilter and the
exact time conditions still run on the few candidates. PostgreSQL keeps its GiST and
b-tree indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_EPOCH = "CAST(strftime('%s', {col}) AS REAL)"
_T0 = _EPOCH.format(col="NEW.started_at")
_T1 = _EPOCH.format(col="NEW.last_seen_at")

_CREATE = [
    "CREATE VIRTUAL TABLE incident_rtree USING rtree("
    "id, min_lon, max_lon, min_lat, max_lat, t0, t1)",
    f"""CREATE TRIGGER incident_rtree_ins AFTER INSERT ON incident WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT INTO incident_rtree VALUES
       (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, {_T0}, {_T1}); END""",  # noqa: S608 - fixed SQL
    f"""CREATE TRIGGER incident_rtree_upd AFTER UPDATE OF
       min_lon, max_lon, min_lat, max_lat, started_at, last_seen_at ON incident
       WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT OR REPLACE INTO incident_rtree VALUES
       (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, {_T0}, {_T1}); END""",  # noqa: S608 - fixed SQL
    """CREATE TRIGGER incident_rtree_del AFTER DELETE ON incident
       BEGIN DELETE FROM incident_rtree WHERE id = OLD.id; END""",
    "INSERT INTO incident_rtree SELECT id, min_lon, max_lon, min_lat, max_lat, "
    "CAST(strftime('%s', started_at) AS REAL), CAST(strftime('%s', last_seen_at) AS REAL) "
    "FROM incident WHERE min_lon IS NOT NULL",
]

_OLD_2D = [
    "CREATE VIRTUAL TABLE incident_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    """CREATE TRIGGER incident_rtree_ins AFTER INSERT ON incident WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT INTO incident_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END""",
    """CREATE TRIGGER incident_rtree_upd AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON incident
       WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT OR REPLACE INTO incident_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END""",
    """CREATE TRIGGER incident_rtree_del AFTER DELETE ON incident
       BEGIN DELETE FROM incident_rtree WHERE id = OLD.id; END""",
    "INSERT INTO incident_rtree SELECT id, min_lon, max_lon, min_lat, max_lat FROM incident "
    "WHERE min_lon IS NOT NULL",
]


def _drop() -> None:
    for name in ("incident_rtree_ins", "incident_rtree_upd", "incident_rtree_del"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS incident_rtree")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for sql in _CREATE:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for sql in _OLD_2D:
        op.execute(sql)
