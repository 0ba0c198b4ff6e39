"""Who an aircraft is, from its address, call sign and feed flags. Pure: no I/O.

The tables come from :mod:`monitor.identity.tables` (an :class:`IdentityTables` argument, or
the shipped set read once on first use). Every answer names its source; unknown stays
``None``.

Address
-------
``icao24`` is six hex digits (any case). A non-ICAO address (readsb's ``~`` prefix: TIS-B
track files, anonymised addresses) has no State and no military range: ``None``.
Lookups bisect the built, non-overlapping tables (the build resolved "smallest containing
range wins"), so one costs a few hundred nanoseconds.

Call sign
---------
An ICAO call sign of an operator is its three-letter designator followed by a flight number:
digits, optionally ending in one or two letters (``AAL1234``, ``CMP301``, ``IBE6501A``).
A registration flown as call sign is not an operator and is kept as the registration:

* US N-numbers: ``N`` then a digit 1-9, at most five characters after the ``N``, at most
  two letters and only at the end, never ``I`` or ``O`` (``N518JA``, ``N1``, ``N12AB``);
* prefix-style registrations with their dash (``HK-5220``, ``C6-BFW``, ``9Y-TJC``);
* two letters followed by 3 to 5 digits and at most one letter (``YV2855``, ``HK5220``,
  ``YS111N``), the usual form in Latin America, unless it is a military serial call sign.

Registrations made only of letters without their dash (``CGABC`` for C-GABC) are not
recognised; they name no operator either, so nothing wrong is inferred from them.

Military or state aircraft
--------------------------
In this order (the first that speaks decides, ``military_because`` names it):

1. the feed's own database flag (readsb ``dbFlags``): ``True`` or ``False`` as it says; the
   feed's "civil" is never overridden -- on the real ADS-B Exchange snapshot the address
   ranges flag 21 aircraft that readsb's database knows as civil (JetSMART A320s in VRS's
   Chile range, Australian recreational aircraft in VRS's Australian ranges);
2. the address in a military range of ``military_address_ranges.csv``, unless the call sign
   names a civil carrier of the airline table (then the sources conflict: ``None``, and the
   reason says so);
3. a military call sign of ``military_callsigns.csv``: a designator (``RCH851``, ``FAF4011``)
   or a US / Canadian branch-of-service prefix followed by 4-5 digits (``C6047``), only when
   the address is not registered in another State than the row's (``R1650`` is an Australian
   recreational aircraft, not the US Army; ``ACW1511`` on a Mexican business jet is not the
   Royal Air Force).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

from monitor.domain.identity import AircraftIdentity
from monitor.domain.observation import Observation, SubjectKind
from monitor.identity.tables import (
    AddressBlock,
    Designator,
    IdentityTables,
    MilitaryCallsign,
    MilitaryRange,
    default_tables,
)

_OPERATOR_CALLSIGN = re.compile(r"([A-Z]{3})(\d{1,4}[A-Z]{0,2})")
_N_NUMBER = re.compile(r"N[1-9](?:\d{0,4}|\d{0,3}[A-HJ-NP-Z]|\d{0,2}[A-HJ-NP-Z]{2})")
_DASHED_REGISTRATION = re.compile(r"(?=[A-Z0-9]{0,2}[A-Z])[A-Z0-9]{1,3}-[A-Z0-9]{1,5}")
_PREFIX_DIGITS_REGISTRATION = re.compile(r"[A-Z]{2}\d{3,5}[A-Z]?")
_SERIAL_CALLSIGN = re.compile(r"([A-Z]{1,3})(\d{4,5})")

R = TypeVar("R", AddressBlock, MilitaryRange)


def _tables(tables: IdentityTables | None) -> IdentityTables:
    return tables if tables is not None else default_tables()


def address_value(icao24: str) -> int | None:
    """``"ae1234"`` -> ``0xAE1234``; ``None`` for a ``~`` (non-ICAO) or malformed address."""
    if len(icao24) != 6:
        return None
    try:
        return int(icao24, 16)
    except ValueError:
        return None


def _find(items: Sequence[R], starts: Sequence[int], value: int) -> R | None:
    i = bisect_right(starts, value) - 1
    if i >= 0 and value <= items[i].end:
        return items[i]
    return None


def block_of_address(icao24: str, tables: IdentityTables | None = None) -> AddressBlock | None:
    """The address-block piece holding ``icao24`` (with its source), or ``None``."""
    value = address_value(icao24)
    if value is None:
        return None
    t = _tables(tables)
    return _find(t.blocks, t.block_starts, value)


def state_of_address(icao24: str, tables: IdentityTables | None = None) -> tuple[str, str] | None:
    """The State of registry of an ICAO 24-bit address: ``("US", "United States")``.

    ``None`` for a non-ICAO address (``~`` prefix), an address in no allocated block, and the
    ICAO-reserved blocks (no State). The smallest allocation wins: ``400000`` is Bermuda,
    inside the United Kingdom block.
    """
    block = block_of_address(icao24, tables)
    if block is None or block.iso2 is None:
        return None
    return block.iso2, block.state


def military_by_address(icao24: str, tables: IdentityTables | None = None) -> str | None:
    """Why the address is military, or ``None``.

    ``"address AE1234 in United States military range AE0000-AFFFFF (VRS code-blocks
    IsMilitary=1); tar1090-db ranges.json also: ADF7C8-AFFFFF"``
    """
    value = address_value(icao24)
    if value is None:
        return None
    t = _tables(tables)
    found = _find(t.military, t.military_starts, value)
    if found is None:
        return None
    return f"address {value:06X} in {found.reason}"


def normalise_callsign(callsign: str | None) -> str | None:
    """Stripped, upper case; ``None`` when empty."""
    if callsign is None:
        return None
    text = callsign.strip().upper()
    return text or None


def registration_in_callsign(
    callsign: str | None, tables: IdentityTables | None = None
) -> str | None:
    """The call sign itself when it is a registration (``N518JA``, ``YV2855``), else ``None``.

    See the module docstring for the forms recognised. A call sign that is a military serial
    (``VV12345``: US Navy) is not a registration.
    """
    cs = normalise_callsign(callsign)
    if cs is None:
        return None
    if _N_NUMBER.fullmatch(cs) or _DASHED_REGISTRATION.fullmatch(cs):
        return cs
    if _PREFIX_DIGITS_REGISTRATION.fullmatch(cs):
        m = _SERIAL_CALLSIGN.fullmatch(cs)
        if m is not None:
            row = _tables(tables).military_callsigns.get(m.group(1))
            if row is not None and row.match == "serial":
                return None
        return cs
    return None


def operator_of_callsign(
    callsign: str | None, tables: IdentityTables | None = None
) -> Designator | None:
    """The airline-table row of the operator named by an ICAO call sign, or ``None``.

    ``"CMP301"`` -> Copa Airlines (CMP, Panama). ``None`` for a registration flown as call
    sign (``N518JA``), a call sign of another form, and a designator not in the table.
    """
    cs = normalise_callsign(callsign)
    if cs is None or registration_in_callsign(cs, tables) is not None:
        return None
    m = _OPERATOR_CALLSIGN.fullmatch(cs)
    if m is None:
        return None
    return _tables(tables).designators.get(m.group(1))


def military_callsign(
    callsign: str | None,
    tables: IdentityTables | None = None,
    *,
    registry_iso2: str | None = None,
) -> MilitaryCallsign | None:
    """The military / state call-sign row matching ``callsign``, or ``None``.

    ``registry_iso2`` (the State of the address), when known, must be the row's State: a
    call sign of one State's forces on an aircraft registered in another is not theirs.
    """
    cs = normalise_callsign(callsign)
    if cs is None:
        return None
    rows = _tables(tables).military_callsigns
    m = _OPERATOR_CALLSIGN.fullmatch(cs)
    if m is not None:
        row = rows.get(m.group(1))
        if row is not None and row.match == "designator" and _plausible(row, registry_iso2):
            return row
    m = _SERIAL_CALLSIGN.fullmatch(cs)
    if m is not None:
        row = rows.get(m.group(1))
        if row is not None and row.match == "serial" and _plausible(row, registry_iso2):
            return row
    return None


def _plausible(row: MilitaryCallsign, registry_iso2: str | None) -> bool:
    """A State's forces fly aircraft registered in that State: a call sign of the Royal Air
    Force on a Mexican-registered business jet (``ACW1511``, XA-BPS, in the ADS-B Exchange
    snapshot) is someone else's. Rows of no one State (NATO) and unknown registries pass."""
    return row.iso2 is None or registry_iso2 is None or registry_iso2 == row.iso2


def source_label(source: str) -> str:
    """A short name for a table row's source, for the sentences people read."""
    if "standing-data" in source:
        return "VRS standing-data airlines.csv"
    if "7110.65" in source:
        return "FAA JO 7110.65 TBL 2-3-6"
    return source


def _callsign_reason(callsign: str, row: MilitaryCallsign) -> str:
    who = row.operator + (f", {row.iso2}" if row.iso2 else "")
    return f"call sign {callsign}: {who} ({source_label(row.source)})"


class AircraftIdentifier:
    """Builds the :class:`AircraftIdentity` of each fix, cached for cheap repeated calls.

    A detector may call :meth:`identify` on every observation: the answer is cached per
    (address, call sign, feed military flag, registration, type), so the same aircraft costs a
    dictionary lookup until one of those changes. The cache keeps the ``max_cached`` most
    recently *added* answers (the oldest is dropped first).

    Parameters
    ----------
    tables:
        The identity tables; default the shipped set (:func:`default_tables`).
    max_cached:
        How many answers to keep.
    """

    def __init__(self, tables: IdentityTables | None = None, *, max_cached: int = 200_000) -> None:
        if max_cached < 1:
            raise ValueError(f"max_cached must be at least 1, got {max_cached}")
        self._tables = tables
        self._max = max_cached
        self._cache: dict[
            tuple[str, str | None, bool | None, str | None, str | None], AircraftIdentity
        ] = {}

    @property
    def tables(self) -> IdentityTables:
        if self._tables is None:
            self._tables = default_tables()
        return self._tables

    def __len__(self) -> int:
        """How many answers are cached."""
        return len(self._cache)

    def identify(self, obs: Observation) -> AircraftIdentity:
        """Who the aircraft of ``obs`` is (see the module docstring for the rules).

        Raises
        ------
        ValueError
            When ``obs`` is not an aircraft observation.
        """
        key = (obs.subject_id, obs.callsign, obs.military, obs.registration, obs.aircraft_type)
        found = self._cache.get(key)
        if found is not None:
            return found
        if obs.subject_kind is not SubjectKind.AIRCRAFT:
            raise ValueError(f"{obs.subject_id} is a {obs.subject_kind.value}, not an aircraft")
        identity = self._identify(obs)
        cache = self._cache
        if len(cache) >= self._max:
            del cache[next(iter(cache))]
        cache[key] = identity
        return identity

    def _identify(self, obs: Observation) -> AircraftIdentity:
        t = self.tables
        icao24 = obs.subject_id
        state = state_of_address(icao24, t)
        registry_iso2, registry_state = state if state is not None else (None, None)
        cs = normalise_callsign(obs.callsign)
        cs_registration = registration_in_callsign(cs, t)
        operator = operator_of_callsign(cs, t)
        mil_cs = (
            military_callsign(cs, t, registry_iso2=registry_iso2)
            if cs is not None and cs_registration is None
            else None
        )

        named: tuple[str | None, str | None, str | None] = (None, None, None)
        if operator is not None:
            named = (operator.icao, operator.name, operator.iso2)
        elif mil_cs is not None and mil_cs.match == "designator":
            named = (mil_cs.prefix, mil_cs.operator, mil_cs.iso2)
        operator_icao, operator_name, operator_iso2 = named

        military: bool | None
        because: str | None
        if obs.military is True:
            military, because = True, f"feed database flag (readsb dbFlags, feed {obs.source})"
        elif obs.military is False:
            military, because = (
                False,
                f"feed database lists it without the military flag (readsb dbFlags, feed "
                f"{obs.source})",
            )
        else:
            by_address = military_by_address(icao24, t)
            if by_address is not None and operator is not None:
                military = None
                because = (
                    f"{by_address}; but call sign {cs} names the civil carrier "
                    f"{operator.name} ({operator.icao}): sources conflict, left unknown"
                )
            elif by_address is not None:
                military, because = True, by_address
            elif mil_cs is not None and cs is not None:
                military, because = True, _callsign_reason(cs, mil_cs)
            else:
                military, because = None, None

        return AircraftIdentity(
            icao24=icao24,
            registry_iso2=registry_iso2,
            registry_state=registry_state,
            registration=obs.registration or cs_registration,
            aircraft_type=obs.aircraft_type,
            callsign=cs,
            operator_icao=operator_icao,
            operator_name=operator_name,
            operator_iso2=operator_iso2,
            military=military,
            military_because=because,
        )
