"""Zones as versioned, time-bounded facts.

A *zone* (``zone_id``) is one area named by one or more authorities: the Maiquetía FIR
restrictions (``SVZM``), a strike area, a navigational warning. Every declaration,
amendment or lift adds a :class:`ZoneVersion`; nothing is overwritten, so the history is
kept and a replay of last January is evaluated against January's versions.

Which versions are in force at a time ``t``
-------------------------------------------
Versions of one zone from the *same authority* supersede each other: a version is in force
from its ``valid_from`` until the earliest of its ``valid_to`` and the ``valid_from`` of
the next version of that zone by that authority. Versions from *different* authorities
coexist (the FAA advisory and the EASA bulletin are both in force); the governing
version at ``t`` is the most restrictive of them (see :func:`governing`). A ``lifted``
version ends its authority's previous version and restricts nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from monitor.domain.incident import Severity


class ZoneKind(StrEnum):
    CLOSED_AIRSPACE = "closed_airspace"
    ADVISORY_AIRSPACE = "advisory_airspace"
    FIR = "fir"
    STRIKE_ZONE = "strike_zone"
    TERRITORIAL_SEA = "territorial_sea"
    NAVIGATIONAL_WARNING = "navigational_warning"
    WATCH_AREA = "watch_area"
    LAND = "land"


class ZoneStatus(StrEnum):
    """How binding the zone is, from most to least restrictive."""

    PROHIBITED = "prohibited"
    CLOSED = "closed"
    ADVISORY = "advisory"
    ACTIVE = "active"
    INFORMATIONAL = "informational"
    LIFTED = "lifted"


STATUS_RANK: dict[ZoneStatus, int] = {
    ZoneStatus.PROHIBITED: 5,
    ZoneStatus.CLOSED: 4,
    ZoneStatus.ADVISORY: 3,
    ZoneStatus.ACTIVE: 2,
    ZoneStatus.INFORMATIONAL: 1,
    ZoneStatus.LIFTED: 0,
}


class AppliesTo(StrEnum):
    AIRCRAFT = "aircraft"
    VESSELS = "vessels"
    BOTH = "both"

    def covers(self, subject_kind: str) -> bool:
        if self is AppliesTo.BOTH:
            return True
        return (self is AppliesTo.AIRCRAFT) == (subject_kind == "aircraft")


class ZoneChange(StrEnum):
    DECLARE = "declare"
    AMEND = "amend"
    LIFT = "lift"


UNLIMITED_FT = float("inf")


@dataclass(frozen=True, slots=True)
class ZoneVersion:
    """One version of one zone.

    ``geometry`` is a shapely Polygon or MultiPolygon in WGS84 lon/lat.
    ``floor_ft`` 0 means surface (SFC); ``ceiling_ft`` ``inf`` means unlimited (UNL).
    ``valid_from`` / ``valid_to`` ``None`` mean open-ended. ``confidence`` is 1.0 for an
    officially delimited area, lower for areas reconstructed from reports.
    """

    zone_id: str
    version: int
    name: str
    kind: ZoneKind
    status: ZoneStatus
    severity: Severity
    authority: str
    source_ref: str
    geometry: Any
    applies_to: AppliesTo
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    floor_ft: float = 0.0
    ceiling_ft: float = UNLIMITED_FT
    confidence: float = 1.0
    source_url: str | None = None
    source_date: datetime | None = None
    change: ZoneChange = ZoneChange.DECLARE
    recorded_at: datetime | None = None
    description: str = ""
    group: str | None = None

    @property
    def key(self) -> str:
        return f"{self.zone_id}@v{self.version}"

    @property
    def restricts(self) -> bool:
        return self.status is not ZoneStatus.LIFTED

    def valid_at(self, t: datetime) -> bool:
        """Own validity only (ignores supersession; see :func:`effective_intervals`)."""
        if self.valid_from is not None and t < self.valid_from:
            return False
        return self.valid_to is None or t < self.valid_to


def effective_intervals(
    versions: Iterable[ZoneVersion],
) -> list[tuple[ZoneVersion, datetime | None, datetime | None]]:
    """Each version with the interval in which it is in force ``[start, end)``.

    Versions of the same zone and authority supersede each other in ``valid_from`` order
    (ties by version number); lifted versions are returned too (they restrict nothing).
    """
    by_key: dict[tuple[str, str], list[ZoneVersion]] = {}
    for v in versions:
        by_key.setdefault((v.zone_id, v.authority), []).append(v)
    out: list[tuple[ZoneVersion, datetime | None, datetime | None]] = []
    for chain in by_key.values():
        chain.sort(key=lambda v: (_ts(v.valid_from), v.version))
        for i, v in enumerate(chain):
            end = v.valid_to
            if i + 1 < len(chain):
                nxt = chain[i + 1].valid_from
                if nxt is not None and (end is None or nxt < end):
                    end = nxt
            out.append((v, v.valid_from, end))
    return out


def governing(versions: Iterable[ZoneVersion]) -> ZoneVersion | None:
    """The most restrictive of several versions in force together (ties: the newest)."""
    best: ZoneVersion | None = None
    for v in versions:
        if best is None or (STATUS_RANK[v.status], _ts(v.valid_from), v.version) > (
            STATUS_RANK[best.status],
            _ts(best.valid_from),
            best.version,
        ):
            best = v
    return best


def _ts(t: datetime | None) -> float:
    return float("-inf") if t is None else t.timestamp()
