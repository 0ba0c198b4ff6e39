"""FAA NMS NOTAMs -> zone versions, on a format-faithful (synthetic) NMS GeoJSON response."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import Point, box, shape

from monitor.domain import ZoneKind, ZoneStatus
from monitor.domain.incident import Severity
from monitor.errors import ConfigError, FeedError, ParseError
from monitor.feeds.notam import (
    NmsNotamAdapter,
    classify,
    geometry_from_text,
    make_parser,
    scope_of,
)

#: a stand-in for the SVZM boundary (the real one is in geodata / ../shared)
SVZM_BOX = box(-73.0, 0.6, -58.0, 15.7)
RECEIVED = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


def parse(body: Any, firs: dict[str, Any] | None = None) -> Any:
    return make_parser(firs)(body, received_at=RECEIVED, source="faa_nms", record_ref="cap:3")


def zones(result: Any) -> dict[str, Any]:
    return {z.zone_id: z for z in result.zone_versions}


@pytest.fixture
def nms(load_aviation: Any) -> Any:
    return load_aviation("nms_notams_geojson.json")


def test_restricted_area_with_text_polygon(nms: Any) -> None:
    z = zones(parse(nms))["NOTAM-SVZM-A1234/25"]
    assert (z.kind, z.status, z.severity) == (
        ZoneKind.CLOSED_AIRSPACE,
        ZoneStatus.CLOSED,
        Severity.HIGH,
    )
    assert z.source_ref == "A1234/25" and z.authority == "SVZM" and z.version == 1
    assert z.valid_from == datetime(2025, 11, 22, tzinfo=UTC)
    assert z.valid_to == datetime(2026, 2, 22, 23, 59, tzinfo=UTC)
    assert z.floor_ft == 0.0 and z.ceiling_ft == float("inf")
    # 1100N06800W-1130N06700W-1030N06630W-1000N06730W
    assert z.geometry.bounds == pytest.approx((-68.0, 10.0, -66.5, 11.5))
    assert z.geometry.contains(Point(-67.3, 10.7)) and z.confidence == 1.0


def test_advisory_without_coordinates_uses_the_fir(nms: Any) -> None:
    result = parse(nms, {"svzm": SVZM_BOX})
    z = zones(result)["NOTAM-KICZ-A0012/25"]
    assert (z.kind, z.status) == (ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY)
    assert z.geometry.equals(SVZM_BOX) and z.confidence == 0.6
    assert z.valid_to == datetime(2026, 2, 19, 23, 59, tzinfo=UTC)  # "EST" dropped
    assert z.authority == "KICZ"
    # without FIR boundaries the same NOTAM has nowhere to go: counted, not guessed
    assert parse(nms).errors["no_geometry"] == 1


def test_runway_notam_is_not_a_zone(nms: Any) -> None:
    result = parse(nms)
    assert "NOTAM-SVMI-A1240/25" not in zones(result)
    assert result.errors["not_airspace"] == 1


def test_circle_from_text(nms: Any) -> None:
    z = zones(parse(nms))["NOTAM-SVZM-A1250/25"]
    assert z.status is ZoneStatus.ADVISORY and z.ceiling_ft == 40_000.0
    centre = z.geometry.centroid
    assert (centre.y, centre.x) == pytest.approx((11.5, -68.5), abs=0.01)
    # 30 nm = 0.5 degree of latitude
    assert z.geometry.bounds[3] - z.geometry.bounds[1] == pytest.approx(1.0, abs=0.01)


def test_q_line_circle_and_perm(nms: Any) -> None:
    z = zones(parse(nms))["NOTAM-TNCF-A0777/25"]
    assert (z.kind, z.status) == (ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY)
    assert z.valid_to is None and z.ceiling_ft == 12_000.0 and z.confidence == 0.9
    assert z.geometry.contains(Point(-69.0, 12.25))


def test_feature_polygon_prohibited(nms: Any) -> None:
    z = zones(parse(nms))["NOTAM-SVZM-A1260/25"]
    assert (z.status, z.severity) == (ZoneStatus.PROHIBITED, Severity.CRITICAL)
    assert z.geometry.equals(box(-72.0, 11.0, -71.5, 11.5))


def test_cancellation_lifts_the_cancelled_zone(nms: Any) -> None:
    result = parse(nms, {"SVZM": SVZM_BOX})
    lifted = zones(result)["NOTAM-SVZM-A1200/25"]
    assert lifted.status is ZoneStatus.LIFTED and not lifted.restricts
    assert lifted.version == 2 and lifted.source_ref == "A1261/25"
    assert lifted.valid_from == datetime(2025, 11, 24, 9, tzinfo=UTC)
    assert parse(nms).errors["unrecognised_cancel"] == 1  # no geometry to attach it to


def test_broken_feature_is_counted(nms: Any) -> None:
    assert parse(nms).errors["bad_record"] == 1


def test_legacy_items_shape_and_errors(nms: Any) -> None:
    legacy = {
        "pageSize": 50,
        "pageNum": 1,
        "totalCount": 1,
        "totalPages": 1,
        "items": nms["data"]["geojson"][:1],
    }
    assert "NOTAM-SVZM-A1234/25" in zones(parse(legacy))
    with pytest.raises(ParseError) as info:
        parse({"status": "Error", "errors": [{"message": "Unauthorized"}]})
    assert info.value.reason == "api_error"
    with pytest.raises(ParseError):
        parse([1, 2])


@pytest.mark.parametrize(
    ("qcode", "text", "expected"),
    [
        ("QRPCA", "", (ZoneKind.CLOSED_AIRSPACE, ZoneStatus.PROHIBITED)),
        ("QRRCA", "", (ZoneKind.CLOSED_AIRSPACE, ZoneStatus.CLOSED)),
        ("QAFLC", "", (ZoneKind.CLOSED_AIRSPACE, ZoneStatus.CLOSED)),
        ("QWELW", "", (ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY)),
        ("QMRLC", "RWY 10 CLSD", None),
        (
            None,
            "MAIQUETIA FIR CLOSED TO ALL CIVIL TRAFFIC",
            (ZoneKind.CLOSED_AIRSPACE, ZoneStatus.CLOSED),
        ),
        (
            None,
            "AIRSPACE PROHIBITED FOR US OPERATORS",
            (ZoneKind.CLOSED_AIRSPACE, ZoneStatus.PROHIBITED),
        ),
        (
            None,
            "GNSS INTERFERENCE REPORTED IN THE SVZM FIR",
            (ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY),
        ),
        (None, "TWY B CLOSED", None),
    ],
)
def test_classify(qcode: str | None, text: str, expected: Any) -> None:
    got = classify(qcode, text)
    assert (None if got is None else (got.kind, got.status)) == expected


def test_geometry_from_text_variants() -> None:
    found = geometry_from_text("WI AREA 103000N0670000W-110000N0660000W-104500N0653000W")
    assert found is not None and found[0].area > 0
    assert geometry_from_text("RWY 10/28 CLSD") is None


def test_real_fir_boundary(shared_dir: Path, nms: Any) -> None:
    doc = json.loads((shared_dir / "reference" / "firs_caribbean.geojson").read_text())
    firs = {f["properties"]["icao"]: shape(f["geometry"]) for f in doc["features"]}
    z = zones(parse(nms, firs))["NOTAM-KICZ-A0012/25"]
    assert z.geometry.contains(Point(-66.99, 10.60))  # Maiquetia airport is inside SVZM


# --- adapter -------------------------------------------------------------------------------


def test_adapter_token_flow_and_requests(nms: Any) -> None:
    seen: list[httpx.Request] = []
    tokens = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal tokens
        seen.append(request)
        if request.url.path == "/v1/auth/token":
            assert request.headers["authorization"].startswith("Basic ")
            assert request.content == b"grant_type=client_credentials"
            tokens += 1
            return httpx.Response(200, json={"access_token": f"nms{tokens}", "expires_in": 1799})
        if (
            request.headers["authorization"] == "Bearer nms1"
            and tokens == 1
            and request.url.params["location"] == "TTZP"
        ):
            return httpx.Response(401)
        assert request.headers["nmsResponseFormat"] == "GEOJSON"
        return httpx.Response(200, json=nms)

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            adapter = NmsNotamAdapter(
                client,
                ["svzm", "TTZP"],
                client_id="id",
                client_secret="secret",
                base_url="http://127.0.0.1:9",
                clock=lambda: RECEIVED,
            )
            return await adapter.poll()

    result = asyncio.run(run())
    assert len(result.records) == 2 and tokens == 2
    notam_calls = [r for r in seen if r.url.path == "/nmsapi/v1/notams"]
    assert [r.url.params["location"] for r in notam_calls] == ["SVZM", "TTZP", "TTZP"]
    assert result.records[0].feed == "faa_nms" and result.records[0].body == nms


def test_adapter_is_off_without_keys() -> None:
    with pytest.raises(ConfigError):
        NmsNotamAdapter(httpx.AsyncClient(), ["SVZM"], client_id="", client_secret="")


def test_adapter_html_is_a_feed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1799})
        return httpx.Response(200, content=b"<html><body>Service unavailable</body></html>")

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await NmsNotamAdapter(
                client, ["SVZM"], client_id="i", client_secret="s", base_url="http://127.0.0.1:9"
            ).poll()

    with pytest.raises(FeedError) as info:
        asyncio.run(run())
    assert info.value.reason == "html_body"


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (
            ZoneStatus.PROHIBITED,
            "ALL U.S. AIR CARRIERS AND COMMERCIAL OPERATORS; ALL PERSONS EXERCISING THE "
            "PRIVILEGES OF AN AIRMAN CERTIFICATE ISSUED BY THE FAA; AND ALL OPERATORS OF "
            "AIRCRAFT REGISTERED IN THE UNITED STATES ARE PROHIBITED FROM OPERATING IN THE "
            "MAIQUETIA FIR (SVZM) AT ALL ALTITUDES",
            "operators:US",
        ),
        (ZoneStatus.CLOSED, "AIRSPACE CLSD WI AN AREA DEFINED AS 1030N06700W ...", "civil"),
        (
            ZoneStatus.ADVISORY,
            "U.S. CIVIL AVIATION OPERATORS ARE ADVISED TO EXERCISE CAUTION WHEN OPERATING IN "
            "THE MAIQUETIA FIR",
            "nobody",
        ),
    ],
)
def test_whom_a_notam_binds(status: ZoneStatus, text: str, expected: str) -> None:
    assert str(scope_of(status, text)) == expected
