"""TrackStore: compact history, fusion of duplicates, out-of-order fixes, expiry."""

from __future__ import annotations

from datetime import timedelta

from monitor.tracks import Fix, TrackStore
from tests.builders import aircraft, at, vessel


def test_keeps_the_last_fix_whole_and_a_bounded_compact_history():
    store = TrackStore(max_fixes=3)
    fixes = [vessel("366000001", -70.0 + k * 0.01, 12.0, at(seconds=10 * k)) for k in range(6)]
    accepted = store.ingest(fixes)
    assert accepted == fixes
    track = store.get(("vessel", "366000001"))
    assert track is not None
    assert track.last is fixes[-1]
    assert track.fix_count == 6
    assert len(track) == 3
    assert [f.t_s for f in track.fixes] == [o.time.timestamp() for o in fixes[-3:]]
    assert track.fixes[-1] == Fix(fixes[-1].time.timestamp(), fixes[-1].lon, fixes[-1].lat)


def test_previous_gives_the_kept_fix_before_an_observation():
    store = TrackStore()
    a = vessel("366000002", -70.0, 12.0, at(0))
    b = vessel("366000002", -70.1, 12.1, at(1))
    c = vessel("366000002", -70.2, 12.2, at(2))
    store.ingest([c, a, b])  # any order: taken in time order
    assert store.previous(c) == Fix(b.time.timestamp(), b.lon, b.lat)
    assert store.previous(b) == Fix(a.time.timestamp(), a.lon, a.lat)
    assert store.previous(a) is None


def test_a_more_precise_duplicate_replaces_the_last_fix_and_a_worse_one_is_dropped():
    store = TrackStore()
    mlat = aircraft("a1b2c3", -66.0, 10.0, at(0), position_source="mlat")
    adsb = aircraft("a1b2c3", -66.001, 10.0, at(seconds=1), position_source="adsb")
    tisb = aircraft("a1b2c3", -66.002, 10.0, at(seconds=1.5), position_source="tisb")
    accepted, t_s = store.ingest_timed([mlat, adsb, tisb])
    assert accepted == [mlat, adsb]
    assert t_s == [mlat.time.timestamp(), adsb.time.timestamp()]
    track = store.get(("aircraft", "a1b2c3"))
    assert track is not None and track.last is adsb
    assert track.fixes == [Fix(adsb.time.timestamp(), adsb.lon, adsb.lat)]
    assert store.dropped == {"replaced_by_more_precise": 1, "duplicate": 1}


def test_a_fix_older_than_the_track_is_dropped_and_idle_tracks_expire():
    store = TrackStore(idle_expiry_s=600.0)
    store.ingest([vessel("366000003", -70.0, 12.0, at(10))])
    assert store.ingest([vessel("366000003", -70.0, 12.0, at(5))]) == []
    assert store.dropped["out_of_order"] == 1
    assert store.expire(at(10) + timedelta(seconds=600)) == []
    assert store.expire(at(10) + timedelta(seconds=601)) == [("vessel", "366000003")]
    assert len(store) == 0
