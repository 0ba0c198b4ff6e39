"""The airspace status board: per FIR, the rules in force and whom they bind, the rules that
changed in the last 24 h, the flights inside now by State of registry and by operator, the
reroutes of the last 24 h; and the traffic by operator against a baseline.

``GET /api/status?at=``, ``GET /api/stats/operators`` (JSON) and
``GET /api/stats/operators.csv``. The same board feeds ``monitor status`` and the daily
digest (:mod:`monitor.alerts.digest`), so the page, the CLI and the digest say the same.

Where the numbers come from
---------------------------
* Rules: the zone versions of kind ``closed_airspace`` / ``advisory_airspace`` (shipped,
  stored, from feeds), in force at ``at`` by :func:`monitor.domain.zone.effective_intervals`.
  A rule belongs to a FIR when its zone id is the FIR's code (``SVZM`` and ``FIR-SVZM``) or
  its outline's representative point lies in the FIR.
* Flights inside now: the live view's latest positions when the process polls feeds and the
  view holds positions near ``at``; otherwise (``monitor serve``, the CLI, a past ``at``) the
  stored positions of the 10 minutes before ``at``, the latest per aircraft.
* Reroutes: stored incidents of kind ``reroute`` started in the 24 h before ``at``, with the
  detector's ``extra_distance_km`` / ``extra_time_min`` / ``firs_used`` / ``avoided_zones``.
* Traffic by operator: the ``operator_traffic`` table (distinct flights per UTC day, FIR,
  operator, State of registry), refreshed from the stored positions of the days it lacks
  (and of the newest two days) by :class:`~monitor.detectors.aviation.operators.OperatorDayCounter`.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import orjson
import shapely
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.exc import IntegrityError

from monitor.detectors.aviation.operators import (
    WATCHED_FIRS,
    OperatorDay,
    count_positions,
    day_start,
    fir_code,
    operator_returns,
)
from monitor.domain import Observation, SubjectKind, ZoneKind, ZoneVersion
from monitor.domain.identity import AircraftIdentity
from monitor.domain.zone import ScopeKind, effective_intervals
from monitor.store import Store
from monitor.store.repository import (
    aircraft_position_span,
    aircraft_positions,
    incidents_between,
    open_incident_counts,
    operator_traffic,
    replace_operator_traffic,
)
from monitor.timeutil import utcnow
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import bad_param
from monitor.web.params import parse_time
from monitor.web.schemas import ErrorBody, OperatorTrafficStats, StatusBoard

log = logging.getLogger(__name__)

router = APIRouter()

#: the crisis baseline: the 28 days before the FAA's 21 November 2025 advisory
DEFAULT_BASELINE = (datetime.fromisoformat("2025-10-24T00:00:00+00:00"),
                    datetime.fromisoformat("2025-11-21T00:00:00+00:00"))
RECENT = timedelta(hours=24)
POSITIONS_WINDOW = timedelta(minutes=10)
RULE_KINDS = (ZoneKind.CLOSED_AIRSPACE, ZoneKind.ADVISORY_AIRSPACE)
#: the newest two days are counted again at most this often per process (they still grow)
RECOUNT_EVERY_S = 300.0
_RECOUNTED: dict[tuple[int, date], float] = {}

Identify = Callable[[Observation], AircraftIdentity]


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def default_identify() -> Identify:
    from monitor.identity.aircraft import AircraftIdentifier

    return AircraftIdentifier().identify


# --- rules ---------------------------------------------------------------------------------


def binding(v: ZoneVersion) -> bool:
    """Whether the version binds anyone (an advisory or a statement binds nobody)."""
    return v.restricts and v.binding_scope.kind is not ScopeKind.NOBODY


def rule_entry(v: ZoneVersion, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    scope = v.binding_scope
    return {
        "zone_id": v.zone_id,
        "version": v.version,
        "name": v.name,
        "kind": v.status.value,
        "binds": str(scope),
        "binds_text": scope.describe(),
        "binding": binding(v),
        "since": iso(start),
        "until": iso(end),
        "authority": v.authority,
        "sources": list(v.sources),
        "notes": v.notes,
        "confidence": v.confidence,
    }


def _firs(zones: Sequence[ZoneVersion], at: datetime) -> dict[str, ZoneVersion]:
    out: dict[str, ZoneVersion] = {}
    for v in zones:
        if v.kind is ZoneKind.FIR and v.restricts and v.valid_at(at):
            cur = out.get(fir_code(v.zone_id))
            if cur is None or v.version > cur.version:
                out[fir_code(v.zone_id)] = v
    return out


def _rule_firs(v: ZoneVersion, firs: dict[str, ZoneVersion]) -> list[str]:
    code = fir_code(v.zone_id)
    if code in firs:
        return [code]
    try:
        p = v.geometry.representative_point()
    except (AttributeError, ValueError):
        return []
    return [c for c, f in firs.items() if f.geometry.contains(p)]


def rules_at(zones: Sequence[ZoneVersion], at: datetime) -> dict[str, Any]:
    """Per FIR code: rules in force at ``at`` and changes in the 24 h before; plus the last
    binding rule that ended before ``at``."""
    firs = _firs(zones, at)
    rules = [v for v in zones if v.kind in RULE_KINDS]
    in_force: dict[str, list[dict[str, Any]]] = {c: [] for c in firs}
    changes: dict[str, list[dict[str, Any]]] = {c: [] for c in firs}
    last_ended: tuple[datetime, ZoneVersion, datetime | None] | None = None
    ended: list[tuple[datetime, ZoneVersion]] = []
    since = at - RECENT
    for v, start, end in effective_intervals(rules):
        codes = _rule_firs(v, firs)
        entry = rule_entry(v, start, end)
        entry["firs"] = codes
        started = start is None or start <= at
        if v.restricts and started and (end is None or at < end):
            for c in codes:
                in_force[c].append(entry)
        if start is not None and since < start <= at:
            change = "lifted" if not v.restricts else "took effect"
            for c in codes:
                changes[c].append({**entry, "change": change, "at": iso(start)})
        if v.restricts and end is not None and since < end <= at:
            for c in codes:
                changes[c].append({**entry, "change": "ended", "at": iso(end)})
        if binding(v) and end is not None and end <= at:
            ended.append((end, v))
            if last_ended is None or end > last_ended[0]:
                last_ended = (end, v, start)
    for lst in in_force.values():
        lst.sort(key=lambda e: (not e["binding"], e["authority"], e["since"] or ""))
    for lst in changes.values():
        lst.sort(key=lambda e: e["at"] or "", reverse=True)
    last = None
    if last_ended is not None:
        end, v, start = last_ended
        together = sorted({w.zone_id for e, w in ended if e == end and (w.authority, w.status) == (v.authority, v.status)})
        last = {**rule_entry(v, start, end), "ended_at": iso(end), "firs": _rule_firs(v, firs), "zones": together}
    return {"firs": firs, "in_force": in_force, "changes": changes, "last_binding_ended": last}


# --- flights inside now ---------------------------------------------------------------------


def current_aircraft(
    store: Store, at: datetime, live: Sequence[Observation] | None = None
) -> tuple[list[Observation], str]:
    """The latest position per aircraft near ``at`` and where it came from."""
    if live:
        recent = [o for o in live if at - POSITIONS_WINDOW <= o.time <= at + POSITIONS_WINDOW]
        if recent:
            return recent, "live view (latest positions)"
    latest: dict[str, Observation] = {}
    for t, sid, cs, lon, lat, alt in aircraft_positions(store, at - POSITIONS_WINDOW, at + timedelta(seconds=1)):
        latest[sid] = Observation(
            source="store", feed_kind="store", subject_kind=SubjectKind.AIRCRAFT, subject_id=sid,
            time=t, lat=lat, lon=lon, callsign=cs, altitude_ft=alt,
        )
    return list(latest.values()), "stored positions of the last 10 minutes"


def flights_by_fir(
    aircraft: Sequence[Observation], firs: dict[str, ZoneVersion], identify: Identify
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not aircraft:
        return {c: {"total": 0, "by_registry": [], "by_operator": []} for c in firs}
    pts = shapely.points([o.lon for o in aircraft], [o.lat for o in aircraft])
    ids = [identify(o) for o in aircraft]
    for code, fir in firs.items():
        inside = shapely.contains(fir.geometry, pts)
        reg: Counter[str] = Counter()
        ops: Counter[tuple[str, str]] = Counter()
        n = 0
        for hit, who in zip(inside.tolist(), ids, strict=True):
            if not hit:
                continue
            n += 1
            reg[who.registry_iso2 or ""] += 1
            ops[(who.operator_icao or "", who.operator_name or "")] += 1
        out[code] = {
            "total": n,
            "by_registry": [{"key": k, "label": k or "unknown", "flights": c} for k, c in reg.most_common()],
            "by_operator": [
                {"key": k, "label": (f"{name} ({k})" if name else k) or "no operator (private, military or unknown)",
                 "flights": c}
                for (k, name), c in ops.most_common()
            ],
        }
    return out


# --- reroutes and incidents ------------------------------------------------------------------


def reroutes(store: Store, at: datetime) -> list[dict[str, Any]]:
    out = []
    for r in incidents_between(store, ["reroute"], at - RECENT, at + timedelta(seconds=1)):
        d = r.details or {}
        out.append({
            "incident_id": r.id,
            "callsign": d.get("callsign") or r.subject_label,
            "route": d.get("route"),
            "avoided_zones": list(d.get("avoided_zones") or ([r.zone_id] if r.zone_id else [])),
            "firs_used": [fir_code(z) for z in d.get("firs_used") or []],
            "extra_distance_km": d.get("extra_distance_km"),
            "extra_time_min": d.get("extra_time_min"),
            "started_at": iso(r.started_at),
            "severity": r.severity,
            "summary": r.summary,
        })
    return out


def open_incidents(store: Store, at: datetime) -> dict[str, int]:
    return open_incident_counts(store, at)


# --- traffic by operator ---------------------------------------------------------------------


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days)]


def refresh_operator_traffic(
    store: Store, zones: Sequence[ZoneVersion], since: datetime, until: datetime,
    identify: Identify | None = None,
) -> int:
    """Count the days in ``[since, until)`` that the stored positions cover and the table
    lacks, and the newest two days with positions (at most every ``RECOUNT_EVERY_S`` per
    process); returns the days counted. The first day of the stored positions is never
    counted again once stored: retention may have pruned its start."""
    first, last = aircraft_position_span(store)
    if first is None or last is None:
        return 0
    lo = max(since.date(), first.date())
    hi = min(until.date(), last.date() + timedelta(days=1))
    if lo >= hi:
        return 0
    stored_days = {r[0].date() for r in operator_traffic(store, since=day_start(lo), until=day_start(hi))}
    now_s = time.monotonic()
    recent = last.date() - timedelta(days=1)
    todo = [
        d for d in _days(lo, hi)
        if d not in stored_days
        or (d >= recent and now_s - _RECOUNTED.get((id(store), d), -1e9) >= RECOUNT_EVERY_S)
    ]
    if first.date() < recent and first.date() in stored_days and first.date() in todo:
        todo.remove(first.date())  # its first positions may be pruned: keep what was counted
    if not todo:
        return 0
    ident = identify or default_identify()
    firs = {c: f.geometry for c, f in _firs(zones, day_start(todo[-1])).items()}

    def who(icao24: str, callsign: str | None) -> AircraftIdentity:
        return ident(Observation(
            source="store", feed_kind="store", subject_kind=SubjectKind.AIRCRAFT, subject_id=icao24,
            time=day_start(todo[0]), lat=0.0, lon=0.0, callsign=callsign,
        ))

    positions = aircraft_positions(store, day_start(todo[0]), day_start(todo[-1] + timedelta(days=1)))
    counter = count_positions(positions, firs, who)
    rows = [(day_start(r.day), r.zone_id, r.operator_icao, r.registry_iso2, r.flights)
            for r in counter.rows(todo)]
    for d in todo:
        _RECOUNTED[(id(store), d)] = now_s
    try:
        replace_operator_traffic(store, [day_start(d) for d in todo], rows)
    except IntegrityError:  # another process counted the same days at the same moment
        log.info("operator traffic of %s..%s written by another process", todo[0], todo[-1])
    return len(todo)


def _stored_days(rows: Iterable[tuple[datetime, str, str, str, int]]) -> list[OperatorDay]:
    return [OperatorDay(d.date(), z, o, r, n) for d, z, o, r, n in rows]


def operator_stats(
    store: Store,
    zones: Sequence[ZoneVersion],
    *,
    zone: str,
    since: datetime,
    until: datetime,
    baseline_since: datetime = DEFAULT_BASELINE[0],
    baseline_until: datetime = DEFAULT_BASELINE[1],
    gap_days: int = 7,
    refresh: bool = True,
    identify: Identify | None = None,
) -> dict[str, Any]:
    """Flights per day through ``zone`` (a FIR code) per operator and per State of registry,
    the baseline's daily mean of each, and operator returns in the range."""
    code = fir_code(zone)
    if refresh:
        refresh_operator_traffic(store, zones, min(since, baseline_since), max(until, baseline_until), identify)
    rows = _stored_days(operator_traffic(store, zone_id=code, since=since, until=until))
    base = _stored_days(operator_traffic(store, zone_id=code, since=baseline_since, until=baseline_until))
    base_days = max(1, (baseline_until.date() - baseline_since.date()).days)
    base_covered = len({r.day for r in base})
    days = sorted({r.day for r in rows})
    per_day: dict[date, int] = Counter()
    by_op: dict[str, Counter[date]] = {}
    by_reg: dict[str, Counter[date]] = {}
    for r in rows:
        per_day[r.day] += r.flights
        by_op.setdefault(r.operator_icao, Counter())[r.day] += r.flights
        by_reg.setdefault(r.registry_iso2, Counter())[r.day] += r.flights
    base_op: Counter[str] = Counter()
    base_reg: Counter[str] = Counter()
    for r in base:
        base_op[r.operator_icao] += r.flights
        base_reg[r.registry_iso2] += r.flights

    def series(groups: dict[str, Counter[date]], base_counts: Counter[str]) -> list[dict[str, Any]]:
        keys = set(groups) | set(base_counts)
        out = []
        for k in keys:
            days_counts = groups.get(k, Counter())
            total = sum(days_counts.values())
            mean = base_counts[k] / base_days if base_covered else None
            out.append({
                "key": k,
                "label": k or "unknown",
                "flights": total,
                "per_day": [{"day": d.isoformat(), "flights": days_counts.get(d, 0)} for d in days],
                "baseline_per_day": None if mean is None else round(mean, 2),
            })
        out.sort(key=lambda e: (-e["flights"], -(e["baseline_per_day"] or 0), e["key"]))
        return out

    history = _stored_days(operator_traffic(store, zone_id=code, since=since - timedelta(days=gap_days + 60), until=until))
    returns = operator_returns(history, gap_days=gap_days, since=since.date())
    base_total = sum(base_op.values())
    return {
        "zone": code,
        "since": iso(since),
        "until": iso(until),
        "baseline": {
            "since": iso(baseline_since),
            "until": iso(baseline_until),
            "days": base_days,
            "days_with_data": base_covered,
            "flights_per_day": round(base_total / base_days, 2) if base_covered else None,
        },
        "days": [{"day": d.isoformat(), "flights": per_day[d]} for d in days],
        "flights": sum(per_day.values()),
        "operators": series(by_op, base_op),
        "registries": series(by_reg, base_reg),
        "operator_returns": [
            {"zone": r.zone_id, "operator_icao": r.operator_icao, "day": r.day.isoformat(),
             "last_seen_day": r.last_seen_day.isoformat(), "gap_days": r.gap_days, "flights": r.flights,
             "text": r.describe()}
            for r in returns
        ],
    }


def operator_csv(stats: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["zone", "group", "key", "day", "flights", "baseline_per_day"])
    for group in ("operators", "registries"):
        for s in stats[group]:
            for p in s["per_day"]:
                w.writerow([stats["zone"], group[:-1] if group == "operators" else "registry",
                            s["key"], p["day"], p["flights"],
                            "" if s["baseline_per_day"] is None else s["baseline_per_day"]])
    return buf.getvalue()


# --- the board -------------------------------------------------------------------------------


def build_status_board(
    store: Store,
    zones: Sequence[ZoneVersion],
    at: datetime,
    *,
    live: Sequence[Observation] | None = None,
    identify: Identify | None = None,
    traffic_zone: str = "SVZM",
    baseline: tuple[datetime, datetime] = DEFAULT_BASELINE,
) -> dict[str, Any]:
    """Everything the status page, ``monitor status`` and the digest show, at ``at``."""
    ident = identify or default_identify()
    r = rules_at(zones, at)
    firs: dict[str, ZoneVersion] = r["firs"]
    aircraft, source = current_aircraft(store, at, live)
    flights = flights_by_fir(aircraft, firs, ident)
    rr = reroutes(store, at)
    order = [c for c in WATCHED_FIRS if c in firs] + sorted(c for c in firs if c not in WATCHED_FIRS)
    fir_rows = []
    for code in order:
        rules = r["in_force"][code]
        fir_rows.append({
            "fir": code,
            "zone_id": firs[code].zone_id,
            "name": firs[code].name,
            "watched": code in WATCHED_FIRS,
            "binding_in_force": any(e["binding"] for e in rules),
            "rules": rules,
            "changes_24h": r["changes"][code],
            "flights_now": flights[code],
            "reroutes_24h": [x for x in rr if code in x["avoided_zones"] or code in x["firs_used"]],
        })
    binding_rules = {(e["zone_id"], e["version"]): e for f in fir_rows for e in f["rules"] if e["binding"]}
    last = r["last_binding_ended"]
    if binding_rules:
        groups: dict[tuple[str, str, str, str], list[str]] = {}
        for e in binding_rules.values():
            key = (e["authority"], e["kind"], e["binds_text"], e["until"] or "further notice")
            groups.setdefault(key, []).append(e["zone_id"])
        headline = f"{len(binding_rules)} binding rule(s) in force: " + "; ".join(
            f"{auth} {kind} in {', '.join(sorted(set(ids)))}, binding {binds}, until {until}"
            for (auth, kind, binds, until), ids in groups.items()
        )
    else:
        headline = "Nothing binding in force."
        if last is not None:
            headline += (f" The last binding rule(s), {last['authority']} {last['kind']} in {', '.join(last['zones'])},"
                         f" binding {last['binds_text']}, ended {last['ended_at']}.")
    day = day_start(at.date())
    traffic = operator_stats(
        store, zones, zone=traffic_zone, since=day - timedelta(days=1), until=day + timedelta(days=1),
        baseline_since=baseline[0], baseline_until=baseline[1], identify=ident,
    )
    history = _stored_days(operator_traffic(store, since=day - timedelta(days=68), until=day + timedelta(days=1)))
    returns = [
        {"zone": x.zone_id, "operator_icao": x.operator_icao, "day": x.day.isoformat(),
         "last_seen_day": x.last_seen_day.isoformat(), "gap_days": x.gap_days, "flights": x.flights,
         "text": x.describe()}
        for x in operator_returns(history, since=at.date() - timedelta(days=1))
        if x.zone_id in WATCHED_FIRS
    ]
    return {
        "at": iso(at.replace(microsecond=0)),
        "generated_at": iso(utcnow()),
        "binding_in_force": bool(binding_rules),
        "headline": headline,
        "last_binding_ended": last,
        "flights_source": source,
        "firs": fir_rows,
        "reroutes_24h": rr,
        "traffic": {
            "zone": traffic["zone"],
            "days": traffic["days"],
            "baseline": traffic["baseline"],
            "top_operators": traffic["operators"][:10],
        },
        "operator_returns": returns,
        "open_incidents": open_incidents(store, at),
    }


# --- routes ----------------------------------------------------------------------------------


def board_for(ctx: WebContext, at: datetime | None) -> dict[str, Any]:
    when = at or ctx.clock_or_now()
    live = None
    if at is None or ctx.clock() is not None:
        live = list(ctx.services.live.snapshot.aircraft)
    return build_status_board(ctx.services.store, list(ctx.services.zones()), when, live=live)


@router.get(
    "/api/status",
    tags=["status"],
    summary="The airspace status board: rules in force per FIR and whom they bind, recent "
    "changes, flights inside by State of registry and operator, reroutes of the last 24 h",
    response_model=None,
    responses={200: {"model": StatusBoard}, 400: {"model": ErrorBody}},
)
def status_board(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    at: Annotated[str | None, Query(description="time of the board (ISO-8601; default now / the monitor's clock)")] = None,
) -> Response:
    board = board_for(ctx, parse_time(at, "at"))
    return Response(orjson.dumps(board), media_type="application/json", headers={"Cache-Control": "no-store"})


def _stats_params(
    ctx: WebContext, zone: str, since: str | None, until: str | None,
    baseline_since: str | None, baseline_until: str | None,
) -> dict[str, Any]:
    code = fir_code(zone.strip().upper())
    firs = {fir_code(v.zone_id) for v in ctx.services.zones() if v.kind is ZoneKind.FIR}
    if code not in firs:
        raise bad_param("zone", f"unknown FIR {zone!r} (FIRs: {', '.join(sorted(firs))})")
    now = ctx.clock_or_now()
    until_t = parse_time(until, "until") or day_start(now.date() + timedelta(days=1))
    since_t = parse_time(since, "since") or until_t - timedelta(days=7)
    if since_t >= until_t:
        raise bad_param("since", f"{since} is not before until {iso(until_t)}")
    b_since = parse_time(baseline_since, "baseline_since") or DEFAULT_BASELINE[0]
    b_until = parse_time(baseline_until, "baseline_until") or DEFAULT_BASELINE[1]
    if b_since >= b_until:
        raise bad_param("baseline_since", f"{baseline_since} is not before baseline_until {iso(b_until)}")
    if until_t - since_t > timedelta(days=400) or b_until - b_since > timedelta(days=400):
        raise bad_param("since", "a range is at most 400 days")
    return {"zone": code, "since": since_t, "until": until_t, "baseline_since": b_since, "baseline_until": b_until}


_Zone = Annotated[str, Query(description="FIR code (SVZM, TJZS, TNCF, TTZP ...; FIR-SVZM also accepted)")]
_Since = Annotated[str | None, Query(description="first day (ISO-8601; default 7 days before until)")]
_Until = Annotated[str | None, Query(description="end, exclusive (ISO-8601; default the end of today)")]
_BSince = Annotated[str | None, Query(description="baseline start (default 2025-10-24, 28 days before 2025-11-21)")]
_BUntil = Annotated[str | None, Query(description="baseline end, exclusive (default 2025-11-21)")]


@router.get(
    "/api/stats/operators",
    tags=["status"],
    summary="Flights per day through a FIR per operator and per State of registry, against a baseline",
    response_model=None,
    responses={200: {"model": OperatorTrafficStats}, 400: {"model": ErrorBody}},
)
def operators(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    zone: _Zone = "SVZM",
    since: _Since = None,
    until: _Until = None,
    baseline_since: _BSince = None,
    baseline_until: _BUntil = None,
) -> Response:
    p = _stats_params(ctx, zone, since, until, baseline_since, baseline_until)
    stats = operator_stats(ctx.services.store, list(ctx.services.zones()), **p)
    return Response(orjson.dumps(stats), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/api/stats/operators.csv",
    tags=["status"],
    summary="The same as CSV: zone, group (operator / registry), key, day, flights, baseline_per_day",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 400: {"model": ErrorBody}},
)
def operators_csv(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    zone: _Zone = "SVZM",
    since: _Since = None,
    until: _Until = None,
    baseline_since: _BSince = None,
    baseline_until: _BUntil = None,
) -> Response:
    p = _stats_params(ctx, zone, since, until, baseline_since, baseline_until)
    stats = operator_stats(ctx.services.store, list(ctx.services.zones()), **p)
    return Response(
        operator_csv(stats), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="operators-{p["zone"]}.csv"'},
    )

