"""Live positions: bbox-limited, and diffs against an earlier snapshot version."""

from __future__ import annotations

import msgspec.structs
import pytest

from monitor.pipeline.live import LiveSnapshot
from monitor.web.schemas import LiveCollection
from tests.builders import aircraft, vessel
from tests.web.scenario import t

T = t(10)
BASE = 100


def publish(services, version: int, air=(), ves=()) -> None:  # type: ignore[no-untyped-def]
    """Publish snapshot ``BASE + version`` (the fixture's live view is at version 1)."""
    services.live.snapshot = LiveSnapshot(at=T, aircraft=tuple(air), vessels=tuple(ves), version=BASE + version)


@pytest.fixture
def fleet():
    return [
        aircraft("0d0abc", -66.9, 10.6, T, callsign="LAV123", track_deg=90.0, ground_speed_kt=450.0),
        aircraft("ae01ce", -64.0, 12.0, T, callsign="RCH451", military=True),
        aircraft("a1b2c3", -70.0, 13.0, T, callsign="AAL921", squawk="7700", emergency="general"),
        aircraft("0c1234", -60.0, 5.0, T, callsign="GND1", on_ground=True, altitude_ft=None),
    ]


def ids(body: dict) -> set[str]:
    return {f["id"] for f in body["features"]}


def test_full_answer_is_valid_geojson_with_styles(client, services, fleet):
    publish(services, 10, fleet, [vessel("775000111", -64.0, 12.0, T, name="MAR AZUL", vessel_type=80, nav_status=0,
                                         ground_speed_kt=11.0, track_deg=45.0)])
    body = client.get("/api/live/aircraft").json()
    LiveCollection.model_validate(body)
    assert body["full"] is True and body["version"] == BASE + 10 and body["total"] == 4
    styles = {f["id"]: f["properties"]["style"] for f in body["features"]}
    assert styles == {"0d0abc": "normal", "ae01ce": "military", "a1b2c3": "emergency", "0c1234": "ground"}
    lav = next(f for f in body["features"] if f["id"] == "0d0abc")
    assert lav["geometry"] == {"type": "Point", "coordinates": [-66.9, 10.6]}
    assert lav["properties"]["callsign"] == "LAV123"
    assert lav["properties"]["altitude_ft"] == 35000
    vessels = client.get("/api/live/vessels").json()
    (ship,) = vessels["features"]
    assert ship["properties"]["name"] == "MAR AZUL"
    assert ship["properties"]["category"] == "tanker"
    assert ship["properties"]["nav_status"] == 0


def test_bbox_returns_only_what_is_in_view(client, services, fleet):
    publish(services, 1, fleet)
    body = client.get("/api/live/aircraft?bbox=-68,10,-63,12.5").json()
    assert ids(body) == {"0d0abc", "ae01ce"}
    assert body["count"] == 2 and body["total"] == 4


def test_since_version_returns_changes_and_removals(client, services, fleet):
    publish(services, 1, fleet)
    first = client.get("/api/live/aircraft").json()
    assert first["version"] == BASE + 1
    moved = msgspec.structs.replace(fleet[0], lon=-66.5, time=t(11))
    publish(services, 2, [moved, fleet[1], fleet[2]])  # 0c1234 is gone
    diff = client.get(f"/api/live/aircraft?since_version={BASE + 1}").json()
    assert diff["full"] is False and diff["version"] == BASE + 2
    assert ids(diff) == {"0d0abc"}
    assert diff["features"][0]["geometry"]["coordinates"] == [-66.5, 10.6]
    assert diff["removed"] == ["0c1234"]
    # nothing changed since version 2
    same = client.get(f"/api/live/aircraft?since_version={BASE + 2}").json()
    assert same["features"] == [] and same["removed"] == []


def test_diff_skips_unseen_intermediate_versions(client, services, fleet):
    publish(services, 1, fleet)
    client.get("/api/live/aircraft")
    publish(services, 2, [msgspec.structs.replace(fleet[0], lon=-66.0, time=t(11)), *fleet[1:]])
    publish(services, 3, [msgspec.structs.replace(fleet[0], lon=-66.0, time=t(11)),
                          msgspec.structs.replace(fleet[1], lat=12.5, time=t(11)), *fleet[2:]])
    diff = client.get(f"/api/live/aircraft?since_version={BASE + 1}").json()
    assert diff["version"] == BASE + 3
    assert ids(diff) == {"0d0abc", "ae01ce"}


def test_object_leaving_the_view_is_removed_from_the_client(client, services, fleet):
    publish(services, 1, fleet)
    box = "bbox=-68,10,-63,12.5"
    assert ids(client.get(f"/api/live/aircraft?{box}").json()) == {"0d0abc", "ae01ce"}
    publish(services, 2, [msgspec.structs.replace(fleet[0], lon=-75.0, time=t(11)), *fleet[1:]])
    diff = client.get(f"/api/live/aircraft?{box}&since_version={BASE + 1}").json()
    assert diff["features"] == []
    assert diff["removed"] == ["0d0abc"]


def test_unknown_version_gives_a_full_answer(client, services, fleet):
    publish(services, 5, fleet)
    body = client.get(f"/api/live/aircraft?since_version={BASE + 4}").json()
    assert body["full"] is True
    assert ids(body) == {f.subject_id for f in fleet}


def test_recent_tracks_of_subjects_with_open_incidents(client):
    body = client.get("/api/live/tracks").json()
    tracks = {f["id"]: f for f in body["features"]}
    # LAV123 has stored observations (12 fixes); AAL921 falls back to its incident track
    assert len(tracks["0d0abc"]["geometry"]["coordinates"]) == 12
    assert tracks["a1b2c3"]["geometry"]["coordinates"] == [[-70.4, 13.2], [-70.0, 13.0]]
    assert "775000111" not in tracks  # its incident is closed
    assert tracks["0d0abc"]["properties"]["kinds"] == ["incursion"]
