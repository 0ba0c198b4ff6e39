"""``INSERT … ON CONFLICT DO UPDATE`` for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table


def upsert(dialect: str, table: Table, values: dict[str, Any], keys: list[str]) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two backends are supported
        raise ValueError(f"unsupported database dialect {dialect!r}")
    stmt = insert(table).values(**values)
    changes = {k: stmt.excluded[k] for k in values if k not in keys}
    if not changes:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_=changes)
