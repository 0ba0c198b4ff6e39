"""The store's writer thread: a batch's transaction runs beside the pipeline's next batch.

A batch is still ONE transaction (incident changes, outbox rows, positions, checkpoint),
applied in submission order. What changes is who waits for what: the submitter waits for
the incident part only (:meth:`PendingWrite.applied`, which the pipeline's in-memory
state needs before it goes on), while the bulk of the transaction, the sampled positions
and the commit, runs on this thread as the pipeline parses and detects the next batch.
The position insert is one statement per chunk (see ``Store._insert_observations``), so
the database works with the GIL released and the two cores really work at once.

At most one batch is in flight per :class:`~monitor.store.Store`: the writer takes the
next only after the previous one has committed or failed, and the store's reads in other
threads wait for the batch in flight (a process reads its own writes).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.store.repository import AppliedChange, OutboxFn, StoreBatch

log = logging.getLogger(__name__)


class PendingWrite:
    """One batch submitted to the writer: its incident part, then its commit."""

    __slots__ = ("batch", "outbox", "_applied", "_applied_ready", "_done", "_error")

    def __init__(self, batch: StoreBatch, outbox: OutboxFn | None = None) -> None:
        self.batch = batch
        self.outbox = outbox
        self._applied: list[AppliedChange] | None = None
        self._error: BaseException | None = None
        self._applied_ready = threading.Event()
        self._done = threading.Event()

    @classmethod
    def finished(cls, batch: StoreBatch, applied: list[AppliedChange]) -> PendingWrite:
        """A write already committed (stores without a writer thread)."""
        job = cls(batch)
        job.deliver(applied)
        job.finish()
        return job

    # --- the writer's side ------------------------------------------------------------------

    def deliver(self, applied: list[AppliedChange]) -> None:
        self._applied = applied
        self._applied_ready.set()

    def finish(self) -> None:
        self._applied_ready.set()
        self._done.set()

    def fail(self, exc: BaseException) -> None:
        self._error = exc
        self.finish()

    # --- the submitter's side ---------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def applied(self) -> list[AppliedChange]:
        """The incident changes as the transaction applies them (before it commits).

        Raises what the transaction raised if it failed before getting that far."""
        self._applied_ready.wait()
        if self._applied is None:
            assert self._error is not None
            raise self._error
        return self._applied

    def wait(self) -> list[AppliedChange]:
        """Block until the transaction has committed; raise what it raised if it failed
        (it was rolled back then: nothing of the batch is stored)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._applied is not None
        return self._applied

    def settle(self) -> None:
        """Block until the transaction has ended, committed or not."""
        self._done.wait()


class StoreWriter:
    """A daemon thread applying :class:`PendingWrite` jobs one at a time with ``run``."""

    def __init__(self, run: Callable[[PendingWrite], None], name: str = "store-writer") -> None:
        self._run_job = run
        self._jobs: queue.SimpleQueue[PendingWrite | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def submit(self, job: PendingWrite) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the store writer has stopped")
        self._jobs.put(job)

    def stop(self) -> None:
        """Finish the jobs already submitted, then end the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._run_job(job)
            except BaseException as exc:  # noqa: BLE001 - handed to the submitter, who raises it
                job.fail(exc)


def is_writer_thread(writer: StoreWriter | None) -> bool:
    return writer is not None and threading.current_thread() is writer.thread


