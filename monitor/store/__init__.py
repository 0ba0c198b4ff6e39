"""Storage: SQLModel tables, Alembic migrations, and the :class:`Store` (the only edge to the
database). Knows the domain types, never the detectors."""

from monitor.store.queries import IncidentQuery, QueryError
from monitor.store.repository import (
    AppliedChange,
    FeedHealthState,
    Outage,
    OutboxEntry,
    Store,
    StoreBatch,
)

__all__ = [
    "AppliedChange",
    "FeedHealthState",
    "IncidentQuery",
    "Outage",
    "OutboxEntry",
    "QueryError",
    "Store",
    "StoreBatch",
]
