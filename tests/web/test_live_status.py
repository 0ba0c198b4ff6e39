"""An honest demo: ``/api/live/status`` says when a played scenario has ended, the live
features carry who a subject is, and the demo polls its feeds often enough in data time
that feed health never calls them stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.domain import Observation, SubjectKind
from monitor.pipeline.health import FeedHealthBook
from monitor.service.demo import NGA_POLL_S, demo_poll_interval_s
from monitor.web.live_index import aircraft_feature, vessel_feature
from tests.web import scenario


def test_status_without_a_scenario_never_says_ended(client):
    body = client.get("/api/live/status").json()
    assert body == {"clock": "2025-12-02T10:10:00Z", "scenario_end": None, "ended": False, "message": None}


def test_status_says_when_the_scenario_has_ended(client):
    services = client.app.state.ctx.services
    services.scenario_end = scenario.t(30)
    body = client.get("/api/live/status").json()
    assert body["ended"] is False and body["scenario_end"] == "2025-12-02T10:30:00Z"
    services.scenario_end = scenario.t(10)  # the data clock is there
    body = client.get("/api/live/status").json()
    assert body["ended"] is True
    assert body["message"].startswith("The scenario ended at 2025-12-02 10:10:00 UTC")
    services.scenario_end = None


@pytest.mark.parametrize("speed", [10.0, 40.0, 80.0, 200.0])
def test_demo_feeds_never_look_stale_at_demo_speed(speed):
    """NGA MSI every 30 wall seconds at 40x was 20 min of data time apart, above the 15 min
    stale threshold: a "feed stale" incident between every two polls."""
    book = FeedHealthBook()
    every_s = demo_poll_interval_s(NGA_POLL_S, speed, stale_after_s=book.stale_after_s) * speed
    at = scenario.t(0)
    for _ in range(40):  # 40 polls of the fake NGA feed, in data time
        book.data("nga_msi", "nga_msi", at, items=3, errors={})
        assert book.silent_feeds(at + timedelta(seconds=every_s * 0.99)) == []
        at += timedelta(seconds=every_s)
    assert demo_poll_interval_s(NGA_POLL_S, 1.0, stale_after_s=900.0) == NGA_POLL_S


def test_live_features_carry_who_the_subject_is():
    at = scenario.t(0)
    plane = aircraft_feature(Observation(
        source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT, subject_id="a8a1c7",
        time=at, lat=11.0, lon=-64.0, callsign="AAL1234"))["properties"]
    assert plane["registry_iso2"] == "US" and plane["registry_state"] == "United States"
    assert plane["operator_icao"] == "AAL" and plane["operator_name"]
    ship = vessel_feature(Observation(
        source="aisstream", feed_kind="aisstream", subject_kind=SubjectKind.VESSEL, subject_id="775001122",
        time=at, lat=11.0, lon=-64.0, name="MAR AZUL"))["properties"]
    assert ship["mmsi_class"] == "ship" and ship["flag_iso2"] == "VE"
