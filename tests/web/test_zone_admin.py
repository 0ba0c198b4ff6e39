"""Zone writes over HTTP on real uvicorn servers (127.0.0.1), on SQLite and PostGIS.

Two history servers share one database, each with its own store and zone signal, as two
``monitor serve`` processes do: a version declared, amended or lifted through one must
show on the other within 5 s. Tokens: missing 401, wrong 403, none configured 403, each
refusal logged without the token. Bad input: 400 naming the field, nothing stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from monitor.config import Settings, WebConfig
from monitor.service.main import history_services
from monitor.store import Store
from monitor.web.app import create_app
from tests.web.live_server import serve_in_thread

TOKEN = "zone-admin-token-7f3a91"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROPAGATION_S = 5.0

AREA = {
    "type": "Polygon",
    "coordinates": [[[-67.5, 10.0], [-66.0, 10.0], [-66.0, 11.2], [-67.5, 11.2], [-67.5, 10.0]]],
}


def declaration(zone_id: str = "WATCH-CCS", **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": AREA,
        "properties": {
            "zone_id": zone_id,
            "name": "Caracas approach watch",
            "kind": "advisory_airspace",
            "authority": "FAA",
            "binds": "operators:US",
            "valid_from": "2026-01-03T12:00Z",
            "source_ref": "KICZ A0012/26",
            "source_url": "https://www.faa.gov/air_traffic/publications/us_restrictions/",
            "more_sources": ["https://www.easa.europa.eu/en/domains/air-operations/czibs"],
            "notes": "EASA's bulletin draws the same area",
            **props,
        },
    }


@contextmanager
def history_server(store: Store, token: str | None = TOKEN) -> Iterator[str]:
    """A history server over ``store``'s database, as one ``monitor serve`` worker."""
    settings = Settings(
        database_url=store.engine.url.render_as_string(hide_password=False),
        web=WebConfig(admin_token=token),
    )
    services, signal = history_services(settings)
    try:
        with serve_in_thread(create_app(services)) as base:
            yield base
    finally:
        signal.stop()
        services.store.close()


def history(base: str, zone_id: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/zones/{zone_id}/history", timeout=10)
    return r.json()["features"] if r.status_code == 200 else []


def wait_for(base: str, zone_id: str, version: int) -> float:
    """Seconds until ``base`` shows ``zone_id`` at ``version`` (fails after 5 s)."""
    started = time.perf_counter()
    while time.perf_counter() - started < PROPAGATION_S + 1:
        if any(f["properties"]["version"] == version for f in history(base, zone_id)):
            return time.perf_counter() - started
        time.sleep(0.02)
    pytest.fail(f"{base} did not show {zone_id}@v{version} within {PROPAGATION_S} s")


def stored_keys(store: Store) -> list[str]:
    return [v.key for v in store.list_versions()]


def test_declare_amend_lift_on_one_server_show_on_the_other_within_5_s(store: Store) -> None:
    with ExitStack() as stack:
        one = stack.enter_context(history_server(store))
        two = stack.enter_context(history_server(store))
        delays: list[float] = []

        declared = httpx.post(f"{one}/api/zones", json=declaration(), headers=AUTH, timeout=10)
        assert declared.status_code == 201, declared.text
        assert declared.headers["location"] == "/api/zones/WATCH-CCS/history"
        props = declared.json()["properties"]
        assert (props["key"], props["change"], props["status"]) == ("WATCH-CCS@v1", "declare", "advisory")
        assert props["binds"] == "operators:US"
        assert props["source_url"].startswith("https://www.faa.gov/")
        assert props["more_sources"] == ["https://www.easa.europa.eu/en/domains/air-operations/czibs"]
        assert props["notes"] == "EASA's bulletin draws the same area"
        assert history(one, "WATCH-CCS"), "the writing server does not show its own write"
        delays.append(wait_for(two, "WATCH-CCS", 1))

        amended = httpx.post(
            f"{two}/api/zones/WATCH-CCS/amend",
            json={"properties": {"status": "closed", "binds": "civil", "valid_from": "2026-01-05T00:00Z"}},
            headers=AUTH,
            timeout=10,
        )
        assert amended.status_code == 201, amended.text
        props = amended.json()["properties"]
        assert (props["key"], props["change"], props["status"], props["binds"]) == (
            "WATCH-CCS@v2", "amend", "closed", "civil"
        )
        assert props["severity"] == "high"  # follows the new status
        delays.append(wait_for(one, "WATCH-CCS", 2))

        lifted = httpx.post(
            f"{one}/api/zones/WATCH-CCS/lift",
            json={"at": "2026-02-01T00:00Z", "source_ref": "KICZ A0044/26", "reason": "cancelled",
                  "source_url": "https://www.faa.gov/lift"},
            headers=AUTH,
            timeout=10,
        )
        assert lifted.status_code == 201, lifted.text
        props = lifted.json()["properties"]
        assert (props["key"], props["change"], props["status"]) == ("WATCH-CCS@v3", "lift", "lifted")
        assert (props["source_ref"], props["description"]) == ("KICZ A0044/26", "cancelled")
        delays.append(wait_for(two, "WATCH-CCS", 3))

        in_force = httpx.get(f"{two}/api/zones?at=2026-01-10T00:00Z", timeout=10).json()["features"]
        assert [f["id"] for f in in_force if f["properties"]["zone_id"] == "WATCH-CCS"] == ["WATCH-CCS@v2"]
        after = httpx.get(f"{two}/api/zones?at=2026-02-02T00:00Z", timeout=10).json()["features"]
        assert not [f for f in after if f["properties"]["zone_id"] == "WATCH-CCS"]
    print(f"\n{store.dialect}: API write -> other server delays {[round(d, 3) for d in delays]} s")
    assert max(delays) < PROPAGATION_S
    rows = {v.key: v for v in store.list_versions()}
    assert [k for k in rows if k.startswith("WATCH-CCS")] == ["WATCH-CCS@v1", "WATCH-CCS@v2", "WATCH-CCS@v3"]
    assert str(rows["WATCH-CCS@v1"].scope) == "operators:US"


def test_a_history_server_shows_the_shipped_zones(store: Store) -> None:
    with history_server(store) as base:
        zones = httpx.get(f"{base}/api/zones?at=2026-01-03T12:00Z", timeout=10).json()["features"]
        assert {"SVZM", "FIR-SVZM"} <= {f["properties"]["zone_id"] for f in zones}
        svzm = history(base, "SVZM")
        assert len(svzm) > 1 and {f["properties"]["authority"] for f in svzm} >= {"FAA"}


def test_a_missing_or_wrong_token_is_refused_and_logged_without_the_token(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    before = stored_keys(store)
    caplog.set_level(logging.WARNING, logger="monitor.web.security")
    with history_server(store) as base:
        missing = httpx.post(f"{base}/api/zones", json=declaration(), timeout=10)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["param"] == "authorization"
        wrong = httpx.post(
            f"{base}/api/zones/SVZM/lift", json={}, timeout=10,
            headers={"Authorization": f"Bearer {TOKEN}x"},
        )
        assert wrong.status_code == 403 and "not the admin token" in wrong.json()["message"]
        not_bearer = httpx.post(
            f"{base}/api/zones/SVZM/amend", json={"properties": {"status": "closed"}}, timeout=10,
            headers={"Authorization": f"Basic {TOKEN}"},
        )
        assert not_bearer.status_code == 401
        # refused before the body is even read: no hint about what a valid body is
        assert httpx.post(f"{base}/api/zones", json={"type": "Point"}, timeout=10).status_code == 401
    assert stored_keys(store) == before
    refusals = [r for r in caplog.records if r.name == "monitor.web.security"]
    assert len(refusals) == 4
    for record in refusals:
        line = record.getMessage()
        assert "POST /api/zones" in line and "127.0.0.1:" in line, line
        assert TOKEN not in line, line
    assert TOKEN not in caplog.text


def test_without_a_configured_token_writes_are_disabled(store: Store) -> None:
    with history_server(store, token=None) as base:
        refused = httpx.post(f"{base}/api/zones", json=declaration(), headers=AUTH, timeout=10)
    assert refused.status_code == 403
    assert "writes are disabled" in refused.json()["message"]
    assert "WATCH-CCS" not in {v.zone_id for v in store.list_versions()}


#: (route, body, field the answer must name); each is refused and stores nothing
BAD_INPUT = [
    ("/api/zones", declaration("B-SCOPE", binds="everyone"), "binds"),
    ("/api/zones", declaration("B-VALID", valid_to="2026-01-01T00:00Z"), "valid_to"),
    ("/api/zones", declaration("B-URL", source_url="not a url"), "source_url"),
    ("/api/zones", declaration("B-MORE", more_sources=["ftp://example.org/x"]), "more_sources"),
    ("/api/zones", declaration("B-KIND", kind="no_fly"), "kind"),
    ("/api/zones", declaration("B-BAND", floor="FL300", ceiling="FL100"), "floor"),
    ("/api/zones", declaration("B-TIME", valid_from="yesterday"), "valid_from"),
    ("/api/zones", declaration("B-AUTH", authority=None), "authority"),
    ("/api/zones", {**declaration("B-AREA"), "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, "geometry"),
    ("/api/zones", {**declaration("B-NEW"), "geometry": None}, "geometry"),
    ("/api/zones", {**declaration("B-TYPE"), "type": "Point"}, "type"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {"binds": "everyone"}}, "binds"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {"valid_to": "2020-01-01T00:00Z"}}, "valid_to"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {"source_url": "not a url"}}, "source_url"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {"valid_from": "2026-01-01T00:00Z", "status": "closed"}}, "valid_from"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {}}, "properties"),
    ("/api/zones/WATCH-CCS/amend", {"properties": {"zone_id": "OTHER", "status": "closed"}}, "zone_id"),
    ("/api/zones/WATCH-CCS/lift", {"at": "2020-01-01T00:00Z"}, "at"),
    ("/api/zones/WATCH-CCS/lift", {"source_url": "not a url"}, "source_url"),
    ("/api/zones/WATCH-CCS/lift", {"authority": "NOBODY"}, "authority"),
    ("/api/zones/WATCH-CCS/lift", {"reasons": "typo"}, "reasons"),
    ("/api/zones/NO-SUCH-ZONE/lift", {}, "zone_id"),
]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(store: Store) -> None:
    answers = []
    with history_server(store) as base, httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
        assert http.post("/api/zones", json=declaration()).status_code == 201  # amended, lifted below
        before = stored_keys(store)
        token = store.zone_change_token()
        for route, body, field in BAD_INPUT:
            r = http.post(route, json=body)
            answers.append((route, field, r.status_code, r.json()))
    wrong = [
        (route, field, status, doc)
        for route, field, status, doc in answers
        if not (400 <= status < 500 and doc.get("param") == field and field in doc.get("message", ""))
    ]
    assert not wrong, wrong
    statuses = {(route, field): status for route, field, status, _ in answers}
    assert statuses[("/api/zones/NO-SUCH-ZONE/lift", "zone_id")] == 404
    assert statuses[("/api/zones", "type")] == 422
    assert statuses[("/api/zones", "binds")] == 400
    assert store.zone_change_token() == token
    assert stored_keys(store) == before


def test_a_second_declaration_by_the_same_authority_is_a_conflict(store: Store) -> None:
    with history_server(store) as base:
        assert httpx.post(f"{base}/api/zones", json=declaration(), headers=AUTH).status_code == 201
        again = httpx.post(f"{base}/api/zones", json=declaration(), headers=AUTH)
        other = httpx.post(
            f"{base}/api/zones",
            json={**declaration(authority="EASA", binds="civil"), "geometry": None},
            headers=AUTH,
        )
    assert again.status_code == 409 and "amend it" in again.json()["message"]
    assert other.status_code == 201, other.text  # another authority over the same area
    assert other.json()["properties"]["version"] == 2
    assert other.json()["geometry"]["type"] == "Polygon"


def test_openapi_documents_the_zone_writes(store: Store) -> None:
    with history_server(store) as base:
        spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    scheme = spec["components"]["securitySchemes"]["adminToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path in ("/api/zones", "/api/zones/{zone_id}/amend", "/api/zones/{zone_id}/lift"):
        op = spec["paths"][path]["post"]
        assert op["security"] == [{"adminToken": []}], path
        assert {"201", "400", "401", "403", "409", "422"} <= set(op["responses"]), path
        assert op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        assert "requestBody" in op, path
    declare = spec["paths"]["/api/zones"]["post"]
    assert declare["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/ZoneFeature")
    fields = spec["components"]["schemas"]["ZoneFieldsIn"]["properties"]
    assert {"binds", "source_url", "more_sources", "notes", "valid_from", "valid_to"} <= set(fields)
