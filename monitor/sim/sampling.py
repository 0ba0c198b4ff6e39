"""What each simulated feed returns at a given scenario time (pure, deterministic).

The capture generator calls these on a fixed schedule; the fake feed servers call them
when a client asks. Both therefore serve identical bodies for identical times.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.sim import geo
from monitor.sim.bodies import (
    adsbx_aircraft,
    adsbx_body,
    aisstream_position,
    aisstream_static,
    nga_body,
    nmea_position,
    nmea_static,
    opensky_body,
    opensky_state,
)
from monitor.sim.model import (
    SOURCE_ADSB,
    SOURCE_AISSTREAM,
    SOURCE_NGA,
    SOURCE_NMEA,
    SOURCE_OPENSKY,
    Bbox,
    Scenario,
    VesselReport,
    noise,
)
from monitor.units import M_PER_NM

#: station name in the NMEA tag blocks
NMEA_STATION = "sim-ais-rx"


def adsb_snapshot(
    scn: Scenario,
    now_s: float,
    *,
    centre: tuple[float, float] | None = None,
    radius_nm: float | None = None,
) -> dict[str, Any]:
    """An adsb.lol v2 response at ``now_s`` (only aircraft within ``radius_nm`` of
    ``centre`` when both are given). Each aircraft's fix is 0.2-2 s old, as in readsb."""
    out: list[dict[str, Any]] = []
    if not scn.feed_down(SOURCE_ADSB, now_s):
        for f in scn.flights:
            if SOURCE_ADSB not in f.feeds:
                continue
            age = round(0.2 + 1.8 * noise(scn.seed, f.hex, math.floor(now_s), "age"), 1)
            st = scn.aircraft_state(f, now_s - age)
            if st is None:
                continue
            if centre is not None and radius_nm is not None:
                if geo.distance_m(centre[0], centre[1], st.lat, st.lon) > radius_nm * M_PER_NM:
                    continue
            out.append(adsbx_aircraft(st, now_s, scn.seed))
    return adsbx_body(out, now_s, ptime_ms=1 + len(out) // 40)


def opensky_snapshot(scn: Scenario, now_s: float, *, bbox: Bbox | None = None) -> dict[str, Any]:
    """An OpenSky ``/api/states/all`` response at ``now_s`` (in ``bbox`` when given)."""
    time_s = int(now_s)
    states: list[list[Any]] = []
    if not scn.feed_down(SOURCE_OPENSKY, now_s):
        for f in scn.flights:
            if SOURCE_OPENSKY not in f.feeds:
                continue
            lag = int(noise(scn.seed, f.hex, float(time_s), "osk") * 5)
            st = scn.aircraft_state(f, float(time_s - lag))
            if st is None:
                continue
            if bbox is not None and not bbox.contains(st.lat, st.lon):
                continue
            states.append(opensky_state(st, time_s - lag + (1 if lag > 2 else 0)))
    return opensky_body(states, time_s)


@dataclass(frozen=True, slots=True)
class AisFrame:
    """One aisstream frame and when it reaches the client."""

    rx_s: float
    mmsi: int
    lat: float
    lon: float
    frame: dict[str, Any]


def _rx(scn: Scenario, rep: VesselReport, salt: str) -> float:
    return (
        rep.t_s + 0.2 + 1.1 * noise(scn.seed, f"{rep.voyage.mmsi}{rep.voyage.tag}", rep.t_s, salt)
    )


def aisstream_frames(scn: Scenario, t0_s: float, t1_s: float) -> list[AisFrame]:
    """aisstream frames of the reports and static messages sent in ``(t0_s, t1_s]``."""
    out: list[AisFrame] = []
    for rep in scn.vessel_reports(t0_s, t1_s, source=SOURCE_AISSTREAM):
        rx = _rx(scn, rep, "rx")
        out.append(
            AisFrame(rx, rep.voyage.mmsi, rep.lat, rep.lon, aisstream_position(rep, scn.seed, rx))
        )
    for rep in scn.static_reports(t0_s, t1_s, source=SOURCE_AISSTREAM):
        rx = _rx(scn, rep, "rx5") + 0.5
        out.append(
            AisFrame(rx, rep.voyage.mmsi, rep.lat, rep.lon, aisstream_static(rep, scn.seed, rx))
        )
    out.sort(key=lambda f: (f.rx_s, f.mmsi))
    return out


def in_boxes(lat: float, lon: float, boxes: Iterable[Any]) -> bool:
    """Whether (lat, lon) lies in one of aisstream's ``BoundingBoxes``
    (``[[[lat1, lon1], [lat2, lon2]], ...]``, corners in any order)."""
    for box in boxes:
        (la1, lo1), (la2, lo2) = box
        if min(la1, la2) <= lat <= max(la1, la2) and min(lo1, lo2) <= lon <= max(lo1, lo2):
            return True
    return False


@dataclass(frozen=True, slots=True)
class NmeaMessage:
    """The sentence(s) of one AIS message (two for a type 5) and when they were sent."""

    t_s: float
    lines: tuple[str, ...]


def nmea_messages(scn: Scenario, t0_s: float, t1_s: float) -> list[NmeaMessage]:
    """Messages the NMEA receiver hears in ``(t0_s, t1_s]``, in time order."""
    out: list[NmeaMessage] = []
    for rep in scn.vessel_reports(t0_s, t1_s, source=SOURCE_NMEA):
        out.append(NmeaMessage(rep.t_s, tuple(nmea_position(rep, scn.seed, NMEA_STATION))))
    for rep in scn.static_reports(t0_s, t1_s, source=SOURCE_NMEA):
        group = int(rep.t_s) % 9000 + 1000
        out.append(
            NmeaMessage(rep.t_s + 0.5, tuple(nmea_static(rep, scn.seed, NMEA_STATION, group)))
        )
    out.sort(key=lambda m: (m.t_s, m.lines))
    return out


def nga_snapshot(scn: Scenario, now_s: float) -> dict[str, Any] | None:
    """The NGA broadcast-warn response (``None`` while that feed is down)."""
    if scn.feed_down(SOURCE_NGA, now_s):
        return None
    return nga_body(scn.warnings)
