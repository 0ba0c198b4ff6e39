"""``/openapi.json`` and ``/docs`` of the app as ``monitor run`` builds it: with ``/metrics``.

The other web tests build the app without a metrics registry, so the metrics route (added
only when ``WebServices.metrics`` is set) is not in their schema. A return annotation
FastAPI cannot resolve there broke the whole schema (500) under ``monitor run`` and
``monitor demo`` while every other test passed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.metrics import MonitorCollector, make_registry
from monitor.web.app import create_app
from tests.pipeline.test_pipeline import make_pipeline
from tests.web import scenario


@pytest.fixture
def metrics_client(web_store) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app with a Prometheus registry over a real pipeline (as ``service.main.web_task``)."""
    store, _ = web_store
    registry = make_registry(MonitorCollector(make_pipeline(store), queue_depth=lambda: 3))
    app = create_app(scenario.services(store, metrics=registry))
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


def test_openapi_answers_with_the_metrics_route(metrics_client):
    resp = metrics_client.get("/openapi.json")
    assert resp.status_code == 200, resp.text[:500]
    paths = resp.json()["paths"]
    metrics = paths["/metrics"]["get"]
    assert metrics["summary"] == "Prometheus metrics"
    assert list(metrics["responses"]["200"]["content"]) == ["text/plain"]
    assert {"/api/incidents", "/api/zones", "/api/basemap", "/healthz"} <= set(paths)


def test_docs_page_and_its_assets_load(metrics_client):
    resp = metrics_client.get("/docs")
    assert resp.status_code == 200
    html = resp.text
    assert "'/openapi.json'" in html or '"/openapi.json"' in html
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css"):
        assert asset in html
        assert metrics_client.get(asset).status_code == 200


def test_metrics_still_scrape(metrics_client):
    resp = metrics_client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert "monitor_pipeline_queue_depth 3.0" in resp.text
