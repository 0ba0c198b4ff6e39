"""The labels are true: the simulated trajectories checked against the shipped zones.

Each test states a promise the labels make. The demo day is 2026-01-03, when the FAA
prohibits US operators in four FIRs (SVZM, TJZS, TNCF, TTZP; ``RESTRICTED``): an
incursion label means an aircraft that prohibition binds (a US carrier, or a
US-registered civil aircraft no foreign carrier operates; state aircraft exempt) is
airborne inside one of them then; an aircraft it does not bind has no incursion label
wherever it flies; every aircraft keeps 30 km from the boundaries it does not cross; a
vessel entering a strike zone has a label at that time ... Whom the prohibition binds is
asked of ``monitor.domain.zone.BindingScope`` (``operators:US``), with the aircraft's
identity built here from its address block and call sign. The tests read the zones from
``geodata/`` and skip, saying why, when it is not built.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import airportsdata
import pytest
from shapely.geometry import Polygon

from monitor.domain.identity import AircraftIdentity
from monitor.domain.zone import BindingScope, Bound
from monitor.sim import geo
from monitor.sim.labels import Label
from monitor.sim.model import Flight, Scenario, Voyage
from monitor.sim.places import PORTS
from monitor.sim.scenario import build_demo

from .geometry import SHARED, Area, bundled_areas, great_circle

MARGIN_KM = 30.0
STEP_S = 20.0
TOL_S = 600.0
RESTRICTED = ("SVZM", "TJZS", "TNCF", "TTZP")
VESSEL_ZONES = (
    "STRIKE-SOUTHERN-CARIBBEAN",
    "STRIKE-PARIA-TRINIDAD",
    "STRIKE-CENTRAL-COAST",
    "TERRSEA-VEN",
)
#: the operators whose call signs the scenario uses, with their State (ICAO designators,
#: as in shared/reference/identity/airline_designators.csv; checked there when present)
OPERATORS = {
    "AAL": "US",
    "DAL": "US",
    "JBU": "US",
    "UAL": "US",
    "AVA": "CO",
    "BWA": "TT",
    "CMP": "PA",
    "GLO": "BR",
    "TAM": "BR",
    "ETR": "VE",
    "LER": "VE",
    "ROI": "VE",
    "RUC": "VE",
    "VCV": "VE",
}
COUNTRY_ISO2 = {
    "United States": "US",
    "Colombia": "CO",
    "Trinidad and Tobago": "TT",
    "Panama": "PA",
    "Brazil": "BR",
    "Venezuela": "VE",
}
#: ICAO address blocks of the States the scenario's aircraft are registered in
BLOCKS = (
    (0x0AC000, 0x0ACFFF, "CO"),
    (0x0C2000, 0x0C2FFF, "PA"),
    (0x0C6000, 0x0C6FFF, "TT"),
    (0x0D8000, 0x0DFFFF, "VE"),
    (0x480000, 0x487FFF, "NL"),
    (0x490000, 0x497FFF, "PT"),
    (0xA00000, 0xAFFFFF, "US"),
    (0xE40000, 0xE7FFFF, "BR"),
)
US_MILITARY = (0xADF7C8, 0xAFFFFF)
US_OPERATORS = BindingScope.parse("operators:US")


@cache
def scn() -> Scenario:
    return build_demo()


@cache
def areas() -> dict[str, Area]:
    found = bundled_areas()
    if found is None or not set(RESTRICTED) <= set(found):
        pytest.skip(
            "geodata/ is not built (python -m monitor.zones.build); nothing to check against"
        )
    return found


def svzm() -> Area:
    return areas()["SVZM"]


def labels_of(subject: str, kind: str | None = None) -> list[Label]:
    return [
        lab
        for lab in scn().labels
        if subject in lab.subjects and (kind is None or lab.kind == kind)
    ]


def identity(f: Flight) -> AircraftIdentity:
    """What a monitor can know of ``f``: State of registry from the address block, the
    operator from the call sign's designator, state aircraft from the military range."""
    value = int(f.hex, 16)
    registry = next((iso for lo, hi, iso in BLOCKS if lo <= value <= hi), None)
    m = re.match(r"^([A-Z]{3})\d", f.callsign)
    operator = m.group(1) if m and m.group(1) in OPERATORS else None
    return AircraftIdentity(
        icao24=f.hex,
        registry_iso2=registry,
        registration=f.airframe.registration,
        callsign=f.callsign,
        operator_icao=operator,
        operator_iso2=OPERATORS.get(operator or ""),
        military=True if US_MILITARY[0] <= value <= US_MILITARY[1] else None,
    )


def bound(f: Flight) -> bool:
    """Whether the FAA prohibition for US operators binds ``f`` (never "possibly" here)."""
    verdict = US_OPERATORS.binds(identity(f)).verdict
    assert verdict is not Bound.POSSIBLY, f"{f.callsign}: identity too thin to tell"
    return verdict is Bound.BOUND


def airborne_fixes(f: Flight):  # type: ignore[no-untyped-def]
    """(t, lat, lon) of the reported, airborne, covered positions, every STEP_S."""
    s = scn()
    t = max(s.start_s, f.path.start_s)
    end = min(s.end_s, f.path.end_s)
    while t <= end:
        st = s.aircraft_state(f, t)
        if st is not None and st.alt_ft is not None:
            yield t, st.lat, st.lon
        t += STEP_S


@cache
def _fixes(callsign: str) -> tuple[tuple[float, float, float], ...]:
    return tuple(airborne_fixes(FLIGHTS[callsign]))


def inside_spans(f: Flight, zone_id: str = "SVZM") -> list[tuple[float, float]]:
    zone = areas()[zone_id]
    spans: list[tuple[float, float]] = []
    cur: float | None = None
    last = None
    for t, lat, lon in _fixes(f.callsign):
        inside = zone.contains(lat, lon)
        if inside and cur is None:
            cur = t
        if not inside and cur is not None:
            spans.append((cur, t))
            cur = None
        last = t
    if cur is not None and last is not None:
        spans.append((cur, last))
    return spans


def inside_any(lat: float, lon: float) -> bool:
    return any(areas()[z].contains(lat, lon) for z in RESTRICTED)


FLIGHTS = {f.callsign: f for f in build_demo().flights}


# --- aircraft and the restricted FIRs ------------------------------------------------------


def test_the_operators_table_agrees_with_the_shared_reference() -> None:
    path = SHARED / "reference" / "identity" / "airline_designators.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared reference folder is not beside the repo)")
    with path.open(encoding="utf-8") as fh:
        countries = {r["icao_designator"]: r["country"] for r in csv.DictReader(fh)}
    for designator, iso2 in OPERATORS.items():
        assert COUNTRY_ISO2[countries[designator]] == iso2, designator
    used = {m.group(1) for f in FLIGHTS.values() if (m := re.match(r"^([A-Z]{3})\d", f.callsign))}
    assert used - {"FOR", "JAK", "RCH"} <= set(OPERATORS)  # the military call signs aside


def test_the_monitors_identity_tables_read_the_scenario_the_same_way() -> None:
    """``monitor.identity`` (the shipped, cited tables the detectors use) gives every
    simulated aircraft the State of registry, operator and military flag the labels assume."""
    from monitor.identity.aircraft import (
        military_by_address,
        operator_of_callsign,
        state_of_address,
    )

    for cs, f in sorted(FLIGHTS.items()):
        mine = identity(f)
        state = state_of_address(f.hex)
        assert (state[0] if state else None) == mine.registry_iso2, cs
        op = operator_of_callsign(f.callsign)
        if mine.operator_icao is not None:
            assert op is not None and (op.icao, op.iso2) == (
                mine.operator_icao,
                mine.operator_iso2,
            ), cs
        elif not mine.military:
            assert op is None, cs
        assert (military_by_address(f.hex) is not None) == bool(mine.military), cs


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_incursion_labels_are_the_bound_aircraft_inside_restricted_firs(callsign: str) -> None:
    """One label per stay of a bound aircraft in a restricted FIR, at the times it is
    there; none, anywhere, for an aircraft the prohibition does not bind."""
    f = FLIGHTS[callsign]
    labels = labels_of(f.hex, "incursion")
    if not bound(f):
        assert not labels, f"{callsign} is not bound by the prohibition but has {labels}"
        return
    for zone_id in RESTRICTED:
        spans = inside_spans(f, zone_id)
        mine = sorted((lab for lab in labels if lab.zone_id == zone_id), key=lambda x: x.start)
        assert len(spans) == len(mine), (zone_id, spans, mine)
        for (a, b), lab in zip(spans, mine, strict=True):
            assert abs(a - lab.start.timestamp()) <= TOL_S, f"{zone_id}: entry time off"
            assert abs(b - lab.end.timestamp()) <= TOL_S, f"{zone_id}: exit / landing time off"
    assert all(lab.zone_id in RESTRICTED for lab in labels)


def test_the_demo_has_incursions_and_negatives_inside_the_restricted_firs() -> None:
    """At least 12 incursion labels, and inside the same FIRs aircraft an incursion
    detector must leave alone: Venezuelan domestic flights, foreign carriers (one of them
    flying a US-registered aircraft) and US military aircraft."""
    assert len([lab for lab in scn().labels if lab.kind == "incursion"]) >= 12
    inside = {cs: f for cs, f in FLIGHTS.items() if any(inside_spans(f, z) for z in RESTRICTED)}
    negatives = [f for f in inside.values() if not bound(f)]
    who = [identity(f) for f in negatives]
    assert sum(1 for i in who if i.operator_iso2 == "VE" and i.registry_iso2 == "VE") >= 8
    assert any(i.registry_iso2 == "VE" and i.operator_icao is None for i in who)  # YV1905
    assert {i.operator_icao for i in who} >= {"CMP", "AVA", "GLO", "TAM", "BWA"}
    assert any(i.operator_icao == "AVA" and i.registry_iso2 == "US" for i in who)
    assert len([i for i in who if i.military]) >= 3
    assert any(i.registry_iso2 == "NL" and i.operator_icao is None for i in who)  # PJ- hops
    positives = {identity(f).operator_icao for f in inside.values() if bound(f)}
    assert {"AAL", "JBU", "UAL", "DAL", None} <= positives  # None: N-registered, private


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_aircraft_keep_a_margin_from_restricted_firs_they_do_not_enter(callsign: str) -> None:
    f = FLIGHTS[callsign]
    for zone_id in RESTRICTED:
        if inside_spans(f, zone_id):
            continue
        zone = areas()[zone_id]
        closest = min(zone.signed_km(lat, lon) for _, lat, lon in _fixes(callsign))
        assert closest >= MARGIN_KM, f"{callsign} comes within {closest:.1f} km of {zone_id}"


@cache
def airports() -> dict:
    return airportsdata.load()


def _gc_depth_km(zone_id: str, origin: str, destination: str) -> float:
    ap = airports()
    o, d = ap[origin], ap[destination]
    zone = areas()[zone_id]
    return min(zone.signed_km(*p) for p in great_circle((o["lat"], o["lon"]), (d["lat"], d["lon"])))


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_reroute_labels_follow_the_great_circle(callsign: str) -> None:
    """A published route whose great circle crosses restricted FIRs (deeper than 30 km)
    other than the ones it starts or ends in, flown without entering any of them, is a
    reroute; a great circle passing within 25 km either way would be ambiguous and is not
    used; a flight that enters a FIR its great circle crosses is not a reroute."""
    f = FLIGHTS[callsign]
    labelled = bool(labels_of(f.hex, "reroute"))
    if not (f.route_known and f.origin and f.destination):
        assert not labelled
        return
    ap = airports()
    crossed = []
    for zone_id in RESTRICTED:
        zone = areas()[zone_id]
        ends = [zone.signed_km(ap[c]["lat"], ap[c]["lon"]) for c in (f.origin, f.destination)]
        if min(ends) < MARGIN_KM:
            continue  # the flight goes to or from this FIR
        depth = _gc_depth_km(zone_id, f.origin, f.destination)
        assert not (-MARGIN_KM < depth < 25.0), (
            f"{callsign}: great circle {depth:.0f} km from {zone_id}"
        )
        if depth <= -MARGIN_KM:
            crossed.append(zone_id)
    entered = [z for z in crossed if inside_spans(f, z)]
    if crossed and not entered:
        assert labelled, f"{callsign}: great circle crosses {crossed}, flown round, no label"
    else:
        assert not labelled


def test_reroutes_are_seen_abeam_outside_every_restricted_fir() -> None:
    """The reroute detector counts fixes abeam, outside every restricted FIR and 40 km or
    more off the great circle: each labelled reroute has a quarter of an hour of them."""
    ap = airports()
    for lab in [x for x in scn().labels if x.kind == "reroute"]:
        f = next(x for x in scn().flights if x.hex == lab.subjects[0])
        o, d = ap[f.origin], ap[f.destination]
        gc = list(great_circle((o["lat"], o["lon"]), (d["lat"], d["lon"]), n=600))
        off = [
            t
            for t, lat, lon in _fixes(f.callsign)
            if not inside_any(lat, lon)
            and min(geo.distance_m(lat, lon, *p) for p in gc[::3]) > 60_000
        ]
        assert len(off) * STEP_S >= 900, f.callsign


def _projects_into_restricted(f: Flight, t: float, minutes: float = 10.0) -> bool:
    lat, lon = f.reported_position(t)
    gs, trk = f.path.velocity(t)
    for k in range(1, 6):
        plat, plon = geo.destination(lat, lon, trk, gs / 1.9438444924406046 * 60 * minutes * k / 5)
        if inside_any(plat, plon):
            return True
    return False


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_boundary_avoidance_only_for_unknown_routes_heading_in(callsign: str) -> None:
    """A civil flight without a known route whose 10-minute projection enters a restricted
    FIR while it is outside them all is labelled boundary_avoidance; other unknown-route
    civil flights never head in. Military aircraft fly where they must (and the detector
    leaves them out)."""
    f = FLIGHTS[callsign]
    labelled = labels_of(f.hex, "boundary_avoidance")
    if f.route_known or f.airframe.military:
        assert not labelled
        return
    heading_in = [
        t
        for t, lat, lon in _fixes(callsign)
        if not inside_any(lat, lon) and _projects_into_restricted(f, t)
    ]
    if labelled:
        lab = labelled[0]
        assert heading_in, f"{callsign} never heads into a restricted FIR"
        assert lab.start.timestamp() - TOL_S <= heading_in[0] <= lab.end.timestamp()
        assert not any(inside_spans(f, z) for z in RESTRICTED), f"{callsign} goes in"
    else:
        assert not heading_in, f"{callsign} heads into a restricted FIR at {heading_in[:3]}"


def test_turnback_reverses_more_than_150_degrees_near_svzm() -> None:
    (lab,) = [x for x in scn().labels if x.kind == "turnback"]
    f = next(x for x in scn().flights if x.hex == lab.subjects[0])
    _, before = f.path.velocity(lab.start.timestamp() - 60)
    _, after = f.path.velocity(lab.end.timestamp() + 60)
    assert abs((after - before + 180.0) % 360.0 - 180.0) > 150.0
    lat, lon = f.path.position(lab.start.timestamp())
    assert MARGIN_KM < svzm().signed_km(lat, lon) < 200.0
    assert not bound(f) and not labels_of(f.hex, "incursion")


def test_diversion_lands_away_from_its_destination_near_svzm() -> None:
    (lab,) = [x for x in scn().labels if x.kind == "diversion"]
    f = next(x for x in scn().flights if x.hex == lab.subjects[0])
    assert f.landing_s is not None and f.destination is not None
    ap = airports()
    lat, lon = f.path.position(f.landing_s)
    dest = ap[f.destination]
    assert geo.distance_m(lat, lon, dest["lat"], dest["lon"]) > 100_000
    assert MARGIN_KM < svzm().signed_km(lat, lon) < 100.0


def test_dropouts_happen_near_svzm_with_others_still_reported() -> None:
    s = scn()
    drops = [lab for lab in s.labels if lab.kind == "dropout"]
    assert len(drops) == 2
    for lab in drops:
        f = next(x for x in s.flights if x.hex == lab.subjects[0])
        (iv,) = f.silent
        assert iv.end_s - iv.start_s >= 15 * 60
        lat, lon = f.path.position(iv.start_s - 1)  # where it was last heard
        assert MARGIN_KM < svzm().signed_km(lat, lon) < 100.0
        lat, lon = f.path.position(iv.end_s)  # where it is heard again
        assert MARGIN_KM < svzm().signed_km(lat, lon) < 200.0
        lat, lon = f.path.position(iv.start_s - 1)
        t = iv.start_s
        while t < iv.end_s:
            others = [
                g
                for g in s.flights
                if g is not f
                and (st := s.aircraft_state(g, t))
                and geo.distance_m(lat, lon, st.lat, st.lon) < 350_000
            ]
            assert others, f"nobody else reported near {f.callsign} at {t}"
            t += 120


def test_no_other_airborne_aircraft_vanishes_near_svzm() -> None:
    s = scn()
    dropouts = {lab.subjects[0] for lab in s.labels if lab.kind == "dropout"}
    for f in s.flights:
        if f.hex in dropouts:
            continue
        fixes = list(airborne_fixes(f))
        if not fixes:
            continue
        t, lat, lon = fixes[-1]
        landed = f.landing_s is not None and t >= f.landing_s - 2 * STEP_S
        if landed or t >= s.end_s - STEP_S:
            continue
        assert svzm().signed_km(lat, lon) > 250.0, f"{f.callsign} vanishes near SVZM"


def test_traffic_through_svzm_collapses_hour_by_hour() -> None:
    s = scn()
    per_hour = [set(), set(), set()]
    for f in s.flights:
        for t, lat, lon in airborne_fixes(f):
            if svzm().contains(lat, lon):
                per_hour[min(2, int((t - s.start_s) // 3600))].add(f.hex)
    counts = [len(h) for h in per_hour]
    assert counts[0] >= 8 and counts[1] <= 0.4 * counts[0] and counts[2] <= 0.2 * counts[0], counts


def test_military_aircraft_come_within_150_nm_of_svzm() -> None:
    mil = [f for f in scn().flights if f.airframe.military]
    assert len(mil) >= 3
    near = [
        f
        for f in mil
        if min(svzm().signed_km(lat, lon) for _, lat, lon in airborne_fixes(f)) < 278.0
    ]
    assert len(near) >= 2
    assert all(not inside_spans(f) for f in mil)
    # state aircraft, inside the FIRs the prohibition covers, and not bound by it
    assert all(US_MILITARY[0] <= int(f.hex, 16) <= US_MILITARY[1] for f in mil)
    assert all(not bound(f) and not labels_of(f.hex, "incursion") for f in mil)
    assert sum(1 for f in mil if any(inside_spans(f, z) for z in RESTRICTED)) >= 3


def test_gnss_degradation_stays_in_the_labelled_area_and_hour() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "gnss_interference"]
    min_lon, min_lat, max_lon, max_lat = lab.area or (0, 0, 0, 0)
    degraded: set[str] = set()
    for f in s.flights:
        t = s.start_s
        while t <= s.end_s:
            st = s.aircraft_state(f, t)
            if st is not None and st.nic is not None and (st.nic < 7 or (st.nac_p or 0) < 8):
                assert lab.start.timestamp() <= t <= lab.end.timestamp()
                assert min_lat <= st.lat <= max_lat and min_lon <= st.lon <= max_lon
                if st.alt_ft is not None:
                    degraded.add(f.hex)
            t += 30
    assert len(degraded) >= 6


def test_position_jump_is_impossible_for_an_airliner() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "position_jump"]
    f = next(x for x in s.flights if x.hex == lab.subjects[0])
    assert f.spoof is not None
    t = f.spoof.start_s
    a, b = f.reported_position(t - 15), f.reported_position(t)
    implied_kt = geo.distance_m(*a, *b) / 15 * 1.9438
    assert implied_kt > 5000


# --- vessels and their zones --------------------------------------------------------------


def vessel_fixes(v: Voyage):  # type: ignore[no-untyped-def]
    s = scn()
    for t in v.report_times:
        if s.start_s < t <= s.end_s:
            r = v.report_at(t, s.seed)
            yield t, r


VOYAGES = {f"{v.hull.name or v.mmsi}{v.tag}": v for v in build_demo().voyages}


@pytest.mark.parametrize("name", sorted(VOYAGES))
def test_zone_entry_labels_match_vessel_tracks(name: str) -> None:
    v = next(x for x in scn().voyages if f"{x.hull.name or x.mmsi}{x.tag}" == name)
    for zone_id in VESSEL_ZONES:
        zone = areas()[zone_id]
        states = [
            (t, zone.contains(r.lat, r.lon), zone.signed_km(r.lat, r.lon))
            for t, r in vessel_fixes(v)
        ]
        labels = [lab for lab in labels_of(str(v.mmsi), "zone_entry") if lab.zone_id == zone_id]
        if v.tag:  # the twins of a shared MMSI: keep both out of every zone
            assert not any(inside for _, inside, _ in states)
            continue
        entries = [
            t for (t0, i0, _), (t, i1, _) in zip(states, states[1:], strict=False) if i1 and not i0
        ]
        starts_inside = bool(states) and states[0][1]
        optional = [lab for lab in labels if lab.optional]
        required = [lab for lab in labels if not lab.optional]
        assert bool(optional) == starts_inside, f"{name} / {zone_id}: first fix inside?"
        assert len(required) == len(entries), f"{name} / {zone_id}: entries {entries}"
        for lab, t in zip(required, entries, strict=True):
            assert abs(lab.start.timestamp() - t) <= TOL_S
        # away from the crossings themselves, no fix sits within 5 km of the boundary
        near = [
            t for t, _, d in states if abs(d) < 5.0 and not any(abs(t - e) < 1800 for e in entries)
        ]
        assert not near or zone_id == "TERRSEA-VEN" and v.role == "rendezvous", (name, zone_id)


@pytest.mark.parametrize("name", sorted(VOYAGES))
def test_vessels_are_never_on_land(name: str) -> None:
    v = next(x for x in scn().voyages if f"{x.hull.name or x.mmsi}{x.tag}" == name)
    land = areas()["LAND-VEN"]
    for _, r in vessel_fixes(v):
        assert land.signed_km(r.lat, r.lon) > 2.0, (name, r.lat, r.lon)


def test_going_dark_inside_the_strike_zone_with_neighbours_reporting() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "going_dark"]
    v = next(x for x in s.voyages if str(x.mmsi) == lab.subjects[0])
    before = [t for t in v.report_times if t < lab.start.timestamp() + 1]
    after = [t for t in v.report_times if t > lab.end.timestamp() - 1]
    assert before and after and after[0] - before[-1] >= 2 * 3600
    last = v.report_at(before[-1], s.seed)
    assert areas()["STRIKE-PARIA-TRINIDAD"].signed_km(last.lat, last.lon) < -10
    reporting = {
        r.voyage.mmsi
        for r in s.vessel_reports(before[-1], after[0] - 1, source="aisstream")
        if r.voyage is not v and geo.distance_m(last.lat, last.lon, r.lat, r.lon) < 50 * 1852
    }
    assert len(reporting) >= 3
    first = v.report_at(after[0], s.seed)
    implied_kt = (
        geo.distance_m(last.lat, last.lon, first.lat, first.lon) / (after[0] - before[-1]) * 1.9438
    )
    assert 5 < implied_kt < 15


def _slow_spans(v: Voyage, max_kt: float = 2.0) -> list[tuple[float, float]]:
    spans, cur, prev = [], None, None
    for t, r in vessel_fixes(v):
        if r.sog_kt < max_kt:
            cur = t if cur is None else cur
        elif cur is not None:
            spans.append((cur, prev))
            cur = None
        prev = t
    if cur is not None:
        spans.append((cur, prev))
    return [sp for sp in spans if sp[1] - sp[0] >= 3600]


def test_only_the_labelled_vessel_loiters_far_from_shore() -> None:
    s = scn()
    land = areas()["LAND-VEN"]
    loiterers = {lab.subjects[0] for lab in s.labels if lab.kind == "loitering"}
    for v in s.voyages:
        for a, b in _slow_spans(v):
            far = [
                r
                for t, r in vessel_fixes(v)
                if a <= t <= b and land.signed_km(r.lat, r.lon) >= 20 * 1.852
            ]
            if str(v.mmsi) in loiterers:
                assert len(far) > 10
            else:
                assert not far, f"{v.hull.name} is slow for an hour 20 nm or more offshore"
    assert loiterers


def test_rendezvous_pair_and_no_other_pair() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "rendezvous"]
    pair = set(lab.subjects)
    a, b = (next(v for v in s.voyages if str(v.mmsi) == m) for m in lab.subjects)
    t = lab.start.timestamp()
    while t <= lab.end.timestamp():
        pa, pb = a.path.position(t), b.path.position(t)
        assert geo.distance_m(*pa, *pb) < 500
        assert a.path.velocity(t)[0] < 2 and b.path.velocity(t)[0] < 2
        land_km = areas()["LAND-VEN"].signed_km(*pa)
        assert 10 < land_km < 20 * 1.852 - 5  # at sea, but not far enough to loiter
        assert min(geo.distance_m(*pa, p.lat, p.lon) for p in PORTS.values()) > 10_000
        t += 300
    assert lab.end - lab.start >= timedelta(hours=2)
    others = [v for v in s.voyages if str(v.mmsi) not in pair]
    for i, v in enumerate(others):
        for w in others[i + 1 :]:
            close = 0
            t = s.start_s
            while t <= s.end_s:
                if geo.distance_m(*v.path.position(t), *w.path.position(t)) < 1000:
                    close += 1
                t += 300
            assert close * 300 < 1800, (v.hull.name, w.hull.name)


def test_fast_craft_is_fast_small_and_inside_a_strike_zone() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "fast_craft"]
    v = next(x for x in s.voyages if str(x.mmsi) == lab.subjects[0])
    assert v.hull.ais_class == "B" and not v.hull.sends_static
    inside = [r for t, r in vessel_fixes(v) if lab.start.timestamp() <= t <= lab.end.timestamp()]
    assert inside and all(r.sog_kt > 30 for r in inside)
    assert all(areas()["STRIKE-SOUTHERN-CARIBBEAN"].contains(r.lat, r.lon) for r in inside[1:])


def test_no_vessel_near_the_navigational_warning_area() -> None:
    s = scn()
    text = s.warnings[0]["text"]
    pts = [
        (int(a) + float(b) / 60, -(int(c) + float(d) / 60))
        for a, b, c, d in re.findall(r"(\d\d)-(\d\d\.\d\d)N (\d{3})-(\d\d\.\d\d)W", text)
    ]
    assert len(pts) == 4
    area = Area("NGA", Polygon([(lon, lat) for lat, lon in pts]))
    for v in s.voyages:
        for _, r in vessel_fixes(v):
            assert area.signed_km(r.lat, r.lon) > 20, v.hull.name


# --- against the shared reference vertices (independent of geodata/) ----------------------


def test_incursions_and_runners_against_the_reference_svzm_ring() -> None:
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "svzm_vertices.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared reference folder is not beside the repo)")
    with path.open() as fh:
        ring = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh)]
    ref = Area("SVZM-ref", Polygon(ring))
    svzm_labels = [x for x in scn().labels if x.kind == "incursion" and x.zone_id == "SVZM"]
    assert svzm_labels
    for lab in svzm_labels:
        f = next(x for x in scn().flights if x.hex == lab.subjects[0])
        mid = (lab.start.timestamp() + lab.end.timestamp()) / 2
        assert ref.contains(*f.path.position(mid)), f.callsign
    runners = [f for f in scn().flights if f.role in ("boundary_avoidance", "reroute")]
    for f in runners:
        assert all(ref.signed_km(lat, lon) > MARGIN_KM for _, lat, lon in airborne_fixes(f))
    assert math.isfinite(ref.signed_km(10.6, -67.0))


def _chord_min_km(area: Area, a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(area.signed_km(*geo.interpolate(*a, *b, k / 40)) for k in range(41))


def test_gaps_do_not_hide_a_crossing() -> None:
    """The straight line between the fixes either side of a dropout (what a geofence sees
    for sparse fixes) stays 30 km outside SVZM and outside every restricted FIR the
    aircraft is outside of at both ends, so a dropout is never also a crossing."""
    s = scn()
    for f in s.flights:
        for iv in f.silent:
            a = f.reported_position(iv.start_s - 1)
            b = f.reported_position(iv.end_s)
            assert _chord_min_km(svzm(), a, b) > MARGIN_KM, f.callsign
            for zone_id in RESTRICTED:
                zone = areas()[zone_id]
                if zone.contains(*a) or zone.contains(*b):
                    continue
                assert _chord_min_km(zone, a, b) > MARGIN_KM, (f.callsign, zone_id)


def test_going_dark_gap_stays_in_the_same_zones() -> None:
    s = scn()
    (lab,) = [x for x in s.labels if x.kind == "going_dark"]
    v = next(x for x in s.voyages if str(x.mmsi) == lab.subjects[0])
    before = max(t for t in v.report_times if t <= lab.start.timestamp())
    after = min(t for t in v.report_times if t >= lab.end.timestamp())
    a, b = v.path.position(before), v.path.position(after)
    for zone_id in VESSEL_ZONES:
        zone = areas()[zone_id]
        inside = [zone.contains(*geo.interpolate(*a, *b, k / 40)) for k in range(41)]
        assert len(set(inside)) == 1, zone_id
