"""The labels are true: the simulated trajectories checked against the shipped zones.

Each test states a promise the labels make (an incursion label means the aircraft is
airborne inside SVZM then; a flight without one never is, and keeps 30 km from the
boundary; a vessel entering a strike zone has a label at that time ...). They read the
zones from ``geodata/`` and skip, saying why, when it is not built.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from datetime import timedelta
from functools import cache
from pathlib import Path

import airportsdata
import pytest
from shapely.geometry import Polygon

from monitor.sim import geo
from monitor.sim.labels import Label
from monitor.sim.model import Flight, Scenario, Voyage
from monitor.sim.places import PORTS
from monitor.sim.scenario import build_demo

from .geometry import Area, bundled_areas, great_circle

MARGIN_KM = 30.0
STEP_S = 20.0
TOL_S = 600.0
VESSEL_ZONES = (
    "STRIKE-SOUTHERN-CARIBBEAN",
    "STRIKE-PARIA-TRINIDAD",
    "STRIKE-CENTRAL-COAST",
    "TERRSEA-VEN",
)


@cache
def scn() -> Scenario:
    return build_demo()


@cache
def areas() -> dict[str, Area]:
    found = bundled_areas()
    if found is None or "SVZM" not in found:
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


def inside_spans(f: Flight) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    cur: float | None = None
    last = None
    for t, lat, lon in airborne_fixes(f):
        inside = svzm().contains(lat, lon)
        if inside and cur is None:
            cur = t
        if not inside and cur is not None:
            spans.append((cur, t))
            cur = None
        last = t
    if cur is not None and last is not None:
        spans.append((cur, last))
    return spans


FLIGHTS = {f.callsign: f for f in build_demo().flights}


# --- aircraft and SVZM --------------------------------------------------------------------


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_incursion_labels_match_time_inside_svzm(callsign: str) -> None:
    f = next(x for x in scn().flights if x.callsign == callsign)
    spans = inside_spans(f)
    labels = labels_of(f.hex, "incursion")
    if not labels:
        assert not spans, f"{callsign} is inside SVZM at {spans} but has no incursion label"
        return
    assert len(spans) == len(labels) == 1, (spans, labels)
    (a, b), lab = spans[0], labels[0]
    assert abs(a - lab.start.timestamp()) <= TOL_S, "entry time off"
    assert abs(b - lab.end.timestamp()) <= TOL_S, "exit / landing time off"


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_aircraft_outside_svzm_keep_a_margin(callsign: str) -> None:
    f = next(x for x in scn().flights if x.callsign == callsign)
    if labels_of(f.hex, "incursion"):
        return  # meant to be inside: checked by the test above
    closest = min(svzm().signed_km(lat, lon) for _, lat, lon in airborne_fixes(f))
    assert closest >= MARGIN_KM, f"{callsign} comes within {closest:.1f} km of SVZM"


@cache
def airports() -> dict:
    return airportsdata.load()


def _gc_depth_km(origin: str, destination: str) -> float:
    ap = airports()
    o, d = ap[origin], ap[destination]
    return min(
        svzm().signed_km(*p) for p in great_circle((o["lat"], o["lon"]), (d["lat"], d["lon"]))
    )


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_reroute_labels_follow_the_great_circle(callsign: str) -> None:
    """A published route whose great circle crosses SVZM (deeper than 30 km) while the
    flight stays out is a reroute; one passing within 25 km either way would be ambiguous
    and is not used; routes starting or ending inside SVZM are never reroutes."""
    f = next(x for x in scn().flights if x.callsign == callsign)
    labelled = bool(labels_of(f.hex, "reroute"))
    if not (f.route_known and f.origin and f.destination):
        assert not labelled
        return
    ap = airports()
    ends_inside = any(
        svzm().contains(ap[c]["lat"], ap[c]["lon"]) for c in (f.origin, f.destination)
    )
    if ends_inside:
        assert not labelled, f"{callsign} starts or ends inside SVZM"
        return
    depth = _gc_depth_km(f.origin, f.destination)
    assert not (-MARGIN_KM < depth < 25.0), f"{callsign}: great circle {depth:.0f} km from SVZM"
    if depth <= -MARGIN_KM and not inside_spans(f):
        assert labelled, f"{callsign}: great circle crosses SVZM by {-depth:.0f} km, no label"
    else:
        assert not labelled


def _projects_into_svzm(f: Flight, t: float, minutes: float = 10.0) -> bool:
    lat, lon = f.reported_position(t)
    gs, trk = f.path.velocity(t)
    for k in range(1, 6):
        plat, plon = geo.destination(lat, lon, trk, gs / 1.9438444924406046 * 60 * minutes * k / 5)
        if svzm().contains(plat, plon):
            return True
    return False


@pytest.mark.parametrize("callsign", sorted(FLIGHTS))
def test_boundary_avoidance_only_for_unknown_routes_heading_in(callsign: str) -> None:
    """A flight without a known route whose 10-minute projection enters SVZM while it stays
    out is labelled boundary_avoidance; other unknown-route flights never head in."""
    f = next(x for x in scn().flights if x.callsign == callsign)
    labelled = labels_of(f.hex, "boundary_avoidance")
    if f.route_known:
        assert not labelled
        return
    heading_in = [t for t, _, _ in airborne_fixes(f) if _projects_into_svzm(f, t)]
    if labelled:
        lab = labelled[0]
        assert heading_in, f"{callsign} never heads into SVZM"
        assert lab.start.timestamp() - TOL_S <= heading_in[0] <= lab.end.timestamp()
    else:
        assert not heading_in, f"{callsign} heads into SVZM at {heading_in[:3]} unlabelled"


def test_turnback_reverses_more_than_150_degrees_near_svzm() -> None:
    (lab,) = [x for x in scn().labels if x.kind == "turnback"]
    f = next(x for x in scn().flights if x.hex == lab.subjects[0])
    _, before = f.path.velocity(lab.start.timestamp() - 60)
    _, after = f.path.velocity(lab.end.timestamp() + 60)
    assert abs((after - before + 180.0) % 360.0 - 180.0) > 150.0
    lat, lon = f.path.position(lab.start.timestamp())
    assert MARGIN_KM < svzm().signed_km(lat, lon) < 200.0


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
    by_role: dict[str, list[Flight]] = defaultdict(list)
    for f in scn().flights:
        by_role[f.role].append(f)
    for f in by_role["incursion"]:
        lab = labels_of(f.hex, "incursion")[0]
        mid = (lab.start.timestamp() + lab.end.timestamp()) / 2
        assert ref.contains(*f.path.position(mid)), f.callsign
    for f in by_role["boundary_avoidance"] + by_role["reroute"]:
        assert all(ref.signed_km(lat, lon) > MARGIN_KM for _, lat, lon in airborne_fixes(f))
    assert math.isfinite(ref.signed_km(10.6, -67.0))


def _chord_min_km(area: Area, a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(area.signed_km(*geo.interpolate(*a, *b, k / 40)) for k in range(41))


def test_gaps_do_not_hide_a_crossing() -> None:
    """The straight line between the fixes either side of a dropout (what a geofence sees
    for sparse fixes) stays 30 km outside SVZM, so a dropout is never also a crossing."""
    s = scn()
    for f in s.flights:
        for iv in f.silent:
            a = f.reported_position(iv.start_s - 1)
            b = f.reported_position(iv.end_s)
            assert _chord_min_km(svzm(), a, b) > MARGIN_KM, f.callsign


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
