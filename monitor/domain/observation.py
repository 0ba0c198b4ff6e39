"""The normalised observation: one position report of one aircraft or vessel.

Built only by feed parsers (``monitor.feeds``), after unit conversion: feeds that speak
metres and metres per second (OpenSky) are converted there, once. A value the feed did not
send, or sent as "not available" (AIS lat 91, speed 102.3...), is ``None``, never zero.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from monitor.domain.zone import ZoneVersion


class SubjectKind(StrEnum):
    AIRCRAFT = "aircraft"
    VESSEL = "vessel"


class Observation(msgspec.Struct, frozen=True, gc=False):
    """One position fix, WGS84, UTC.

    A frozen :class:`msgspec.Struct` rather than a dataclass: it is built once per position
    of every feed (hundreds of thousands a second in a replay) and kept by the thousand in
    tracks. Its constructor runs in C (about 0.1 us against 1.4-3 us for a frozen slotted
    dataclass of 28 fields), and ``gc=False`` keeps it out of the cyclic collector (it only
    holds strings, numbers and datetimes, so it can never be part of a cycle), which saves
    16 bytes each and the collector's walks over millions of fixes. Copy with
    :func:`msgspec.structs.replace`.

    ``subject_id`` is the ICAO 24-bit address as six lowercase hex digits (a non-ICAO
    address keeps readsb's ``~`` prefix) for aircraft, the nine-digit MMSI for vessels.
    ``source`` is the feed instance name (``opensky``, ``adsb_lol``, ``aisstream`` ...) and
    ``feed_kind`` the wire format (``opensky_states``, ``adsbx_v2``, ``ais_nmea`` ...).
    ``record_ref`` points at the capture record the fix came from (evidence).
    """

    source: str
    feed_kind: str
    subject_kind: SubjectKind
    subject_id: str
    time: datetime
    lat: float
    lon: float
    callsign: str | None = None
    name: str | None = None
    altitude_ft: float | None = None
    geo_altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None
    heading_deg: float | None = None
    vertical_rate_fpm: float | None = None
    squawk: str | None = None
    emergency: str | None = None
    on_ground: bool | None = None
    nic: int | None = None
    nac_p: int | None = None
    gps_ok_before: datetime | None = None
    position_source: str | None = None
    military: bool | None = None
    aircraft_type: str | None = None
    registration: str | None = None
    vessel_type: int | None = None
    nav_status: int | None = None
    record_ref: str | None = None

    @property
    def t_s(self) -> float:
        """Epoch seconds of :attr:`time`."""
        return self.time.timestamp()

    @property
    def label(self) -> str:
        """What a person calls the subject: call sign or name, else the id."""
        return (self.callsign or self.name or self.subject_id).strip()


@dataclass(frozen=True, slots=True)
class VesselInfo:
    """Static and voyage data of a vessel (AIS types 5, 19, 24, aisstream ShipStaticData)."""

    mmsi: str
    time: datetime
    source: str
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    destination: str | None = None
    draught_m: float | None = None
    #: flag state (ISO country code) from the MMSI's MID, set by the pipeline
    flag: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A broadcast notice that names no area (an NGA warning without coordinates)."""

    source: str
    ref: str
    issued_at: datetime | None
    text: str


@dataclass(slots=True)
class ParseResult:
    """What a parser got out of one feed body.

    ``errors`` counts skipped items by reason; ``error_samples`` keeps a few details
    (with the bad value) for the log.
    """

    observations: list[Observation] = field(default_factory=list)
    vessel_info: list[VesselInfo] = field(default_factory=list)
    zone_versions: list[ZoneVersion] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    feed_time: datetime | None = None

    def reject(self, reason: str, detail: str = "") -> None:
        """Count one skipped item; keep up to 20 details for the log."""
        self.errors[reason] += 1
        if detail and len(self.error_samples) < 20:
            self.error_samples.append(f"{reason}: {detail}")

    def extend(self, other: ParseResult) -> None:
        self.observations.extend(other.observations)
        self.vessel_info.extend(other.vessel_info)
        self.zone_versions.extend(other.zone_versions)
        self.notices.extend(other.notices)
        self.errors.update(other.errors)
        room = 20 - len(self.error_samples)
        if room > 0:
            self.error_samples.extend(other.error_samples[:room])
