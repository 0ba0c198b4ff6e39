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

Whom a version binds
--------------------
Where a zone is says nothing of whom its rule binds. Each version carries a
:class:`BindingScope` as its authority states it: every aircraft, civil aircraft only, one
State's operators (the FAA's wording for US operators), named carriers, or nobody (an
advisory, a caution, a political statement). :meth:`BindingScope.binds` answers for one
aircraft's :class:`~monitor.domain.identity.AircraftIdentity`: bound, possibly bound (the
identity is too thin to tell) or not bound, with the reason a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from monitor.domain.identity import AircraftIdentity
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
    """The kind of rule, from most to least restrictive.

    ``prohibited``: a prohibition (a NOTAM or regulation forbidding flight); ``closed``: a
    closure by the authority of the airspace; ``advisory``: an advisory or caution (a NOTAM
    urging caution, an EASA CZIB); ``statement``: a political statement, no instrument;
    ``active`` / ``informational``: areas that are watched, not rules (strike areas, FIRs).
    """

    PROHIBITED = "prohibited"
    CLOSED = "closed"
    ADVISORY = "advisory"
    STATEMENT = "statement"
    ACTIVE = "active"
    INFORMATIONAL = "informational"
    LIFTED = "lifted"


STATUS_RANK: dict[ZoneStatus, int] = {
    ZoneStatus.PROHIBITED: 6,
    ZoneStatus.CLOSED: 5,
    ZoneStatus.ADVISORY: 4,
    ZoneStatus.STATEMENT: 3,
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


class Bound(StrEnum):
    """Whether a rule binds one subject."""

    BOUND = "bound"
    POSSIBLY = "possibly"
    NOT_BOUND = "not_bound"


@dataclass(frozen=True, slots=True)
class Binding:
    """The answer of :meth:`BindingScope.binds`, with the reason in words."""

    verdict: Bound
    reason: str

    @property
    def binds(self) -> bool:
        """Bound or possibly bound: worth an incident."""
        return self.verdict is not Bound.NOT_BOUND


class ScopeKind(StrEnum):
    ALL = "all"  # every aircraft, state aircraft included
    CIVIL = "civil"  # every civil aircraft; state (military) aircraft exempt
    OPERATORS = "operators"  # one State's operators and its registered civil aircraft
    CARRIERS = "carriers"  # named carriers (ICAO designators)
    NOBODY = "nobody"  # an advisory, a caution, a statement: binds no one


_DESIGNATOR = re.compile(r"^[A-Z]{3}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class BindingScope:
    """Whom a zone version binds, as its authority states it.

    Text form (zone files, the API, the CLI; :meth:`parse` / ``str``): ``all``, ``civil``,
    ``operators:US``, ``carriers:IBE,AEA``, ``nobody``.

    ``operators:XX`` is the FAA's usual wording for its own State: XX air carriers and
    commercial operators, XX-certificated airmen, and operators of XX-registered civil
    aircraft, except when a foreign air carrier operates them; state aircraft exempt. So an
    aircraft is bound when its call sign names an operator of XX, or when it is registered
    in XX and its call sign names no foreign carrier; a foreign carrier's aircraft is not,
    wherever it is registered.
    """

    kind: ScopeKind
    state: str | None = None
    carriers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is ScopeKind.OPERATORS and (
            self.state is None or not _ISO2.match(self.state)
        ):
            raise ValueError(
                f"scope operators needs a two-letter State code (operators:US), got {self.state!r}"
            )
        if self.kind is ScopeKind.CARRIERS and (
            not self.carriers or not all(_DESIGNATOR.match(c) for c in self.carriers)
        ):
            raise ValueError(
                "scope carriers needs ICAO three-letter designators (carriers:IBE,AEA), "
                f"got {','.join(self.carriers) or 'none'}"
            )

    @classmethod
    def parse(cls, text: str) -> BindingScope:
        """``operators:US`` -> the scope. Raises ``ValueError`` naming what is wrong."""
        raw = text.strip()
        head, _, rest = raw.partition(":")
        try:
            kind = ScopeKind(head.strip().lower())
        except ValueError:
            allowed = "all, civil, operators:XX, carriers:AAA,BBB, nobody"
            raise ValueError(f"unknown scope {text!r} (one of: {allowed})") from None
        rest = rest.strip().upper()
        if kind is ScopeKind.OPERATORS:
            return cls(kind, state=rest or None)
        if kind is ScopeKind.CARRIERS:
            carriers = tuple(sorted({c.strip() for c in rest.split(",") if c.strip()}))
            return cls(kind, carriers=carriers)
        if rest:
            raise ValueError(f"scope {head!r} takes no argument (got {text!r})")
        return cls(kind)

    def __str__(self) -> str:
        if self.kind is ScopeKind.OPERATORS:
            return f"operators:{self.state}"
        if self.kind is ScopeKind.CARRIERS:
            return "carriers:" + ",".join(self.carriers)
        return self.kind.value

    def describe(self) -> str:
        """Whom it binds, in words."""
        if self.kind is ScopeKind.ALL:
            return "all aircraft, state aircraft included"
        if self.kind is ScopeKind.CIVIL:
            return "all civil aircraft (state aircraft exempt)"
        if self.kind is ScopeKind.OPERATORS:
            return (
                f"{self.state} operators and {self.state}-registered civil aircraft "
                "(foreign carriers and state aircraft exempt)"
            )
        if self.kind is ScopeKind.CARRIERS:
            return "the carriers " + ", ".join(self.carriers)
        return "nobody (advisory or statement)"

    def binds(self, who: AircraftIdentity | None) -> Binding:
        """Whether this scope binds the aircraft ``who`` (``None``: nothing known)."""
        if self.kind is ScopeKind.NOBODY:
            return Binding(Bound.NOT_BOUND, "the rule binds nobody (advisory or statement)")
        if self.kind is ScopeKind.ALL:
            return Binding(Bound.BOUND, "the rule binds every aircraft")
        if who is None:
            return Binding(Bound.POSSIBLY, "identity unknown")
        if who.military:
            if self.kind is ScopeKind.CARRIERS:
                return Binding(Bound.NOT_BOUND, f"{who.describe()}: not a named carrier")
            return Binding(Bound.NOT_BOUND, f"{who.describe()}: state aircraft are exempt")
        if self.kind is ScopeKind.CIVIL:
            if who.military is False or who.operator_icao or who.registry_iso2:
                return Binding(Bound.BOUND, f"{who.describe()}: civil aircraft are bound")
            return Binding(Bound.POSSIBLY, f"{who.describe()}: civil or state not known")
        if self.kind is ScopeKind.CARRIERS:
            if who.operator_icao in self.carriers:
                return Binding(Bound.BOUND, f"{who.describe()}: a named carrier")
            if who.operator_icao:
                return Binding(Bound.NOT_BOUND, f"{who.describe()}: not a named carrier")
            return Binding(Bound.POSSIBLY, f"{who.describe()}: operator not known")
        state = self.state
        if who.operator_icao and who.operator_iso2:
            if who.operator_iso2 == state:
                return Binding(Bound.BOUND, f"{who.describe()}: a {state} operator")
            return Binding(
                Bound.NOT_BOUND, f"{who.describe()}: a foreign carrier, not a {state} operator"
            )
        if who.registry_iso2 == state:
            return Binding(
                Bound.BOUND, f"{who.describe()}: {state}-registered, no foreign carrier named"
            )
        if who.registry_iso2 is not None and not who.operator_icao:
            return Binding(
                Bound.NOT_BOUND,
                f"{who.describe()}: registered in {who.registry_iso2}, no {state} operator named",
            )
        return Binding(Bound.POSSIBLY, f"{who.describe()}: operator and registry not known")


def default_scope(status: ZoneStatus) -> BindingScope:
    """The scope a version gets when its file names none."""
    if status in (ZoneStatus.PROHIBITED, ZoneStatus.CLOSED):
        return BindingScope(ScopeKind.ALL)
    return BindingScope(ScopeKind.NOBODY)


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
    #: whom the rule binds; ``None``: by status (:func:`default_scope`)
    scope: BindingScope | None = None
    #: further source addresses beyond ``source_url``
    more_sources: tuple[str, ...] = ()
    #: what sources disagree on (both values and their sources), the area's caveats
    notes: str = ""

    @property
    def binding_scope(self) -> BindingScope:
        return self.scope if self.scope is not None else default_scope(self.status)

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source address of this version, the main one first."""
        return ((self.source_url,) if self.source_url else ()) + self.more_sources

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
