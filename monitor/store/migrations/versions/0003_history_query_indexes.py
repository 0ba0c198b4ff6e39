"""indexes for bbox + time history queries (incidents and observations)

Incidents
    PostgreSQL: one GiST index over (geom, active interval), the interval being
    ``tstzrange(started_at, greatest(started_at, last_seen_at), '[]')``, so a bbox + time
    query finds its incidents in one index search (as the SQLite R*Tree of 0002 does)
    instead of a GiST bitmap over all times ANDed with a time b-tree. ``greatest`` because
    a late change may carry a ``last_seen_at`` before ``started_at``, and a range whose
    bounds are reversed is an error that would refuse the whole batch.
    SQLite: ``incident_active_rtree``, an R*Tree like 0002's ``incident_rtree`` but with the
    active interval in epoch DAYS (``t0_day``, ``t1_day``) instead of seconds. The R*Tree's
    split heuristics weigh extents across dimensions; in seconds a year (3e7) dwarfs 25
    degrees of longitude, the tree splits almost only on time, and a 2° x 2° x 7-day query
    visits many leaves: 1.3 ms against 0.25 ms in days, for a million incidents.
    ``incident_rtree`` stays as it is for ``Store.query_incidents``, which asks it in
    seconds; once that reads ``incident_active_rtree`` too, a later migration can drop it.
    Plus a partial index of the few incidents WITHOUT a bounding box (in neither R*Tree),
    so a time-range query can take its candidates from the R*Tree plus this index.
    Both R*Trees' triggers take ``t1 = max(t0, t1)``, for the reason above: an R*Tree
    refuses a row whose minimum exceeds its maximum ("rtree constraint failed"), which
    refused the whole batch holding such a late change. Building the new R*Tree reads
    every incident once (about 20 s for a million).

Observations
    Both backends: a b-tree over (grid cell, observed_at), the cell being the 0.25° x 0.25°
    square holding the position: ``row * 2000 + column`` with ``row = floor((lat + 90) * 4)``
    and ``column = floor((lon + 180) * 4)``; -1 for a position outside -90..90 / -180..180.
    A bbox + time query reads the cells the box covers, each for its time range only. The
    expression below must stay byte-for-byte the one ``monitor.store.queries`` queries with
    (an index on an expression is used only for that very expression).

Nothing for the write path to fill: every index is computed by the database (triggers and
expression indexes). What it costs the write path: one more R*Tree row per incident insert
or bbox / time update on SQLite, one GiST entry per incident write on PostgreSQL, and one
b-tree entry per observation on both.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_CELL = (
    "(CASE WHEN lat BETWEEN -90.0 AND 90.0 AND lon BETWEEN -180.0 AND 180.0 "
    "THEN CAST((lat + 90.0) * 4.0 AS INTEGER) * 2000 + CAST((lon + 180.0) * 4.0 AS INTEGER) "
    "ELSE -1 END)"
)
_POSTGRES_CELL = (
    "(CASE WHEN lat BETWEEN -90.0 AND 90.0 AND lon BETWEEN -180.0 AND 180.0 "
    "THEN floor((lat + 90.0) * 4.0)::integer * 2000 + floor((lon + 180.0) * 4.0)::integer "
    "ELSE -1 END)"
)


_T0 = "CAST(strftime('%s', NEW.started_at) AS REAL)"
_T1 = "CAST(strftime('%s', NEW.last_seen_at) AS REAL)"
_DAY0 = "(CAST(strftime('%s', {p}started_at) AS REAL) / 86400.0)"
_DAY1 = "MAX((CAST(strftime('%s', {p}started_at) AS REAL) / 86400.0), (CAST(strftime('%s', {p}last_seen_at) AS REAL) / 86400.0))"


def _rtree_triggers(t1: str) -> list[str]:
    """The R*Tree triggers of 0002 with ``t1`` as the interval's end."""
    return [
        "DROP TRIGGER IF EXISTS incident_rtree_ins",
        "DROP TRIGGER IF EXISTS incident_rtree_upd",
        f"""CREATE TRIGGER incident_rtree_ins AFTER INSERT ON incident WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT INTO incident_rtree VALUES
       (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, {_T0}, {t1}); END""",  # noqa: S608 - fixed SQL
        f"""CREATE TRIGGER incident_rtree_upd AFTER UPDATE OF
       min_lon, max_lon, min_lat, max_lat, started_at, last_seen_at ON incident
       WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT OR REPLACE INTO incident_rtree VALUES
       (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, {_T0}, {t1}); END""",  # noqa: S608 - fixed SQL
    ]


_ACTIVE_RTREE = [
    "CREATE VIRTUAL TABLE incident_active_rtree USING rtree("
    "id, min_lon, max_lon, min_lat, max_lat, t0_day, t1_day)",
    f"""CREATE TRIGGER incident_active_rtree_ins AFTER INSERT ON incident WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT INTO incident_active_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon,
       NEW.min_lat, NEW.max_lat, {_DAY0.format(p="NEW.")}, {_DAY1.format(p="NEW.")}); END""",  # noqa: S608 - fixed SQL
    f"""CREATE TRIGGER incident_active_rtree_upd AFTER UPDATE OF
       min_lon, max_lon, min_lat, max_lat, started_at, last_seen_at ON incident
       WHEN NEW.min_lon IS NOT NULL
       BEGIN INSERT OR REPLACE INTO incident_active_rtree VALUES (NEW.id, NEW.min_lon,
       NEW.max_lon, NEW.min_lat, NEW.max_lat, {_DAY0.format(p="NEW.")}, {_DAY1.format(p="NEW.")}); END""",  # noqa: S608 - fixed SQL  # noqa: S608 - fixed SQL
    """CREATE TRIGGER incident_active_rtree_del AFTER DELETE ON incident
       BEGIN DELETE FROM incident_active_rtree WHERE id = OLD.id; END""",
    "INSERT INTO incident_active_rtree SELECT id, min_lon, max_lon, min_lat, max_lat, "  # noqa: S608 - fixed SQL
    f"{_DAY0.format(p='')}, {_DAY1.format(p='')} FROM incident WHERE min_lon IS NOT NULL",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_incident_geom_active ON incident USING gist "
            "(geom, tstzrange(started_at, greatest(started_at, last_seen_at), '[]'))"
        )
        op.execute(f"CREATE INDEX ix_observation_cell_time ON observation ({_POSTGRES_CELL}, observed_at)")
    elif dialect == "sqlite":
        for sql in _rtree_triggers(f"MAX({_T0}, {_T1})") + _ACTIVE_RTREE:
            op.execute(sql)
        op.execute(
            "CREATE INDEX ix_incident_nobbox_started ON incident (started_at) WHERE min_lon IS NULL"
        )
        op.execute(f"CREATE INDEX ix_observation_cell_time ON observation ({_SQLITE_CELL}, observed_at)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP INDEX IF EXISTS ix_observation_cell_time")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incident_geom_active")
    elif dialect == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_incident_nobbox_started")
        for name in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS incident_active_rtree_{name}")
        op.execute("DROP TABLE IF EXISTS incident_active_rtree")
        for sql in _rtree_triggers(_T1):
            op.execute(sql)
