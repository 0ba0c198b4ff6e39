"""Who a vessel is: the class of its MMSI (ITU-R M.585), its flag, and its static data.

Pure functions over an MMSI and the static data an AIS transmitter broadcasts; the MID
table is :mod:`monitor.feeds.mid` (pure data). Nothing here does I/O.

MMSI classes (ITU-R M.585-9, Annexes 1 and 2; ``M`` ``I`` ``D`` the Maritime Identification
Digits, ``X`` any digit). The MID sits at a different place in each form, and some forms
carry none:

==================  ======================================  ==========  ==================
form                what it identifies                      MID digits  :class:`MmsiClass`
==================  ======================================  ==========  ==================
``MIDXXXXXX``       a ship (first digit 2-7)                1-3         ``SHIP``
``0MIDXXXXX``       a group of ships (a call address)       2-4         ``GROUP``
``00MIDXXXX``       a coast station, AIS base station or    3-5         ``COAST_STATION``
                    repeater (``00MID4XXX``)
``111MIDXXX``       an aircraft in search and rescue        4-6         ``SAR_AIRCRAFT``
``8MIDXXXXX``       a handheld VHF with DSC and GNSS        2-4         ``HANDHELD_VHF``
``98MIDXXXX``       a craft associated with a parent ship   3-5         ``CRAFT_WITH_PARENT``
                    (tender, RHIB, diver boat)
``99MIDXXXX``       an AIS aid to navigation                3-5         ``AID_TO_NAVIGATION``
``970YYZZZZ``       AIS-SART (YY: maker, ZZZZ: serial)      none        ``SART``
``972YYZZZZ``       man-overboard device                    none        ``MOB``
``974YYZZZZ``       EPIRB-AIS                               none        ``EPIRB``
==================  ======================================  ==========  ==================

Anything else (not nine digits, all zeros, a leading 1 other than ``111``, a leading 9
other than ``970``/``972``/``974``/``98``/``99``) is ``INVALID``. A form with an MID whose
MID the ITU never allocated keeps its class; its flag is then unknown (``None``).

What the real samples show (``../shared/reference/samples``): drifting fishing-net buoys
transmit class B reports (AIS type 19) under ``99MID`` identities, with the battery level
in the name (``BUOY-007          9V`` as 994008087, whose "MID" 400 is unallocated,
``NETFIH9927-06     9V`` as 992766606): they are aids to navigation by their MMSI, move
slowly, and their names change with the battery. Hence static-data history and identity
changes are kept for vessels only (:func:`keeps_static_history`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.domain import VesselInfo
from monitor.domain.identity import MmsiClass, VesselIdentity
from monitor.feeds.mid import MID_TABLE, MidEntry

#: where the three MID digits sit in a nine-digit MMSI of each class (``None``: no MID)
MID_DIGITS: Mapping[MmsiClass, slice | None] = {
    MmsiClass.SHIP: slice(0, 3),
    MmsiClass.GROUP: slice(1, 4),
    MmsiClass.COAST_STATION: slice(2, 5),
    MmsiClass.SAR_AIRCRAFT: slice(3, 6),
    MmsiClass.HANDHELD_VHF: slice(1, 4),
    MmsiClass.CRAFT_WITH_PARENT: slice(2, 5),
    MmsiClass.AID_TO_NAVIGATION: slice(2, 5),
    MmsiClass.SART: None,
    MmsiClass.MOB: None,
    MmsiClass.EPIRB: None,
    MmsiClass.INVALID: None,
}

#: well-known default identities a transmitter sends when nobody programmed it
_PLACEHOLDERS = frozenset({"123456789", "987654321", "012345678"})

#: static fields whose changes are kept (:func:`static_changes`), in the order reported
STATIC_FIELDS: tuple[str, ...] = ("name", "callsign", "imo", "ship_type", "destination")
#: of those, the ones whose change says the vessel changed its identity (raised, not only kept)
IDENTITY_FIELDS: frozenset[str] = frozenset({"name", "callsign", "imo"})

_SPACES = re.compile(r"\s+")


def nine_digits(mmsi: str | int) -> str | None:
    """The MMSI as nine digits (an integer is zero-padded), ``None`` when it cannot be one."""
    if isinstance(mmsi, bool):
        return None
    if isinstance(mmsi, int):
        return f"{mmsi:09d}" if 0 <= mmsi < 1_000_000_000 else None
    if isinstance(mmsi, str):
        text = mmsi.strip()
        if len(text) == 9 and text.isascii() and text.isdigit():
            return text
    return None


def _class_of(d: str) -> MmsiClass:
    first = d[0]
    if first in "234567":
        return MmsiClass.SHIP
    if first == "0":
        if d == "000000000":
            return MmsiClass.INVALID
        return MmsiClass.COAST_STATION if d[1] == "0" else MmsiClass.GROUP
    if first == "8":
        return MmsiClass.HANDHELD_VHF
    if first == "1":
        return MmsiClass.SAR_AIRCRAFT if d.startswith("111") else MmsiClass.INVALID
    # first == "9"
    second = d[1]
    if second == "9":
        return MmsiClass.AID_TO_NAVIGATION
    if second == "8":
        return MmsiClass.CRAFT_WITH_PARENT
    if second == "7":
        return {"0": MmsiClass.SART, "2": MmsiClass.MOB, "4": MmsiClass.EPIRB}.get(
            d[2], MmsiClass.INVALID
        )
    return MmsiClass.INVALID


_CLASS_MEMO: dict[str, MmsiClass] = {}


def mmsi_class(mmsi: str | int) -> MmsiClass:
    """The ITU-R M.585 class of an MMSI (see the module table).

    >>> [mmsi_class(m).value for m in ("775123456", "994008087", "111775123")]
    ['ship', 'aid_to_navigation', 'sar_aircraft']
    """
    if isinstance(mmsi, str):
        found = _CLASS_MEMO.get(mmsi)
        if found is not None:
            return found
    d = nine_digits(mmsi)
    cls = MmsiClass.INVALID if d is None else _class_of(d)
    if isinstance(mmsi, str):
        if len(_CLASS_MEMO) >= 200_000:
            _CLASS_MEMO.clear()
        _CLASS_MEMO[mmsi] = cls
    return cls


def mid_of(mmsi: str | int) -> int | None:
    """The MID inside an MMSI, at its class's place; ``None`` for forms without one."""
    d = nine_digits(mmsi)
    if d is None:
        return None
    where = MID_DIGITS[_class_of(d)]
    return None if where is None else int(d[where])


def flag_of(mmsi: str | int) -> MidEntry | None:
    """The MID table entry (flag State or territory) of an MMSI, ``None`` when its form has
    no MID or the ITU has not allocated it."""
    mid = mid_of(mmsi)
    return None if mid is None else MID_TABLE.get(mid)


def is_placeholder(mmsi: str) -> bool:
    """A default identity nobody assigned: one digit nine times (``999999999``), or a
    counting sequence (``123456789``). Many transmitters share each of them."""
    return len(set(mmsi)) == 1 or mmsi in _PLACEHOLDERS


#: the battery level a fishing-net buoy puts at the end of its name ("9V", "82%")
_GEAR_NAME = re.compile(r"(?:^|\s)(?:\d{1,2}(?:\.\d)?V|\d{1,3}%)$")


def looks_like_fishing_gear(name: str | None) -> bool:
    """Whether a transmitter's name is a net buoy's: a battery level at its end.

    The real samples' drifting buoys send ``BUOY-007          9V`` (994008087),
    ``NETFIH9927-06     9V`` (992766606) and ``00014 82%`` (059700014, a group-call
    form): fishing gear, whatever form its MMSI has.
    """
    text = clean_text(name)
    return text is not None and _GEAR_NAME.search(text) is not None


def keeps_static_history(cls: MmsiClass) -> bool:
    """Whether the static data of an MMSI of class ``cls`` is a vessel's identity worth a
    history: not for aids to navigation (net buoys rename themselves with their battery
    level), coast stations, distress beacons or invalid identities."""
    return not cls.is_fixed_or_distress and cls is not MmsiClass.INVALID


# --- static data -------------------------------------------------------------------------


def clean_text(value: str | None) -> str | None:
    """AIS six-bit text as a person reads it: ``@`` padding dropped, spaces collapsed,
    upper case; blank is ``None`` (not sent)."""
    if value is None:
        return None
    text = _SPACES.sub(" ", value.replace("@", " ")).strip().upper()
    return text or None


def static_values(info: VesselInfo) -> dict[str, str | int]:
    """The static fields ``info`` carries, cleaned (:data:`STATIC_FIELDS`): a field the
    message did not send (``None``, blank, IMO or ship type 0) is absent, not a change."""
    out: dict[str, str | int] = {}
    for name in ("name", "callsign", "destination"):
        text = clean_text(getattr(info, name))
        if text is not None:
            out[name] = text
    if info.imo:
        out["imo"] = int(info.imo)
    if info.ship_type:
        out["ship_type"] = int(info.ship_type)
    return out


@dataclass(frozen=True, slots=True)
class StaticChange:
    """One static field of an MMSI taking a new value (``old`` ``None``: first heard)."""

    mmsi: str
    field: str
    old: str | int | None
    new: str | int
    at: datetime
    source: str

    @property
    def raised(self) -> bool:
        """A change of identity (name, call sign, IMO), not a first value or a voyage edit."""
        return self.old is not None and self.field in IDENTITY_FIELDS


def static_changes(
    known: Mapping[str, str | int | None] | None, info: VesselInfo
) -> list[StaticChange]:
    """What ``info`` changes against the ``known`` values of its MMSI (``None``: nothing
    known yet, every value ``info`` carries is a first value)."""
    out = []
    for name, value in static_values(info).items():
        old = None if known is None else known.get(name)
        if old is not None and _same(old, value):
            continue
        out.append(StaticChange(info.mmsi, name, old, value, info.time, info.source))
    return out


def _same(old: str | int, new: str | int) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return clean_text(old) == new
    try:
        return int(old) == int(new)
    except (TypeError, ValueError):
        return False


def merge_static(prev: VesselInfo | None, new: VesselInfo) -> VesselInfo:
    """``new`` with the fields it did not send taken from ``prev``: AIS type 24 part A
    carries the name only, part B the call sign, type and size; together they are the
    vessel's static data."""
    if prev is None or prev.mmsi != new.mmsi:
        return new
    missing: dict[str, Any] = {}
    for f in dataclasses.fields(new):
        if getattr(new, f.name) is None:
            old = getattr(prev, f.name)
            if old is not None:
                missing[f.name] = old
    return dataclasses.replace(new, **missing) if missing else new


def merge_all(
    latest: MutableMapping[str, VesselInfo], infos: Iterable[VesselInfo]
) -> list[VesselInfo]:
    """Merge ``infos`` (in order) into ``latest`` (MMSI -> static data, updated in place);
    returns the merged values, one per input."""
    out = []
    for info in infos:
        merged = merge_static(latest.get(info.mmsi), info)
        latest[info.mmsi] = merged
        out.append(merged)
    return out


# --- identity ----------------------------------------------------------------------------


def vessel_identity(mmsi: str | int, info: VesselInfo | None = None) -> VesselIdentity:
    """What is known of ``mmsi``: its class, its flag from the MID at its class's place, and
    the static data of ``info`` (cleaned; ``None`` where not sent).

    >>> vessel_identity("992766606").flag_iso2   # an aid to navigation: MID in digits 3-5
    'EE'
    """
    d = nine_digits(mmsi)
    text = d if d is not None else str(mmsi).strip()
    cls = mmsi_class(text)
    entry = flag_of(text) if d is not None else None
    values = static_values(info) if info is not None else {}
    imo = values.get("imo")
    ship_type = values.get("ship_type")
    return VesselIdentity(
        mmsi=text,
        mmsi_class=cls,
        flag_iso2=entry.iso if entry is not None else None,
        flag_name=entry.name if entry is not None else None,
        name=_text(values.get("name")),
        callsign=_text(values.get("callsign")),
        imo=imo if isinstance(imo, int) else None,
        ship_type=ship_type if isinstance(ship_type, int) else None,
        destination=_text(values.get("destination")),
    )


def _text(value: str | int | None) -> str | None:
    return value if isinstance(value, str) else None
