"""The live view: the latest fix of every subject heard within the age limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.detectors.base import DetectionBatch, _NoGeofence
from monitor.domain import Observation, SubjectKind
from monitor.pipeline.live import LiveView

T0 = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


def fix(kind: SubjectKind, sid: str, minute: float, lon: float = -66.0) -> Observation:
    return Observation(
        source="test",
        feed_kind="test",
        subject_kind=kind,
        subject_id=sid,
        time=T0 + timedelta(minutes=minute),
        lat=11.0,
        lon=lon,
    )


def publish(view: LiveView, now_min: float, fixes: list[Observation]) -> None:
    view.publish(T0 + timedelta(minutes=now_min), DetectionBatch(fixes, _NoGeofence()))


def test_latest_fix_per_subject_by_kind_and_versions_count_up() -> None:
    view = LiveView()
    publish(view, 1, [fix(SubjectKind.AIRCRAFT, "abc123", 0, -66.0),
                      fix(SubjectKind.VESSEL, "775000111", 0.5),
                      fix(SubjectKind.AIRCRAFT, "abc123", 1, -65.5)])
    snap = view.snapshot
    assert snap.version == 1
    assert snap.at == T0 + timedelta(minutes=1)
    assert [(o.subject_id, o.lon) for o in snap.aircraft] == [("abc123", -65.5)]
    assert [o.subject_id for o in snap.vessels] == ["775000111"]
    publish(view, 2, [fix(SubjectKind.AIRCRAFT, "def456", 2)])
    assert view.snapshot.version == 2
    assert {o.subject_id for o in view.snapshot.aircraft} == {"abc123", "def456"}


def test_subjects_unheard_for_the_age_limit_leave_the_snapshot() -> None:
    view = LiveView(max_age_s=600.0, sweep_every_s=0.0)
    publish(view, 0, [fix(SubjectKind.VESSEL, "1", 0), fix(SubjectKind.VESSEL, "2", 0)])
    publish(view, 8, [fix(SubjectKind.VESSEL, "1", 8)])  # 2 not heard since minute 0
    assert {o.subject_id for o in view.snapshot.vessels} == {"1", "2"}
    publish(view, 10.5, [])
    assert [o.subject_id for o in view.snapshot.vessels] == ["1"]
    publish(view, 30, [])
    assert view.snapshot.vessels == ()
    # a subject heard again comes back
    publish(view, 31, [fix(SubjectKind.VESSEL, "2", 31)])
    assert [o.subject_id for o in view.snapshot.vessels] == ["2"]


def test_snapshots_already_published_do_not_change() -> None:
    view = LiveView()
    publish(view, 0, [fix(SubjectKind.AIRCRAFT, "abc123", 0, -66.0)])
    first = view.snapshot
    publish(view, 1, [fix(SubjectKind.AIRCRAFT, "abc123", 1, -60.0)])
    assert first.aircraft[0].lon == -66.0
    assert view.snapshot.aircraft[0].lon == -60.0


def test_the_sweep_for_unheard_subjects_runs_once_per_interval_of_data_time() -> None:
    view = LiveView(max_age_s=600.0, sweep_every_s=60.0)
    publish(view, 0, [fix(SubjectKind.VESSEL, "1", 0)])
    publish(view, 10.5, [])  # swept at minute 10.5: gone
    assert view.snapshot.vessels == ()
    publish(view, 11, [fix(SubjectKind.VESSEL, "2", 0.9)])  # older than the limit already
    assert [o.subject_id for o in view.snapshot.vessels] == ["2"]  # until the next sweep
    publish(view, 11.5, [])
    assert view.snapshot.vessels == ()


def test_the_snapshot_is_built_once_per_change_however_often_it_is_read() -> None:
    view = LiveView()
    publish(view, 0, [fix(SubjectKind.AIRCRAFT, "abc123", 0)])
    publish(view, 1, [fix(SubjectKind.AIRCRAFT, "abc123", 1, -60.0)])  # nobody read v1
    snap = view.snapshot
    assert snap.version == 2 and snap.aircraft[0].lon == -60.0
    assert view.snapshot is snap  # unchanged view: the same snapshot, no copy
    publish(view, 2, [])
    assert view.snapshot is not snap and view.snapshot.version == 3


def test_a_snapshot_set_from_outside_replaces_the_view_until_the_next_batch() -> None:
    from monitor.pipeline.live import LiveSnapshot

    view = LiveView()
    publish(view, 0, [fix(SubjectKind.VESSEL, "1", 0)])
    given = LiveSnapshot(T0, (fix(SubjectKind.AIRCRAFT, "def456", 0),), (), version=7)
    view.snapshot = given
    assert view.snapshot is given
    publish(view, 1, [fix(SubjectKind.VESSEL, "2", 1)])
    assert view.snapshot.version == 8
    assert [o.subject_id for o in view.snapshot.aircraft] == ["def456"]
    assert [o.subject_id for o in view.snapshot.vessels] == ["2"]
