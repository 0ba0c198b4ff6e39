"""The database going away mid-run: batches are kept and stored when it is back, nothing is
lost or recorded twice (SQLite locked, PostgreSQL connections killed)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from monitor.config import Settings
from monitor.errors import StoreError
from monitor.service.live import LiveOptions, LiveService
from monitor.service.runtime import Runtime
from monitor.store import IncidentQuery, Store
from tests.builders import at
from tests.pipeline.test_pipeline import flight_records, make_pipeline


class FlakyStore:
    """Wraps a store whose ``apply`` fails while ``down`` is set, as a locked or absent
    database does (the real driver's OperationalError)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.down = False
        self.refused = 0

    def apply(self, batch, outbox=None):  # type: ignore[no-untyped-def]
        self._refuse_while_down()
        return self._store.apply(batch, outbox)

    def submit(self, batch, outbox=None):  # type: ignore[no-untyped-def]
        self._refuse_while_down()
        return self._store.submit(batch, outbox)

    def _refuse_while_down(self) -> None:
        if self.down:
            self.refused += 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._store, name)


def _incidents(store: Store) -> list[tuple]:
    rows, _ = store.query_incidents(IncidentQuery())
    return sorted((r.kind, r.subject_id, r.status, r.started_at, r.ended_at) for r in rows)


def _clean_run(tmp_path, records):
    """The incidents, and the open ones' keys, of the records stored with nothing failing."""
    reference = Store.open(f"sqlite:///{tmp_path / 'ref.sqlite'}")
    try:
        pipeline = make_pipeline(reference)
        for rec in records:
            pipeline.process([rec])
        pipeline.flush()
        return _incidents(reference), set(pipeline.open.by_key.keys())
    finally:
        reference.close()


def test_batches_computed_while_the_database_is_away_are_stored_once_it_is_back(tmp_path, database_url):
    records = flight_records()
    expected, _ = _clean_run(tmp_path, records)
    store = Store.open(database_url)
    try:
        assert expected and expected[0][2] == "closed"

        flaky = FlakyStore(store)
        pipeline = make_pipeline(flaky)  # type: ignore[arg-type]
        for i, rec in enumerate(records):
            flaky.down = i in (4, 5)  # away while the aircraft enters the box
            if i == 5:
                with pytest.raises(StoreError):
                    pipeline.flush()
                assert pipeline.unsaved == 1
                continue  # the live service would not hand over new records yet
            try:
                pipeline.process([rec])
            except StoreError as exc:
                assert "kept for retry" in str(exc)
        flaky.down = False
        pipeline.flush()
        assert pipeline.unsaved == 0
        assert flaky.refused >= 2
        # one record was not processed while away (i == 5): same incident, same times,
        # because the entry was computed from record 4 which was kept, not dropped
        assert _incidents(store) == expected
    finally:
        store.close()


def test_live_service_waits_for_the_database_and_loses_nothing(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'live.sqlite'}")
    flaky = FlakyStore(store)
    pipeline = make_pipeline(flaky)  # type: ignore[arg-type]
    service = LiveService(
        Runtime(Settings(), store, pipeline, pipeline.health), [], [],
        LiveOptions(batch_records=1, batch_wait_s=0.01, tick_every_s=0.2),
        clock=lambda: at(11),  # data time of the recorded flight, not the wall clock
    )

    async def main() -> None:
        task = asyncio.create_task(service.run())
        for i, rec in enumerate(flight_records()):
            flaky.down = 3 <= i <= 6
            await service.emit(rec)
            await asyncio.sleep(0.05)
        flaky.down = False
        for _ in range(200):
            if service.records_processed == 12 and pipeline.unsaved == 0:
                break
            await asyncio.sleep(0.05)
        service.stop()
        await asyncio.wait_for(task, 30)

    try:
        asyncio.run(main())
        assert flaky.refused >= 1
        assert service.records_processed == 12
        rows = _incidents(store)
        assert [(r[0], r[1], r[2]) for r in rows] == [("incursion", "0d0abc", "closed")]
    finally:
        store.close()


@pytest.mark.postgis
def test_postgres_connections_killed_mid_run_are_reopened(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    store = Store.open(database_url)
    try:
        pipeline = make_pipeline(store)
        records = flight_records()
        for rec in records[:6]:
            pipeline.process([rec])
        name = store.engine.url.database
        with store.engine.connect() as conn:  # a server restart, as far as clients can tell
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name},
            )
        store.engine.pool.dispose()
        for rec in records[6:]:
            pipeline.process([rec])
        assert [(r[0], r[2]) for r in _incidents(store)] == [("incursion", "closed")]
    finally:
        store.close()


def test_a_commit_failing_after_its_changes_were_decided_is_retried_whole(tmp_path, database_url):
    """The store's writer decides a batch's incident changes, then its commit fails (the
    positions insert here): the batch is kept and stored once, the in-memory open incidents
    are not counted twice, and listeners hear of each change once, after it is stored."""
    records = flight_records()
    expected, ref_open = _clean_run(tmp_path, records)
    store = Store.open(database_url)
    try:

        real_rest = store._apply_rest
        fail_on = {4}
        calls = {"n": 0}

        def flaky_rest(conn, batch):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] in fail_on:
                raise OperationalError("INSERT", {}, Exception("disk I/O error"))
            return real_rest(conn, batch)

        store._apply_rest = flaky_rest  # type: ignore[method-assign]
        pipeline = make_pipeline(store)
        heard: list[tuple[str, str]] = []
        pipeline.listeners.append(lambda applied: heard.extend(
            (a.change.dedupe_key, a.change.action.value) for a in applied))
        failures = 0
        for rec in records:
            try:
                pipeline.process([rec])
            except StoreError as exc:
                failures += 1
                assert "kept for retry" in str(exc)
                assert pipeline.unsaved == 2  # the failed batch and this one, both computed
                pipeline.flush()
        pipeline.flush()
        assert failures == 1
        assert pipeline.unsaved == 0
        assert _incidents(store) == expected
        assert pipeline.open.by_key.keys() == ref_open
        opened = [a for _, a in heard if a == "open"]
        closed = [a for _, a in heard if a == "close"]
        assert (len(opened), len(closed)) == (1, 1)
    finally:
        store.close()


def test_the_commit_runs_while_the_next_batch_is_computed(tmp_path):
    """``process`` returns once the store has decided the batch's incident changes; the
    positions and the commit go on on the writer thread, and a read waits for them."""
    import threading

    store = Store.open(f"sqlite:///{tmp_path / 'overlap.sqlite'}")
    try:
        release = threading.Event()
        real_rest = store._apply_rest

        def held_rest(conn, batch):  # type: ignore[no-untyped-def]
            # the writer waits here until the test, back from ``process``, lets it go
            assert release.wait(10), "process() did not return before the commit"
            return real_rest(conn, batch)

        store._apply_rest = held_rest  # type: ignore[method-assign]
        pipeline = make_pipeline(store)
        records = flight_records()
        pipeline.process([records[0]])
        assert pipeline.unsaved == 1  # committing
        release.set()
        # the read waits for the commit in flight: a process reads its own writes
        assert len(store.observations_for("0d0abc")) == 1
        pipeline.flush()
        assert pipeline.unsaved == 0
    finally:
        store.close()
