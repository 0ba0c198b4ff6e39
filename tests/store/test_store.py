"""The store on both backends: incident changes, evidence, outbox, queries, zones."""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely

from monitor.domain import ChangeAction, Evidence, IncidentKind, Severity
from monitor.store import IncidentQuery, OutboxEntry, QueryError, StoreBatch
from monitor.store.queries import parse_bbox
from tests.builders import T0, at, box_zone, change


def test_open_update_close_is_one_incident_with_a_timeline(store):
    store.apply(StoreBatch(changes=[change("k1", t=at(0))]))
    store.apply(
        StoreBatch(
            changes=[
                change("k1", ChangeAction.UPDATE, t=at(5), lon=-66.5, lat=10.8, severity=Severity.CRITICAL)
            ]
        )
    )
    store.apply(
        StoreBatch(
            changes=[
                change("k1", ChangeAction.CLOSE, t=at(9), lon=-66.0, lat=11.0, severity=Severity.CRITICAL)
            ]
        )
    )
    rows, cursor = store.query_incidents(IncidentQuery())
    assert cursor is None
    assert len(rows) == 1
    row = rows[0]
    assert row.status == "closed"
    assert row.severity == "critical"
    assert row.started_at == T0
    assert row.ended_at == at(9)
    assert row.geom.geom_type == "LineString"
    assert shapely.get_coordinates(row.geom).tolist() == [[-66.9, 10.6], [-66.5, 10.8], [-66.0, 11.0]]
    detail = store.incident(row.id)
    assert [e.action for e in detail["events"]] == ["open", "update", "close"]


def test_repeated_open_of_the_same_key_does_not_duplicate(store):
    for _ in range(3):
        store.apply(StoreBatch(changes=[change("dup", t=at(1))]))
    assert store.count_incidents() == 1


def test_close_of_an_unknown_incident_is_ignored(store):
    applied = store.apply(StoreBatch(changes=[change("never-opened", ChangeAction.CLOSE)]))
    assert applied == []
    assert store.count_incidents() == 0


def test_evidence_and_outbox_are_written_with_the_change(store):
    ev = Evidence(observed_at=at(0), source="adsb_lol", note="inside SVZM", record_ref="cap.jsonl:12",
                  subject_id="0d0abc", lat=10.6, lon=-66.9)
    calls = []

    def outbox(applied):
        calls.append(applied)
        return [OutboxEntry(f"rule:{applied.incident_id}:{applied.seq}", "r", "console", {"k": 1})]

    store.apply(StoreBatch(changes=[change("with-ev", evidence=(ev,))]), outbox)
    store.apply(StoreBatch(changes=[change("with-ev", ChangeAction.UPDATE, t=at(2))]), outbox)
    rows, _ = store.query_incidents(IncidentQuery())
    detail = store.incident(rows[0].id)
    assert [e.record_ref for e in detail["evidence"]] == ["cap.jsonl:12"]
    assert [a.idempotency_key for a in detail["alerts"]] == [
        f"rule:{rows[0].id}:1",
        f"rule:{rows[0].id}:2",
    ]
    assert [c.seq for c in calls] == [1, 2]


def test_a_failing_outbox_rolls_back_the_incident_change(store):
    def boom(applied):
        raise RuntimeError("rules exploded")

    with pytest.raises(RuntimeError):
        store.apply(StoreBatch(changes=[change("rolled-back")]), boom)
    assert store.count_incidents() == 0


def test_queries_filter_by_time_kind_zone_subject_bbox_and_page(store):
    changes = []
    for i in range(7):
        changes.append(
            change(
                f"q{i}",
                t=at(10 * i),
                kind=IncidentKind.INCURSION if i % 2 == 0 else IncidentKind.EMERGENCY,
                subject_id=f"abc{i:03d}",
                subject_label=f"CALL{i}",
                zone_id="SVZM" if i < 4 else "TTZP",
                lon=-70.0 + i,
                lat=10.0,
            )
        )
    store.apply(StoreBatch(changes=changes))
    ids = lambda rows: sorted(r.dedupe_key for r in rows)  # noqa: E731
    assert ids(store.query_incidents(IncidentQuery(kinds=("emergency",)))[0]) == ["q1", "q3", "q5"]
    assert ids(store.query_incidents(IncidentQuery(zone="TTZP"))[0]) == ["q4", "q5", "q6"]
    assert ids(store.query_incidents(IncidentQuery(subject="call2"))[0]) == ["q2"]
    assert ids(store.query_incidents(IncidentQuery(subject="ABC003"))[0]) == ["q3"]
    bbox = parse_bbox("-68.5,9,-65.5,11")
    assert ids(store.query_incidents(IncidentQuery(bbox=bbox))[0]) == ["q2", "q3", "q4"]
    assert ids(store.query_incidents(IncidentQuery(since=at(25), until=at(41)))[0]) == ["q3", "q4"]
    seen, cursor = [], None
    while True:
        page, cursor = store.query_incidents(IncidentQuery(limit=3, cursor=cursor))
        seen.extend(r.dedupe_key for r in page)
        if cursor is None:
            break
    assert seen == [f"q{i}" for i in reversed(range(7))]


@pytest.mark.parametrize(
    ("text", "param"),
    [("1,2,3", "bbox"), ("a,b,c,d", "bbox"), ("-60,10,-70,12", "bbox"), ("-200,0,0,1", "bbox")],
)
def test_bad_bbox_names_the_parameter(text, param):
    with pytest.raises(QueryError) as err:
        parse_bbox(text)
    assert err.value.param == param


def test_since_after_until_is_refused():
    with pytest.raises(QueryError, match="since"):
        IncidentQuery(since=at(10), until=at(0))


def test_zone_versions_round_trip_and_reimport_is_idempotent(store):
    z = box_zone("WATCH-1", (-67, 10, -66, 11), valid_from=at(0), description="a watch box")
    stored = store.add_versions([z])
    assert stored[0].recorded_at is not None
    again = store.add_versions([z])
    assert len(store.list_versions("WATCH-1")) == 1
    back = store.list_versions("WATCH-1")[0]
    assert back.geometry.equals(z.geometry)
    assert back.valid_from == at(0)
    assert back.ceiling_ft == float("inf")
    assert again[0].version == 1
    store.add_versions([replace(z, version=2, description="amended")])
    assert [v.version for v in store.list_versions("WATCH-1")] == [1, 2]


def test_bbox_and_time_together_follow_updates_of_the_active_interval(store):
    store.apply(StoreBatch(changes=[change("early", t=at(0), lon=-66.0, lat=10.5)]))
    store.apply(StoreBatch(changes=[change("late", t=at(120), lon=-66.2, lat=10.4)]))
    box = parse_bbox("-67,10,-65,11")
    window = IncidentQuery(bbox=box, since=at(60), until=at(90))
    assert store.query_incidents(window)[0] == []
    # the early incident is seen again at minute 70: now active in the window
    store.apply(StoreBatch(changes=[change("early", ChangeAction.UPDATE, t=at(70), lon=-66.1, lat=10.5)]))
    assert [r.dedupe_key for r in store.query_incidents(window)[0]] == ["early"]
    later = IncidentQuery(bbox=box, since=at(100), until=at(130))
    assert [r.dedupe_key for r in store.query_incidents(later)[0]] == ["late"]
    elsewhere = IncidentQuery(bbox=parse_bbox("-60,10,-59,11"), since=at(0), until=at(200))
    assert store.query_incidents(elsewhere)[0] == []


def test_two_monitors_opening_the_same_incidents_at_once_make_one_of_each(database_url):
    """Several processes may share one database: the same anomaly seen by both is still
    one incident (a unique dedupe key and INSERT ... ON CONFLICT)."""
    import threading

    from monitor.store import Store

    stores = [Store.open(database_url), Store.open(database_url, migrate_schema=False)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(s: Store, offset: int) -> None:
        try:
            barrier.wait()
            for i in range(30):
                s.apply(StoreBatch(changes=[change(f"shared-{i}", t=at(i + offset))]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, k)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert stores[0].count_incidents() == 30
        rows, _ = stores[0].query_incidents(IncidentQuery(subject="0d0abc", limit=1000))
        assert len({r.dedupe_key for r in rows}) == 30
        detail = stores[0].incident(rows[0].id)
        assert [e.seq for e in detail["events"]] == [1, 2]  # one open and one update
    finally:
        for s in stores:
            s.close()
