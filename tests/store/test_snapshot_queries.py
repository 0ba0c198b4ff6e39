"""``snapshot_positions`` on both backends: each subject's latest stored position in the
lookback window, whichever way SQLite reads the window (a run of rowids, or the time index
when positions of other times were written in between, as a backfill does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import Observation, SubjectKind
from monitor.store import Store, StoreBatch, queries

T0 = datetime(2026, 1, 3, 6, 0, tzinfo=UTC)


def _obs(subject: str, minute: int, lon: float, kind: SubjectKind = SubjectKind.AIRCRAFT) -> Observation:
    return Observation(source="test", feed_kind="adsbx_v2", subject_kind=kind, subject_id=subject,
                       time=T0 + timedelta(minutes=minute), lat=10.0, lon=lon)


@pytest.mark.parametrize("slack", [queries.SNAPSHOT_RUN_SLACK, 0])
def test_latest_position_of_each_subject_in_the_window(store: Store, monkeypatch, slack):
    monkeypatch.setattr(queries, "SNAPSHOT_RUN_SLACK", slack)
    live = [_obs("aaaaaa", m, -60.0 - m / 100) for m in range(0, 30)]
    live += [_obs("bbbbbb", m, -70.0) for m in range(0, 12)]  # silent after T0+11
    live += [_obs("775000001", m, -65.0 - m / 100, SubjectKind.VESSEL) for m in range(0, 30, 3)]
    store.apply(StoreBatch(observations=live))
    # a backfill of a day before, written afterwards: its rowids come after the live rows
    store.apply(StoreBatch(observations=[_obs(f"c{i:05d}", -1440 + i % 30, -75.0) for i in range(1000)]))
    store.apply(StoreBatch(observations=[_obs("dddddd", 15, -62.5)]))  # late, in the window

    at = T0 + timedelta(minutes=20)
    got = queries.snapshot_positions(store.engine, at=at, lookback_s=600, subject_kind="aircraft")
    assert [(i.subject_id, i.observed_at, i.lon) for i in got] == [
        ("aaaaaa", "2026-01-03T06:20:00Z", pytest.approx(-60.2)),
        ("bbbbbb", "2026-01-03T06:11:00Z", -70.0),
        ("dddddd", "2026-01-03T06:15:00Z", -62.5),
    ]
    vessels = queries.snapshot_positions(store.engine, at=at, lookback_s=1800, subject_kind="vessel")
    assert [(i.subject_id, i.observed_at) for i in vessels] == [("775000001", "2026-01-03T06:18:00Z")]
    # bbbbbb's last fix is 9 minutes old at T0+20, 11 at T0+22: out of a 10-minute window
    later = queries.snapshot_positions(store.engine, at=at + timedelta(minutes=2), lookback_s=600,
                                       subject_kind="aircraft")
    assert [i.subject_id for i in later] == ["aaaaaa", "dddddd"]
    boxed = queries.snapshot_positions(store.engine, at=at, lookback_s=600, subject_kind="aircraft",
                                       bbox=(-63.0, 9.0, -62.0, 11.0))
    assert [i.subject_id for i in boxed] == ["dddddd"]
    assert queries.snapshot_positions(store.engine, at=T0 - timedelta(hours=3), lookback_s=600,
                                      subject_kind="aircraft") == []
