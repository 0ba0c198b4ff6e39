"""``/api/snapshot``, ``/api/positions`` and ``/api/history/extent`` on SQLite and PostGIS:
the picture at a past time is built from the positions stored then."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.domain import Observation, SubjectKind
from monitor.store import Store, StoreBatch
from monitor.web.app import create_app
from monitor.web.schemas import DataExtentBody, PositionsFeature, SnapshotBody
from tests.web import scenario

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

VESSEL = "775999001"
SILENT = "a00fff"  # an aircraft stored only at T0-60 min


def _extra() -> list[Observation]:
    """A vessel stored every 2 minutes from T0-40 to T0-20, going north; an aircraft once."""
    obs = [
        Observation(source="aisstream", feed_kind="aisstream", subject_kind=SubjectKind.VESSEL,
                    subject_id=VESSEL, time=scenario.t(-40 + 2 * i), lat=11.0 + 0.01 * i, lon=-64.0,
                    name="REWIND TEST", ground_speed_kt=9.0, track_deg=0.0)
        for i in range(11)
    ]
    obs.append(Observation(source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT,
                           subject_id=SILENT, time=scenario.t(-60), lat=12.0, lon=-70.0, callsign="OLD1"))
    return obs


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The app over a store of each backend holding the web scenario and :func:`_extra`."""
    scenario.fill_store(store, scenario.load())
    store.apply(StoreBatch(observations=_extra()))
    with TestClient(create_app(scenario.services(store)), base_url="http://127.0.0.1:8000") as c:
        yield c


def _iso(minutes: float) -> str:
    return scenario.t(minutes).strftime("%Y-%m-%dT%H:%M:%SZ")


def _points(collection: dict) -> dict[str, list[float]]:  # type: ignore[type-arg]
    return {f["id"]: f["geometry"]["coordinates"] for f in collection["features"]}


def test_snapshot_shows_each_subjects_latest_position_stored_before_the_time(client):
    body = client.get("/api/snapshot", params={"at": _iso(-30)}).json()
    SnapshotBody.model_validate(body)
    assert body["at"] == _iso(-30)
    assert body["lookback_s"] == {"aircraft": 600, "vessels": 1800}
    # the vessel's fix of T0-30 (the 6th), not a later one
    assert _points(body["vessels"]) == {VESSEL: [-64.0, 11.05]}
    assert body["vessels"]["features"][0]["properties"]["time"] == _iso(-30)
    assert body["vessels"]["features"][0]["properties"]["name"] == "REWIND TEST"
    # the aircraft of T0-60 is older than the 10-minute lookback; 0d0abc starts at T0-10
    assert _points(body["aircraft"]) == {}

    body = client.get("/api/snapshot", params={"at": _iso(-5)}).json()
    aircraft = _points(body["aircraft"])
    assert aircraft == {"0d0abc": pytest.approx([-67.6 + 0.07 * 5, 10.0 + 0.06 * 5])}
    assert body["aircraft"]["features"][0]["properties"]["callsign"] == "LAV123"
    # the vessel's last fix (T0-20) is within the 30-minute lookback
    assert _points(body["vessels"]) == {VESSEL: [-64.0, 11.1]}


def test_snapshot_lookback_decides_who_is_still_on_the_map(client):
    at = _iso(-55)
    assert _points(client.get("/api/snapshot", params={"at": at}).json()["aircraft"]) == {
        SILENT: [-70.0, 12.0]
    }
    short = client.get("/api/snapshot", params={"at": at, "aircraft_lookback_s": 240}).json()
    assert short["aircraft"]["features"] == []
    # at T0+15 the vessel's last fix is 35 minutes old: gone with the default, kept with 1 h
    assert client.get("/api/snapshot", params={"at": _iso(15)}).json()["vessels"]["features"] == []
    wide = client.get("/api/snapshot", params={"at": _iso(15), "vessel_lookback_s": 3600}).json()
    assert _points(wide["vessels"]) == {VESSEL: [-64.0, 11.1]}


def test_snapshot_has_the_zones_in_force_and_the_incidents_open_then(client):
    body = client.get("/api/snapshot", params={"at": _iso(-30)}).json()
    zones = {f["properties"]["zone_id"] for f in body["zones"]["features"]}
    assert zones == {"SVZM", "STRIKE-EAST"}  # NAVAREA-IV-1234 was lifted at T0-60
    assert all(f["properties"]["in_force"] for f in body["zones"]["features"])
    labels = {f["properties"]["subject_label"] for f in body["incidents"]["features"]}
    # MAR AZUL went dark -90..-30; DON PEDRO loiters from -40 (open, quiet at -30);
    # the GNSS cell opens at -20, LAV123 at 0, AVA55's incursion ended at -150
    assert labels == {"MAR AZUL", "DON PEDRO"}
    assert all(f["geometry"]["type"] == "Point" for f in body["incidents"]["features"])
    assert all(f["properties"]["url"].startswith("http://127.0.0.1:8000/incidents/")
               for f in body["incidents"]["features"])
    later = client.get("/api/snapshot", params={"at": _iso(-70)}).json()
    assert "NAVAREA-IV-1234" in {f["properties"]["zone_id"] for f in later["zones"]["features"]}


def test_snapshot_bbox_limits_positions_and_incidents(client):
    box = "-65,10.5,-63,11.5"  # around the vessel, away from 0d0abc and the incidents' fixes
    body = client.get("/api/snapshot", params={"at": _iso(-5), "bbox": box}).json()
    assert list(_points(body["vessels"])) == [VESSEL]
    assert body["aircraft"]["features"] == []
    assert body["bbox"] == [-65.0, 10.5, -63.0, 11.5]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2025-12-02T10:00Z", "bbox": "1,2,3"}, "bbox"),
        ({"at": "2025-12-02T10:00Z", "aircraft_lookback_s": "0"}, "aircraft_lookback_s"),
        ({"at": "2025-12-02T10:00Z", "vessel_lookback_s": "999999"}, "vessel_lookback_s"),
    ],
)
def test_snapshot_refuses_bad_input_naming_the_parameter(client, params, param):
    r = client.get("/api/snapshot", params=params)
    assert r.status_code == 400
    assert r.json()["param"] == param


def test_positions_give_one_subjects_stored_track_with_times(client):
    body = client.get(
        "/api/positions", params={"subject": VESSEL, "since": _iso(-36), "until": _iso(-30)}
    ).json()
    PositionsFeature.model_validate(body)
    assert body["geometry"]["type"] == "LineString"
    assert body["geometry"]["coordinates"] == [[-64.0, 11.02], [-64.0, 11.03], [-64.0, 11.04], [-64.0, 11.05]]
    assert body["properties"]["times"] == [_iso(m) for m in (-36, -34, -32, -30)]
    assert body["properties"]["count"] == 4
    assert body["properties"]["truncated"] is False

    whole = client.get("/api/positions", params={"subject": "0D0ABC"}).json()  # case of hex
    assert whole["properties"]["count"] == 12
    times = whole["properties"]["times"]
    assert times == sorted(times)
    one = client.get("/api/positions", params={"subject": SILENT}).json()
    assert one["geometry"] == {"type": "Point", "coordinates": [-70.0, 12.0]}
    none = client.get("/api/positions", params={"subject": "ffffff"}).json()
    assert none["geometry"] is None and none["properties"]["count"] == 0


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "subject"),
        ({"subject": " "}, "subject"),
        ({"subject": VESSEL, "since": "soon"}, "since"),
        ({"subject": VESSEL, "since": "2025-12-03T00:00Z", "until": "2025-12-02T00:00Z"}, "since"),
    ],
)
def test_positions_refuse_bad_input_naming_the_parameter(client, params, param):
    r = client.get("/api/positions", params=params)
    assert r.status_code == 400
    assert r.json()["param"] == param


def test_extent_gives_the_first_and_last_stored_times(client):
    body = client.get("/api/history/extent").json()
    DataExtentBody.model_validate(body)
    assert body["incidents"]["first"] == _iso(-180)
    assert body["positions"]["first"] == _iso(-60)
    assert body["positions"]["last"] == _iso(1)
    last = scenario.t(0)
    assert body["incidents"]["last"] >= (last + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_live_page_includes_the_time_control(client):
    html = client.get("/").text
    assert '<script src="/static/rewind.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/rewind.css">' in html
    assert client.get("/static/rewind.js").status_code == 200
    assert client.get("/static/rewind.css").status_code == 200
