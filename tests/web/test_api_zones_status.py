"""Zones in force, zone history, feed health, traffic, probes, OpenAPI and security defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import Depends

from monitor.config import WebConfig
from monitor.domain import ZoneChange, ZoneStatus
from monitor.web.app import create_app
from monitor.web.schemas import FeedsStatus, TrafficSeries, ZoneCollection
from monitor.web.security import require_admin
from tests.web.conftest import TestClient
from tests.web.scenario import t


def zone_keys(body: dict) -> set[str]:
    return {f["id"] for f in body["features"]}


def test_zones_default_to_the_monitor_clock(client):
    body = client.get("/api/zones").json()
    ZoneCollection.model_validate(body)
    assert body["at"] == "2025-12-02T10:10:00Z"
    # the navigational warning ran 00:00-09:00 of the scenario day: not in force at 10:10
    assert zone_keys(body) == {"SVZM@v1", "STRIKE-EAST@v1"}
    svzm = next(f for f in body["features"] if f["id"] == "SVZM@v1")["properties"]
    assert svzm["authority"] == "FAA" and svzm["source_ref"].startswith("FAA NOTAM")
    assert svzm["ceiling_ft"] is None and svzm["in_force"] is True


def test_zones_at_a_time(client):
    body = client.get("/api/zones?at=2025-12-02T08:00:00Z").json()
    assert zone_keys(body) == {"SVZM@v1", "STRIKE-EAST@v1", "NAVAREA-IV-1234@v1"}
    assert client.get("/api/zones?at=2025-11-01T00:00Z").json()["features"] == []


def test_zone_history_shows_supersession(web_store, tmp_path):
    store, _ = web_store
    from tests.web import scenario

    services = scenario.services(store)
    base = scenario.zones(scenario.load())
    svzm = base[0]
    lifted = replace(svzm, version=2, status=ZoneStatus.LIFTED, change=ZoneChange.LIFT, valid_from=t(5))
    services.zones = lambda: [*base, lifted]
    with TestClient(create_app(services)) as c:
        hist = c.get("/api/zones/SVZM/history").json()
        assert [f["properties"]["version"] for f in hist["features"]] == [1, 2]
        v1, v2 = (f["properties"] for f in hist["features"])
        assert v1["effective_to"] == "2025-12-02T10:05:00Z"
        assert v2["status"] == "lifted" and v2["in_force"] is False
        assert "SVZM@v1" not in zone_keys(c.get("/api/zones").json())
        assert "SVZM@v1" in zone_keys(c.get("/api/zones?at=2025-12-02T10:00:00Z").json())


def test_feeds_show_health_and_clock(client):
    body = client.get("/api/feeds").json()
    FeedsStatus.model_validate(body)
    assert body["clock"] == "2025-12-02T10:10:00Z"
    assert body["banner"] == "SYNTHETIC TEST SCENARIO"
    feeds = {f["source"]: f for f in body["feeds"]}
    assert feeds["adsb_lol"]["status"] == "ok" and feeds["adsb_lol"]["data_age_s"] == 0.0
    assert feeds["aisstream"]["status"] == "failing"
    assert feeds["aisstream"]["errors"] == {"timeout": 1}
    assert "no message" in feeds["aisstream"]["last_error"]


def test_traffic_series_through_svzm(client):
    body = client.get("/api/stats/traffic?zone=SVZM").json()
    TrafficSeries.model_validate(body)
    counts = [p["aircraft"] for p in body["series"]]
    assert len(counts) == 24 and counts[0] == 14 and counts[-1] == 0
    part = client.get("/api/stats/traffic?zone=SVZM&since=2025-12-02T05:00Z").json()
    assert all(p["hour"] >= "2025-12-02T05:00:00Z" for p in part["series"])
    assert len(part["series"]) == 5


def test_probes(client, services):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    services.ready = lambda: False
    assert client.get("/readyz").status_code == 503


def test_basemap_has_a_graticule_and_ids(client):
    body = client.get("/api/basemap").json()
    layers = [f["properties"]["layer"] for f in body["features"]]
    assert layers[0] == "graticule"
    assert len({f["id"] for f in body["features"]}) == len(body["features"])


def test_openapi_documents_every_endpoint(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/incidents", "/api/incidents/{incident_id}", "/api/incidents.{fmt}", "/api/zones",
                 "/api/zones/{zone_id}/history", "/api/live/aircraft", "/api/live/vessels", "/api/feeds",
                 "/api/stats/traffic", "/healthz", "/readyz"):
        op = paths[path]["get"]
        assert op.get("summary"), path
    listing = paths["/api/incidents"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "since", "until", "bbox", "zone", "kind", "severity", "subject", "status", "cursor", "limit", "format"}
    ok = listing["responses"]["200"]["content"]["application/geo+json"]["schema"]
    assert ok["$ref"].endswith("/IncidentCollection")
    assert "ErrorBody" in listing["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert "/" not in paths and "/history" not in paths  # pages are not API


def test_swagger_ui_is_served_locally(client):
    html = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_read_only_and_closed_cors_by_default(client):
    assert client.post("/api/incidents", json={}).status_code == 405
    assert client.delete("/api/incidents/1").status_code == 405
    r = client.get("/api/incidents", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]


def test_cors_opens_only_to_configured_origins(services):
    services.config = WebConfig(cors_origins=["https://desk.example"])
    with TestClient(create_app(services)) as c:
        ok = c.get("/api/feeds", headers={"Origin": "https://desk.example"})
        assert ok.headers["access-control-allow-origin"] == "https://desk.example"
        other = c.get("/api/feeds", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def _app_with_write(services):  # type: ignore[no-untyped-def]
    app = create_app(services)

    @app.post("/api/test-write", dependencies=[Depends(require_admin)])
    def write() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_writes_need_the_admin_token(services):
    with TestClient(_app_with_write(services)) as c:
        refused = c.post("/api/test-write")
        assert refused.status_code == 403 and "admin_token" in refused.json()["message"]
    services.config = WebConfig(admin_token="s3cret-token")
    with TestClient(_app_with_write(services)) as c:
        assert c.post("/api/test-write").status_code == 401
        assert c.post("/api/test-write", headers={"Authorization": "Bearer wrong"}).status_code == 403
        ok = c.post("/api/test-write", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json() == {"ok": "yes"}


def test_no_clock_means_now(services):
    services.clock = lambda: None
    with TestClient(create_app(services)) as c:
        at = datetime.fromisoformat(c.get("/api/zones").json()["at"].replace("Z", "+00:00"))
        assert abs((at - datetime.now(UTC)).total_seconds()) < 60
