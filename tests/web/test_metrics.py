"""GET /metrics: Prometheus text built from the monitor's own state."""

from __future__ import annotations

from fastapi.testclient import TestClient

from monitor.capture import CaptureRecord
from monitor.metrics import MonitorCollector, make_registry
from monitor.store import Store
from monitor.web.app import create_app
from monitor.web.services import WebServices
from tests.builders import at
from tests.pipeline.fixtures import v2_aircraft, v2_record
from tests.pipeline.test_pipeline import make_pipeline


def test_metrics_report_feeds_pipeline_and_incidents(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        pipeline = make_pipeline(store)
        for i in range(8):  # flies into BOX (lon -67..-65) and stays: one open incursion
            pipeline.process([v2_record(at(i), [v2_aircraft("0d0abc", -68.0 + 0.3 * i, 11.0)])])
        pipeline.process([CaptureRecord("adsbx_v2", at(9), "<html>bad gateway</html>", source="adsb_lol")])
        registry = make_registry(MonitorCollector(pipeline, queue_depth=lambda: 7))
        services = WebServices(
            store=store, live=pipeline.live, health=pipeline.health,
            zones=lambda: list(pipeline.geofence.index.versions), metrics=registry,
        )
        with TestClient(create_app(services)) as client:
            resp = client.get("/metrics")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/plain")
        text = resp.text
        assert 'monitor_feed_records_total{feed="adsb_lol"} 8.0' in text
        assert 'monitor_feed_errors_total{feed="adsb_lol",reason="wrong_shape"} 1.0' in text
        assert "monitor_pipeline_observations_total 8.0" in text
        assert "monitor_pipeline_queue_depth 7.0" in text
        assert 'monitor_open_incidents{kind="incursion"} 1.0' in text
        assert 'monitor_tracked_subjects{kind="aircraft"} 1.0' in text
    finally:
        store.close()
