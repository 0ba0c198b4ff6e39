"""Per-subject transitions: hysteresis, dwell, exits, crossings, order, versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import shapely

from monitor.domain import Observation, SubjectKind, ZoneVersion
from monitor.geofence import Geofence, TransitionKind, ZoneIndex

T0 = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)


def fix(
    lon: float,
    lat: float,
    s: float,
    sid: str = "abc123",
    *,
    vessel: bool = False,
    alt: float | None = 30000.0,
) -> Observation:
    return Observation(
        source="test",
        feed_kind="aisstream" if vessel else "adsbx_v2",
        subject_kind=SubjectKind.VESSEL if vessel else SubjectKind.AIRCRAFT,
        subject_id=sid,
        time=T0 + timedelta(seconds=s),
        lat=lat,
        lon=lon,
        altitude_ft=None if vessel else alt,
    )


def kinds(result, zone_id: str = "SQUARE") -> list[tuple[str, int]]:
    return [(str(tr.kind), tr.obs_index) for tr in result.transitions if tr.zone.zone_id == zone_id]


def test_jitter_on_a_boundary_does_not_flap(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=30, exit_grace_s=60)
    # a track hugging the east edge of SQUARE (lon 10): in, out, in, out every 5 s
    jitter = [fix(10.0 + (0.001 if k % 2 else -0.001), 5.0, 5 * k) for k in range(6)]
    result = gf.evaluate(jitter)
    assert kinds(result) == []  # never inside 30 s in a row: no enter

    steady = [fix(9.99, 5.0, 30 + 5 * k) for k in range(8)]  # 30..65 s inside
    result = gf.evaluate(steady)
    assert kinds(result)[0] == ("enter", 6)  # first fix at 30 s, confirmed at 60 s
    enter = result.transitions[0]
    assert enter.entered_at == T0 + timedelta(seconds=30)
    assert enter.dwell_s == pytest.approx(30.0)
    assert kinds(result)[1:] == [("inside", 7)]

    # wobbling out and back within the grace: only insides, no exit
    wobble = [fix(10.001, 5.0, 70), fix(9.999, 5.0, 80), fix(10.001, 5.0, 90), fix(9.99, 5.0, 100)]
    assert [k for k, _ in kinds(gf.evaluate(wobble))] == ["inside", "inside"]

    # gone for good: the exit is confirmed 60 s after the first outside fix, dated then
    away = [fix(12.0, 5.0, 110), fix(12.5, 5.0, 140), fix(13.0, 5.0, 170)]
    result = gf.evaluate(away)
    assert kinds(result) == [("exit", 2)]
    exit_ = result.transitions[0]
    assert exit_.at == T0 + timedelta(seconds=110)
    assert exit_.dwell_s == pytest.approx(80.0)  # inside from 30 s to 110 s


def test_zero_hysteresis_reports_at_once(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    result = gf.evaluate([fix(5, 5, 0), fix(5, 6, 10), fix(15, 5, 20)])
    assert kinds(result) == [("enter", 0), ("inside", 1), ("exit", 2)]
    assert result.transitions[1].dwell_s == pytest.approx(10.0)


def test_batch_is_taken_per_subject_in_time_order(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    batch = [
        fix(15, 5, 20, "b"),
        fix(5, 5, 10, "a"),
        fix(5, 5, 0, "b"),
        fix(15, 5, 0, "a"),
    ]
    result = gf.evaluate(batch)
    per_subject = {(tr.subject_id, str(tr.kind)) for tr in result.transitions}
    assert per_subject == {("a", "enter"), ("b", "enter"), ("b", "exit")}
    assert [tr.obs_index for tr in result.transitions if tr.subject_id == "b"] == [2, 0]


def test_out_of_order_fixes_are_ignored_and_counted(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    gf.evaluate([fix(5, 5, 100)])
    result = gf.evaluate([fix(15, 5, 50), fix(15, 5, 40), fix(5, 6, 110)])
    assert result.ignored_out_of_order == 2
    assert kinds(result) == [("inside", 2)]
    # zones_of still answers for an ignored fix (it is a plain spatial question)
    assert result.zones_of(0) == ()
    assert [v.key for v in result.zones_of(2)] == ["SQUARE@v1"]


def test_state_carries_across_batches(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=20, exit_grace_s=0)
    assert kinds(gf.evaluate([fix(5, 5, 0)])) == []
    assert kinds(gf.evaluate([fix(5, 5, 10)])) == []
    assert kinds(gf.evaluate([fix(5, 5, 25)])) == [("enter", 0)]
    assert gf.subject_count == 1
    assert gf.prune(T0 + timedelta(seconds=26)) == 1
    assert gf.subject_count == 0


def test_corner_crossing_between_sparse_fixes(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    result = gf.evaluate([fix(99.5, 9.0, 0), fix(101.0, 10.5, 120)])
    crosses = [tr for tr in result.transitions if tr.kind is TransitionKind.CROSS]
    assert len(crosses) == 1
    tr = crosses[0]
    assert tr.zone.key == "CORNER@v1"
    assert tr.obs_index == 1 and tr.at == T0 + timedelta(seconds=120)
    assert (tr.prev_lon, tr.prev_lat, tr.prev_at) == (99.5, 9.0, T0)
    assert tr.zone.geometry.intersects(shapely.Point(tr.crossing_lon, tr.crossing_lat))
    # neither fix is inside: no enter or exit
    assert [str(t.kind) for t in result.transitions] == ["cross"]


def test_crossing_uses_the_last_fix_of_the_previous_batch(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    gf.evaluate([fix(-1.0, 5.0, 0)])
    result = gf.evaluate([fix(11.0, 5.0, 60)])
    assert [(str(t.kind), t.zone.key) for t in result.transitions] == [("cross", "SQUARE@v1")]


def test_vessel_crossing_aircraft_airspace_is_not_reported(synthetic_index: ZoneIndex) -> None:
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    result = gf.evaluate([fix(-1.0, 5.0, 0, vessel=True), fix(11.0, 5.0, 60, vessel=True)])
    assert result.transitions == []


def test_svzm_replay_january_answers(bundled_index: ZoneIndex) -> None:
    """A replay: 2025-11-25 is evaluated against the advisories then in force, 2026-01-03
    against the FAA prohibition (governing over the President's statement and the EASA
    bulletin)."""
    gf = Geofence(bundled_index, min_dwell_s=0, exit_grace_s=0)

    def at(day: datetime) -> Observation:
        return Observation(
            source="replay",
            feed_kind="opensky_states",
            subject_kind=SubjectKind.AIRCRAFT,
            subject_id="0d0abc",
            time=day,
            lat=13.5,
            lon=-66.0,
            altitude_ft=35000.0,
        )

    nov = gf.evaluate([at(datetime(2025, 11, 25, 12, tzinfo=UTC))])
    svzm = [v for v in nov.zones_of(0) if v.zone_id == "SVZM"]
    assert [(v.key, v.authority, v.status.value) for v in svzm] == [
        ("SVZM@v2", "AESA (Spain)", "advisory")
    ]

    jan = gf.evaluate([at(datetime(2026, 1, 3, 12, tzinfo=UTC))])
    svzm = [v for v in jan.zones_of(0) if v.zone_id == "SVZM"]
    assert [(v.key, v.authority, v.status.value) for v in svzm] == [
        ("SVZM@v8", "FAA", "prohibited")
    ]
    all_in_force = sorted(
        bundled_index.versions[j].key
        for j in jan.hits.version_idx
        if bundled_index.versions[j].zone_id == "SVZM"
    )
    assert all_in_force == ["SVZM@v3", "SVZM@v7", "SVZM@v8"]
    # the subject stayed inside SVZM: the new governing version is an 'inside', not a re-entry
    inside = [t for t in jan.transitions if t.zone.zone_id == "SVZM"]
    assert [(str(t.kind), t.zone.key) for t in inside] == [("inside", "SVZM@v8")]


def test_replace_zones_keeps_state(synthetic_versions: list[ZoneVersion]) -> None:
    gf = Geofence(ZoneIndex(synthetic_versions), min_dwell_s=0, exit_grace_s=0)
    gf.evaluate([fix(5, 5, 0)])
    lifted = [v for v in synthetic_versions if v.zone_id != "SQUARE"]
    gf.replace_zones(lifted)
    result = gf.evaluate([fix(5, 5, 10)])
    assert kinds(result) == [("exit", 0)]


def test_rejects_negative_settings(synthetic_index: ZoneIndex) -> None:
    with pytest.raises(ValueError):
        Geofence(synthetic_index, min_dwell_s=-1, exit_grace_s=0)


def test_pruned_subjects_free_their_state_for_new_ones(synthetic_index: ZoneIndex) -> None:
    """A long run where subjects come and go holds state only for the recent ones: pruned
    subjects give their slot to new subjects, and one heard again starts afresh."""
    gf = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    for hour in range(5):
        t0 = 3600.0 * hour
        batch = [fix(5.0, 5.0, t0 + s, sid=f"h{hour}-{k}") for k in range(50) for s in (0, 10)]
        result = gf.evaluate(batch)
        assert sum(tr.kind is TransitionKind.ENTER for tr in result.transitions) == 50
        gf.prune(T0 + timedelta(seconds=t0))  # forget the previous hour's subjects
        assert gf.subject_count == 50
        assert gf.zone_state_count == 50
    assert len(gf._key_of) == 100  # 250 subjects seen, the slots of forgotten ones reused
    # a forgotten subject heard again is a new subject: it enters again
    gf.prune(T0 + timedelta(hours=10))
    assert gf.subject_count == 0 and gf.zone_state_count == 0
    again = gf.evaluate([fix(5.0, 5.0, 36000.0, sid="h0-0")])
    assert [tr.kind for tr in again.transitions] == [TransitionKind.ENTER]


def test_transitions_only_for_the_zones_read_but_containment_for_all(synthetic_index: ZoneIndex) -> None:
    everything = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0)
    square_only = Geofence(
        synthetic_index, min_dwell_s=0, exit_grace_s=0, transitions_for=lambda v: v.zone_id == "SQUARE"
    )
    nothing = Geofence(synthetic_index, min_dwell_s=0, exit_grace_s=0, transitions_for=lambda v: False)
    # in and out of SQUARE, and a sparse pair crossing it
    track = [fix(5.0, 5.0, 0), fix(5.0, 5.5, 10), fix(20.0, 5.0, 20)]
    sparse = [fix(-5.0, 5.0, 0, sid="def456"), fix(15.0, 5.0, 30, sid="def456")]
    full = everything.evaluate(track + sparse)
    some = square_only.evaluate(track + sparse)
    none = nothing.evaluate(track + sparse)
    square = [(str(t.kind), t.obs_index, t.subject_id) for t in full.transitions if t.zone.zone_id == "SQUARE"]
    assert square and {"enter", "exit", "cross"} <= {k for k, _, _ in square}
    assert [(str(t.kind), t.obs_index, t.subject_id) for t in some.transitions] == square
    assert none.transitions == [] and nothing.zone_state_count == 0
    # containment is the same whatever gets transitions
    assert full.zones == some.zones == none.zones
    assert any(z.zone_id == "SQUARE" for z in full.zones[0])
