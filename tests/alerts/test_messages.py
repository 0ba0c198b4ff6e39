"""What people read: the reroute dispatcher's note, incursion and zone texts, the payload."""

from __future__ import annotations

import json

from monitor.alerts.config import load_alert_rules
from monitor.alerts.message import reroute_note
from monitor.alerts.payload import PAYLOAD_VERSION
from monitor.alerts.rules import RulesEngine
from monitor.alerts.samples import SAMPLE_REROUTE_DETAILS
from monitor.domain import ChangeAction, IncidentKind, Severity
from tests.alerts.helpers import Applier, incident
from tests.builders import at


def engine_for(**rule: object) -> RulesEngine:
    raw = {"name": "desk", "channels": ["console"], **rule}
    return RulesEngine(load_alert_rules({"rules": [raw]}).rules, base_url="http://127.0.0.1:8000")


def test_reroute_alert_reads_like_a_dispatchers_note() -> None:
    engine = engine_for(kinds=["reroute"])
    ch = incident(
        "reroute:e8044e", t=at(0), kind=IncidentKind.REROUTE, severity=Severity.LOW,
        subject_id="e8044e", label="TST123", details=SAMPLE_REROUTE_DETAILS,
    )
    [entry] = engine(Applier().applied(ch))
    text = entry.payload["text"]
    lines = text.splitlines()
    assert lines[0] == "TST123 rerouted around SVZM"
    assert "Route: KMIA Miami International -> SBGR Guarulhos" in lines
    assert "Left its great-circle track at 10:42Z near 14.20N 66.10W" in lines
    assert "FIRs used instead: Curacao FIR (TNCF), Piarco FIR (TTZP)" in lines
    assert "Extra: +312 km, about +24 min at 470 kt against the great circle" in lines
    assert lines[-1] == "Map: http://127.0.0.1:8000/incidents/1"
    assert entry.payload["title"] == "NEW REROUTE [LOW] TST123 · SVZM"


def test_reroute_note_survives_missing_keys() -> None:
    lines = reroute_note({"callsign": "ABC1", "route": "SKBO-TNCC"}, "summary text")
    assert lines == ["ABC1 rerouted", "Route: SKBO -> TNCC"]
    assert reroute_note({}, "only a summary") == ["Flight rerouted", "only a summary"]


def test_a_real_reroute_from_the_detector_reads_as_a_note() -> None:
    """The reroute detector's own output (not a hand-made dict) through the rules."""
    from datetime import timedelta

    from monitor.detectors.aviation.airports import AirportIndex, AirportPoint
    from monitor.detectors.aviation.reroute import RerouteConfig, RerouteDetector
    from monitor.domain import ZoneKind, ZoneStatus
    from monitor.feeds.routes import AirportIndex as RouteAirports
    from monitor.feeds.routes import RouteBook
    from tests.builders import box_zone
    from tests.detectors.aviation.helpers import Run, fly, state_with

    zones = [
        box_zone("SVZM", (-70, 4, -62, 11), kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED),
        box_zone("FIR-TTZP", (-62, 2, -55, 12), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL, name="Piarco FIR"),
        box_zone("FIR-TNCF", (-73, 11, -62, 16), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL, name="Curacao FIR"),
    ]
    airports = {"SXAA": ("Alpha Intl", 2.0, -58.0), "SXBB": ("Bravo Intl", 14.0, -73.0)}
    book = RouteBook(RouteAirports({k: {"name": n, "lat": la, "lon": lo} for k, (n, la, lo) in airports.items()}))
    book.load_csv_text("callsign,origin_icao,destination_icao\nABC123,SXAA,SXBB\n")
    detector = RerouteDetector(
        RerouteConfig(), airports=AirportIndex(AirportPoint(k, n, la, lo) for k, (n, la, lo) in airports.items())
    )
    run = Run(detector, state_with(zones, routes=book), feed_every_s=None)
    fixes = fly("0d0a01", (2.5, -58.5), [(11.6, -61.4), (11.8, -70.6), (14.0, -73.0)], at(0), callsign="ABC123")
    run.run(fixes, until=fixes[-1].time + timedelta(minutes=30))
    reroutes = [c for c in run.changes if c.kind is IncidentKind.REROUTE]
    assert reroutes, "the detector found no reroute in its own reference scenario"
    engine = engine_for(kinds=["reroute"], on_close=True)
    feed = Applier()
    sent = [e.payload for c in reroutes for e in engine(feed.applied(c))]
    assert [p["action"] for p in sent] == ["open", "close"]  # progress updates stay quiet
    lines = sent[0]["text"].splitlines()
    assert lines[0] == "ABC123 rerouted around SVZM"
    assert "Route: SXAA Alpha Intl -> SXBB Bravo Intl" in lines
    assert any(line.startswith("Left its great-circle track at ") for line in lines)
    assert "FIRs used instead: Piarco FIR (TTZP)" in lines  # so far, when it opens
    assert any(line.startswith("Extra: +") and " min at " in line for line in lines)
    assert lines[-1] == "Map: http://127.0.0.1:8000/incidents/1"
    final = sent[1]["text"].splitlines()  # the closing note carries the final figures
    assert final[0] == "ABC123 rerouted around SVZM: reroute over (past the zone)"
    assert "FIRs used instead: Piarco FIR (TTZP), Curacao FIR (TNCF)" in final


def test_incursion_alert_has_position_time_and_link() -> None:
    engine = engine_for(on_close=True)
    feed = Applier()
    [opened] = engine(feed.applied(incident("k", t=at(3), severity=Severity.CRITICAL)))
    p = opened.payload
    assert p["title"] == "NEW INCURSION [CRITICAL] CLX123 · SVZM"
    assert "Seen at 10:03Z, 10.60N 66.90W" in p["text"]
    assert p["url"] == "http://127.0.0.1:8000/incidents/1"


def test_payload_version_1_shape() -> None:
    """The documented fields (monitor/alerts/README.md), JSON-serialisable."""
    engine = engine_for(on_close=True)
    feed = Applier()
    [p] = [e.payload for e in engine(feed.applied(incident("k", t=at(0), details={"when": at(1)})))]
    assert p["version"] == PAYLOAD_VERSION == 1
    for key in ("idempotency_key", "rule", "channel", "kind", "severity", "previous_severity", "action",
                "title", "text", "incident", "zone", "subject", "times", "grouped", "url"):
        assert key in p, key
    feature = p["incident"]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [-66.9, 10.6]}
    assert feature["properties"]["kind"] == "incursion"
    assert feature["properties"]["details"]["when"] == "2025-12-02T10:01:00Z"
    assert p["subject"] == {"kind": "aircraft", "id": "0d0abc", "label": "CLX123"}
    assert p["zone"] == {"id": "SVZM", "version": None}
    assert p["times"] == {"event_at": "2025-12-02T10:00:00Z", "started_at": "2025-12-02T10:00:00Z", "ended_at": None}
    json.dumps(p)
    [closed] = engine(feed.applied(incident("k", ChangeAction.CLOSE, t=at(5))))
    assert closed.payload["action"] == "close"
    assert closed.payload["title"].startswith("ENDED INCURSION")


def test_an_incursion_whose_rule_ended_says_so_in_its_alerts() -> None:
    """The detector's open and its 'rule ended' close, through the rules engine."""
    from monitor.detectors.incursion import IncursionDetector
    from monitor.domain import ZoneKind, ZoneStatus
    from monitor.domain.identity import AircraftIdentity
    from monitor.domain.zone import BindingScope
    from monitor.geofence.types import Transition, TransitionKind
    from tests.builders import aircraft, box_zone
    from tests.detectors.helpers import apply, batch, make_state

    ban = box_zone("TJZS", (-70, 15, -60, 22), kind=ZoneKind.CLOSED_AIRSPACE,
                   status=ZoneStatus.PROHIBITED, authority="FAA", source_ref="FAA ban",
                   scope=BindingScope.parse("operators:US"), valid_from=at(0), valid_to=at(30))
    who = AircraftIdentity("a6b5c4", registry_iso2="US", registration="N518JA", callsign="N518JA")
    det, state = IncursionDetector(identify=lambda obs: who), make_state([ban])
    fix = aircraft("a6b5c4", -66, 18, at(20), callsign="N518JA")
    state.tracks.ingest([fix])
    opened = det.detect(batch([fix], [Transition(TransitionKind.ENTER, "aircraft", "a6b5c4", ban, fix.time, 0)]), state, fix.time)
    apply(state, opened)
    closed = det.detect(batch([]), state, at(31))
    engine = engine_for(on_close=True)
    feed = Applier()
    sent = [a.payload for ch in [*opened, *closed] for a in engine(feed.applied(ch))]
    assert [p["title"].split()[0] for p in sent] == ["NEW", "ENDED"]
    assert "bound by FAA prohibited (FAA ban)" in sent[0]["text"]
    assert "N518JA, US-registered" in sent[0]["text"]
    assert "rule ended: TJZS@v1 (FAA) is no longer in force" in sent[1]["text"]
