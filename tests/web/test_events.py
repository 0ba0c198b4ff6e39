"""The crisis record as dated events: the shipped file is what the build makes of the cited
reference record, and ``GET /api/events`` serves it with its source links."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.web import events_build
from monitor.web.schemas import CrisisEventCollection

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "geodata" / "events" / events_build.OUT_NAME


def test_the_shipped_events_are_a_rebuild_of_the_reference_record(shared_dir, tmp_path):
    out = tmp_path / "events"
    assert events_build.main(["--reference", str(shared_dir / "reference"), "--out", str(out),
                              "--geodata", str(REPO / "geodata")]) == 0
    assert (out / events_build.OUT_NAME).read_bytes() == SHIPPED.read_bytes(), (
        "geodata/events is stale: python -m monitor.web.events_build --reference ../shared/reference "
        "--out geodata/events"
    )


def test_a_strike_is_attached_to_a_strike_area_only_where_its_location_clearly_matches():
    known = {"STRIKE-PARIA-TRINIDAD", "STRIKE-SOUTHERN-CARIBBEAN", "STRIKE-EPAC-COLOMBIA"}
    assert events_build.strike_zone(
        "Caribbean", "between Venezuela and Trinidad and Tobago (Airwars)", known
    ) == "STRIKE-PARIA-TRINIDAD"
    assert events_build.strike_zone(
        "Caribbean", "international waters off the coast of Venezuela", known
    ) == "STRIKE-SOUTHERN-CARIBBEAN"
    assert events_build.strike_zone(
        "eastern Pacific", "international waters off Colombia (mercopress)", known
    ) == "STRIKE-EPAC-COLOMBIA"
    assert events_build.strike_zone("Caribbean", "international waters", known) is None
    assert events_build.strike_zone("eastern Pacific", "not specified", known) is None


def test_events_are_served_with_their_source_links(client):
    body = client.get("/api/events").json()
    CrisisEventCollection.model_validate(body)
    assert body["attribution"] == "compiled from the public news pages cited per row"
    features = body["features"]
    assert len(features) > 80
    assert all(f["properties"]["source_url"].startswith("http") for f in features)
    assert len({f["id"] for f in features}) == len(features)
    strikes = [f for f in features if f["properties"]["kind"] == "strike"]
    assert strikes and all(f["geometry"] is None for f in strikes)
    first = next(f for f in strikes if f["id"] == "strike-2025-09-02-1")
    assert first["properties"]["zone_id"] == "STRIKE-PARIA-TRINIDAD"
    assert first["properties"]["location_note"] == "approximate area; no coordinates were released"
    assert first["properties"]["source_url"] == "https://airwars.org/?p=264353"
    ban = next(f for f in features if f["properties"]["kind"] == "airspace"
               and f["properties"]["time"] == "2026-01-03T06:00:00Z")
    assert ban["properties"]["time_approx"] is True
    assert "SVZM" in ban["properties"]["zone_ids"]


def test_events_filter_by_time_and_kind(client):
    body = client.get("/api/events", params={"since": "2026-01-03T00:00Z", "until": "2026-01-04T23:59Z",
                                             "kind": "airspace"}).json()
    assert body["count"] == len(body["features"]) >= 5
    assert {f["properties"]["kind"] for f in body["features"]} == {"airspace"}
    assert all("2026-01-03" <= f["properties"]["time"][:10] <= "2026-01-04" for f in body["features"])
    # a day-precision event counts for its whole day: 10:00 on 2 Sept still finds the strike
    day = client.get("/api/events", params={"since": "2025-09-02T10:00Z", "until": "2025-09-02T11:00Z",
                                            "kind": "strike"}).json()
    assert [f["id"] for f in day["features"]] == ["strike-2025-09-02-1"]


@pytest.mark.parametrize(
    ("params", "param"),
    [({"kind": "flood"}, "kind"), ({"since": "never"}, "since"),
     ({"since": "2026-02-01", "until": "2026-01-01"}, "since")],
)
def test_events_refuse_bad_input_naming_the_parameter(client, params, param):
    r = client.get("/api/events", params=params)
    assert r.status_code == 400
    assert r.json()["param"] == param
