"""The database going away while real feeds deliver (issue #8): a SQLite file locked by
another writer, PostgreSQL dropping every connection. The live service keeps running,
buffers within its queue bound, retries, and stores every record once it can.

``tests/pipeline/test_database_faults.py`` covers the pipeline's retry of a batch the
database refused (a wrapper raising the driver's error). Here the faults are real and
the whole service runs: the six feeds and servers of ``test_feed_faults.Harness``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.reliability.test_feed_faults import (
    ALL_FEEDS,
    Harness,
    check_nothing_lost,
    stop_after_everything_sent_is_stored,
)

#: a small bound, so that the lock fills it
QUEUE_SIZE = 20
LOCK_HELD_S = 1.5


def test_a_locked_sqlite_database_holds_the_feeds_back_within_the_bound(tmp_path: Path) -> None:
    """Another process holds the write lock for a while (shorter than the store's busy
    timeout): the pipeline waits, the queue fills to its bound and no further, the feeds
    wait on it, and once the lock is gone everything received is stored."""
    db = tmp_path / "locked.sqlite"

    async def main() -> Harness:
        h = Harness(tmp_path, database_url=f"sqlite:///{db}", queue_size=QUEUE_SIZE)
        await h.start()
        try:
            await h.until("every feed delivers", lambda: all(h.delivered(f) >= 2 for f in ALL_FEEDS))
            other = sqlite3.connect(db, isolation_level=None, timeout=10)
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            try:
                deepest = 0
                loop = asyncio.get_running_loop()
                until = loop.time() + LOCK_HELD_S
                while loop.time() < until:
                    deepest = max(deepest, h.service.queue.qsize())
                    assert not h.task.done(), "the live service stopped"
                    await asyncio.sleep(0.01)
                held_back = h.service.records_in - h.service.records_processed
            finally:
                other.execute("ROLLBACK")
                other.close()
            # buffered up to the bound (feeds waited on the full queue), never dropped
            assert deepest == QUEUE_SIZE
            assert held_back >= QUEUE_SIZE
            await h.until(
                "the held-back records are processed",
                lambda: h.service.records_processed == h.service.records_in
                and h.service.queue.qsize() == 0,
            )
            before = {f: h.delivered(f) for f in ALL_FEEDS}
            await h.until("every feed delivers again",
                          lambda: all(h.delivered(f) >= before[f] + 2 for f in ALL_FEEDS))
            await stop_after_everything_sent_is_stored(h)
        finally:
            await h.close()
        return h

    h = asyncio.run(main())
    check_nothing_lost(h)


@pytest.mark.postgis
def test_postgres_dropping_every_connection_loses_nothing(tmp_path: Path, database_url: str) -> None:
    """All of the monitor's connections are terminated, three times, as a server restart
    does to its clients, while the feeds deliver."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")

    def kill_connections() -> int:
        name = admin.url.database
        with admin.connect() as conn:
            return len(conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name},
            ).all())

    async def main() -> Harness:
        h = Harness(tmp_path, database_url=database_url)
        await h.start()
        try:
            await h.until("every feed delivers", lambda: all(h.delivered(f) >= 2 for f in ALL_FEEDS))
            killed = 0
            for _ in range(3):
                killed += await asyncio.to_thread(kill_connections)
                before = {f: h.delivered(f) for f in ALL_FEEDS}
                await h.until("the feeds deliver after the connections were dropped",
                              lambda b=before: all(h.delivered(f) >= b[f] + 2 for f in ALL_FEEDS))
            assert killed >= 1  # the store's pooled connection, at least
            await h.until(
                "everything received is stored",
                lambda: h.service.records_processed == h.service.records_in
                and h.pipeline.unsaved == 0,
            )
            await stop_after_everything_sent_is_stored(h)
        finally:
            await h.close()
        return h

    try:
        h = asyncio.run(main())
    finally:
        admin.dispose()
    check_nothing_lost(h)
