"""NGA MSI broadcast warnings -> navigational_warning zones and notices; the poller."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from shapely.geometry import Point

from monitor.domain import AppliesTo, Severity, ZoneChange, ZoneKind, ZoneStatus
from monitor.errors import FeedError, ParseError, RateLimited
from monitor.feeds.nga_msi import NgaMsiAdapter, NgaMsiParser, find_points, make_parser, parse_dtg
from tests.feeds.maritime_helpers import FIXTURES

RECEIVED = datetime(2025, 12, 2, tzinfo=UTC)
NM_DEG = 1 / 60.0  # one nautical mile of latitude, in degrees


def body() -> dict:
    return json.loads((FIXTURES / "nga_broadcast_warn.json").read_text())


def parse(b: dict, parser: NgaMsiParser | None = None, received_at: datetime = RECEIVED):  # type: ignore[no-untyped-def]
    return (parser or make_parser())(b, received_at=received_at, source="nga_msi", record_ref="cap:3")


CASES = json.loads((FIXTURES / "nga_coordinate_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_coordinate_formats(case: dict) -> None:
    points, _bad = find_points(case["text"])
    if case["lat"] is None:
        assert points == []
    else:
        (p,) = points
        assert (p.lat, p.lon) == pytest.approx((case["lat"], case["lon"]), abs=1e-6)


def test_date_time_groups() -> None:
    assert parse_dtg("150429Z APR 2023") == datetime(2023, 4, 15, 4, 29, tzinfo=UTC)
    assert parse_dtg("251516Z APR 23") == datetime(2023, 4, 25, 15, 16, tzinfo=UTC)
    assert parse_dtg("not a date") is None and parse_dtg("321200Z APR 2023") is None


def test_fixture_zones_shapes_and_validity() -> None:
    p = make_parser()
    r = parse(body(), p)
    zones = {z.zone_id: z for z in r.zone_versions}
    assert list(zones) == [
        "NAVAREA-IV-1001-2025", "NAVAREA-IV-1002-2025", "HYDROLANT-1500-2025",
        "NAVAREA-IV-1003-2025", "NAVAREA-IV-1006-2025",
    ]
    area = zones["NAVAREA-IV-1001-2025"]
    assert area.kind is ZoneKind.NAVIGATIONAL_WARNING and area.status is ZoneStatus.ACTIVE
    assert area.applies_to is AppliesTo.VESSELS and area.severity is Severity.HIGH
    assert area.authority == "NGA (NAVAREA IV)" and area.source_ref == area.name == "NAVAREA IV 1001/25"
    assert set(area.geometry.exterior.coords) == {(-67.0, 12.0), (-66.0, 12.0), (-66.0, 11.0), (-67.0, 11.0)}
    assert area.geometry.bounds == (-67.0, 11.0, -66.0, 12.0)
    assert (area.valid_from, area.valid_to) == (
        datetime(2025, 12, 1, 15, 30, tzinfo=UTC),
        datetime(2025, 12, 5, 19, 0, tzinfo=UTC),  # CANCEL THIS MSG 051900Z DEC 25
    )
    assert area.confidence == 1.0 and "LIVE MISSILE FIRING" in area.description

    circle = zones["NAVAREA-IV-1002-2025"]  # WITHIN 2 MILES OF 12-06N 068-56W
    minx, miny, maxx, maxy = circle.geometry.bounds
    assert (miny, maxy) == pytest.approx((12.1 - 2 * NM_DEG, 12.1 + 2 * NM_DEG), abs=1e-6)
    assert circle.geometry.contains(Point(-68.9333, 12.1 + 1.9 * NM_DEG))
    assert not circle.geometry.contains(Point(-68.9333, 12.1 + 2.1 * NM_DEG))
    assert circle.valid_to is None and circle.severity is Severity.MEDIUM and circle.confidence == 1.0

    track = zones["HYDROLANT-1500-2025"]  # corridor 2 nm each side of the trackline
    assert track.authority == "NGA (HYDROLANT)" and track.confidence == 0.8
    assert track.geometry.contains(Point(-61.0, 10.0 + 50 / 60 + 1.5 * NM_DEG))
    assert not track.geometry.contains(Point(-61.0, 10.0 + 50 / 60 + 2.5 * NM_DEG))

    light = zones["NAVAREA-IV-1003-2025"]  # 11-42-30N 070-13-15W, a 1 nm circle
    assert light.geometry.centroid.y == pytest.approx(11.708333, abs=1e-4)
    assert light.geometry.centroid.x == pytest.approx(-70.220833, abs=1e-4)
    assert light.severity is Severity.LOW and light.confidence == 0.7

    two = zones["NAVAREA-IV-1006-2025"]  # areas A. and B.
    assert two.geometry.geom_type == "MultiPolygon" and len(two.geometry.geoms) == 2
    assert two.severity is Severity.HIGH and two.valid_to == datetime(2025, 12, 3, 18, 0, tzinfo=UTC)

    assert [(n.ref, n.issued_at) for n in r.notices] == [
        ("NAVAREA IV 1004/25", datetime(2025, 12, 1, 19, 0, tzinfo=UTC)),
        ("NAVAREA IV 1007/25", datetime(2025, 12, 1, 23, 0, tzinfo=UTC)),
    ]
    assert r.errors == {"bad_coordinate": 1, "bad_item": 1}
    assert "09-61.00N" in " ".join(r.error_samples)
    assert (p.stats["other_navarea"], p.stats["outside_region"]) == (1, 1)


def test_same_answer_twice_gives_identical_versions() -> None:
    p = make_parser()
    first = parse(body(), p).zone_versions
    again = parse(body(), p).zone_versions
    assert [(z.zone_id, z.version) for z in again] == [(z.zone_id, z.version) for z in first]
    assert all(a.geometry.equals(b.geometry) for a, b in zip(first, again, strict=True))


def test_cancelled_by_a_later_warning_and_dropped_from_the_list_lift_the_zone() -> None:
    p = make_parser()
    parse(body(), p)
    later = body()
    later["broadcast-warn"].append(
        {**later["broadcast-warn"][4], "msgNumber": 1010, "text": "CARIBBEAN SEA.\nCANCEL NAVAREA IV 1003/25.\n",
         "issueDate": "021200Z DEC 2025"}
    )
    r = parse(later, p, datetime(2025, 12, 2, 13, tzinfo=UTC))
    lifted = [z for z in r.zone_versions if z.status is ZoneStatus.LIFTED]
    assert [(z.zone_id, z.version, z.change, z.valid_from) for z in lifted] == [
        ("NAVAREA-IV-1003-2025", 2, ZoneChange.LIFT, datetime(2025, 12, 2, 12, 0, tzinfo=UTC)),
    ]
    # next hour 1001 is no longer listed by NAVAREA IV: it was cancelled
    gone = body()
    gone["broadcast-warn"] = [w for w in gone["broadcast-warn"] if not (isinstance(w, dict) and w["msgNumber"] == 1001)]
    r = parse(gone, p, datetime(2025, 12, 2, 14, tzinfo=UTC))
    lifted = [(z.zone_id, z.valid_from) for z in r.zone_versions if z.status is ZoneStatus.LIFTED]
    assert lifted == [("NAVAREA-IV-1001-2025", datetime(2025, 12, 2, 14, tzinfo=UTC))]
    # an answer for HYDROLANT alone does not lift NAVAREA IV zones
    hydrolant_only = {"broadcast-warn": [w for w in body()["broadcast-warn"] if isinstance(w, dict) and w["navArea"] == "A"]}
    r = parse(hydrolant_only, p, datetime(2025, 12, 2, 15, tzinfo=UTC))
    assert not [z for z in r.zone_versions if z.status is ZoneStatus.LIFTED]


def test_wrong_shape_is_a_parse_error() -> None:
    for bad in ([], {"warnings": []}, "text"):
        with pytest.raises(ParseError) as err:
            parse(bad)  # type: ignore[arg-type]
        assert err.value.reason == "bad_shape"


# --- the real April 2023 answer ------------------------------------------------------------


def test_real_answer_caribbean_and_venezuela_warnings(samples_dir: Path) -> None:
    raw = json.loads((samples_dir / "nga_msi_broadcast_warn_2023-04.json").read_text())
    p = make_parser()
    r = parse(raw, p, datetime(2023, 4, 21, tzinfo=UTC))
    zones = {z.zone_id: z for z in r.zone_versions}
    assert len(zones) == 103 and len(r.notices) == 5
    assert r.errors == {"bad_coordinate": 1}  # NAVAREA IV 410/23 writes 09-60.0N
    assert p.stats["other_navarea"] == 219

    shoal = zones["NAVAREA-IV-370-2023"]  # VENEZUELA. 5.5 METER SHOAL IN 10-38.04N 071-36.00W.
    assert shoal.name == "NAVAREA IV 370/23" and shoal.severity is Severity.MEDIUM
    assert (shoal.geometry.centroid.x, shoal.geometry.centroid.y) == pytest.approx((-71.6, 10.634), abs=1e-5)
    assert shoal.valid_from == datetime(2023, 4, 1, 0, 12, tzinfo=UTC) and shoal.valid_to is None

    unare = zones["NAVAREA-IV-1193-2022"]  # UNARE LIGHT 10-05.50N 065-10.73W DESTROYED
    assert (unare.geometry.centroid.x, unare.geometry.centroid.y) == pytest.approx(
        (-(65 + 10.73 / 60), 10 + 5.5 / 60), abs=1e-5
    )
    curacao = zones["NAVAREA-IV-856-2022"]  # JRCC CURACAO 12-10.00N 068-52.00W MF DSC
    assert curacao.geometry.contains(Point(-(68 + 52 / 60), 12 + 10 / 60))
    guiria = zones["NAVAREA-IV-1113-2021"]  # RECALADA GUIRIA LIGHT 10-34-48N 062-17-27W (DMS)
    assert guiria.geometry.centroid.y == pytest.approx(10 + 34 / 60 + 48 / 3600, abs=1e-5)
    assert guiria.geometry.centroid.x == pytest.approx(-(62 + 17 / 60 + 27 / 3600), abs=1e-5)

    anguilla = zones["NAVAREA-IV-222-2023"]  # ANCHORING PROHIBITED ... IN AREA BOUND BY 4 points
    assert anguilla.geometry.geom_type == "Polygon" and anguilla.confidence == 1.0
    corners = sorted((-(63 + m / 60), 18 + lat / 60) for lat, m in ((13.60, 4.15), (13.60, 4.70), (13.20, 4.70), (13.20, 4.50)))
    got = sorted(set(anguilla.geometry.exterior.coords))
    assert len(got) == 4 and all(g == pytest.approx(c, abs=1e-6) for g, c in zip(got, corners, strict=True))
    rockets = zones["NAVAREA-IV-418-2023"]  # HAZARDOUS OPERATIONS, ROCKET LAUNCHING, areas A and B
    assert rockets.severity is Severity.HIGH and len(rockets.geometry.geoms) == 2
    assert rockets.valid_to == datetime(2023, 4, 25, 15, 16, tzinfo=UTC)
    rowing = zones["NAVAREA-IV-1396-2022"]  # trackline La Gomera -> English Harbour
    assert rowing.confidence == 0.8 and rowing.geometry.contains(Point(-61 - 46 / 60, 17.0))
    assert "HYDROLANT-821-2023" in zones  # Saint Lucia, overdue fishing vessel
    assert not [z for z in zones.values() if z.zone_id.startswith(("HYDROPAC", "NAVAREA-XII"))]


# --- the poller -------------------------------------------------------------------------


def test_adapter_queries_both_navareas_and_returns_one_record_each() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        area = request.url.params["navArea"]
        warnings = [w for w in body()["broadcast-warn"] if isinstance(w, dict) and w["navArea"] == area]
        return httpx.Response(200, json={"broadcast-warn": warnings})

    async def main():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            adapter = NgaMsiAdapter(client, base_url="http://127.0.0.1:8765")
            return await adapter.poll(), adapter

    result, adapter = asyncio.run(main())
    assert adapter.interval_s == 3600.0
    assert [(u.path, dict(u.params)) for u in seen] == [
        ("/api/publications/broadcast-warn", {"output": "json", "status": "active", "navArea": "4"}),
        ("/api/publications/broadcast-warn", {"output": "json", "status": "active", "navArea": "A"}),
    ]
    assert [r.feed for r in result.records] == ["nga_msi", "nga_msi"]
    p = make_parser()
    zone_ids = [z.zone_id for rec in result.records for z in parse(rec.body, p).zone_versions]
    assert "NAVAREA-IV-1001-2025" in zone_ids and "HYDROLANT-1500-2025" in zone_ids


@pytest.mark.parametrize(
    ("response", "error", "reason"),
    [
        (httpx.Response(503, text="down"), FeedError, "http_503"),
        (httpx.Response(429, headers={"Retry-After": "120"}), RateLimited, "rate_limited"),
        (httpx.Response(200, text="<html><body>maintenance</body></html>"), FeedError, "html_body"),
    ],
)
def test_adapter_failures_are_feed_errors(response: httpx.Response, error: type, reason: str) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: response)) as client:
            await NgaMsiAdapter(client).poll()

    with pytest.raises(error) as err:
        asyncio.run(main())
    assert err.value.reason == reason
