"""End to end: a replayed flight through closed airspace -> incursion -> outbox -> webhook."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from monitor.alerts.receiver import WebhookReceiver
from monitor.alerts.service import alerting_for, build_alerting
from monitor.capture import CaptureWriter
from monitor.detectors.incursion import IncursionDetector
from monitor.geofence import Geofence, ZoneIndex
from monitor.pipeline import Pipeline
from monitor.service.replay import replay
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.alerts.helpers import dispatch_until, settings_with, webhook_alerts
from tests.builders import at, box_zone
from tests.pipeline.fixtures import v2_aircraft, v2_record

CLOSED = box_zone("BOX", (-67.0, 10.0, -65.0, 12.0))


def capture(tmp_path: Path) -> Path:
    path = tmp_path / "flight.jsonl"
    with CaptureWriter(path) as w:
        for i in range(12):  # east through BOX, 1 min apart
            w.write(v2_record(at(i), [v2_aircraft("0d0abc", -68.0 + 0.3 * i, 11.0)]))
    return path


def test_replayed_incursion_alerts_on_open_and_close(tmp_path: Path, database_url: str, receiver: WebhookReceiver) -> None:
    store = Store.open(database_url)
    try:
        settings = settings_with(webhook_alerts(receiver.url, kinds=["incursion"], zones=["BOX"], on_close=True))
        alerting = build_alerting(settings, store, base_url="http://127.0.0.1:8000", known_zone_ids={"BOX"})
        assert alerting is not None
        pipeline = Pipeline(
            geofence=Geofence(ZoneIndex([CLOSED]), min_dwell_s=0, exit_grace_s=0),
            detectors=[IncursionDetector()],
            store=store,
            outbox=alerting.engine,
        )
        replay(pipeline, capture(tmp_path), batch_records=3)
        # written with the incident, before any dispatcher ran
        rows = OutboxStore.of(store).list()
        assert sorted(r.payload["action"] for r in rows) == ["close", "open"]
        assert {r.state for r in rows} == {"pending"}

        async def run() -> bool:
            async with httpx.AsyncClient() as client:
                return await dispatch_until(alerting.dispatcher(client), lambda: len(receiver.unique_keys) == 2)

        assert asyncio.run(run())
        opened = next(r.payload for r in receiver.received if r.payload["action"] == "open")
        assert opened["title"] == "NEW INCURSION [HIGH] TST123 · BOX"
        assert opened["subject"] == {"kind": "aircraft", "id": "0d0abc", "label": "TST123"}
        assert opened["times"]["event_at"] == "2025-12-02T10:03:59.600000Z"
        [incident_id] = {r.incident_id for r in rows}
        detail = store.incident(incident_id)
        assert detail is not None
        assert [a.state for a in detail["alerts"]] == ["delivered", "delivered"]
    finally:
        store.close()


def test_alerting_for_without_rules_changes_nothing(store: Store) -> None:
    assert alerting_for(settings_with({}), store, base_url=None) == (None, None)
    assert alerting_for(settings_with({"rules": []}), store, base_url=None) == (None, None)


def test_alerting_for_returns_the_outbox_function_and_the_task(store: Store) -> None:
    fn, task = alerting_for(settings_with(webhook_alerts("http://127.0.0.1:9/hook")), store, base_url=None,
                            known_zone_ids={"SVZM"})
    assert callable(fn) and callable(task)
    fn, task = alerting_for(
        settings_with(webhook_alerts("http://127.0.0.1:9/hook", dispatcher={"enabled": False})),
        store, base_url=None, known_zone_ids={"SVZM"},
    )
    assert callable(fn) and task is None
