"""The whole pipeline on a small capture: parse -> tracks -> geofence -> detector -> store."""

from __future__ import annotations

import pytest

from monitor.capture import CaptureWriter
from monitor.detectors.feed_health import FeedStaleDetector
from monitor.detectors.incursion import IncursionDetector
from monitor.geofence import Geofence, ZoneIndex
from monitor.pipeline import Pipeline
from monitor.service.replay import replay
from monitor.store import IncidentQuery, Store
from tests.builders import at, box_zone
from tests.pipeline.fixtures import v2_aircraft, v2_record

CLOSED = box_zone("BOX", (-67.0, 10.0, -65.0, 12.0))


def make_pipeline(store: Store | None) -> Pipeline:
    return Pipeline(
        geofence=Geofence(ZoneIndex([CLOSED]), min_dwell_s=0, exit_grace_s=0),
        detectors=[IncursionDetector(), FeedStaleDetector()],
        store=store,
    )


def flight_records():
    """One aircraft flying east through BOX, one staying west of it, 1 min apart."""
    recs = []
    for i in range(12):
        lon = -68.0 + 0.3 * i
        recs.append(
            v2_record(at(i), [v2_aircraft("0d0abc", lon, 11.0), v2_aircraft("4b1805", -70.0, 11.0 + 0.01 * i)])
        )
    return recs


def write_capture(path, records):
    with CaptureWriter(path) as w:
        for r in records:
            w.write(r)


def test_replay_records_one_incursion_with_evidence_pointing_at_capture_lines(tmp_path, database_url):
    path = tmp_path / "flight.jsonl"
    write_capture(path, flight_records())
    store = Store.open(database_url)
    try:
        report = replay(make_pipeline(store), path, batch_records=3)
        assert report.stats.records == 12
        assert report.stats.observations == 24
        rows, _ = store.query_incidents(IncidentQuery(kinds=("incursion",)))
        assert len(rows) == 1
        inc = rows[0]
        assert inc.subject_id == "0d0abc"
        assert inc.subject_label == "TST123"
        assert inc.zone_id == "BOX"
        assert inc.status == "closed"
        # first fix inside: lon -68 + 0.3*4 = -66.8 at minute 4; first outside: -64.7 at
        # minute 11; a fix's time is the response's `now` minus its `seen_pos` (0.4 s)
        assert inc.started_at == at(4, -0.4)
        assert inc.ended_at == at(11, -0.4)
        detail = store.incident(inc.id)
        refs = [e.record_ref for e in detail["evidence"]]
        assert refs[0] == "flight.jsonl:5"
        assert all(r.startswith("flight.jsonl:") for r in refs)
        assert [e.action for e in detail["events"]][0] == "open"
        assert [e.action for e in detail["events"]][-1] == "close"
    finally:
        store.close()


def test_garbage_records_are_counted_and_do_not_stop_the_replay(tmp_path, sqlite_url):
    path = tmp_path / "mixed.jsonl"
    good = flight_records()
    write_capture(path, good[:6])
    with path.open("a") as fh:
        fh.write("not json at all\n")
        fh.write('{"feed":"adsbx_v2","received_at":"2025-12-02T10:06:30Z","body":"<html>502</html>"}\n')
        fh.write('{"feed":"adsbx_v2","received_at":"2025-12-02T10:06:40Z","body":{"ac":[{"hex":"0d0abc","lat":"x","lon":-66}]}}\n')
    with CaptureWriter(path) as w:
        for r in good[6:]:
            w.write(r)
    store = Store.open(sqlite_url)
    try:
        report = replay(make_pipeline(store), path)
        assert report.bad_line_reasons == {"bad_json": 1}
        assert report.bad_lines[0].line == 7
        assert sum(report.stats.unusable_bodies.values()) == 1
        assert sum(report.stats.parse_errors.values()) >= 1
        rows, _ = store.query_incidents(IncidentQuery())
        assert [r.kind for r in rows] == ["incursion"]
    finally:
        store.close()


def test_killed_replay_resumes_after_the_last_stored_batch(tmp_path, sqlite_url):
    path = tmp_path / "flight.jsonl"
    write_capture(path, flight_records())
    store = Store.open(sqlite_url)
    try:
        first = replay(make_pipeline(store), path, batch_records=4)
        assert first.stats.records == 12
        again = replay(make_pipeline(store), path, batch_records=4, resume=True)
        assert again.stats.records == 0
        assert again.skipped_lines == 12
        assert store.count_incidents() == 1
    finally:
        store.close()


def test_a_feed_that_goes_silent_raises_one_feed_health_incident(tmp_path, sqlite_url):
    recs = []
    for i in range(40):
        recs.append(v2_record(at(i), [v2_aircraft("4b1805", -70.0, 11.0)], source="adsb_lol"))
        if i < 10 or i > 30:  # the second feed is silent from minute 10 to 31
            recs.append(v2_record(at(i, 5), [v2_aircraft("a00001", -72.0, 12.0)], source="airplanes_live"))
    path = tmp_path / "silent.jsonl"
    write_capture(path, recs)
    store = Store.open(sqlite_url)
    try:
        replay(make_pipeline(store), path, batch_records=2)
        rows, _ = store.query_incidents(IncidentQuery(kinds=("feed_health",)))
        assert [(r.subject_id, r.status) for r in rows] == [("airplanes_live", "closed")]
        assert rows[0].details["gap_s"] > 15 * 60
    finally:
        store.close()


def test_subjects_not_heard_for_the_idle_expiry_are_forgotten_everywhere():
    from datetime import timedelta

    from monitor.pipeline import PipelineConfig

    pipeline = Pipeline(
        geofence=Geofence(ZoneIndex([CLOSED]), min_dwell_s=0, exit_grace_s=0),
        detectors=[],
        store=None,
        config=PipelineConfig(track_idle_expiry_s=600),
    )
    pipeline.process([v2_record(at(0), [v2_aircraft("0d0abc", -66.0, 11.0)])])
    assert len(pipeline.tracks) == 1 and pipeline.geofence.subject_count == 1
    pipeline.tick(at(0) + timedelta(seconds=601))
    assert len(pipeline.tracks) == 0
    assert pipeline.geofence.subject_count == 0


def test_one_position_per_subject_per_sample_interval_is_stored(database_url):
    from datetime import timedelta

    from monitor.pipeline import PipelineConfig

    store = Store.open(database_url)
    try:
        pipeline = Pipeline(
            geofence=Geofence(ZoneIndex([CLOSED]), min_dwell_s=0, exit_grace_s=0),
            detectors=[],
            store=store,
            config=PipelineConfig(observation_sample_s=60.0, track_idle_expiry_s=600.0),
        )
        for s in (0, 30, 61, 90, 125):  # a vessel's worth of aircraft fixes, seconds apart
            pipeline.process([v2_record(at(seconds=s), [v2_aircraft("0d0abc", -70.0 + s / 1000, 11.0)])])
        # an expired subject starts afresh: its first fix after the gap is stored
        pipeline.tick(at(seconds=125) + timedelta(seconds=601))
        pipeline.process([v2_record(at(seconds=740), [v2_aircraft("0d0abc", -69.0, 11.0)])])
        pipeline.flush()
        stored = [row.observed_at for row in store.observations_for("0d0abc")]
        # each fix is 0.4 s older than its body (``seen_pos``)
        offsets = [(t.replace(tzinfo=None) - at().replace(tzinfo=None)).total_seconds() + 0.4 for t in stored]
        assert offsets == pytest.approx([0.0, 61.0, 125.0, 740.0])
    finally:
        store.close()
