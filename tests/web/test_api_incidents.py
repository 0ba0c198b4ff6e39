"""GET /api/incidents and /api/incidents/{id} on a real SQLite store holding the scenario."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree

import orjson
import pytest

from monitor.web.schemas import IncidentCollection, IncidentDetail

BAD = orjson.loads((Path(__file__).resolve().parents[1] / "fixtures" / "web" / "bad_requests.json").read_bytes())


def keys_of(body: dict, ids: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[f["id"]] for f in body["features"]}


def test_all_incidents_newest_first_as_valid_geojson(client, ids):
    r = client.get("/api/incidents")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    IncidentCollection.model_validate(body)
    assert body["type"] == "FeatureCollection"
    assert body["count"] == len(ids) == 6
    started = [f["properties"]["started_at"] for f in body["features"]]
    assert started == sorted(started, reverse=True)
    lav = next(f for f in body["features"] if f["id"] == ids["inc-svzm-lav"])
    assert lav["geometry"] == {"type": "LineString", "coordinates": [[-67.4, 10.2], [-67.1, 10.45], [-66.9, 10.6]]}
    assert lav["properties"]["url"] == f"http://127.0.0.1:8000/incidents/{ids['inc-svzm-lav']}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zone=SVZM", {"inc-svzm-lav", "inc-svzm-old"}),
        ("zone=SVZM&kind=incursion&status=open", {"inc-svzm-lav"}),
        ("kind=going_dark&kind=loitering", {"inc-dark-marazul", "inc-loiter-donpedro"}),
        ("kind=going_dark,loitering", {"inc-dark-marazul", "inc-loiter-donpedro"}),
        ("severity=high", {"inc-svzm-lav", "inc-svzm-old", "inc-emergency-aal"}),
        ("severity=critical", {"inc-emergency-aal"}),
        ("status=closed", {"inc-svzm-old", "inc-dark-marazul"}),
        ("subject=LAV123", {"inc-svzm-lav"}),
        ("subject=lav123", {"inc-svzm-lav"}),
        ("subject=0D0ABC", {"inc-svzm-lav"}),
        ("subject=775000111", {"inc-dark-marazul"}),
        ("subject=mar azul", {"inc-dark-marazul"}),
        # active in the range: the old incursion (07:00-07:30) and the dark vessel (08:30-09:30)
        ("since=2025-12-02T06:00:00Z&until=2025-12-02T08:45:00Z", {"inc-svzm-old", "inc-dark-marazul"}),
        # active = seen in the range: the GNSS cell (09:40) and the loiterer (09:23) were not
        ("since=2025-12-02T09:45:00Z", {"inc-svzm-lav", "inc-emergency-aal"}),
        # a naive time is UTC
        ("until=2025-12-02T07:10", {"inc-svzm-old"}),
        # bbox around Margarita: the strike-zone vessels only
        ("bbox=-65,11.5,-63,12.8", {"inc-dark-marazul", "inc-loiter-donpedro"}),
        ("bbox=-65,11.5,-63,12.8&status=open", {"inc-loiter-donpedro"}),
        ("bbox=-50,20,-40,30", set()),
    ],
)
def test_filters_select_the_expected_incidents(client, ids, query, expected):
    r = client.get(f"/api/incidents?{query}")
    assert r.status_code == 200, r.text
    assert keys_of(r.json(), ids) == expected


def test_cursor_pages_cover_everything_once(client, ids):
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        r = client.get("/api/incidents", params={"limit": 4, **({"cursor": cursor} if cursor else {})})
        body = r.json()
        assert body["count"] <= 4
        seen += [f["id"] for f in body["features"]]
        cursor = body["next_cursor"]
        pages += 1
        if cursor is None:
            break
        assert r.headers["x-next-cursor"] == cursor
    assert pages == 2
    assert sorted(seen) == sorted(ids.values())


def test_limit_is_capped_at_1000(client):
    r = client.get("/api/incidents?limit=50000")
    assert r.status_code == 200
    assert r.json()["count"] == 6


def test_position_geometry_is_the_last_fix(client, ids):
    body = client.get("/api/incidents?geometry=position&zone=SVZM&status=open").json()
    (feature,) = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-66.9, 10.6]}


def test_gnss_cell_is_an_area_around_the_fix(client, ids):
    body = client.get("/api/incidents?kind=gnss_interference&geometry=cell").json()
    (feature,) = body["features"]
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    lons = [p[0] for p in ring]
    # radius_nm 20 in the details -> 1/3 degree around (-68.5, 11.8)
    assert min(lons) == pytest.approx(-68.5 - 20 / 60, abs=1e-6)
    assert max(lons) == pytest.approx(-68.5 + 20 / 60, abs=1e-6)


@pytest.mark.parametrize("case", BAD["cases"], ids=lambda c: c["url"])
def test_bad_input_is_a_4xx_naming_the_parameter(client, case):
    r = client.get(case["url"])
    assert r.status_code == case["status"], r.text
    body = r.json()
    assert body["param"] == case["param"]
    assert case["message_contains"] in body["message"]
    if r.status_code == 400:
        assert body["message"].startswith(case["param"])


def test_one_incident_with_timeline_evidence_and_alerts(client, ids):
    r = client.get(f"/api/incidents/{ids['inc-svzm-lav']}")
    assert r.status_code == 200
    body = r.json()
    IncidentDetail.model_validate(body)
    assert [e["action"] for e in body["events"]] == ["open", "update"]
    assert [e["record_ref"] for e in body["evidence"]] == ["demo.jsonl:120", "demo.jsonl:188"]
    assert body["evidence"][0]["source"] == "adsb_lol"
    assert [a["rule"] for a in body["alerts"]] == ["incursions"]
    closed = client.get(f"/api/incidents/{ids['inc-dark-marazul']}").json()
    assert [e["action"] for e in closed["events"]] == ["open", "update", "close"]
    assert closed["properties"]["ended_at"] == "2025-12-02T09:30:00Z"


def test_csv_export_has_one_row_per_incident(client, ids):
    r = client.get("/api/incidents.csv?zone=SVZM")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="incidents.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {int(row["id"]) for row in rows} == {ids["inc-svzm-lav"], ids["inc-svzm-old"]}
    assert rows[0]["wkt"].startswith("LINESTRING")


def test_kml_export_is_valid_xml_with_placemarks(client):
    r = client.get("/api/incidents?format=kml&kind=loitering")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    root = ElementTree.fromstring(r.content)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    names = [p.findtext("k:name", namespaces=ns) for p in root.iter("{http://www.opengis.net/kml/2.2}Placemark")]
    assert names == ["loitering DON PEDRO"]


def test_geojson_export_matches_the_query(client, ids):
    plain = client.get("/api/incidents?zone=SVZM&kind=incursion").json()
    export = client.get("/api/incidents.geojson?zone=SVZM&kind=incursion")
    assert 'filename="incidents.geojson"' in export.headers["content-disposition"]
    assert [f["id"] for f in export.json()["features"]] == [f["id"] for f in plain["features"]]


def test_geoparquet_is_written_or_refused_cleanly(client):
    r = client.get("/api/incidents?format=geoparquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert r.status_code == 501
        assert r.json()["param"] == "format"
        assert "pyarrow" in r.json()["message"]
    else:
        assert r.status_code == 200
        assert r.content[:4] == b"PAR1"


def test_the_cli_gives_the_same_set_as_the_api(client, ids, web_store, tmp_path, monkeypatch):
    """``monitor incidents --zone SVZM --kind incursion --format geojson`` == the API."""
    from typer.testing import CliRunner

    from monitor.cli.app import app as cli

    store, _ = web_store
    url = store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["incidents", "--zone", "SVZM", "--kind", "incursion", "--format", "geojson"])
    if result.exit_code != 0 and "config" in (result.output or "").lower():
        pytest.skip(f"the CLI could not load its configuration here: {result.output[:200]}")
    assert result.exit_code == 0, result.output
    cli_ids = {f["id"] for f in orjson.loads(result.stdout)["features"]}
    api_ids = {f["id"] for f in client.get("/api/incidents?zone=SVZM&kind=incursion").json()["features"]}
    assert cli_ids == api_ids == {ids["inc-svzm-lav"], ids["inc-svzm-old"]}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "bbox=-65,11.5,-63,12.8",
        "since=2025-12-02T06:00:00Z&until=2025-12-02T08:45:00Z&bbox=-80,0,-55,20",
        "geometry=position",
        "geometry=position&status=open&limit=2",
        "zone=SVZM&kind=incursion",
    ],
)
def test_the_list_is_the_document_of_the_full_rows(client, web_store, query):
    """The fast list (texts from SQL embedded as they are) answers the very document that
    ``incident_feature`` builds from full rows and shapely geometries."""
    from monitor.store import IncidentQuery
    from monitor.web.geo import ORJSON_OPTS, incident_feature
    from monitor.web.params import incident_query

    store, _ = web_store
    params = dict(p.split("=", 1) for p in query.split("&") if p)
    mode = params.pop("geometry", "track")
    limit = int(params.pop("limit", 100))
    q: IncidentQuery = incident_query(
        since=params.get("since"), until=params.get("until"), bbox=params.get("bbox"),
        zone=params.get("zone"), kind=[params["kind"]] if "kind" in params else None,
        severity=None, subject=None, status=params.get("status"), cursor=None, limit=limit,
        known_zones=lambda: {"SVZM"}, store=store,
    )
    rows, cursor = store.query_incidents(q)
    want = {
        "type": "FeatureCollection",
        "features": [incident_feature(r, mode=mode, base_url="http://127.0.0.1:8000/") for r in rows],
        "count": len(rows),
        "next_cursor": cursor,
    }
    body = client.get(f"/api/incidents?{query}").json()
    assert body == orjson.loads(orjson.dumps(want, option=ORJSON_OPTS))
    assert body["count"] > 0


def test_both_incident_endpoints_document_the_same_filters(client):
    spec = client.get("/openapi.json").json()
    filters = ["since", "until", "bbox", "zone", "kind", "severity", "subject", "status", "cursor"]

    def params(path: str) -> dict[str, str]:
        return {p["name"]: p.get("description", "") for p in spec["paths"][path]["get"]["parameters"]}

    listed, exported = params("/api/incidents"), params("/api/incidents.{fmt}")
    for name in filters:
        assert listed[name] and listed[name] == exported[name], name
    assert "limit" in listed and "limit" in exported


def test_the_worker_app_serves_the_database_of_the_settings(web_store, ids, monkeypatch, tmp_path):
    """``history_app`` (what each ``run_workers`` process builds) answers from DATABASE_URL."""
    from fastapi.testclient import TestClient

    from monitor.service.main import history_app
    from monitor.web.server import run_workers

    store, _ = web_store
    monkeypatch.setenv("DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    with TestClient(history_app(), base_url="http://127.0.0.1:8000") as worker:
        body = worker.get("/api/incidents?zone=SVZM").json()
    assert {f["id"] for f in body["features"]} == {ids["inc-svzm-lav"], ids["inc-svzm-old"]}
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_workers(workers=0)


def _item(**kw):  # type: ignore[no-untyped-def]
    from monitor.store.queries import IncidentListItem

    base = dict(
        id=7, kind="incursion", severity="high", status="open", subject_kind="aircraft",
        subject_id="0d0abc", subject_label="LAV123", zone_id="SVZM", zone_version=1,
        started_at="2025-12-02T10:00:00Z", last_seen_at="2025-12-02T10:05:00.250000Z", ended_at=None,
        lat=None, lon=None, summary="s", details_json="{}", geometry_json=None, geometry_wkt=None,
    )
    return IncidentListItem(**{**base, **kw})


@pytest.mark.parametrize(
    ("item", "mode", "geometry"),
    [
        # stored geometry SQL could not rewrite (a polygon on SQLite): shapely writes it
        (_item(geometry_wkt="POLYGON ((0 0, 1 0, 1 1, 0 0))"), "track",
         {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]}),
        # no position columns: the last coordinate of the track
        (_item(geometry_json='{"type":"LineString","coordinates":[[1,2],[3,4]]}'), "position",
         {"type": "Point", "coordinates": [3.0, 4.0]}),
        (_item(geometry_wkt="LINESTRING Z (1 2 9, 3 4 9)"), "position",  # 2-D, as position_of
         {"type": "Point", "coordinates": [3.0, 4.0]}),
        # no geometry at all: the last fix, else nothing
        (_item(lon=-66.9, lat=10.6), "track", {"type": "Point", "coordinates": [-66.9, 10.6]}),
        (_item(), "track", None),
        (_item(), "position", None),
        (_item(geometry_json="null"), "position", None),
    ],
)
def test_list_features_fall_back_where_sql_gave_no_geojson(item, mode, geometry):
    from monitor.web.geo import list_features_json

    doc = orjson.loads(list_features_json([item], mode=mode, base_url="http://h/", next_cursor="c"))
    IncidentCollection.model_validate(doc)
    (feature,) = doc["features"]
    assert feature["geometry"] == geometry
    assert feature["properties"]["url"] == "http://h/incidents/7"
    assert feature["properties"]["details"] == {}
    assert feature["properties"]["last_seen_at"] == "2025-12-02T10:05:00.250000Z"
    assert doc["next_cursor"] == "c" and doc["count"] == 1


def test_list_features_refuse_the_cell_mode():
    from monitor.web.geo import list_features_json

    with pytest.raises(ValueError, match="cell"):
        list_features_json([_item()], mode="cell")
