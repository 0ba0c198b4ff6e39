"""Rerouting around restricted airspace: reroute, boundary avoidance, turnback, diversion.

One detector, one compact state per flight near restricted airspace, four incident kinds:

``reroute`` (the flight's route is known)
    The great circle from origin to destination (WGS84 geodesic, densified) runs through an
    active closed / prohibited / advisory zone for at least ``min_crossing_km``, neither
    end of the route lies in or next to that zone (then the flight is going *to* it), and
    the flight is seen abeam of the zone's stretch of the great circle, outside the zone,
    at least ``min_deviation_km`` off the great circle, on ``confirm_fixes`` fixes. The
    incident carries what a dispatcher asks: the route, where the flight left its
    great-circle track, the FIRs it flew instead, the extra distance (km) and time against
    the great circle. Extra distance = (shortest way around the zones from the origin to
    the first fix seen) + (distance flown since) + (shortest way around from the last fix
    to the destination) - great circle; extra time = extra distance at the flight's
    observed cruise speed. Updated every ``update_every_s``; closed when the flight is
    ``close_beyond_km`` past the zone along its route, lands, or is not heard for
    ``lost_after_s``.
``boundary_avoidance`` (no known route)
    The straight-ahead path (track and ground speed) would enter a zone within
    ``lookahead_s`` and run ``min_penetration_km`` inside; then the flight turns by at
    least ``min_turn_deg`` (away, or to run along the boundary), its path no longer
    enters, and it stays out for ``confirm_clear_s``. Later avoidances by the same flight
    within ``avoidance_episode_gap_s`` update the same incident.
``turnback``
    A course reversal of at least ``turnback_min_deg`` (legs of at least
    ``turnback_min_leg_km`` each, within ``turnback_window_s``) whose pivot is inside or
    within ``turnback_near_km`` of a zone, at or above ``turnback_min_altitude_ft``.
    Military aircraft (which fly orbits and patrol boundaries) are left out of turnbacks
    and boundary avoidance unless configured otherwise.
``diversion`` (the route is known)
    The flight lands (a ground fix after being airborne, or its last fix was on an approach
    to an airport and it fell silent for ``landing_silence_s``) at least
    ``diversion_min_km`` from its destination, within ``diversion_near_km`` of a zone.

The route source is the ``routes`` constructor argument or ``MonitorState.extra["routes"]``
(see :mod:`monitor.detectors.aviation.routes`). The numbers of a reroute are computed in
:mod:`~monitor.detectors.aviation.rerouting`, the other incidents shaped in
:mod:`~monitor.detectors.aviation.events`, the per-flight state is
:class:`~monitor.detectors.aviation.flight.FlightState`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from monitor.detectors.aviation.airports import DEFAULT_REGION, AirportIndex, region_airports
from monitor.detectors.aviation.common import (
    Airspace,
    AirspaceCache,
    airborne,
    angle_diff_deg,
    coords,
    haversine_km,
    is_restricted,
)
from monitor.detectors.aviation.detour import Obstacle
from monitor.detectors.aviation.events import (
    avoidance_change,
    avoidance_close,
    diversion_changes,
    turnback_changes,
)
from monitor.detectors.aviation.flight import NAN, FlightState, PathRing, Plan, Threat
from monitor.detectors.aviation.manoeuvres import (
    Entry,
    Reversal,
    could_reverse,
    find_reversal,
    projected_entries,
)
from monitor.detectors.aviation.rerouting import make_plan, reroute_change
from monitor.detectors.aviation.routes import STATE_KEY, RouteLookup, as_lookup
from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    IncidentChange,
    IncidentKind,
    Observation,
    SubjectKind,
    ZoneKind,
    ZoneVersion,
)
from monitor.timeutil import utc_from_epoch_s
from monitor.units import KM_PER_NM

log = logging.getLogger(__name__)

KINDS = (
    IncidentKind.REROUTE,
    IncidentKind.BOUNDARY_AVOIDANCE,
    IncidentKind.TURNBACK,
    IncidentKind.DIVERSION,
)


@dataclass(frozen=True)
class RerouteConfig:
    """Thresholds of :class:`RerouteDetector`.

    Which flights
        ``min_airborne_altitude_ft`` (300): below it, with no on-ground flag, an aircraft
        is on the ground (as for incursions). ``watch_radius_km`` (1000): flights farther
        than this from every restricted zone are not followed (the reroutes around SVZM
        seen in 2025 ran within a few hundred km of it, via Piarco, Curaçao and Bogotá).
        ``fix_interval_s`` (60): a flight is analysed, and a point of its track kept, at
        most once per this; the fixes in between are only remembered (ground fixes are
        always analysed). Detours, turns and approaches take minutes, while ADS-B feeds
        report every 1-15 s.
    Reroute
        ``route_step_km`` (25): vertex spacing of the densified geodesic route.
        ``min_crossing_km`` (50): the great circle must run this far inside a zone for the
        flight to have "planned to cross" it (clipping a corner is not a plan).
        ``endpoint_clearance_km`` (10): a route starting or ending inside a zone, or so
        close to it (within this) that its approach must enter, goes *to* the zone; it is
        not rerouted around it. Kept small on purpose: Curaçao (TNCC) is 36 km and
        Piarco (TTPP) 51 km from the SVZM boundary, and flights to them are rerouted.
        ``left_track_km`` (25): cross-track distance that counts as off the great circle
        (airway routing stays well within this of the great circle over ~1,000 km legs).
        ``min_deviation_km`` (40): off-track distance needed abeam the zone.
        ``confirm_fixes`` (2): fixes abeam, outside and off-track before raising.
        ``update_every_s`` (600): updates (new extra distance, FIRs, track) at most this
        often. ``close_beyond_km`` (150): closes once this far past the zone along the
        route. ``clearance_km`` (10): margin kept from the zone by the "way around".
        ``default_cruise_kt`` (460): typical jet cruise, used until the flight's own speed
        at or above ``cruise_min_altitude_ft`` (20,000) is known. ``route_recheck_s``
        (1800): a route answer is kept this long per flight; ``route_retry_s`` (120): a
        flight without one asks again this often (the live routeset lookup fills the
        route book while the flight is followed). A route its source judged implausible
        (``plausible`` False: the flight's position does not fit it) is never used to
        claim a detour or a diversion; the flight is judged as one without a route.
    Boundary avoidance (no known route: the flight's own heading history decides)
        ``lookahead_s`` (900: "would enter within 15 minutes"), sampled every
        ``projection_step_s`` (60). ``min_penetration_km`` (20): the projected path must
        go this deep (not just clip a corner). ``avoidance_min_altitude_ft`` (20,000):
        an avoidance is flown at cruise; climbs, descents and terminal-area vectoring
        below it turn for other reasons. ``min_ground_speed_kt`` (120).
        ``straight_tolerance_deg`` (10) and ``min_straight_s`` (480): before turning, the
        flight held the heading that pointed in, within the tolerance, for at least this
        long (a straight leg aimed at the zone, not a bend of an airway near it).
        ``min_turn_deg`` (40): heading change away from that heading (airway bends are
        mostly 10-35°). ``confirm_clear_s`` (600): it then stays out, level within
        ``max_level_change_ft`` (2000) of its altitude at the threat, without its path
        pointing in again, this long. Measured on 17 h of real traffic over Switzerland
        (842 aircraft, 2018-08-01, four synthetic closed areas laid over it) the earlier
        thresholds (10,000 ft, 20°, 180 s, no straightness) gave 81 false avoidances and
        turnbacks per 1,000 flight-hours. The incident says how sure it is
        (``confidence`` 0-1 and ``confidence_basis``).
        ``avoidance_episode_gap_s`` (1200): later avoidances within this update the
        same incident; without any, it closes.
    Turnback
        ``turnback_min_deg`` (150, the issue's anchor), ``turnback_min_leg_km`` (25: a
        holding leg is 1-1.5 min, about 10-20 km), ``turnback_window_s`` (1500),
        ``turnback_near_km`` (200), ``turnback_min_altitude_ft`` (8000: departures and
        approaches turn lower), ``turnback_cooldown_s`` (3600).
        ``turnback_max_level_change_ft`` (3000): below ``cruise_min_altitude_ft``, a
        reversal whose window climbs or descends more than this is terminal-area
        vectoring (arrivals turning downwind to final at 8,500-11,000 ft around Paris CDG
        were turnbacks before). The reversal must show in the positions, not only in the
        reported tracks (:func:`~monitor.detectors.aviation.manoeuvres.find_reversal`).
        ``ignore_military`` (True): military aircraft are left out of boundary avoidance
        and turnbacks: patrols, tankers and surveillance drones fly racetracks along
        boundaries on purpose (they are reported by the military-presence detector).
    Diversion
        ``diversion_min_km`` (30: another airport, not another runway),
        ``diversion_near_km`` (400), ``landing_silence_s`` (300: silence after an
        approach fix that counts as landed).
    Bookkeeping
        Track points (one per analysed fix) are kept over the turnback window; an
        incident's track gets them as they come.
        ``lost_after_s`` (1200): an open reroute / avoidance closes when the flight is
        not heard for this long. ``forget_after_s`` (7200): per-flight state is dropped.
        ``airport_region`` (min_lon, min_lat, max_lon, max_lat): airports considered.
    """

    min_airborne_altitude_ft: float = 300.0
    watch_radius_km: float = 1000.0
    fix_interval_s: float = 60.0
    route_step_km: float = 25.0
    min_crossing_km: float = 50.0
    endpoint_clearance_km: float = 10.0
    left_track_km: float = 25.0
    min_deviation_km: float = 40.0
    confirm_fixes: int = 2
    update_every_s: float = 600.0
    close_beyond_km: float = 150.0
    clearance_km: float = 10.0
    default_cruise_kt: float = 460.0
    cruise_min_altitude_ft: float = 20000.0
    route_recheck_s: float = 1800.0
    route_retry_s: float = 120.0
    lookahead_s: float = 900.0
    projection_step_s: float = 60.0
    min_penetration_km: float = 20.0
    avoidance_min_altitude_ft: float = 20000.0
    min_ground_speed_kt: float = 120.0
    min_turn_deg: float = 40.0
    confirm_clear_s: float = 600.0
    straight_tolerance_deg: float = 10.0
    min_straight_s: float = 480.0
    max_level_change_ft: float = 2000.0
    avoidance_episode_gap_s: float = 1200.0
    turnback_min_deg: float = 150.0
    turnback_min_leg_km: float = 25.0
    turnback_window_s: float = 1500.0
    turnback_near_km: float = 200.0
    turnback_min_altitude_ft: float = 8000.0
    turnback_cooldown_s: float = 3600.0
    turnback_max_level_change_ft: float = 3000.0
    ignore_military: bool = True
    diversion_min_km: float = 30.0
    diversion_near_km: float = 400.0
    landing_silence_s: float = 300.0
    lost_after_s: float = 1200.0
    forget_after_s: float = 7200.0
    airport_region: tuple[float, float, float, float] = DEFAULT_REGION


class RerouteDetector(Detector):
    name = "reroute"
    kinds = KINDS

    def __init__(
        self,
        config: RerouteConfig | None = None,
        *,
        routes: object | None = None,
        airports: AirportIndex | None = None,
    ) -> None:
        self.config = config or RerouteConfig()
        self._routes = as_lookup(routes)
        self._airports = airports
        self._airspace = AirspaceCache()
        self._flights: dict[str, FlightState] = {}
        self._plans: dict[tuple[Any, ...], Plan | None] = {}
        self._obstacles: dict[frozenset[str], Obstacle] = {}
        self._keys: set[str] = set()
        self._last_sweep_s = float("-inf")
        cfg = self.config
        self._avoid_reach_km = cfg.lookahead_s / 3600.0 * 650.0 * KM_PER_NM
        #: a reversal is found once its outbound leg is long enough: the aircraft is then
        #: within this of a zone if the pivot was near one (leg plus two sample spacings)
        self._turnback_reach_km = cfg.turnback_near_km + cfg.turnback_min_leg_km + 2 * (
            cfg.fix_interval_s / 3600.0 * 650.0 * KM_PER_NM
        ) + 50.0
        #: track points kept per flight: the turnback window, plus a few
        self._path_len = int(cfg.turnback_window_s // cfg.fix_interval_s) + 3

    # --- plumbing ------------------------------------------------------------------------

    @property
    def airports(self) -> AirportIndex:
        if self._airports is None:
            self._airports = region_airports(tuple(self.config.airport_region))
        return self._airports

    def flights_tracked(self) -> int:
        """How many flights the detector holds state for (memory check)."""
        return len(self._flights)

    def _lookup(self, state: MonitorState) -> RouteLookup | None:
        if self._routes is not None:
            return self._routes
        return as_lookup(state.extra.get(STATE_KEY))

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        changes: list[IncidentChange] = []
        airspace = self._airspace.at(state.zones, now)
        lookup = self._lookup(state)
        obs_list = batch.observations
        idx = [i for i, o in enumerate(obs_list) if o.subject_kind is SubjectKind.AIRCRAFT]
        avoid: list[tuple[FlightState, Observation]] = []
        flights = self._flights
        if idx and (flights or not airspace.empty):
            # only aircraft not followed yet need the (vectorised) "near a zone?" test
            new = [i for i in idx if obs_list[i].subject_id not in flights]
            near: set[int] = set()
            if new and not airspace.empty:
                lons, lats = coords([obs_list[i] for i in new])
                mask = airspace.near_mask(cfg.watch_radius_km, lons, lats)
                near = {i for i, m in zip(new, mask, strict=True) if m}
            every = cfg.fix_interval_s
            todo: list[tuple[FlightState, Observation, int, float]] = []
            between: dict[str, Observation] = {}
            for i in idx:
                obs = obs_list[i]
                f = flights.get(obs.subject_id)
                if f is None:
                    if i not in near:
                        continue
                    f = flights[obs.subject_id] = FlightState(
                        obs.subject_id, obs, float("-inf"), path=PathRing(self._path_len)
                    )
                t = obs.t_s
                if t <= f.seen_t:
                    continue
                f.seen_t = t
                if t - f.checked_t < every and obs.on_ground is not True:
                    between[f.hex] = obs  # between checks: only remember the fix
                    continue
                f.checked_t = t
                todo.append((f, obs, i, t))
            if todo:
                near_avoid, near_turn = self._near_masks(airspace, [o for _, o, _, _ in todo])
                for n, (f, obs, i, t) in enumerate(todo):
                    zones = batch.geofence.zones_of(i)
                    if self._fix(
                        f, obs, t, zones, airspace, lookup, state, changes,
                        near_avoid=bool(near_avoid[n]), near_turn=bool(near_turn[n]),
                    ):
                        avoid.append((f, obs))
            for hex_id, obs in between.items():
                f = flights[hex_id]
                t = obs.t_s
                if t > f.last_t:
                    f.last, f.last_t = obs, t
        if avoid:
            self._avoidance(avoid, airspace, state, changes)
        now_s = now.timestamp()
        if now_s - self._last_sweep_s >= 60.0:
            self._last_sweep_s = now_s
            self._sweep(now_s, airspace, state, changes)
        return changes

    def _near_masks(
        self, airspace: Airspace, obs: list[Observation]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Which fixes are within reach of a zone for avoidance and for turnbacks."""
        lons, lats = coords(obs)
        return (
            airspace.near_mask(self._avoid_reach_km, lons, lats),
            airspace.near_mask(self._turnback_reach_km, lons, lats),
        )

    # --- one fix -----------------------------------------------------------------------------

    def _fix(
        self,
        f: FlightState,
        obs: Observation,
        t: float,
        zones: tuple[ZoneVersion, ...],
        airspace: Airspace,
        lookup: RouteLookup | None,
        state: MonitorState,
        changes: list[IncidentChange],
        *,
        near_avoid: bool,
        near_turn: bool,
    ) -> bool:
        """Follow one (checked) fix; True when it is a boundary-avoidance candidate.

        ``near_avoid`` / ``near_turn``: whether the fix is within reach of a zone for the
        look-ahead and for a turnback (computed for the whole batch at once)."""
        cfg = self.config
        f.last, f.last_t = obs, t
        inside: ZoneVersion | None = None
        for z in zones:
            if z.kind is ZoneKind.FIR:
                if z.zone_id not in f.firs:
                    f.firs[z.zone_id] = z.name
            elif is_restricted(z):
                inside = z
                f.entered.add(z.zone_id)
        if not airborne(obs, cfg.min_airborne_altitude_ft):
            if f.airborne:
                f.airborne = False
                self._landed(f, obs, airspace, state, changes)
            return False
        f.airborne = True
        f.landing_checked = False
        if f.first is None:
            f.first = (t, obs.lat, obs.lon)
        else:
            f.flown_km += haversine_km(f.km_lat, f.km_lon, obs.lat, obs.lon)
        f.km_lat, f.km_lon = obs.lat, obs.lon
        alt = obs.altitude_ft
        if alt is not None and alt >= cfg.cruise_min_altitude_ft and obs.ground_speed_kt:
            f.gs_sum += obs.ground_speed_kt
            f.gs_n += 1
        f.path.append((
            t, obs.lat, obs.lon,
            alt if alt is not None else NAN,
            obs.track_deg if obs.track_deg is not None else NAN,
        ))
        callsign = obs.callsign
        if lookup is not None and callsign and (
            f.route_at is None
            or t - f.route_at >= (cfg.route_recheck_s if f.route is not None else cfg.route_retry_s)
        ):
            f.route_at = t
            route = lookup(callsign.strip(), obs.time)
            if route is not None and getattr(route, "plausible", None) is False:
                # the source itself says the position does not fit the route: never a
                # detour claim on it; the flight is judged as one without a route
                f.route, f.route_rejected = None, f"{route.origin.icao}-{route.destination.icao} implausible ({route.source})"
            else:
                f.route, f.route_rejected = route, None
        candidate = False
        if f.route is not None:
            plan = self._plan_for(f, airspace)
            if plan is not None:
                self._reroute_fix(f, obs, plan, inside, state, changes)
        else:
            candidate = self._avoidance_candidate(f, obs, inside, airspace, near_avoid)
        if near_turn and t >= f.turnback_until:
            self._turnback_check(f, obs, airspace, state, changes)
        return candidate

    # --- reroute -------------------------------------------------------------------------------

    def _plan_for(self, f: FlightState, airspace: Airspace) -> Plan | None:
        route = f.route
        if route is None or airspace.empty:
            return None
        o, d = route.origin, route.destination
        key = (o.icao, d.icao, round(o.lat, 4), round(o.lon, 4), round(d.lat, 4), round(d.lon, 4), airspace.key)
        if f.plan_key == key:
            return f.plan
        if key not in self._plans:
            if len(self._plans) > 5000:
                self._plans.clear()
            cfg = self.config
            plan = self._plans[key] = make_plan(
                route, airspace, step_km=cfg.route_step_km,
                min_crossing_km=cfg.min_crossing_km,
                endpoint_clearance_km=cfg.endpoint_clearance_km,
            )
            if plan is not None:
                log.debug(
                    "route %s-%s: great circle crosses %s for %.0f km",
                    route.origin.icao, route.destination.icao,
                    ",".join(sorted(plan.zone_ids)), plan.inside_km,
                )
        f.plan_key, f.plan = key, self._plans[key]
        return f.plan

    def _reroute_fix(
        self,
        f: FlightState,
        obs: Observation,
        plan: Plan,
        inside: ZoneVersion | None,
        state: MonitorState,
        changes: list[IncidentChange],
    ) -> None:
        cfg = self.config
        t = obs.t_s
        xt, along = plan.gc.offsets_km(obs.lat, obs.lon)
        dev = abs(xt)
        f.dev_km = dev
        here = (t, obs.lat, obs.lon)
        if dev < cfg.left_track_km:
            f.on_track, f.off_start = here, None
        elif f.off_start is None:
            f.off_start, f.left_track = here, f.on_track
        entered = bool(f.entered & plan.zone_ids)
        if f.reroute_key is None:
            if f.reroute_done or entered:
                f.reroute_done = True
                return
            f.max_dev_km = max(f.max_dev_km, dev)
            abeam = plan.entry_along_km <= along <= plan.exit_along_km
            if abeam and dev >= cfg.min_deviation_km and inside is None:
                f.abeam_hits += 1
            if f.abeam_hits >= cfg.confirm_fixes:
                start = f.off_start or here
                f.reroute_key = f"reroute:{f.hex}:{plan.zones[0].zone_id}:{iso_key(utc_from_epoch_s(start[0]))}"
                self._keys.add(f.reroute_key)
                f.reroute_updated_t = t
                changes.append(self._reroute_change(ChangeAction.OPEN, f, plan, dev, start[0]))
            return
        f.max_dev_km = max(f.max_dev_km, dev)
        if entered:
            changes.append(self._reroute_close(f, plan, dev, "entered_zone"))
            return
        if along > plan.exit_along_km + cfg.close_beyond_km:
            changes.append(self._reroute_close(f, plan, dev, "past_zone"))
            return
        if t - f.reroute_updated_t >= cfg.update_every_s:
            f.reroute_updated_t = t
            changes.append(self._reroute_change(ChangeAction.UPDATE, f, plan, dev, t))

    def _reroute_close(self, f: FlightState, plan: Plan, dev: float, because: str) -> IncidentChange:
        ch = self._reroute_change(ChangeAction.CLOSE, f, plan, dev, f.last_t, because=because)
        if f.reroute_key is not None:
            self._keys.discard(f.reroute_key)
        f.reroute_key = None
        f.reroute_done = True
        return ch

    def _obstacle(self, plan: Plan) -> Obstacle:
        key = frozenset(z.key for z in plan.zones)
        ob = self._obstacles.get(key)
        if ob is None:
            if len(self._obstacles) > 64:
                self._obstacles.clear()
            ob = self._obstacles[key] = Obstacle(
                [z.geometry for z in plan.zones], clearance_km=self.config.clearance_km
            )
        return ob

    def _reroute_change(
        self,
        action: ChangeAction,
        f: FlightState,
        plan: Plan,
        dev: float,
        at_s: float,
        *,
        because: str | None = None,
    ) -> IncidentChange:
        return reroute_change(
            action, f, plan, dev, at_s, obstacle=self._obstacle(plan),
            default_cruise_kt=self.config.default_cruise_kt, because=because,
        )

    # --- boundary avoidance -------------------------------------------------------------------

    def _avoidance_candidate(
        self,
        f: FlightState,
        obs: Observation,
        inside: ZoneVersion | None,
        airspace: Airspace,
        near: bool,
    ) -> bool:
        """Whether a fix (of a flight without a known route) needs the look-ahead."""
        cfg = self.config
        if inside is not None or airspace.empty or (cfg.ignore_military and obs.military):
            f.threat = None
            return False
        track, gs, alt = obs.track_deg, obs.ground_speed_kt, obs.altitude_ft
        if track is None or gs is None or gs < cfg.min_ground_speed_kt:
            return False
        if alt is None or alt < cfg.avoidance_min_altitude_ft:
            return False
        if not near:
            f.threat = None
            return False
        return True

    def _avoidance(
        self,
        todo: list[tuple[FlightState, Observation]],
        airspace: Airspace,
        state: MonitorState,
        changes: list[IncidentChange],
    ) -> None:
        cfg = self.config
        obs_list = [o for _, o in todo]
        entries = projected_entries(
            airspace,
            np.array([o.lat for o in obs_list]),
            np.array([o.lon for o in obs_list]),
            np.array([o.track_deg for o in obs_list], dtype=float),
            np.array([o.ground_speed_kt for o in obs_list], dtype=float),
            lookahead_s=cfg.lookahead_s,
            step_s=cfg.projection_step_s,
        )
        for (f, obs), entry in zip(todo, entries, strict=True):
            self._avoidance_step(f, obs, entry, state, changes)

    def _avoidance_step(
        self,
        f: FlightState,
        obs: Observation,
        entry: Entry | None,
        state: MonitorState,
        changes: list[IncidentChange],
    ) -> None:
        cfg = self.config
        t = f.last_t
        track = obs.track_deg
        assert track is not None
        alt = obs.altitude_ft if obs.altitude_ft is not None else NAN
        if entry is not None and entry.penetration_km >= cfg.min_penetration_km:
            threat = f.threat
            if threat is None:
                f.threat = Threat(
                    t, obs.lat, obs.lon, track, entry.zone, entry.time_to_entry_s,
                    entry.penetration_km, alt, self._straight_since(f, track, t), t,
                )
            elif angle_diff_deg(track, threat.track_deg) <= cfg.straight_tolerance_deg:
                threat.straight_to_t = t
            f.clear_since = None
            return
        threat = f.threat
        if threat is None:
            return
        turned = angle_diff_deg(track, threat.track_deg)
        threat.max_turn_deg = max(threat.max_turn_deg, turned)
        if turned < cfg.min_turn_deg:
            if t - threat.t_s > cfg.lookahead_s:
                f.threat = None
            return
        if not abs(alt - threat.altitude_ft) <= cfg.max_level_change_ft:  # nan: unknown
            f.threat, f.clear_since = None, None  # climbing or descending: not at cruise
            return
        if f.clear_since is None:
            f.clear_since = t
        if t - f.clear_since < cfg.confirm_clear_s:
            return
        f.threat = None
        if turned >= cfg.turnback_min_deg:
            return  # a course reversal: reported as a turnback
        if threat.straight_s < cfg.min_straight_s:
            log.debug(
                "%s: turned %.0f° from %s after a straight leg of %.0f s only: not avoidance",
                f.hex, turned, threat.zone.zone_id, threat.straight_s,
            )
            return
        confidence, basis = self._avoidance_confidence(f, threat, turned, t - f.clear_since)
        f.avoid_last_t = t
        f.avoid_count += 1
        dist_km = state.zones.distance_to_boundary_m(obs.lon, obs.lat, threat.zone) / 1000.0
        zone = threat.zone
        if f.avoid_key is None:
            f.avoid_key = f"boundary_avoidance:{f.hex}:{zone.zone_id}:{iso_key(utc_from_epoch_s(threat.t_s))}"
            f.avoid_zone = zone
            self._keys.add(f.avoid_key)
            action, at_s = ChangeAction.OPEN, threat.t_s
        else:
            action, at_s = ChangeAction.UPDATE, t
        change = avoidance_change(
            action, f.avoid_key, f, obs, threat, turned, dist_km, at_s,
            confidence=confidence, basis=basis,
        )
        f.avoid_details = change.details
        changes.append(change)

    def _straight_since(self, f: FlightState, track: float, t: float) -> float:
        """Since when the flight has held ``track`` (within the tolerance), read back
        along its kept path without gaps longer than three fix intervals."""
        cfg = self.config
        since = t
        for k in range(len(f.path) - 1, -1, -1):
            pt, _, _, _, ptrack = f.path[k]
            if pt > t:
                continue
            if since - pt > 3 * cfg.fix_interval_s or math.isnan(ptrack):
                break
            if angle_diff_deg(ptrack, track) > cfg.straight_tolerance_deg:
                break
            since = pt
        return since

    def _avoidance_confidence(
        self, f: FlightState, threat: Threat, turned: float, clear_s: float
    ) -> tuple[float, list[str]]:
        """How sure the avoidance is (0-1), and on what: the length of the straight leg
        aimed at the zone, the size of the turn, how long it has kept out, and whether a
        route was known but judged implausible (no route at all caps it at 0.9)."""
        cfg = self.config
        straight = min(1.0, threat.straight_s / (2 * max(cfg.min_straight_s, 60.0)))
        turn = min(1.0, max(0.0, (turned - cfg.min_turn_deg) / 50.0 + 0.5))
        kept = min(1.0, clear_s / (2 * max(cfg.confirm_clear_s, 60.0)) + 0.5)
        score = 0.9 * (0.4 * straight + 0.35 * turn + 0.25 * kept)
        basis = [
            f"straight leg aimed at {threat.zone.zone_id} for {threat.straight_s / 60:.0f} min",
            f"turned {turned:.0f}° away",
            f"kept out, level, for {clear_s / 60:.0f} min",
            "no known route" if f.route_rejected is None else f"route {f.route_rejected}",
        ]
        return round(score, 2), basis

    # --- turnback ------------------------------------------------------------------------------

    def _turnback_check(
        self,
        f: FlightState,
        obs: Observation,
        airspace: Airspace,
        state: MonitorState,
        changes: list[IncidentChange],
    ) -> None:
        cfg = self.config
        if airspace.empty or (cfg.ignore_military and obs.military):
            return
        t = obs.t_s
        window = [p for p in f.path if p[0] >= t - cfg.turnback_window_s]
        if len(window) < 3 or not could_reverse([p[4] for p in window], cfg.turnback_min_deg):
            return
        rev = find_reversal(
            [(p[0], p[1], p[2], p[4]) for p in window],
            min_leg_km=cfg.turnback_min_leg_km,
            min_reversal_deg=cfg.turnback_min_deg,
        )
        if rev is None:
            return
        pt, plat, plon, palt, _ = window[rev.pivot_index]
        if not palt >= cfg.turnback_min_altitude_ft:  # also false for nan (unknown)
            return
        if palt < cfg.cruise_min_altitude_ft:
            # below cruise, a reversal while climbing or descending is terminal-area
            # vectoring (downwind to final), not a turn back from a zone
            alts = [p[3] for p in window if not math.isnan(p[3])]
            if alts and max(alts) - min(alts) > cfg.turnback_max_level_change_ft:
                return
        zone, dist_km = self._nearest_zone(airspace, state, plat, plon)
        if zone is None or dist_km > cfg.turnback_near_km:
            return
        f.turnback_until = t + cfg.turnback_cooldown_s
        while f.path and f.path[0][0] < pt:
            f.path.popleft()
        key = f"turnback:{f.hex}:{iso_key(utc_from_epoch_s(pt))}"
        confidence, basis = self._turnback_confidence(f, rev, palt, dist_km)
        changes.extend(
            turnback_changes(
                key, f, obs, rev, window[rev.pivot_index], zone, dist_km, window,
                confidence=confidence, basis=basis,
            )
        )

    def _turnback_confidence(
        self, f: FlightState, rev: Reversal, altitude_ft: float, dist_km: float
    ) -> tuple[float, list[str]]:
        """How sure a turnback is (0-1): the reversal seen in the positions as well as in
        the reported tracks, at cruise, close to the zone, and a known route whose
        destination lay beyond the turn."""
        cfg = self.config
        chord = rev.chord_reversal_deg
        geometric = 0.0 if math.isnan(chord) else min(1.0, max(0.0, (chord - 90.0) / 60.0))
        cruise = 1.0 if altitude_ft >= cfg.cruise_min_altitude_ft else 0.5
        near = 1.0 - min(1.0, dist_km / cfg.turnback_near_km) * 0.5
        routed = 1.0 if f.route is not None else 0.8
        score = (0.45 * geometric + 0.2 * cruise + 0.35 * near) * routed
        basis = [
            f"reversal {rev.reversal_deg:.0f}° in the reported tracks, "
            f"{'?' if math.isnan(chord) else f'{chord:.0f}'}° in the positions",
            f"pivot at {altitude_ft:.0f} ft",
            f"{dist_km:.0f} km from the zone",
            "route known" if f.route is not None else "no known route",
        ]
        return round(score, 2), basis

    def _nearest_zone(
        self, airspace: Airspace, state: MonitorState, lat: float, lon: float
    ) -> tuple[ZoneVersion | None, float]:
        best: ZoneVersion | None = None
        best_km = float("inf")
        near = airspace.near(self.config.turnback_near_km)
        if near is None or not shapely.contains_xy(near, lon, lat):
            return None, best_km
        for z in airspace.zones:
            if shapely.contains_xy(z.geometry, lon, lat):
                return z, 0.0
            d = state.zones.distance_to_boundary_m(lon, lat, z) / 1000.0
            if d < best_km:
                best, best_km = z, d
        return best, best_km

    # --- landing, diversion ------------------------------------------------------------------

    def _landed(
        self,
        f: FlightState,
        obs: Observation,
        airspace: Airspace,
        state: MonitorState,
        changes: list[IncidentChange],
        *,
        inferred: bool = False,
    ) -> None:
        f.landing_checked = True
        if f.reroute_key is not None and f.plan is not None:
            changes.append(self._reroute_close(f, f.plan, f.dev_km, "landed"))
        route = f.route
        if route is None or airspace.empty:
            return
        cfg = self.config
        landing = self.airports.landing_at(
            obs.lat, obs.lon, obs.altitude_ft, on_ground=not inferred,
        )
        if inferred and landing is None:
            return
        lat, lon = (landing.airport.lat, landing.airport.lon) if landing else (obs.lat, obs.lon)
        dest = route.destination
        off_km = haversine_km(lat, lon, dest.lat, dest.lon)
        if off_km < cfg.diversion_min_km:
            return
        near = airspace.near(cfg.diversion_near_km)
        if near is None or not shapely.contains_xy(near, lon, lat):
            return
        zone, dist_km = None, float("inf")
        for z in airspace.zones:
            d = 0.0 if shapely.contains_xy(z.geometry, lon, lat) else (
                state.zones.distance_to_boundary_m(lon, lat, z) / 1000.0
            )
            if d < dist_km:
                zone, dist_km = z, d
        assert zone is not None
        key = f"diversion:{f.hex}:{iso_key(obs.time)}"
        changes.extend(
            diversion_changes(key, f, obs, route, landing, (lat, lon), off_km, zone, dist_km, inferred)
        )

    # --- time passing ----------------------------------------------------------------------

    def _sweep(
        self, now_s: float, airspace: Airspace, state: MonitorState, changes: list[IncidentChange]
    ) -> None:
        cfg = self.config
        gone = []
        for hex_id, f in self._flights.items():
            silent = now_s - f.last_t
            if f.avoid_key is not None and (
                now_s - f.avoid_last_t >= cfg.avoidance_episode_gap_s or silent >= cfg.lost_after_s
            ):
                changes.append(self._avoid_close(f))
            if f.airborne and not f.landing_checked and silent >= cfg.landing_silence_s:
                f.landing_checked = True
                if self.airports.landing_at(
                    f.last.lat, f.last.lon, f.last.altitude_ft, on_ground=False
                ) is not None:
                    f.airborne = False
                    self._landed(f, f.last, airspace, state, changes, inferred=True)
            if f.reroute_key is not None and f.plan is not None and silent >= cfg.lost_after_s:
                changes.append(self._reroute_close(f, f.plan, f.dev_km, "lost_contact"))
            if silent >= cfg.forget_after_s:
                gone.append(hex_id)
        for hex_id in gone:
            del self._flights[hex_id]
        self._close_orphans(now_s, state, changes)

    def _avoid_close(self, f: FlightState) -> IncidentChange:
        assert f.avoid_key is not None
        self._keys.discard(f.avoid_key)
        ch = avoidance_close(f.avoid_key, f)
        f.avoid_key, f.avoid_details = None, None
        return ch

    def _close_orphans(self, now_s: float, state: MonitorState, changes: list[IncidentChange]) -> None:
        """Close open reroutes / avoidances this instance does not follow (after a restart)."""
        for kind in (IncidentKind.REROUTE, IncidentKind.BOUNDARY_AVOIDANCE):
            for inc in list(state.open.of_kind(kind)):
                if inc.dedupe_key in self._keys:
                    continue
                last = state.tracks.last(("aircraft", inc.subject_id or ""))
                last_t = last.time if last is not None else inc.last_seen_at
                if now_s - last_t.timestamp() < self.config.lost_after_s:
                    continue
                changes.append(
                    IncidentChange(
                        action=ChangeAction.CLOSE,
                        dedupe_key=inc.dedupe_key,
                        kind=kind,
                        severity=inc.severity,
                        at=last_t,
                        summary=f"{kind.value} of {inc.subject_id} ended (contact lost)",
                        subject_kind="aircraft",
                        subject_id=inc.subject_id,
                        zone_id=inc.zone_id,
                        details={**inc.details, "closed_because": "lost_contact"},
                    )
                )
