"""Where zone versions added at run time are kept (implemented by ``monitor.store``).

The shipped zones come from ``geodata/``; versions declared, amended, lifted or imported
by users, and those built from NGA warnings or NOTAMs, are stored through this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.domain import ZoneVersion


class ZoneStore(Protocol):
    def list_versions(self, zone_id: str | None = None) -> list[ZoneVersion]:
        """Every stored version (of one zone when ``zone_id`` is given), oldest first."""
        ...

    def add_versions(self, versions: Sequence[ZoneVersion]) -> list[ZoneVersion]:
        """Store versions in one transaction and return them as stored.

        A version whose ``(zone_id, version)`` already exists with the same content is
        skipped (idempotent re-import); ``recorded_at`` is set by the store when missing.
        """
        ...
