"""Fill a real store, a live view and a feed-health book from tests/fixtures/web/scenario.json."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import shapely

from monitor.domain import (
    AppliesTo,
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.pipeline import FeedHealthBook, LiveView
from monitor.pipeline.live import LiveSnapshot
from monitor.store import OutboxEntry, Store, StoreBatch
from monitor.web.services import WebServices
from tests.builders import T0

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "scenario.json"


def load() -> dict[str, Any]:
    return orjson.loads(FIXTURE.read_bytes())


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def zones(doc: dict[str, Any]) -> list[ZoneVersion]:
    out = []
    for z in doc["zones"]:
        out.append(
            ZoneVersion(
                zone_id=z["zone_id"],
                version=z["version"],
                name=z["name"],
                kind=ZoneKind(z["kind"]),
                status=ZoneStatus(z["status"]),
                severity=Severity.HIGH,
                authority=z["authority"],
                source_ref=z["source_ref"],
                geometry=shapely.box(*z["bounds"]),
                applies_to=AppliesTo(z["applies_to"]),
                valid_from=t(z["valid_from_min"]),
                valid_to=t(z["valid_to_min"]) if z.get("valid_to_min") is not None else None,
            )
        )
    return out


def _alert(applied: Any) -> list[OutboxEntry]:
    if applied.change.kind is IncidentKind.INCURSION and applied.created:
        return [OutboxEntry(f"console:{applied.change.dedupe_key}:{applied.seq}", "incursions", "console",
                            {"summary": applied.change.summary})]
    return []


def fill_store(store: Store, doc: dict[str, Any]) -> dict[str, int]:
    """Write the incidents (open, update, close) and the traffic series; returns key -> id."""
    ids: dict[str, int] = {}
    for inc in doc["incidents"]:
        track = [tuple(p) for p in inc["track"]]
        evidence = tuple(
            Evidence(observed_at=t(e["min"]), source=e["source"], note=e["note"], record_ref=e.get("record_ref"),
                     subject_id=inc["subject_id"], lat=e.get("lat"), lon=e.get("lon"),
                     altitude_ft=e.get("altitude_ft"), ground_speed_kt=e.get("ground_speed_kt"))
            for e in inc["evidence"]
        )
        common = dict(
            dedupe_key=inc["key"], kind=IncidentKind(inc["kind"]), severity=Severity(inc["severity"]),
            summary=inc["summary"], subject_kind=inc["subject_kind"], subject_id=inc["subject_id"],
            subject_label=inc["subject_label"], zone_id=inc["zone_id"], zone_version=inc["zone_version"],
            details=inc["details"],
        )
        first = IncidentChange(action=ChangeAction.OPEN, at=t(inc["open_min"]), lon=track[0][0], lat=track[0][1],
                               evidence=evidence[:1], track=tuple(track[:1]), **common)
        applied = store.apply(StoreBatch(changes=[first]), outbox=_alert)
        ids[inc["key"]] = applied[0].incident_id
        if len(track) > 1:
            upd = IncidentChange(action=ChangeAction.UPDATE, at=t(inc["open_min"] + 3), lon=track[-1][0],
                                 lat=track[-1][1], evidence=evidence[1:], track=tuple(track[1:]), **common)
            store.apply(StoreBatch(changes=[upd]))
        if inc["close_min"] is not None:
            close = IncidentChange(action=ChangeAction.CLOSE, at=t(inc["close_min"]), lon=track[-1][0],
                                   lat=track[-1][1], **common)
            store.apply(StoreBatch(changes=[close]))
    hours = [(t(-60 * (len(doc["traffic_svzm"]) - i)), "SVZM", n) for i, n in enumerate(doc["traffic_svzm"])]
    hours = [(h.replace(minute=0, second=0, microsecond=0), z, n) for h, z, n in hours]
    observations = [
        Observation(source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT, subject_id="0d0abc",
                    time=t(-10 + i), lat=10.0 + 0.06 * i, lon=-67.6 + 0.07 * i, callsign="LAV123", altitude_ft=35000.0)
        for i in range(12)
    ]
    store.apply(StoreBatch(traffic=hours, observations=observations))
    return ids


def live_objects(n_aircraft: int, n_vessels: int, *, at: datetime, seed: int = 7) -> tuple[list[Observation], list[Observation]]:
    """Aircraft and vessels scattered over the region; a few military / emergency / by type."""
    rng = random.Random(seed)
    aircraft = []
    for i in range(n_aircraft):
        aircraft.append(Observation(
            source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT, subject_id=f"{0xA00000 + i:06x}",
            time=at - timedelta(seconds=rng.uniform(0, 60)), lat=rng.uniform(1.0, 18.0), lon=rng.uniform(-79.0, -56.0),
            callsign=f"TST{i:04d}", altitude_ft=float(rng.choice([0, 12000, 33000, 37000])),
            ground_speed_kt=rng.uniform(120, 520), track_deg=rng.uniform(0, 360), on_ground=False,
            military=(i % 17 == 3), squawk="7700" if i == 5 else "2000", emergency="general" if i == 5 else None,
        ))
    vessels = []
    types = [70, 80, 60, 30, 40, 35, 52, 37, None]
    for i in range(n_vessels):
        vessels.append(Observation(
            source="aisstream", feed_kind="aisstream", subject_kind=SubjectKind.VESSEL, subject_id=f"{775100000 + i}",
            time=at - timedelta(seconds=rng.uniform(0, 300)), lat=rng.uniform(9.0, 17.0), lon=rng.uniform(-76.0, -58.0),
            name=f"VESSEL {i}", ground_speed_kt=rng.choice([0.0, 8.5, 12.0, 25.0]), track_deg=rng.uniform(0, 360),
            nav_status=rng.choice([0, 1, 5, 7]), vessel_type=types[i % len(types)],
        ))
    return aircraft, vessels


def health_book(at: datetime) -> FeedHealthBook:
    book = FeedHealthBook()
    book.register("adsb_lol", "adsbx_v2")
    book.poll_ok("adsb_lol", at, items=120, latency_s=0.4)
    book.data("adsb_lol", "adsbx_v2", at, items=120, errors=__import__("collections").Counter())
    book.register("aisstream", "aisstream")
    book.poll_failed("aisstream", at, reason="timeout", detail="no message for 60 s")
    return book


def services(store: Store, *, n_aircraft: int = 40, n_vessels: int = 40, clock_min: float = 10.0, **kw: Any) -> WebServices:
    doc = load()
    now = t(clock_min)
    live = LiveView()
    aircraft, vessels = live_objects(n_aircraft, n_vessels, at=now)
    live.snapshot = LiveSnapshot(at=now, aircraft=tuple(aircraft), vessels=tuple(vessels), version=1)
    zs = zones(doc)
    return WebServices(store=store, live=live, health=health_book(now), zones=lambda: zs,
                       clock=lambda: now, banner="SYNTHETIC TEST SCENARIO", **kw)
