"""The alert outbox: claiming, settling and listing alerts (SQLite and PostgreSQL).

Rows are written by ``Store.apply`` in the same transaction as the incident change that
caused them (``state = pending``). The dispatcher (``monitor.alerts.dispatcher``) then:

1. **claims** due rows: ``pending`` ones whose ``next_attempt_at`` has come, and ``sending``
   ones whose lease ran out (a dispatcher died mid-send). Claiming sets ``sending``, bumps
   ``attempts`` and sets ``next_attempt_at`` to the lease's end, in one transaction. On
   PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``;
2. **settles** each row as soon as its channel answered: ``delivered`` (with
   ``delivered_at``), or back to ``pending`` with the next attempt time, or ``dead`` when
   attempts are exhausted; every try is an ``alert_attempt`` row. Outcomes that arrive
   while a settle transaction is running are committed together in the next one (group
   commit, :meth:`OutboxStore.settle`), never held back on a timer.

Only one dispatcher runs at a time (:class:`DispatcherLock`): a PostgreSQL session
advisory lock (``pg_try_advisory_lock``), released by the server when the process dies; on
SQLite an exclusive ``flock`` on a file beside the database, released by the kernel when
the process dies. Whoever takes the lock may therefore hand every ``sending`` row back at
once (:meth:`OutboxStore.release_inflight`): nobody else can be sending it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection

from monitor.domain import ZoneVersion
from monitor.store.models import (
    AlertAttemptRow,
    AlertOutboxRow,
    CheckpointRow,
    IncidentRow,
    ZoneVersionRow,
)
from monitor.store.repository import OutboxEntry, Store, _insert_ignore, _zone_from_row
from monitor.store.upsert import upsert
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

OUT = AlertOutboxRow.__table__
ATT = AlertAttemptRow.__table__
INC = IncidentRow.__table__
ZV = ZoneVersionRow.__table__
CP = CheckpointRow.__table__

STATES = ("pending", "sending", "delivered", "dead")
#: the advisory lock key of the dispatcher ("monalert" in ASCII)
ADVISORY_LOCK_KEY = 0x6D6F6E616C657274
#: an error text stored in the database is cut to this length
MAX_ERROR_CHARS = 500
ZONE_WATERMARK = "alerts:zone_watermark"


@dataclass(frozen=True, slots=True)
class ClaimedAlert:
    """An outbox row claimed for sending."""

    id: int
    idempotency_key: str
    rule: str
    channel: str
    incident_id: int | None
    attempts: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send went: delivered (``ok``), or failed with a retry time (``None``: dead)."""

    alert_id: int
    at: datetime
    ok: bool
    error: str | None = None
    duration_s: float | None = None
    retry_at: datetime | None = None


class OutboxStore:
    """Outbox operations over the store's engine (thread-safe: one transaction per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def of(cls, store: Store) -> OutboxStore:
        return cls(store.engine)

    # --- dispatcher side ---------------------------------------------------------------------

    def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease_s: float,
        channel_room: Mapping[str, int] | None = None,
    ) -> list[ClaimedAlert]:
        """Claim up to ``limit`` due alerts for ``lease_s`` seconds, oldest due first.

        ``channel_room``: at most this many alerts of the named channels (a slow channel
        such as e-mail must not take every sending slot); other channels are not limited.
        """
        if limit <= 0:
            return []
        room = dict(channel_room or {})
        due = and_(OUT.c.state.in_(("pending", "sending")), OUT.c.next_attempt_at <= now)
        full = [c for c, n in room.items() if n <= 0]
        cond = and_(due, OUT.c.channel.not_in(full)) if full else due
        pick = (
            select(OUT.c.id, OUT.c.channel)
            .where(cond)
            .order_by(OUT.c.next_attempt_at, OUT.c.id)
            .limit(limit * 4 if room else limit)
        )
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            ids: list[int] = []
            for rid, channel in conn.execute(pick).all():
                if channel in room:
                    if room[channel] <= 0:
                        continue
                    room[channel] -= 1
                ids.append(rid)
                if len(ids) >= limit:
                    break
            if not ids:
                return []
            rows = conn.execute(
                update(OUT)
                .where(and_(OUT.c.id.in_(ids), due))
                .values(
                    state="sending",
                    attempts=OUT.c.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=lease_s),
                )
                .returning(
                    OUT.c.id,
                    OUT.c.idempotency_key,
                    OUT.c.rule,
                    OUT.c.channel,
                    OUT.c.incident_id,
                    OUT.c.attempts,
                    OUT.c.payload,
                )
            ).all()
        claimed = [
            ClaimedAlert(r.id, r.idempotency_key, r.rule, r.channel, r.incident_id, r.attempts, dict(r.payload))
            for r in rows
        ]
        claimed.sort(key=lambda c: c.id)
        return claimed

    def settle(self, outcomes: Sequence[Outcome]) -> None:
        """Record the outcome of several sends in ONE transaction (group commit).

        Each outcome sets its row to ``delivered``, back to ``pending`` (with the next try
        time) or ``dead``, and adds an ``alert_attempt`` row.
        """
        if not outcomes:
            return
        done = [o for o in outcomes if o.ok]
        failed = [o for o in outcomes if not o.ok]
        with self.engine.begin() as conn:
            if done:
                conn.execute(
                    update(OUT)
                    .where(OUT.c.id == bindparam("b_id"))
                    .values(state="delivered", delivered_at=bindparam("b_at"), next_attempt_at=bindparam("b_at"),
                            last_error=None),
                    [{"b_id": o.alert_id, "b_at": o.at} for o in done],
                )
            if failed:
                conn.execute(
                    update(OUT)
                    .where(OUT.c.id == bindparam("b_id"))
                    .values(state=bindparam("b_state"), next_attempt_at=bindparam("b_next"),
                            last_error=bindparam("b_error")),
                    [
                        {
                            "b_id": o.alert_id,
                            "b_state": "pending" if o.retry_at is not None else "dead",
                            "b_next": o.retry_at or o.at,
                            "b_error": (o.error or "failed")[:MAX_ERROR_CHARS],
                        }
                        for o in failed
                    ],
                )
            conn.execute(
                insert(ATT),
                [
                    {
                        "outbox_id": o.alert_id,
                        "at": o.at,
                        "ok": o.ok,
                        "error": None if o.ok else (o.error or "failed")[:MAX_ERROR_CHARS],
                        "duration_s": o.duration_s,
                    }
                    for o in outcomes
                ],
            )

    def delivered(self, alert_id: int, *, at: datetime, duration_s: float | None) -> None:
        """Record one delivery."""
        self.settle([Outcome(alert_id, at, True, duration_s=duration_s)])

    def failed(
        self,
        alert_id: int,
        *,
        at: datetime,
        error: str,
        duration_s: float | None,
        retry_at: datetime | None,
    ) -> None:
        """Record a failed try: retry at ``retry_at``, or ``dead`` when it is ``None``."""
        self.settle([Outcome(alert_id, at, False, error=error, duration_s=duration_s, retry_at=retry_at)])

    def release_inflight(self, *, now: datetime | None = None) -> int:
        """Make every ``sending`` alert due now. Call only while holding :class:`DispatcherLock`."""
        now = now or utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(OUT).where(OUT.c.state == "sending").values(state="pending", next_attempt_at=now)
            )
        return int(result.rowcount or 0)

    def next_due_at(self) -> datetime | None:
        """When the earliest pending or sending alert falls due (``None``: nothing waits)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.min(OUT.c.next_attempt_at)).where(OUT.c.state.in_(("pending", "sending")))
            ).scalar_one()

    # --- writes outside an incident transaction ----------------------------------------------

    def insert_entries(self, entries: Sequence[OutboxEntry], *, now: datetime | None = None) -> int:
        """Insert alerts that belong to no incident (zone changes, tests); duplicates skipped.

        Returns how many rows were new.
        """
        return self._insert(entries, now=now)

    def _insert(
        self,
        entries: Sequence[OutboxEntry],
        *,
        now: datetime | None = None,
        conn: Connection | None = None,
    ) -> int:
        if not entries:
            return 0
        now = now or utcnow()
        if conn is None:
            with self.engine.begin() as c:
                return self._insert(entries, now=now, conn=c)
        new = 0
        for e in entries:
            result = conn.execute(
                _insert_ignore(self.dialect, OUT).values(
                    idempotency_key=e.idempotency_key,
                    rule=e.rule,
                    channel=e.channel,
                    incident_id=None,
                    event_id=None,
                    created_at=now,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    payload=e.payload,
                )
                .returning(OUT.c.id)
            )
            new += len(result.all())
        return new

    def requeue(self, *, ids: Iterable[int] = (), state: str | None = None) -> int:
        """Send again: the given alerts, or every alert in ``state`` (e.g. ``dead``)."""
        ids = list(ids)
        cond = []
        if ids:
            cond.append(OUT.c.id.in_(ids))
        if state:
            cond.append(OUT.c.state == state)
        if not cond:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(
                update(OUT)
                .where(and_(*cond), OUT.c.state != "sending")
                .values(state="pending", attempts=0, next_attempt_at=utcnow(), last_error=None)
            )
        return int(result.rowcount or 0)

    # --- zone watch --------------------------------------------------------------------------

    def zone_versions_since(self, after_id: int, *, limit: int = 500) -> list[tuple[int, ZoneVersion]]:
        """Stored zone versions with a row id above ``after_id``, in id order."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ZV).where(ZV.c.id > after_id).order_by(ZV.c.id).limit(limit)).all()
        return [(r.id, _zone_from_row(r)) for r in rows]

    def max_zone_row_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(ZV.c.id), 0))).scalar_one())

    def zone_watermark(self) -> tuple[int, int] | None:
        """``(last zone_version row id alerted on, baseline)``; ``None`` before the first scan.

        Rows at or below the baseline existed before zone alerts were switched on: history,
        never alerted.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(CP.c.position).where(CP.c.name == ZONE_WATERMARK)).first()
        if row is None:
            return None
        pos = dict(row[0])
        wm, base = pos.get("zone_row_id"), pos.get("baseline", 0)
        if not isinstance(wm, int) or not isinstance(base, int):
            return None
        return wm, base

    def insert_zone_entries(self, entries: Sequence[OutboxEntry], *, watermark: int, baseline: int) -> int:
        """Insert zone-change alerts and advance the watermark in one transaction."""
        now = utcnow()
        with self.engine.begin() as conn:
            new = self._insert(entries, now=now, conn=conn)
            conn.execute(
                upsert(
                    self.dialect,
                    CP,
                    {
                        "name": ZONE_WATERMARK,
                        "position": {"zone_row_id": watermark, "baseline": baseline},
                        "updated_at": now,
                    },
                    ["name"],
                )
            )
        return new

    # --- reading -----------------------------------------------------------------------------

    def list(
        self, *, limit: int = 50, state: str | None = None, rule: str | None = None
    ) -> list[Any]:
        """Newest alerts first (rows of ``alert_outbox``)."""
        stmt = select(OUT).order_by(OUT.c.id.desc()).limit(limit)
        if state:
            stmt = stmt.where(OUT.c.state == state)
        if rule:
            stmt = stmt.where(OUT.c.rule == rule)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).all())

    def counts(self) -> dict[str, int]:
        """Alerts by state (for metrics and ``monitor alerts list``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(OUT.c.state, func.count()).group_by(OUT.c.state)).all()
        out = dict.fromkeys(STATES, 0)
        out.update({r[0]: int(r[1]) for r in rows})
        return out

    def attempts(self, alert_id: int) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(ATT).where(ATT.c.outbox_id == alert_id).order_by(ATT.c.id)).all())

    def seed_rows(self, *, since: datetime) -> tuple[list[dict[str, Any]], list[int]]:
        """Outbox rows a restarted rules engine learns from, and the open incident ids.

        Rows of open incidents, plus rows created since ``since`` (cooldowns), oldest first.
        """
        with self.engine.connect() as conn:
            open_ids = [int(i) for i in conn.execute(select(INC.c.id).where(INC.c.status == "open")).scalars()]
            open_sel = select(INC.c.id).where(INC.c.status == "open")
            rows = conn.execute(
                select(OUT.c.id, OUT.c.rule, OUT.c.incident_id, OUT.c.payload)
                .where(
                    and_(
                        OUT.c.incident_id.is_not(None),
                        or_(OUT.c.created_at >= since, OUT.c.incident_id.in_(open_sel)),
                    )
                )
                .order_by(OUT.c.id)
            ).all()
        return (
            [{"rule": r.rule, "incident_id": r.incident_id, "payload": dict(r.payload)} for r in rows],
            open_ids,
        )


class DispatcherLock:
    """At most one alert dispatcher across processes.

    PostgreSQL: a session advisory lock held on a dedicated connection (the server drops
    it when the process dies). SQLite: ``flock`` on ``<database>.alert-dispatcher.lock``
    (the kernel drops it when the process dies). Other URLs: always granted.
    """

    def __init__(self, engine: Engine, *, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None
        self._fd: int | None = None
        self.held = False

    @property
    def path(self) -> Path | None:
        if self.engine.dialect.name != "sqlite":
            return None
        db = self.engine.url.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return None
        return Path(db).with_name(Path(db).name + ".alert-dispatcher.lock")

    def try_acquire(self) -> bool:
        """Take the lock if free; ``True`` when this process holds it (checks it still does)."""
        if self.held:
            return self._still_held()
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            conn = self.engine.connect()
            try:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
                conn.commit()
            except Exception:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
        elif dialect == "sqlite" and self.path is not None:
            import fcntl

            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
        self.held = True
        return True

    def _still_held(self) -> bool:
        if self._conn is None:
            return True
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception as exc:  # the session (and with it the lock) is gone
            log.warning("alert dispatcher lost its database session (%s); lock released", type(exc).__name__)
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except Exception as exc:  # closing the session releases it anyway
                log.debug("advisory unlock failed (%s); closing the session releases it", type(exc).__name__)
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:  # already broken
                log.debug("closing the lock session failed: %s", type(exc).__name__)
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        self.held = False
