"""Reroutes found from live routes, without a CSV: real traffic replayed through the whole
pipeline while the route book is filled by the routeset lookup from a local server.

The traffic is the real readsb snapshot of the Caribbean of 2022-04-30 23:59:59Z
(``../shared/reference/samples/adsbx_readsb_aircraft_caribbean_subset_*.json``, 306
aircraft), followed by five copies one minute apart in which each aircraft has flown on
along its reported track at its reported ground speed (a snapshot is one fix per aircraft;
a reroute needs a few). A synthetic closed area lies east of Copa CMP235, north-bound off
Panama at FL295; the local server answers CMP235's route as Panama (MPTO) - Orlando (KMCO),
whose great circle crosses the area while the flight stays 60 km west of it.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.config import load_settings
from monitor.detectors.aviation.common import destination
from monitor.feeds.routes import AirportIndex, RouteBook
from monitor.feeds.routeset import RoutesetService
from monitor.service.replay import replay
from monitor.service.runtime import build_runtime
from monitor.store import Store
from monitor.store.repository import IncidentQuery
from monitor.units import KM_PER_NM
from tests.builders import box_zone
from tests.feeds.test_routes_routeset import RoutesetServer

SAMPLE = (
    Path(__file__).resolve().parents[4] / "shared" / "reference" / "samples"
    / "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json"
)
pytestmark = pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/reference/samples absent")

CLOSED = box_zone("TESTCLOSED", (-79.75, 10.3, -78.8, 11.6), name="Synthetic closed area",
                  valid_from=datetime(2022, 4, 1, tzinfo=UTC))


def write_capture(path: Path, minutes: int = 6) -> datetime:
    snap = json.loads(SAMPLE.read_text(encoding="utf-8"))
    t0 = datetime.fromtimestamp(snap["now"], UTC)
    with path.open("w", encoding="utf-8") as out:
        for k in range(minutes):
            body = copy.deepcopy(snap)
            body["now"] = snap["now"] + 60 * k
            for a in body["aircraft"]:
                gs, track = a.get("gs"), a.get("track")
                if k and "lat" in a and isinstance(gs, int | float) and isinstance(track, int | float):
                    a["lat"], a["lon"] = destination(a["lat"], a["lon"], track, gs * KM_PER_NM * k / 60)
            received = (t0 + timedelta(minutes=k)).isoformat().replace("+00:00", "Z")
            out.write(json.dumps({"feed": "adsbx_v2", "received_at": received, "body": body}) + "\n")
    return t0


def planes_of(path: Path) -> list[tuple[str, float, float]]:
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])["body"]
    return [(a["flight"], a["lat"], a["lon"]) for a in first["aircraft"]
            if a.get("flight", "").strip() and "lat" in a]


@pytest.mark.parametrize("plausible", [True, False])
def test_real_traffic_with_live_routes_raises_the_reroute_without_a_csv(tmp_path, plausible) -> None:
    capture = tmp_path / "caribbean.jsonl"
    t0 = write_capture(capture)
    airports = AirportIndex.load()
    routes = {"CMP235": ("MPTO-KMCO", plausible), "AAL917": ("KMIA-SEGU", True)}
    settings = load_settings(overrides={"database_url": f"sqlite:///{tmp_path / 'r.sqlite'}"},
                             environ={})
    assert settings.routes_csv == []
    store = Store.open(settings.database_url)
    store.add_versions([CLOSED])
    runtime = build_runtime(settings, store=store)
    book = RouteBook(airports)
    with RoutesetServer(routes, airports) as server:
        async def lookup() -> RoutesetService:
            async with httpx.AsyncClient() as client:
                svc = RoutesetService(client, book, base_url=server.url, timeout_s=5)
                await svc.refresh(planes_of(capture), t0)
                return svc

        svc = asyncio.run(lookup())
    assert svc.stats.requests == 3  # 283 call signs, 100 a request
    runtime.pipeline.state.extra["routes"] = book
    try:
        replay(runtime.pipeline, capture, finish_s=60)
        rows, _ = store.query_incidents(IncidentQuery(kinds=("reroute",)))
    finally:
        runtime.close()
    if not plausible:
        assert rows == []  # an implausible route never claims a detour
        return
    assert [r.subject_label.strip() for r in rows] == ["CMP235"]
    d = rows[0].details
    assert d["route"] == "MPTO-KMCO" and d["route_source"] == "routeset"
    assert d["route_plausible"] is True
    assert d["avoided_zones"] == ["TESTCLOSED"] and d["extra_distance_km"] > 0
