"""Domain values shared by every stage: observations, zones, incidents.

Frozen dataclasses, no I/O, no database or wire types. Units are in the field names;
every datetime is timezone-aware UTC; positions are WGS84 (EPSG:4326) degrees.
"""

from monitor.domain.incident import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    IncidentStatus,
    OpenIncident,
    Severity,
)
from monitor.domain.observation import Notice, Observation, ParseResult, SubjectKind, VesselInfo
from monitor.domain.zone import AppliesTo, ZoneChange, ZoneKind, ZoneStatus, ZoneVersion

__all__ = [
    "AppliesTo",
    "ChangeAction",
    "Evidence",
    "IncidentChange",
    "IncidentKind",
    "IncidentStatus",
    "Notice",
    "Observation",
    "OpenIncident",
    "ParseResult",
    "Severity",
    "SubjectKind",
    "VesselInfo",
    "ZoneChange",
    "ZoneKind",
    "ZoneStatus",
    "ZoneVersion",
]
