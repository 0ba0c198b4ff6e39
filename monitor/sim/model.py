"""The scenario model: what every simulated aircraft and vessel does, as pure data.

A :class:`Scenario` holds flights, voyages, GNSS-degraded areas, navigational warnings,
feed outages and the ground-truth labels. It answers "what would each feed see at time
``t``" through :meth:`Scenario.aircraft_states` and :meth:`Voyage.reports_between`; the
capture generator (``generator``) and the fake feed servers (``servers``) both sample it,
so a recorded scenario and a live demo show the same traffic.

Times are float epoch seconds (``*_s``) inside the model and aware UTC datetimes at its
edges. Positions are WGS84 degrees. Everything here is SYNTHETIC.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from monitor.sim import geo
from monitor.sim.labels import Label
from monitor.timeutil import utc_from_epoch_s
from monitor.units import KT_PER_MPS

# --- feed instance names used in captures and by the fake servers -----------------------

#: ``source`` of the ADS-B v2 (adsb.lol-style) records
SOURCE_ADSB = "adsb_lol"
#: ``source`` of the OpenSky state-vector records
SOURCE_OPENSKY = "opensky"
#: ``source`` of the aisstream.io websocket frames
SOURCE_AISSTREAM = "aisstream"
#: ``source`` of the raw NMEA (AIS-catcher style TCP) bodies
SOURCE_NMEA = "ais_nmea_tcp"
#: ``source`` of the NGA MSI broadcast-warning bodies
SOURCE_NGA = "nga_msi"


def noise(seed: int, key: str, t_s: float = 0.0, salt: str = "") -> float:
    """A stateless, deterministic pseudo-random number in [0, 1).

    Used for per-sample jitter (RSSI, nanoseconds, NIC of a degraded aircraft) so that the
    capture generator and the live servers draw the same value for the same sample.
    """
    digest = hashlib.blake2b(f"{seed}|{key}|{t_s:.3f}|{salt}".encode(), digest_size=8).digest()
    return struct.unpack(">Q", digest)[0] / 2**64


# --- paths ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Knot:
    """One point of a path: where the subject is at ``t_s``."""

    t_s: float
    lat: float
    lon: float


@dataclass(frozen=True)
class Path:
    """A piecewise great-circle path through time-stamped knots (at least one)."""

    knots: tuple[Knot, ...]

    def __post_init__(self) -> None:
        if not self.knots:
            raise ValueError("a path needs at least one knot")
        times = [k.t_s for k in self.knots]
        if any(b < a for a, b in zip(times, times[1:], strict=False)):
            raise ValueError("path knots must be in time order")

    @cached_property
    def _times(self) -> list[float]:
        return [k.t_s for k in self.knots]

    @property
    def start_s(self) -> float:
        return self.knots[0].t_s

    @property
    def end_s(self) -> float:
        return self.knots[-1].t_s

    def _segment(self, t_s: float) -> int:
        """Index ``i`` of the segment knots[i] -> knots[i+1] holding ``t_s`` (clamped)."""
        i = bisect.bisect_right(self._times, t_s) - 1
        return max(0, min(i, len(self.knots) - 2))

    def position(self, t_s: float) -> tuple[float, float]:
        """(lat, lon) at ``t_s``; before the start / after the end: the first / last knot."""
        if len(self.knots) == 1 or t_s <= self.start_s:
            k = self.knots[0]
            return k.lat, k.lon
        if t_s >= self.end_s:
            k = self.knots[-1]
            return k.lat, k.lon
        i = self._segment(t_s)
        a, b = self.knots[i], self.knots[i + 1]
        span = b.t_s - a.t_s
        if span <= 0:
            return b.lat, b.lon
        return geo.interpolate(a.lat, a.lon, b.lat, b.lon, (t_s - a.t_s) / span)

    def velocity(self, t_s: float) -> tuple[float, float]:
        """(ground speed kt, track deg) at ``t_s``: the speed of the segment, the bearing
        from the current position to the segment's end knot."""
        if len(self.knots) == 1:
            return 0.0, 0.0
        i = self._segment(t_s)
        a, b = self.knots[i], self.knots[i + 1]
        span = b.t_s - a.t_s
        dist = geo.distance_m(a.lat, a.lon, b.lat, b.lon)
        if span <= 0 or dist < 1.0:
            return 0.0, self._last_track(i)
        lat, lon = self.position(min(max(t_s, a.t_s), b.t_s - 0.5))
        return dist / span * KT_PER_MPS, geo.bearing_deg(lat, lon, b.lat, b.lon)

    def _last_track(self, i: int) -> float:
        for j in range(i, 0, -1):
            a, b = self.knots[j - 1], self.knots[j]
            if geo.distance_m(a.lat, a.lon, b.lat, b.lon) >= 1.0:
                return geo.bearing_deg(a.lat, a.lon, b.lat, b.lon)
        return 0.0


class PathBuilder:
    """Build a :class:`Path` leg by leg at given speeds.

    >>> p = PathBuilder(0.0, 10.0, -66.0).to(10.0, -65.0, speed_kt=450).build()
    >>> round(p.end_s)
    856
    """

    def __init__(self, t_s: float, lat: float, lon: float) -> None:
        self._knots: list[Knot] = [Knot(t_s, lat, lon)]

    @property
    def t_s(self) -> float:
        return self._knots[-1].t_s

    @property
    def here(self) -> tuple[float, float]:
        k = self._knots[-1]
        return k.lat, k.lon

    def to(self, lat: float, lon: float, *, speed_kt: float) -> PathBuilder:
        """Go straight (great circle) to (lat, lon) at ``speed_kt``."""
        k = self._knots[-1]
        dist = geo.distance_m(k.lat, k.lon, lat, lon)
        dt = dist / (speed_kt / KT_PER_MPS)
        self._knots.append(Knot(k.t_s + dt, lat, lon))
        return self

    def at(self, t_s: float, lat: float, lon: float) -> PathBuilder:
        """Be at (lat, lon) at ``t_s`` (no earlier than the last knot)."""
        if t_s < self.t_s:
            raise ValueError(f"knot at {t_s} before the previous one at {self.t_s}")
        self._knots.append(Knot(t_s, lat, lon))
        return self

    def via(self, points: Sequence[tuple[float, float]], *, speed_kt: float) -> PathBuilder:
        for lat, lon in points:
            self.to(lat, lon, speed_kt=speed_kt)
        return self

    def until(self, t_s: float) -> PathBuilder:
        """Stay put until ``t_s``."""
        k = self._knots[-1]
        if t_s > k.t_s:
            self._knots.append(Knot(t_s, k.lat, k.lon))
        return self

    def drift(
        self, duration_s: float, *, bearing: float, speed_kt: float, step_s: float = 600.0
    ) -> PathBuilder:
        """Drift slowly along ``bearing`` (loitering, a meeting at sea)."""
        remaining = duration_s
        while remaining > 0:
            dt = min(step_s, remaining)
            k = self._knots[-1]
            lat, lon = geo.destination(k.lat, k.lon, bearing, speed_kt / KT_PER_MPS * dt)
            self._knots.append(Knot(k.t_s + dt, lat, lon))
            remaining -= dt
        return self

    def heading(self, bearing: float, dist_m: float, *, speed_kt: float) -> PathBuilder:
        lat, lon = geo.destination(*self.here, bearing, dist_m)
        return self.to(lat, lon, speed_kt=speed_kt)

    def turn(
        self, to_bearing: float, *, radius_m: float, speed_kt: float, right: bool, steps: int = 12
    ) -> PathBuilder:
        """A constant-radius turn from the current track to ``to_bearing``."""
        k0, k1 = self._knots[-2], self._knots[-1]
        track = geo.bearing_deg(k0.lat, k0.lon, k1.lat, k1.lon)
        sign = 1.0 if right else -1.0
        sweep = ((to_bearing - track) * sign) % 360.0
        centre = geo.destination(k1.lat, k1.lon, track + 90.0 * sign, radius_m)
        start_radial = (track - 90.0 * sign) % 360.0
        for s in range(1, steps + 1):
            radial = start_radial + sign * sweep * s / steps
            self.to(*geo.destination(*centre, radial, radius_m), speed_kt=speed_kt)
        return self

    def build(self) -> Path:
        return Path(tuple(self._knots))


# --- aircraft ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    """``[start_s, end_s)``."""

    start_s: float
    end_s: float

    def __contains__(self, t_s: object) -> bool:
        return isinstance(t_s, int | float) and self.start_s <= t_s < self.end_s


@dataclass(frozen=True, slots=True)
class SquawkEvent:
    """A squawk (and the ADS-B ``emergency`` value) set for ``[start_s, end_s)``."""

    start_s: float
    end_s: float
    squawk: str
    emergency: str


@dataclass(frozen=True, slots=True)
class Spoof:
    """Reported positions are displaced by (dlat, dlon) degrees from ``start_s`` on."""

    start_s: float
    end_s: float
    dlat: float
    dlon: float


@dataclass(frozen=True, slots=True)
class Airframe:
    """What the databases know of an aircraft (readsb ``r``, ``t``, ``dbFlags``)."""

    hex: str
    registration: str
    type_code: str
    category: str
    military: bool = False
    country: str = "United States"


@dataclass(frozen=True)
class Flight:
    """One aircraft's flight through the scenario.

    ``takeoff_s`` / ``landing_s`` are ``None`` for a flight already airborne when it comes
    into coverage / still airborne when it leaves. Altitude follows the cruise level,
    capped by a climb from ``takeoff_s`` and a descent to ``landing_s``.
    """

    airframe: Airframe
    callsign: str
    path: Path
    cruise_ft: float
    squawk: str
    role: str
    takeoff_s: float | None = None
    landing_s: float | None = None
    origin: str | None = None
    destination: str | None = None
    #: whether the route (origin/destination) is published in the scenario's routes CSV
    route_known: bool = True
    origin_elev_ft: float = 0.0
    dest_elev_ft: float = 0.0
    climb_fpm: float = 2200.0
    descent_fpm: float = 1800.0
    #: ``adsb_icao`` or ``mlat`` (readsb ``type``)
    position_source: str = "adsb_icao"
    #: feed instance names that see this aircraft
    feeds: frozenset[str] = frozenset({SOURCE_ADSB})
    silent: tuple[Interval, ...] = ()
    squawks: tuple[SquawkEvent, ...] = ()
    spoof: Spoof | None = None

    @property
    def hex(self) -> str:
        return self.airframe.hex

    def transmitting(self, t_s: float) -> bool:
        if t_s < self.path.start_s or t_s > self.path.end_s:
            return False
        return not any(t_s in iv for iv in self.silent)

    def altitude_ft(self, t_s: float) -> float | None:
        """Barometric altitude, ``None`` on the ground."""
        if self.takeoff_s is not None and t_s < self.takeoff_s:
            return None
        if self.landing_s is not None and t_s >= self.landing_s:
            return None
        alt = self.cruise_ft
        if self.takeoff_s is not None:
            alt = min(alt, self.origin_elev_ft + self.climb_fpm * (t_s - self.takeoff_s) / 60.0)
        if self.landing_s is not None:
            alt = min(alt, self.dest_elev_ft + self.descent_fpm * (self.landing_s - t_s) / 60.0)
        return alt

    def vertical_rate_fpm(self, t_s: float) -> float:
        a0, a1 = self.altitude_ft(t_s - 5.0), self.altitude_ft(t_s + 5.0)
        if a0 is None or a1 is None:
            return 0.0
        return (a1 - a0) / 10.0 * 60.0

    def squawk_at(self, t_s: float) -> tuple[str, str]:
        for ev in self.squawks:
            if ev.start_s <= t_s < ev.end_s:
                return ev.squawk, ev.emergency
        return self.squawk, "none"

    def reported_position(self, t_s: float) -> tuple[float, float]:
        lat, lon = self.path.position(t_s)
        if self.spoof is not None and self.spoof.start_s <= t_s < self.spoof.end_s:
            return lat + self.spoof.dlat, lon + self.spoof.dlon
        return lat, lon


@dataclass(frozen=True, slots=True)
class AircraftState:
    """What an aircraft broadcasts at one instant (feed-neutral units: ft, kt, deg, fpm)."""

    flight: Flight
    t_s: float
    lat: float
    lon: float
    alt_ft: float | None
    gs_kt: float
    track_deg: float
    vrate_fpm: float
    squawk: str
    emergency: str
    nic: int | None
    nac_p: int | None
    gps_ok_before_s: float | None
    gps_ok_lat: float | None
    gps_ok_lon: float | None

    @property
    def on_ground(self) -> bool:
        return self.alt_ft is None


@dataclass(frozen=True, slots=True)
class GnssArea:
    """A GNSS-degraded (jammed) area: ADS-B aircraft inside report NIC < 7 / NACp < 8."""

    name: str
    lat: float
    lon: float
    radius_m: float
    start_s: float
    end_s: float

    def affects(self, lat: float, lon: float, t_s: float) -> bool:
        return (
            self.start_s <= t_s < self.end_s
            and geo.distance_m(self.lat, self.lon, lat, lon) <= self.radius_m
        )


# --- vessels ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hull:
    """Static and voyage data a vessel broadcasts (AIS type 5 / ShipStaticData)."""

    mmsi: int
    name: str
    callsign: str
    imo: int
    ship_type: int
    to_bow_m: int
    to_stern_m: int
    to_port_m: int
    to_starboard_m: int
    draught_m: float
    destination: str
    ais_class: str = "A"
    #: whether it broadcasts static data at all (a go-fast does not)
    sends_static: bool = True


@dataclass(frozen=True, slots=True)
class VesselReport:
    """One AIS position report."""

    voyage: Voyage
    t_s: float
    lat: float
    lon: float
    sog_kt: float
    cog_deg: float
    heading_deg: int
    nav_status: int


@dataclass(frozen=True)
class Voyage:
    """One vessel's movement through the scenario and when it transmits.

    ``report_times`` are the (integer-second) times of its position reports, already
    without the silent intervals; ``static_times`` those of its static-data messages.
    ``feeds`` names the feed instances that receive it (``SOURCE_AISSTREAM``,
    ``SOURCE_NMEA``).
    """

    hull: Hull
    path: Path
    role: str
    report_times: tuple[float, ...]
    static_times: tuple[float, ...]
    nav_status: int = 0
    #: (start_s, end_s, status) overrides of ``nav_status``
    nav_events: tuple[tuple[float, float, int], ...] = ()
    feeds: frozenset[str] = frozenset({SOURCE_AISSTREAM})
    spoof: Spoof | None = None
    #: a label for the twin of a shared MMSI (two voyages, one MMSI)
    tag: str = ""

    @property
    def mmsi(self) -> int:
        return self.hull.mmsi

    def report_at(self, t_s: float, seed: int) -> VesselReport:
        lat, lon = self.path.position(t_s)
        if self.spoof is not None and self.spoof.start_s <= t_s < self.spoof.end_s:
            lat, lon = lat + self.spoof.dlat, lon + self.spoof.dlon
        sog, cog = self.path.velocity(t_s)
        key = f"{self.mmsi}{self.tag}"
        if sog < 0.05:
            sog = 0.0
            heading = int(round(cog + 20 * (noise(seed, key, t_s, "hdg") - 0.5))) % 360
        else:
            sog = max(0.0, sog + 0.2 * (noise(seed, key, t_s, "sog") - 0.5))
            heading = int(round(cog + 4 * (noise(seed, key, t_s, "hdg") - 0.5))) % 360
        status = self.nav_status
        for a, b, st in self.nav_events:
            if a <= t_s < b:
                status = st
        return VesselReport(
            voyage=self,
            t_s=t_s,
            lat=lat,
            lon=lon,
            sog_kt=round(sog, 1),
            cog_deg=round(cog % 360.0, 1),
            heading_deg=heading,
            nav_status=status,
        )

    def times_between(self, t0_s: float, t1_s: float, *, static: bool = False) -> list[float]:
        """Report (or static) times in ``(t0_s, t1_s]``."""
        times = self.static_times if static else self.report_times
        lo = bisect.bisect_right(times, t0_s)
        hi = bisect.bisect_right(times, t1_s)
        return list(times[lo:hi])


def report_schedule(
    start_s: float,
    end_s: float,
    *,
    seed: int,
    key: str,
    min_gap_s: float,
    max_gap_s: float,
    silent: Sequence[Interval] = (),
) -> tuple[float, ...]:
    """Integer-second report times from ``start_s`` to ``end_s`` with gaps drawn in
    ``[min_gap_s, max_gap_s]``, minus the silent intervals."""
    out: list[float] = []
    t = float(math.ceil(start_s + noise(seed, key, start_s, "first") * min_gap_s))
    i = 0
    while t <= end_s:
        if not any(t in iv for iv in silent):
            out.append(t)
        gap = min_gap_s + (max_gap_s - min_gap_s) * noise(seed, key, float(i), "gap")
        t = float(math.floor(t + gap))
        i += 1
    return tuple(out)


# --- the scenario -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedOutage:
    """A feed instance delivering nothing in ``[start_s, end_s)`` (its server is down)."""

    source: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Bbox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class Scenario:
    """Everything that happens, and the ground truth about it. SYNTHETIC."""

    name: str
    description: str
    seed: int
    start_s: float
    end_s: float
    coverage: Bbox
    flights: tuple[Flight, ...] = ()
    voyages: tuple[Voyage, ...] = ()
    gnss_areas: tuple[GnssArea, ...] = ()
    #: NGA MSI broadcast-warn records (dicts in the NGA JSON shape)
    warnings: tuple[dict[str, object], ...] = ()
    outages: tuple[FeedOutage, ...] = ()
    labels: tuple[Label, ...] = ()
    #: kinds scored even when no label has them (a kind expected NOT to fire)
    extra_scored_kinds: tuple[str, ...] = ()
    #: capture cadence, seconds
    adsb_interval_s: tuple[float, float] = (12.0, 18.0)
    opensky_interval_s: float = 60.0
    nmea_batch_s: float = 15.0
    nga_interval_s: float = 900.0
    #: terrestrial AIS receivers feeding ``SOURCE_NMEA``: (lat, lon, range_m)
    nmea_receivers: tuple[tuple[float, float, float], ...] = ()
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return utc_from_epoch_s(self.start_s)

    @property
    def end(self) -> datetime:
        return utc_from_epoch_s(self.end_s)

    def feed_down(self, source: str, t_s: float) -> bool:
        return any(o.source == source and o.start_s <= t_s < o.end_s for o in self.outages)

    @cached_property
    def _degraded(self) -> dict[str, list[Interval]]:
        """Per aircraft hex, the intervals in which its GNSS is degraded (10 s steps)."""
        out: dict[str, list[Interval]] = {}
        if not self.gnss_areas:
            return out
        for f in self.flights:
            if f.position_source != "adsb_icao":
                continue
            spans: list[Interval] = []
            t = math.floor(f.path.start_s)
            cur: float | None = None
            while t <= f.path.end_s + 10:
                lat, lon = f.path.position(t)
                bad = any(a.affects(lat, lon, t) for a in self.gnss_areas)
                if bad and cur is None:
                    cur = float(t)
                elif not bad and cur is not None:
                    spans.append(Interval(cur, float(t)))
                    cur = None
                t += 10
            if cur is not None:
                spans.append(Interval(cur, f.path.end_s + 10))
            if spans:
                out[f.hex] = spans
        return out

    def aircraft_state(self, flight: Flight, t_s: float) -> AircraftState | None:
        """What ``flight`` broadcasts at ``t_s``; ``None`` when it is silent or not there."""
        if not flight.transmitting(t_s):
            return None
        lat, lon = flight.reported_position(t_s)
        if not self.coverage.contains(lat, lon):
            return None
        gs, track = flight.path.velocity(t_s)
        alt = flight.altitude_ft(t_s)
        squawk, emergency = flight.squawk_at(t_s)
        nic: int | None = None
        nac_p: int | None = None
        ok_before: float | None = None
        ok_lat: float | None = None
        ok_lon: float | None = None
        if flight.position_source == "adsb_icao":
            nic, nac_p = 8, 10 if noise(self.seed, flight.hex, 0.0, "nacp") < 0.6 else 9
            for span in self._degraded.get(flight.hex, ()):
                if span.start_s <= t_s < span.end_s:
                    nic = int(noise(self.seed, flight.hex, t_s, "nic") * 7)
                    nac_p = int(noise(self.seed, flight.hex, t_s, "nacp") * 8)
                    if t_s - span.start_s <= 900.0:
                        ok_before = span.start_s
                        ok_lat, ok_lon = flight.reported_position(span.start_s)
                    break
        return AircraftState(
            flight=flight,
            t_s=t_s,
            lat=lat,
            lon=lon,
            alt_ft=alt,
            gs_kt=gs,
            track_deg=track,
            vrate_fpm=flight.vertical_rate_fpm(t_s),
            squawk=squawk,
            emergency=emergency,
            nic=nic,
            nac_p=nac_p,
            gps_ok_before_s=ok_before,
            gps_ok_lat=ok_lat,
            gps_ok_lon=ok_lon,
        )

    def aircraft_states(self, t_s: float, *, source: str) -> Iterator[AircraftState]:
        """Every aircraft ``source`` sees at ``t_s`` (nothing while the feed is down)."""
        if self.feed_down(source, t_s):
            return
        for f in self.flights:
            if source in f.feeds:
                st = self.aircraft_state(f, t_s)
                if st is not None:
                    yield st

    def vessel_reports(self, t0_s: float, t1_s: float, *, source: str) -> list[VesselReport]:
        """Position reports ``source`` receives in ``(t0_s, t1_s]``, in time order."""
        out: list[VesselReport] = []
        for v in self.voyages:
            if source not in v.feeds:
                continue
            for t in v.times_between(t0_s, t1_s):
                if self.feed_down(source, t):
                    continue
                rep = v.report_at(t, self.seed)
                if self._receives(source, rep):
                    out.append(rep)
        out.sort(key=lambda r: (r.t_s, r.voyage.mmsi, r.voyage.tag))
        return out

    def _receives(self, source: str, rep: VesselReport) -> bool:
        if not self.coverage.contains(rep.lat, rep.lon):
            return False
        if source != SOURCE_NMEA:
            return True
        return any(
            geo.distance_m(lat, lon, rep.lat, rep.lon) <= rng
            for lat, lon, rng in self.nmea_receivers
        )

    def static_reports(self, t0_s: float, t1_s: float, *, source: str) -> list[VesselReport]:
        """Static-data messages (as the report at that time) in ``(t0_s, t1_s]``."""
        out: list[VesselReport] = []
        for v in self.voyages:
            if source not in v.feeds or not v.hull.sends_static:
                continue
            for t in v.times_between(t0_s, t1_s, static=True):
                if self.feed_down(source, t):
                    continue
                rep = v.report_at(t, self.seed)
                if self._receives(source, rep):
                    out.append(rep)
        out.sort(key=lambda r: (r.t_s, r.voyage.mmsi, r.voyage.tag))
        return out
