"""The zone registry: every version of every zone, and the builders of new versions.

The registry holds the shipped versions (``geodata/``) merged with the stored ones
(declared, amended, lifted or imported by users). It answers "what is the history of
SVZM", "which versions were in force on 2026-01-03" and "what is the latest version", and
builds the next version of a zone (``declare`` / ``amend`` / ``lift``) without storing
it: the caller stores it through :class:`~monitor.zones.repository.ZoneStore` and adds
it here.

Version rules (see :mod:`monitor.domain.zone`): versions of one zone from the same
authority supersede each other; different authorities coexist and the most restrictive
governs. Version numbers are per zone, across authorities: 1, 2, 3...

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import shapely

from monitor.domain.incident import Severity
from monitor.domain.zone import (
    AppliesTo,
    ZoneChange,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
    effective_intervals,
    governing,
)
from monitor.errors import ZoneError
from monitor.timeutil import iso_z
from monitor.zones.fields import (
    DEFAULT_APPLIES_TO,
    DEFAULT_SEVERITY,
    DEFAULT_STATUS,
    UNNUMBERED,
    check_version_fields,
)
from monitor.zones.geometry import check_area

log = logging.getLogger(__name__)

_FIXED = {"zone_id", "version", "change", "recorded_at"}
_FIELDS = {f.name for f in dataclasses.fields(ZoneVersion)}

Interval = tuple[ZoneVersion, datetime | None, datetime | None]


class ZoneRegistry:
    """All versions of all zones, keyed by ``(zone_id, version)``.

    Parameters
    ----------
    versions:
        Initial versions; a key seen twice with different content raises ``ZoneError``.
    """

    def __init__(self, versions: Iterable[ZoneVersion] = ()) -> None:
        self._by_key: dict[tuple[str, int], ZoneVersion] = {}
        self._intervals: list[Interval] | None = None
        self.add(versions)

    @classmethod
    def merged(cls, shipped: Iterable[ZoneVersion], stored: Iterable[ZoneVersion]) -> ZoneRegistry:
        """Shipped versions plus stored ones; on a key held by both, the stored one wins.

        A collision with different content is logged as a warning (a user stored a
        version number that a later release of ``geodata/`` also uses).
        """
        registry = cls(shipped)
        for v in stored:
            old = registry._by_key.get((v.zone_id, v.version))
            if old is not None and not same_content(old, v):
                log.warning(
                    "stored zone version %s differs from the shipped one; using the stored one",
                    v.key,
                )
            registry._by_key[(v.zone_id, v.version)] = v
        registry._intervals = None
        return registry

    # ------------------------------------------------------------------ queries
    def add(self, versions: Iterable[ZoneVersion]) -> None:
        """Add versions; an identical key+content is skipped, a conflicting one refused."""
        for v in versions:
            if v.version == UNNUMBERED:
                raise ZoneError(f"zone {v.zone_id}: version is not numbered (use number())")
            old = self._by_key.get((v.zone_id, v.version))
            if old is not None:
                if same_content(old, v):
                    continue
                raise ZoneError(f"zone {v.key} already exists with different content")
            self._by_key[(v.zone_id, v.version)] = v
        self._intervals = None

    def versions(self) -> list[ZoneVersion]:
        """Every version, by zone id then version number."""
        return [self._by_key[k] for k in sorted(self._by_key)]

    def zone_ids(self) -> list[str]:
        return sorted({zone_id for zone_id, _ in self._by_key})

    def __contains__(self, zone_id: object) -> bool:
        return any(z == zone_id for z, _ in self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def history(self, zone_id: str) -> list[ZoneVersion]:
        """The versions of one zone, oldest version number first (empty if unknown)."""
        return [v for (z, _), v in sorted(self._by_key.items()) if z == zone_id]

    def latest(self, zone_id: str, authority: str | None = None) -> ZoneVersion | None:
        """The highest-numbered version of a zone (by one authority, when given)."""
        chain = [v for v in self.history(zone_id) if authority is None or v.authority == authority]
        return chain[-1] if chain else None

    def intervals(self, zone_id: str | None = None) -> list[Interval]:
        """Each version with its effective ``[start, end)`` (see ``effective_intervals``)."""
        if self._intervals is None:
            self._intervals = effective_intervals(self._by_key.values())
        if zone_id is None:
            return list(self._intervals)
        return [row for row in self._intervals if row[0].zone_id == zone_id]

    def in_force(self, at: datetime, zone_id: str | None = None) -> list[ZoneVersion]:
        """The restricting (not lifted) versions in force at ``at``."""
        out = [
            v
            for v, start, end in self.intervals(zone_id)
            if v.restricts and (start is None or start <= at) and (end is None or at < end)
        ]
        return sorted(out, key=lambda v: (v.zone_id, v.version))

    def governing(self, zone_id: str, at: datetime) -> ZoneVersion | None:
        """The most restrictive version of a zone in force at ``at``."""
        return governing(self.in_force(at, zone_id))

    def next_version(self, zone_id: str) -> int:
        latest = self.latest(zone_id)
        return 1 if latest is None else latest.version + 1

    # ----------------------------------------------------------------- builders
    def declare(
        self,
        zone_id: str,
        *,
        authority: str,
        valid_from: datetime | None,
        geometry: Any = None,
        name: str | None = None,
        kind: ZoneKind | None = None,
        status: ZoneStatus | None = None,
        **fields: Any,
    ) -> ZoneVersion:
        """Build the first version of a zone by ``authority`` (not added to the registry).

        The geometry, name and kind default to those of the zone's latest version when
        another authority has already declared it (EASA declaring over the FAA's area).

        Raises
        ------
        ZoneError
            When the authority's own latest version still restricts (amend it instead),
            or when a new zone has no geometry / name / kind.
        """
        mine = self.latest(zone_id, authority)
        if mine is not None and mine.restricts:
            raise ZoneError(
                f"zone {zone_id} is already declared by {authority} ({mine.key}); amend it instead"
            )
        base = self.latest(zone_id)
        if geometry is None:
            if base is None:
                raise ZoneError(f"zone {zone_id} is new: give it a geometry")
            geometry = base.geometry
        if kind is None:
            if base is None:
                raise ZoneError(f"zone {zone_id} is new: give it a kind")
            kind = base.kind
        status = status or DEFAULT_STATUS[kind]
        _check_fields(fields)
        values: dict[str, Any] = {
            "severity": DEFAULT_SEVERITY[status],
            "applies_to": base.applies_to if base else DEFAULT_APPLIES_TO[kind],
            "source_ref": "",
        }
        if base is not None:
            for inherited in ("floor_ft", "ceiling_ft", "confidence", "group"):
                values[inherited] = getattr(base, inherited)
        values.update(fields)
        v = ZoneVersion(
            zone_id=zone_id,
            version=self.next_version(zone_id),
            name=name or (base.name if base else zone_id),
            kind=kind,
            status=status,
            authority=authority,
            geometry=geometry,
            valid_from=valid_from,
            change=ZoneChange.DECLARE,
            **values,
        )
        return _checked(v)

    def amend(
        self,
        zone_id: str,
        *,
        valid_from: datetime,
        authority: str | None = None,
        **changes: Any,
    ) -> ZoneVersion:
        """Build an amendment: the authority's latest version with ``changes``, from ``valid_from``.

        Raises
        ------
        ZoneError
            Unknown zone, lifted zone, several authorities and none named, an amendment
            starting before the version it amends, or invalid changed fields.
        """
        base = self._restricting_base(zone_id, authority, "amend")
        if base.valid_from is not None and valid_from < base.valid_from:
            raise ZoneError(
                f"zone {zone_id}: the amendment starts {iso_z(valid_from)}, before the version "
                f"it amends ({base.key}, from {iso_z(base.valid_from)})"
            )
        _check_fields(changes)
        if "status" in changes and "severity" not in changes:
            changes["severity"] = DEFAULT_SEVERITY[ZoneStatus(changes["status"])]
        v = dataclasses.replace(
            base,
            version=self.next_version(zone_id),
            valid_from=valid_from,
            change=ZoneChange.AMEND,
            recorded_at=None,
            **changes,
        )
        return _checked(v)

    def lift(
        self,
        zone_id: str,
        *,
        at: datetime,
        authority: str | None = None,
        source_ref: str = "",
        description: str = "",
    ) -> ZoneVersion:
        """Build a lift: a ``lifted`` version by the same authority, in force from ``at``.

        Raises
        ------
        ZoneError
            Unknown or already lifted zone, several authorities and none named, or ``at``
            not after the start of the version being lifted.
        """
        base = self._restricting_base(zone_id, authority, "lift")
        if base.valid_from is not None and at <= base.valid_from:
            raise ZoneError(
                f"zone {zone_id}: lift time {iso_z(at)} is not after the start of {base.key} "
                f"({iso_z(base.valid_from)})"
            )
        return dataclasses.replace(
            base,
            version=self.next_version(zone_id),
            status=ZoneStatus.LIFTED,
            severity=DEFAULT_SEVERITY[ZoneStatus.LIFTED],
            valid_from=at,
            valid_to=None,
            change=ZoneChange.LIFT,
            source_ref=source_ref or f"lift of {base.key}",
            description=description or f"{base.authority} lifted {base.name}",
            recorded_at=None,
        )

    def number(self, versions: Sequence[ZoneVersion]) -> list[ZoneVersion]:
        """Number imported versions and drop those already held (idempotent re-import).

        An unnumbered version (``version`` 0) gets the zone's next number and the change
        ``declare`` (new to its authority) or ``amend``; a numbered one is kept as it is,
        but refused if that number already exists with different content.
        """
        scratch = ZoneRegistry(self._by_key.values())
        out: list[ZoneVersion] = []
        for v in versions:
            if v.version == UNNUMBERED:
                same = [
                    old
                    for old in scratch.history(v.zone_id)
                    if same_content(old, v, ignore_version=True)
                ]
                if same:
                    continue
                change = (
                    ZoneChange.AMEND
                    if scratch.latest(v.zone_id, v.authority) is not None
                    else ZoneChange.DECLARE
                )
                if v.status is ZoneStatus.LIFTED:
                    change = ZoneChange.LIFT
                v = dataclasses.replace(v, version=scratch.next_version(v.zone_id), change=change)
            else:
                old = scratch._by_key.get((v.zone_id, v.version))
                if old is not None:
                    if same_content(old, v):
                        continue
                    raise ZoneError(f"zone {v.key} already exists with different content")
            scratch.add([v])
            out.append(v)
        return out

    def _restricting_base(self, zone_id: str, authority: str | None, verb: str) -> ZoneVersion:
        chain = self.history(zone_id)
        if not chain:
            raise ZoneError(f"unknown zone {zone_id!r}")
        if authority is None:
            live = sorted(
                {
                    v.authority
                    for v in chain
                    if (latest := self.latest(zone_id, v.authority)) is not None
                    and latest.restricts
                }
            )
            if len(live) > 1:
                raise ZoneError(
                    f"zone {zone_id} has versions from several authorities ({', '.join(live)}); "
                    f"say which one to {verb} (--authority)"
                )
            authority = live[0] if live else chain[-1].authority
        base = self.latest(zone_id, authority)
        if base is None:
            raise ZoneError(f"zone {zone_id} has no version by {authority!r}")
        if not base.restricts:
            raise ZoneError(
                f"zone {zone_id} was lifted by {authority} ({base.key}); declare it again instead"
            )
        return base


def same_content(a: ZoneVersion, b: ZoneVersion, *, ignore_version: bool = False) -> bool:
    """Equal in every field but ``recorded_at`` (geometry compared topologically)."""
    skip = {"recorded_at", "geometry"} | ({"version", "change"} if ignore_version else set())
    for name in _FIELDS - skip:
        if getattr(a, name) != getattr(b, name):
            return False
    if a.geometry is b.geometry:
        return True
    return bool(shapely.equals(a.geometry, b.geometry))


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise ZoneError(f"unknown zone field(s): {', '.join(sorted(unknown))}")
    fixed = set(fields) & _FIXED
    if fixed:
        raise ZoneError(f"zone field(s) set by the registry: {', '.join(sorted(fixed))}")
    for name, cls in (
        ("kind", ZoneKind),
        ("status", ZoneStatus),
        ("applies_to", AppliesTo),
        ("severity", Severity),
    ):
        if name in fields and not isinstance(fields[name], cls):
            try:
                fields[name] = cls(fields[name])
            except ValueError:
                allowed = ", ".join(m.value for m in cls)
                raise ZoneError(f"unknown {name} {fields[name]!r} (one of: {allowed})") from None


def _checked(v: ZoneVersion) -> ZoneVersion:
    label = f"zone {v.key}"
    geom, _ = check_area(v.geometry, label)
    check_version_fields(v, label)
    return v if geom is v.geometry else dataclasses.replace(v, geometry=geom)
