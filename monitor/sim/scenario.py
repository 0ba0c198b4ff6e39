"""The shipped scenarios: ``demo`` (everything) and ``outage`` (an AIS feed outage).

Both are SYNTHETIC. :func:`build_scenario` is deterministic for a given name and seed: the
seed only moves jitter (report times, RSSI, nanoseconds, NIC values of degraded
aircraft); who does what, where and when is fixed by the definitions in ``demo_air`` and
``demo_sea``, which the labels describe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from monitor.domain import IncidentKind as K
from monitor.sim.cast import Cast
from monitor.sim.demo_air import build_air
from monitor.sim.demo_sea import build_sea, nga_warnings
from monitor.sim.labels import LabelSet
from monitor.sim.model import (
    SOURCE_AISSTREAM,
    SOURCE_NMEA,
    Bbox,
    FeedOutage,
    Scenario,
)
from monitor.timeutil import utc_from_epoch_s

#: 2026-01-03T10:00:00Z: the FAA prohibition for US operators in SVZM, TJZS, TNCF and TTZP
#: is in force (from about 06:00Z to 05:00Z on 4 January), with EASA's bulletin for SVZM
DEMO_START = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)
DEFAULT_SEED = 20260103
DEFAULT_HOURS = 3.0

#: the region the simulated feeds cover (and the monitor's default region)
COVERAGE = Bbox(min_lon=-85.0, min_lat=-2.0, max_lon=-55.0, max_lat=22.0)

#: terrestrial AIS receivers feeding the NMEA stream: Willemstad and Chaguaramas
NMEA_RECEIVERS = ((12.11, -68.93, 75_000.0), (10.68, -61.64, 75_000.0))

SYNTHETIC_NOTE = (
    "SYNTHETIC scenario written by monitor.sim: every aircraft, vessel, squawk, warning "
    "and label in it is made up for testing and demonstration, and none of it describes "
    "a real event. Call signs pair real airline prefixes with invented flight numbers; "
    "registrations, ICAO addresses, MMSIs, ship names and IMO numbers are invented too. "
    "Any match with a real flight or ship is a coincidence."
)

DEMO_DESCRIPTION = (
    SYNTHETIC_NOTE
    + " Southern Caribbean and northern South America, 2026-01-03 10:00-13:00Z, with the "
    "FAA prohibition for US operators (US carriers and US-registered civil aircraft; "
    "foreign carriers and state aircraft exempt) in force in the Maiquetia (SVZM), San "
    "Juan (TJZS), Curacao (TNCF) and Piarco (TTZP) FIRs, and EASA's bulletin for SVZM. "
    "Aircraft: US carriers and US-registered general aviation inside those FIRs "
    "(incursions); Venezuelan domestic flights, foreign carriers and US military aircraft "
    "inside them too (not bound: no incursion); traffic through SVZM collapsing hour by "
    "hour; overflights rerouted round the restricted FIRs through Bogota, Georgetown and "
    "the Atlantic; US business jets turning away from them; a turnback, a diversion to "
    "Curacao; 7700 and 7600 squawks; two ADS-B dropouts near SVZM; a GNSS-degraded area "
    "round the ABC islands; a spoofed position jump. Vessels: ordinary "
    "traffic, entries into strike zones and the Venezuelan territorial sea, a tanker "
    "going dark in the Paria strike zone, loitering, a ship-to-ship rendezvous, a "
    "spoofed position jump, one MMSI in two places, an invalid MMSI, a go-fast; one "
    "NAVAREA IV warning."
)

OUTAGE_DESCRIPTION = (
    SYNTHETIC_NOTE
    + " The vessels of the demo scenario, plus a few aircraft, 2026-01-03 10:00-13:00Z; "
    "both AIS feeds (aisstream and the NMEA receiver) deliver nothing from 10:40 to "
    "12:50Z while the vessels keep moving. No vessel goes dark: a monitor must report "
    "the feed outage (feed_health) and raise no going_dark incident. Other kinds are not "
    "scored on this scenario."
)


def _scenario(
    name: str,
    description: str,
    seed: int,
    hours: float,
    *,
    air: bool,
    outage: bool,
) -> Scenario:
    t0 = DEMO_START.timestamp()
    cast = Cast(t0_s=t0, seed=seed)
    if air:
        gnss = build_air(cast)
    else:
        # a few ordinary and military flights only, so the replay clock keeps moving
        scratch = Cast(t0_s=t0, seed=seed)
        build_air(scratch)
        gnss = []
        cast.flights = [f for f in scratch.flights if f.role in ("background", "military")]
    build_sea(cast, with_going_dark=not outage)
    end_s = t0 + hours * 3600.0
    end = utc_from_epoch_s(end_s)
    outages: tuple[FeedOutage, ...] = ()
    extra: tuple[str, ...] = ()
    labels = [replace(lab, end=min(lab.end, end)) for lab in cast.labels if lab.start < end]
    if outage:
        outages = (
            FeedOutage(SOURCE_AISSTREAM, cast.at("10:40"), cast.at("12:50")),
            FeedOutage(SOURCE_NMEA, cast.at("10:40"), cast.at("12:50")),
        )
        labels = []
        for src in (SOURCE_AISSTREAM, SOURCE_NMEA):
            cast.labels = []
            cast.label(
                K.FEED_HEALTH,
                (src,),
                cast.at("10:40"),
                cast.at("12:50"),
                f"the {src} feed delivers nothing from 10:40 to 12:50Z (vessels keep moving)",
            )
            labels.extend(cast.labels)
        extra = (K.GOING_DARK.value, K.FEED_HEALTH.value)
    return Scenario(
        name=name,
        description=description,
        seed=seed,
        start_s=t0,
        end_s=end_s,
        coverage=COVERAGE,
        flights=tuple(cast.flights),
        voyages=tuple(cast.voyages),
        gnss_areas=tuple(gnss),
        warnings=tuple(nga_warnings()),
        outages=outages,
        labels=tuple(labels),
        extra_scored_kinds=extra,
        nmea_receivers=NMEA_RECEIVERS,
    )


def build_demo(seed: int = DEFAULT_SEED, hours: float = DEFAULT_HOURS) -> Scenario:
    return _scenario("demo", DEMO_DESCRIPTION, seed, hours, air=True, outage=False)


def build_outage(seed: int = DEFAULT_SEED, hours: float = DEFAULT_HOURS) -> Scenario:
    return _scenario("outage", OUTAGE_DESCRIPTION, seed, hours, air=False, outage=True)


SCENARIOS: dict[str, Callable[[int, float], Scenario]] = {
    "demo": build_demo,
    "outage": build_outage,
}


def build_scenario(
    name: str = "demo", seed: int = DEFAULT_SEED, hours: float = DEFAULT_HOURS
) -> Scenario:
    """A shipped scenario by name (``demo`` or ``outage``)."""
    try:
        factory = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose from {sorted(SCENARIOS)}") from None
    return factory(seed, hours)


def label_set(scn: Scenario) -> LabelSet:
    """The scenario's labels as a :class:`LabelSet` (what ``*_labels.json`` holds)."""
    return LabelSet(
        scenario=scn.name,
        description=scn.description,
        start=scn.start,
        end=scn.end,
        labels=scn.labels,
        scored_kinds=scn.extra_scored_kinds,
        synthetic=True,
    )


def routes_csv(scn: Scenario) -> str:
    """Published routes (``callsign,origin_icao,destination_icao,valid_from,valid_to``)."""
    lines = [
        "# SYNTHETIC routes of the simulated scenario (monitor.sim); not real schedules",
        "callsign,origin_icao,destination_icao,valid_from,valid_to",
    ]
    seen: set[str] = set()
    for f in scn.flights:
        if f.route_known and f.origin and f.destination and f.callsign not in seen:
            seen.add(f.callsign)
            lines.append(f"{f.callsign},{f.origin},{f.destination},,")
    return "\n".join(lines) + "\n"
