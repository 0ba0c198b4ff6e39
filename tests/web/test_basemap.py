"""The offline base map as the app serves it: every country of the region, the shaded world
outside it, and the place names, with the older fallbacks when the built files are absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.web.app import create_app
from monitor.web.basemap import LABELS_URL
from tests.web import scenario

NEIGHBOURS = ("Colombia", "Guyana", "Brazil", "Trinidad and Tobago", "Aruba", "Curaçao", "Netherlands",
              "Puerto Rico", "Dominican Rep.", "Haiti", "Jamaica", "Panama", "Costa Rica")


def test_basemap_draws_every_country_of_the_region(client):
    resp = client.get("/api/basemap")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    features = resp.json()["features"]
    layers = [f["properties"]["layer"] for f in features]
    assert layers[:2] == ["graticule", "outside"]  # drawing order: land over both
    assert set(layers[2:]) == {"land"}
    names = {f["properties"]["name"] for f in features if f["properties"]["layer"] == "land"}
    assert {"Venezuela", *NEIGHBOURS} <= names
    assert len({f["id"] for f in features}) == len(features)
    outside = features[1]["geometry"]["coordinates"]
    assert outside[1] == [[-92.0, -6.0], [-92.0, 26.0], [-50.0, 26.0], [-50.0, -6.0], [-92.0, -6.0]]


def test_place_names_are_served_for_the_pages(client):
    resp = client.get(LABELS_URL)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    features = resp.json()["features"]
    texts = {(f["properties"]["kind"], f["properties"]["text"]) for f in features}
    assert {("capital", "Caracas"), ("capital", "Port of Spain"), ("country", "Colombia"),
            ("country", "Trinidad and Tobago"), ("airport", "SVMI CCS")} <= texts
    assert all(f["geometry"]["type"] == "Point" and f["id"].startswith("label-") for f in features)
    assert LABELS_URL not in client.get("/openapi.json").json()["paths"]  # a file, not API


@pytest.mark.parametrize("path", ["/", "/history", "/incidents/1"])
def test_pages_draw_land_and_place_names(client, path):
    html = client.get(path).text
    assert '"/api/basemap"' in html and f'"{LABELS_URL}"' in html
    assert "MonitorMap.basemapLabel" in html and "basemapLabels" in html


def test_without_the_built_files_the_land_zones_are_drawn_and_no_names(web_store, tmp_path: Path):
    store, _ = web_store
    services = scenario.services(store, geodata_dir=tmp_path)  # an empty geodata folder
    with TestClient(create_app(services), base_url="http://127.0.0.1:8000") as c:
        layers = [f["properties"]["layer"] for f in c.get("/api/basemap").json()["features"]]
        names = c.get(LABELS_URL)
    assert layers[0] == "graticule" and "outside" not in layers
    assert names.status_code == 200 and names.json()["features"] == []
