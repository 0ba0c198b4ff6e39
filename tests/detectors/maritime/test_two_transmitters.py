"""Two transmitters under one MMSI are two tracks: the track store and the stored-series
split (``monitor.tracks.split``) keep them apart instead of joining a zig-zag."""

from __future__ import annotations

from datetime import timedelta

from monitor.tracks import Fix, TrackStore, TransmitterRule, split_transmitters
from tests.builders import at, vessel

TWIN = "538009777"
WEST = (-75.50, 12.0)
EAST = (-68.145, 12.0)  # 800 km east


def _alternating(minutes: int = 10, offset_s: float = 30.0):
    out = []
    for k in range(minutes):
        out.append(vessel(TWIN, WEST[0] + k * 0.003, WEST[1], at(k)))
        out.append(vessel(TWIN, EAST[0] - k * 0.003, EAST[1], at(k, offset_s)))
    return out


def test_the_track_store_keeps_each_transmitter_on_its_own_sub_track():
    store = TrackStore()
    fixes = _alternating()
    accepted = store.ingest(fixes)
    assert len(accepted) == len(fixes)
    track = store.get(("vessel", TWIN))
    assert track is not None and track.other is not None
    here = {round(f.lon) for f in track.fixes}
    there = {round(track.other[i + 1]) for i in range(0, len(track.other), 3)}
    assert here == {-68} and there == {-75}  # the latest fix's transmitter first
    assert track.last is fixes[-1]
    assert store.splits == 1


def test_two_transmitters_reporting_in_the_same_second_are_both_kept():
    store = TrackStore()
    a = vessel(TWIN, *WEST, at(0))
    b = vessel(TWIN, *EAST, at(0, 1))  # within the 2 s duplicate window, 800 km away
    dup = vessel(TWIN, WEST[0] + 0.0001, WEST[1], at(0, 61))
    again = vessel(TWIN, WEST[0] + 0.0001, WEST[1], at(0, 62))  # a true duplicate
    assert store.ingest([a, b, dup, again]) == [a, b, dup]
    assert store.dropped == {"duplicate": 1}


def test_previous_is_the_mmsi_s_fix_before_whichever_transmitter_sent_it():
    """Zone transits check the move between consecutive fixes: they must see the jump."""
    store = TrackStore()
    fixes = _alternating(minutes=3)
    store.ingest(fixes)
    for before, obs in zip(fixes, fixes[1:], strict=False):
        assert store.previous(obs) == Fix(before.time.timestamp(), before.lon, before.lat)
    assert store.previous(fixes[0]) is None


def test_near_jumps_fast_craft_and_sar_aircraft_stay_one_track():
    store = TrackStore()
    hop = [vessel("366000002", -70.0 - 0.1 * k, 12.0, at(k)) for k in range(5)]  # 11 km/min
    sar = [vessel("111775123", -66.0 + 0.1 * k, 11.0, at(seconds=10 * k)) for k in range(5)]
    store.ingest([*hop, *sar])
    assert store.splits == 0
    assert store.get(("vessel", "366000002")).other is None  # type: ignore[union-attr]


def test_the_store_can_be_told_not_to_split():
    store = TrackStore(transmitters=None)
    store.ingest(_alternating(minutes=3))
    assert store.splits == 0 and store.get(("vessel", TWIN)).other is None  # type: ignore[union-attr]


def test_a_stored_series_splits_into_two_lines_not_a_zig_zag():
    points = [(o.time.timestamp(), o.lon, o.lat) for o in _alternating(minutes=20)]
    west, east = split_transmitters(points)
    assert len(west) == len(east) == 20
    assert all(abs(lon - WEST[0]) < 0.1 for _, lon, _ in west)
    assert all(abs(lon - EAST[0]) < 0.1 for _, lon, _ in east)
    assert [p[0] for p in west] == sorted(p[0] for p in west)


def test_one_vessel_is_one_line_and_a_third_place_replaces_the_oldest():
    one = [(at(k).timestamp(), -70.0 + 0.01 * k, 12.0) for k in range(30)]
    assert split_transmitters(one) == [[(t, lon, lat) for t, lon, lat in one]]
    rule = TransmitterRule(min_split_m=50_000.0)
    three = [
        (at(0).timestamp(), -75.0, 12.0),
        (at(1).timestamp(), -70.0, 12.0),
        (at(2).timestamp(), -65.0, 12.0),  # a third place: the first sub-track is done
        (at(3).timestamp(), -70.0, 12.0),
    ]
    parts = split_transmitters(three, rule)
    assert [len(p) for p in parts] == [1, 2, 1]
    assert split_transmitters([]) == []


def test_reach_grows_with_time():
    rule = TransmitterRule()
    t0 = at(0).timestamp()
    far = (-68.145, 12.0)
    assert not rule.reachable(t0, *WEST, t0 + 60, *far)
    later = (at(0) + timedelta(hours=8)).timestamp()  # 480 nm in 8 h at 60 kn: 889 km
    assert rule.reachable(t0, *WEST, later, *far)
