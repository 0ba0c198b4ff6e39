"""The zone-change signal: every process follows the zone versions stored by any other.

A version declared, amended or lifted through the API or ``monitor zones``, or built from
a NOTAM by another ``monitor run``, lands in ``zone_version``. Every process that works
with zones (``monitor run``, each ``monitor serve`` worker) must then reload them.
:class:`ZoneSignal` watches for that in a daemon thread and calls ``on_change`` (once for
a burst of versions):

* **PostgreSQL**: :meth:`Store.add_versions` sends ``NOTIFY monitor_zones`` in the
  transaction that stores the versions (delivered at commit). The signal ``LISTEN``s on a
  connection of its own (psycopg 3, autocommit) and calls ``on_change`` as soon as the
  notification arrives. A lost connection is opened again with backoff (1 s doubling to
  30 s), then ``on_change`` is called once, since notifications sent meanwhile are lost.
* **SQLite**: there are no notifications between processes. The signal reads
  :meth:`Store.zone_change_token` (row count and highest row id, one index read) every
  ``poll_s`` seconds (1 s by default) and calls ``on_change`` when it moved.
* An in-memory SQLite database is private to its process: nothing to follow.

``on_change`` is also called right after the start, for versions stored between the
process's first load and the start of the watch. A failing ``on_change`` (the database
went away while reloading) is logged and tried again ``retry_s`` later. :meth:`poke`
makes a polling signal look at once (after this process stored a version itself).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.store.repository import Store

log = logging.getLogger(__name__)

#: the PostgreSQL notification channel of zone changes (payload: the version keys stored)
ZONE_CHANNEL = "monitor_zones"

Mode = Literal["notify", "poll", "off"]


def signal_mode(store: Store) -> Mode:
    """How ``store``'s processes learn of each other's zone versions."""
    if store.dialect == "postgresql":
        return "notify"
    database = store.engine.url.database
    if store.dialect == "sqlite" and database not in (None, "", ":memory:"):
        return "poll"
    return "off"


class ZoneSignal:
    """Calls ``on_change`` (in its own thread) when any process stores zone versions.

    Parameters
    ----------
    store:
        The store whose ``zone_version`` table is followed.
    on_change:
        Reloads the zones; called from the signal's thread, never concurrently with itself.
    poll_s:
        SQLite: seconds between two reads of the change token. PostgreSQL: the longest
        wait for a notification before the thread looks at its stop flag again.
    retry_s:
        Seconds before a failed ``on_change`` is tried again.
    """

    def __init__(
        self,
        store: Store,
        on_change: Callable[[], None],
        *,
        poll_s: float = 1.0,
        retry_s: float = 2.0,
    ) -> None:
        if poll_s <= 0:
            raise ValueError(f"poll_s must be positive, got {poll_s}")
        self.store = store
        self.on_change = on_change
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.mode: Mode = signal_mode(store)
        #: calls of ``on_change`` that succeeded (the first one is the start's catch-up)
        self.reloads = 0
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> ZoneSignal:
        """Start watching (returns ``self``); does nothing on an in-memory database."""
        if self.mode == "off":
            log.info("zone signal: in-memory database, no other process to follow")
            return self
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="zone-signal", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop watching and wait (at most ``timeout_s``) for the thread to end."""
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def poke(self) -> None:
        """Look for changes now rather than at the next poll (PostgreSQL needs no poke:
        the notification of this process's own write arrives anyway)."""
        if self.mode == "poll":
            self._poke.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        log.info(
            "zone signal: following zone changes (%s)",
            f"LISTEN {ZONE_CHANNEL}" if self.mode == "notify" else f"every {self.poll_s:g} s",
        )
        if self.mode == "notify":
            self._listen()
        else:
            self._poll()

    def _fire(self) -> bool:
        """Call ``on_change``; False (logged) when it failed."""
        try:
            self.on_change()
        except (MonitorError, SQLAlchemyError, OSError) as exc:
            log.warning("zone signal: reloading the zones failed (%s); retrying in %g s",
                        exc, self.retry_s)
            return False
        except Exception:  # a bug in a reload must not end the watch: logged, tried again
            log.exception("zone signal: reloading the zones failed; retrying in %g s", self.retry_s)
            return False
        self.reloads += 1
        return True

    def _poll(self) -> None:
        last: tuple[int, int] | None = None
        while not self._stop.is_set():
            wait_s = self.poll_s
            try:
                token = self.store.zone_change_token()
            except SQLAlchemyError as exc:
                self._trouble(f"cannot read the zone versions ({type(exc).__name__})")
            else:
                self._recovered()
                if token != last:
                    if self._fire():
                        last = token
                    else:
                        wait_s = max(wait_s, self.retry_s)
            self._poke.wait(wait_s)
            self._poke.clear()

    def _listen(self) -> None:
        import psycopg

        conninfo = self.store.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        backoff_s = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {ZONE_CHANNEL}")
                    backoff_s = 1.0
                    self._recovered()
                    self._follow(conn)
            except psycopg.Error as exc:
                self._trouble(f"LISTEN connection lost ({type(exc).__name__}: {exc})".strip())
                self._stop.wait(backoff_s)
                backoff_s = min(30.0, backoff_s * 2)

    def _follow(self, conn: object) -> None:
        """Wait for notifications on a listening connection; reload once per burst."""
        pending = True  # catch up on what was stored before LISTEN took effect
        next_try = 0.0
        while not self._stop.is_set():
            if pending and time.monotonic() >= next_try:
                if self._fire():
                    pending = False
                else:
                    next_try = time.monotonic() + self.retry_s
            got = False
            for _note in conn.notifies(timeout=self.poll_s, stop_after=1):  # type: ignore[attr-defined]
                got = True
            if got:  # a burst (an import of many versions): one reload for all of it
                for _note in conn.notifies(timeout=0.02):  # type: ignore[attr-defined]
                    pass
                pending = True
                next_try = 0.0

    def _trouble(self, what: str) -> None:
        if not self._failing:
            log.warning("zone signal: %s; trying again", what)
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            log.info("zone signal: following zone changes again")
        self._failing = False
