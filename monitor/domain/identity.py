"""Who a subject is: the identity of an aircraft or a vessel, as far as the data says.

Pure values. :mod:`monitor.identity` builds them from observations and the cited tables in
``geodata/identity``; zones ask them whether a rule binds their subject
(:meth:`monitor.domain.zone.BindingScope.binds`). Every field may be ``None``: unknown stays
unknown, and the text says so rather than guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class AircraftIdentity:
    """What is known of one aircraft.

    ``registry_iso2`` / ``registry_state``: the State of registry, from the ICAO 24-bit
    address block it lies in (ICAO Annex 10 Vol. III allocations); ``None`` for a non-ICAO
    address (readsb's ``~`` prefix) or an address in no known block.
    ``operator_icao``: the ICAO three-letter operator designator, from the call sign (or the
    feed), with the operator's name and State (``operator_iso2``) from the designator table.
    ``military``: ``True`` for a military or other state aircraft (feed flag, known military
    address range, military call sign), ``False`` where a source says it is civil, ``None``
    where nothing says; ``military_because`` says which source decided.
    """

    icao24: str
    registry_iso2: str | None = None
    registry_state: str | None = None
    registration: str | None = None
    aircraft_type: str | None = None
    callsign: str | None = None
    operator_icao: str | None = None
    operator_name: str | None = None
    operator_iso2: str | None = None
    military: bool | None = None
    military_because: str | None = None

    @property
    def label(self) -> str:
        """Registration, else call sign, else the address."""
        return self.registration or self.callsign or self.icao24

    def describe(self) -> str:
        """One line a person reads: ``N518JA, US-registered, private``."""
        bits = [self.label]
        if self.registry_iso2:
            bits.append(f"{self.registry_iso2}-registered")
        else:
            bits.append("State of registry unknown")
        if self.military:
            bits.append(f"military/state ({self.military_because})" if self.military_because
                        else "military/state")
        elif self.operator_icao:
            who = self.operator_name or self.operator_icao
            where = f", {self.operator_iso2}" if self.operator_iso2 else ""
            bits.append(f"operated by {who} ({self.operator_icao}{where})")
        else:
            bits.append("no airline designator in its call sign")
        return ", ".join(bits)


class MmsiClass(StrEnum):
    """What an MMSI identifies, per ITU-R M.585 (Annex 1)."""

    SHIP = "ship"  # MIDxxxxxx
    GROUP = "group"  # 0MIDxxxxx
    COAST_STATION = "coast_station"  # 00MIDxxxx
    SAR_AIRCRAFT = "sar_aircraft"  # 111MIDxxx
    AID_TO_NAVIGATION = "aid_to_navigation"  # 99MIDxxxx
    CRAFT_WITH_PARENT = "craft_with_parent"  # 98MIDxxxx
    HANDHELD_VHF = "handheld_vhf"  # 8MIDxxxxx
    SART = "sart"  # 970xxyyyy
    MOB = "mob"  # 972xxyyyy
    EPIRB = "epirb"  # 974xxyyyy
    INVALID = "invalid"  # not nine digits, or a pattern M.585 does not allocate

    @property
    def is_vessel(self) -> bool:
        """A ship or a craft that moves like one (a parent ship's tender, a handheld VHF)."""
        return self in (MmsiClass.SHIP, MmsiClass.CRAFT_WITH_PARENT, MmsiClass.HANDHELD_VHF)

    @property
    def is_fixed_or_distress(self) -> bool:
        """Aids to navigation, coast stations and distress beacons: never a ship's movement."""
        return self in (
            MmsiClass.AID_TO_NAVIGATION,
            MmsiClass.COAST_STATION,
            MmsiClass.SART,
            MmsiClass.MOB,
            MmsiClass.EPIRB,
        )


@dataclass(frozen=True, slots=True)
class VesselIdentity:
    """What is known of one MMSI: its class (ITU-R M.585), flag from the MID, static data."""

    mmsi: str
    mmsi_class: MmsiClass
    flag_iso2: str | None = None
    flag_name: str | None = None
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    destination: str | None = None

    @property
    def label(self) -> str:
        """``NAME (MMSI)``, else ``MMSI 123456789``."""
        return f"{self.name} ({self.mmsi})" if self.name else f"MMSI {self.mmsi}"

    def describe(self) -> str:
        """One line a person reads: ``MARLIN BAY (636019812), ship, flag Liberia, IMO 9488510``."""
        bits = [self.label, self.mmsi_class.value.replace("_", " ")]
        bits.append(f"flag {self.flag_name}" if self.flag_name else "flag unknown")
        if self.imo:
            bits.append(f"IMO {self.imo}")
        if self.callsign:
            bits.append(f"call sign {self.callsign}")
        return ", ".join(bits)
