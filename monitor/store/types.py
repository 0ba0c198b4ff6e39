"""Column types that work the same on SQLite and on PostgreSQL / PostGIS.

* :class:`UTCDateTime` stores aware UTC datetimes (naive values are refused) and returns
  aware ones on both backends.
* :class:`GeometryType` is a PostGIS ``geometry(…, 4326)`` column on PostgreSQL and WKT
  text on SQLite; Python code sees shapely geometries on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class GeometryType(TypeDecorator[Any]):
    """A WGS84 geometry: PostGIS geometry on PostgreSQL, WKT text elsewhere."""

    impl = Text
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostgisGeometry(self.geometry_type))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        wkt = value if isinstance(value, str) else shapely.to_wkt(value, rounding_precision=7)
        if dialect.name == "postgresql":
            return f"SRID=4326;{wkt}"
        return wkt

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            data = getattr(value, "data", value)
            if isinstance(data, memoryview | bytes):
                return shapely.from_wkb(bytes(data))
            return shapely.from_wkb(data) if _is_hex(data) else shapely.from_wkt(data)
        return shapely.from_wkt(value)


class _PostgisGeometry(UserDefinedType[Any]):
    """``geometry(TYPE, 4326)``; values travel as EWKT in and hex EWKB out."""

    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({self.geometry_type}, 4326)"


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text[:16])
