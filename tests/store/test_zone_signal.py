"""The zone-change signal on both backends: a version stored by one process (here: a second
``Store`` on the same database) reaches a process that follows zones within 5 s;
``NOTIFY`` on PostGIS, the change token on SQLite. Refused writes store nothing and tell
nobody."""

from __future__ import annotations

import threading
import time

import pytest

from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.zone_signal import ZoneSignal, signal_mode
from tests.builders import box_zone

#: the promise of the issue: every process applies a zone change within 5 s
PROPAGATION_S = 5.0


class Reloads:
    """Counts ``on_change`` calls and remembers when each happened."""

    def __init__(self) -> None:
        self.at: list[float] = []
        self.event = threading.Event()

    def __call__(self) -> None:
        self.at.append(time.perf_counter())
        self.event.set()

    def wait_next(self, timeout_s: float) -> float | None:
        """Seconds until the next call (None: none within ``timeout_s``)."""
        started = time.perf_counter()
        if not self.event.wait(timeout_s):
            return None
        self.event.clear()
        return self.at[-1] - started


@pytest.fixture
def writer(store: Store) -> Store:
    return store


@pytest.fixture
def follower(store: Store) -> Store:
    """A second store on the same database: another process's view of it."""
    other = Store.open(store.engine.url.render_as_string(hide_password=False), migrate_schema=False)
    yield other
    other.close()


def test_a_version_stored_elsewhere_reaches_the_follower_within_5_s(
    writer: Store, follower: Store
) -> None:
    reloads = Reloads()
    signal = ZoneSignal(follower, reloads, poll_s=1.0).start()
    try:
        assert reloads.wait_next(PROPAGATION_S) is not None, "no catch-up reload at the start"
        delays = []
        for n in range(3):
            reloads.event.clear()
            started = time.perf_counter()
            writer.add_versions([box_zone(f"SIG-{n}", (-67.0, 10.0, -66.0, 11.0))], origin="api")
            assert reloads.event.wait(PROPAGATION_S), f"version {n} not signalled within 5 s"
            delays.append(reloads.at[-1] - started)
            reloads.event.clear()
        print(f"\n{signal.mode}: zone signal delays {[round(d, 3) for d in delays]} s")
        assert max(delays) < PROPAGATION_S
        assert {v.zone_id for v in follower.list_versions()} >= {"SIG-0", "SIG-1", "SIG-2"}
    finally:
        signal.stop()
    assert not signal.running


def test_a_refused_write_stores_nothing_and_signals_nothing(writer: Store, follower: Store) -> None:
    writer.add_versions([box_zone("TAKEN", (-67.0, 10.0, -66.0, 11.0))])
    before = writer.zone_change_token()
    reloads = Reloads()
    signal = ZoneSignal(follower, reloads, poll_s=0.2).start()
    try:
        assert reloads.wait_next(PROPAGATION_S) is not None
        other_content = box_zone("TAKEN", (-60.0, 10.0, -59.0, 11.0), name="someone else's")
        fresh = box_zone("NEW-IN-SAME-CALL", (-67.0, 10.0, -66.0, 11.0))
        with pytest.raises(StoreError, match="TAKEN@v1 is already stored"):
            writer.add_versions([fresh, other_content], exclusive=True)
        assert writer.zone_change_token() == before
        assert "NEW-IN-SAME-CALL" not in {v.zone_id for v in writer.list_versions()}
        assert reloads.wait_next(1.0) is None, "a rolled-back write was signalled"
    finally:
        signal.stop()


def test_an_import_without_exclusive_stays_idempotent(writer: Store) -> None:
    v = box_zone("AGAIN", (-67.0, 10.0, -66.0, 11.0))
    first = writer.add_versions([v])
    token = writer.zone_change_token()
    assert writer.add_versions([v]) == first
    assert writer.zone_change_token() == token


def test_a_failing_reload_is_tried_again(writer: Store, follower: Store) -> None:
    calls: list[float] = []
    done = threading.Event()

    def flaky() -> None:
        calls.append(time.perf_counter())
        if len(calls) == 2:  # the reload after the write fails once (database away)
            raise StoreError("database away")
        if len(calls) >= 3:
            done.set()

    signal = ZoneSignal(follower, flaky, poll_s=0.2, retry_s=0.3).start()
    try:
        deadline = time.monotonic() + PROPAGATION_S
        while not calls and time.monotonic() < deadline:
            time.sleep(0.02)
        writer.add_versions([box_zone("FLAKY", (-67.0, 10.0, -66.0, 11.0))])
        assert done.wait(PROPAGATION_S), f"the failed reload was not tried again ({len(calls)} calls)"
        assert signal.reloads == 2  # the start's and the retry's
    finally:
        signal.stop()


def test_an_in_memory_database_has_nobody_to_follow() -> None:
    store = Store.open("sqlite://")
    try:
        assert signal_mode(store) == "off"
        signal = ZoneSignal(store, lambda: None).start()
        assert not signal.running
        signal.stop()
    finally:
        store.close()
