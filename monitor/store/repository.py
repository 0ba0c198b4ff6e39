"""The store: every read and write of the database goes through :class:`Store`.

Writes come in batches (:class:`StoreBatch`) applied in ONE transaction: incident changes
with their timeline events, evidence and alert outbox rows, downsampled observations,
vessel data, feed health and checkpoints. Alerts therefore never disagree with incidents,
and a crash leaves either the whole batch or none of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import shapely
from sqlalchemy import Engine, and_, bindparam, event, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import SingletonThreadPool

from monitor.domain import (
    AppliesTo,
    ChangeAction,
    IncidentChange,
    IncidentKind,
    IncidentStatus,
    Observation,
    OpenIncident,
    Severity,
    SubjectKind,
    VesselInfo,
    ZoneChange,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.domain.zone import UNLIMITED_FT, BindingScope
from monitor.errors import StoreError
from monitor.identity.vessel import (
    STATIC_FIELDS,
    clean_text,
    keeps_static_history,
    mmsi_class,
    static_changes,
)
from monitor.store.db import make_engine, migrate
from monitor.store.models import (
    AlertAttemptRow,
    AlertOutboxRow,
    CheckpointRow,
    EvidenceRow,
    FeedHealthRow,
    FeedOutageRow,
    IncidentEventRow,
    IncidentRow,
    ObservationRow,
    OperatorTrafficRow,
    TrafficStatRow,
    VesselIdentityHistoryRow,
    VesselInfoRow,
    ZoneVersionRow,
)
from monitor.store.queries import (
    PG_ACTIVE_RANGE,
    IncidentQuery,
    decode_cursor,
    encode_cursor,
    rtree_day_window,
    sqlite_time,
)
from monitor.store.writer import PendingWrite, StoreWriter, is_writer_thread
from monitor.store.zone_signal import ZONE_CHANNEL
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

INC = IncidentRow.__table__
EVT = IncidentEventRow.__table__
EVD = EvidenceRow.__table__
OBS = ObservationRow.__table__
ZV = ZoneVersionRow.__table__
VI = VesselInfoRow.__table__
VH = VesselIdentityHistoryRow.__table__
FH = FeedHealthRow.__table__
FO = FeedOutageRow.__table__
OUT = AlertOutboxRow.__table__
ATT = AlertAttemptRow.__table__
TS = TrafficStatRow.__table__
CP = CheckpointRow.__table__

#: most points kept in an incident's track geometry (older ones are thinned)
MAX_TRACK_POINTS = 400
#: most evidence rows kept per incident
MAX_EVIDENCE = 50
#: positions per ``INSERT … SELECT`` statement
_OBS_CHUNK = 5000
#: columns of a stored position, in the order of the rows ``_insert_observations`` builds
_OBS_COLUMNS = (
    "subject_kind",
    "subject_id",
    "observed_at",
    "lat",
    "lon",
    "altitude_ft",
    "ground_speed_kt",
    "track_deg",
    "callsign",
    "source",
    "record_ref",
)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One alert to send, produced by the alert rules for one incident change."""

    idempotency_key: str
    rule: str
    channel: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AppliedChange:
    change: IncidentChange
    incident_id: int
    event_id: int
    seq: int
    created: bool


#: called inside the transaction for each applied change; returns outbox rows to insert
OutboxFn = Callable[[AppliedChange], Sequence[OutboxEntry]]


@dataclass(frozen=True, slots=True)
class FeedHealthState:
    source: str
    kind: str
    status: str
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    polls: int
    failures: int
    records: int
    items: int
    latency_s: float | None
    errors: dict[str, int]


@dataclass(frozen=True, slots=True)
class Outage:
    source: str
    started_at: datetime
    ended_at: datetime | None
    reason: str


def applied_action(is_open: bool | None, action: ChangeAction) -> ChangeAction | None:
    """What the store does with a change of ``action`` to an incident that is open
    (``True``), closed (``False``) or unknown (``None``): a close of an unknown incident
    and any change but a re-open of a closed one are ignored (``None``); an unknown one is
    opened; an open of a known one is an update."""
    if is_open is None:
        return None if action is ChangeAction.CLOSE else ChangeAction.OPEN
    if not is_open and action is not ChangeAction.OPEN:
        return None
    return ChangeAction.UPDATE if action is ChangeAction.OPEN else action


@dataclass
class StoreBatch:
    changes: list[IncidentChange] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    vessel_info: list[VesselInfo] = field(default_factory=list)
    feed_health: list[FeedHealthState] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    traffic: list[tuple[datetime, str, int]] = field(default_factory=list)
    checkpoint: tuple[str, dict[str, Any]] | None = None

    def __bool__(self) -> bool:
        return bool(
            self.changes
            or self.observations
            or self.vessel_info
            or self.feed_health
            or self.outages
            or self.traffic
            or self.checkpoint
        )


class Store:
    """Database access for the whole monitor (SQLite or PostgreSQL + PostGIS)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._statements: dict[str, Any] = {}
        self._obs_insert: tuple[str, Callable[[Any], Any]] | None = None
        #: the writer thread of :meth:`submit`, started on first use (``None`` until then)
        self._writer: StoreWriter | None = None
        #: the batch the writer has not finished yet
        self._inflight: PendingWrite | None = None
        self._submit_lock = threading.Lock()
        # reads (in any thread but the writer's) see the batch in flight once committed
        event.listen(engine, "engine_connect", self._read_barrier)

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        engine = make_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        """Let the batch in flight end, stop the writer thread, release the connections."""
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        self._inflight = None
        event.remove(self.engine, "engine_connect", self._read_barrier)
        self.engine.dispose()

    # --- writes ---------------------------------------------------------------------------

    def apply(self, batch: StoreBatch, outbox: OutboxFn | None = None) -> list[AppliedChange]:
        """Apply a batch in one transaction, in this thread; returns the incident changes
        as applied (after any batch still in flight from :meth:`submit`)."""
        self._settle_inflight()
        return self._transact(batch, outbox)

    def _transact(
        self,
        batch: StoreBatch,
        outbox: OutboxFn | None,
        decided: Callable[[list[AppliedChange]], None] | None = None,
    ) -> list[AppliedChange]:
        """The batch's one transaction: the incident part (handed to ``decided`` before
        the rest is written), then the rest, then the commit."""
        with self.engine.begin() as conn:
            applied = self._apply_changes(conn, batch, outbox)
            if decided is not None:
                decided(applied)
            self._apply_rest(conn, batch)
        return applied

    def submit(self, batch: StoreBatch, outbox: OutboxFn | None = None) -> PendingWrite:
        """Apply a batch in one transaction on the writer thread.

        Returns at once; :meth:`PendingWrite.applied` gives the incident changes as applied
        as soon as the transaction has decided them, :meth:`PendingWrite.wait` the commit.
        Batches are applied in the order they are submitted. A store on an in-memory
        SQLite database (one connection per thread) applies the batch here and now."""
        if isinstance(self.engine.pool, SingletonThreadPool):
            return PendingWrite.finished(batch, self.apply(batch, outbox))
        job = PendingWrite(batch, outbox)
        with self._submit_lock:
            if self._writer is None:
                self._writer = StoreWriter(self._run_job)
            self._inflight = job
            self._writer.submit(job)
        return job

    def _run_job(self, job: PendingWrite) -> None:
        try:
            self._transact(job.batch, job.outbox, job.deliver)
        except BaseException as exc:  # noqa: BLE001 - the submitter raises it
            job.fail(exc)
        else:
            job.finish()

    def _settle_inflight(self) -> None:
        job = self._inflight
        if job is not None and not is_writer_thread(self._writer):
            job.settle()

    def _read_barrier(self, _conn: Connection) -> None:
        self._settle_inflight()

    def _apply_changes(
        self, conn: Connection, batch: StoreBatch, outbox: OutboxFn | None
    ) -> list[AppliedChange]:
        """The incident part of a batch's transaction: changes, events, evidence, outbox."""
        applied: list[AppliedChange] = []
        if not batch.changes:
            return applied
        known = self._prefetch(conn, batch.changes)
        pending: list[tuple[AppliedChange, Sequence[OutboxEntry]]] = []
        for change in batch.changes:
            done = self._apply_change(conn, change, known)
            if done is None:
                continue
            applied.append(done)
            if outbox is not None:
                entries = outbox(done)
                if entries:
                    pending.append((done, entries))
        if pending:
            self._insert_outbox(conn, pending)
        return applied

    def _apply_rest(self, conn: Connection, batch: StoreBatch) -> None:
        """The rest of a batch's transaction: positions, vessels, feed health, traffic
        series and the checkpoint (written with the data it stands for)."""
        if batch.observations:
            self._insert_observations(conn, batch.observations)
        if batch.vessel_info:
            self._upsert_vessels(conn, batch.vessel_info)
        for health in batch.feed_health:
            self._upsert_health(conn, health)
        for outage in batch.outages:
            self._record_outage(conn, outage)
        for hour, zone_id, aircraft in batch.traffic:
            self._upsert_traffic(conn, hour, zone_id, aircraft)
        if batch.checkpoint is not None:
            self._save_checkpoint(conn, *batch.checkpoint)

    def _prefetch(
        self, conn: Connection, changes: Sequence[IncidentChange]
    ) -> dict[str, tuple[int, int, str, Any]]:
        """The incidents a batch touches, in a few queries instead of one per change."""
        keys = sorted({c.dedupe_key for c in changes})
        known: dict[str, tuple[int, int, str, Any]] = {}
        for chunk in iter_chunks(keys, 500):
            rows = conn.execute(
                select(INC.c.dedupe_key, INC.c.id, INC.c.change_seq, INC.c.status, INC.c.geom).where(
                    INC.c.dedupe_key.in_(chunk)
                )
            ).all()
            for r in rows:
                known[r[0]] = (r[1], r[2], r[3], r[4])
        return known

    def _incident_id(self, conn: Connection, key: str) -> tuple[int, int, str, Any] | None:
        row = conn.execute(
            select(INC.c.id, INC.c.change_seq, INC.c.status, INC.c.geom).where(
                INC.c.dedupe_key == key
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def _apply_change(
        self, conn: Connection, ch: IncidentChange, known: dict[str, tuple[int, int, str, Any]]
    ) -> AppliedChange | None:
        existing = known.get(ch.dedupe_key)
        now = utcnow()
        decided = applied_action(
            None if existing is None else existing[2] != IncidentStatus.CLOSED.value, ch.action
        )
        if decided is None:
            log.debug("%s of %s incident %s ignored", ch.action.value,
                      "unknown" if existing is None else "closed", ch.dedupe_key)
            return None
        if existing is None:
            geom = _track_geometry(None, ch)
            bounds = geom.bounds if geom is not None else (None, None, None, None)
            values = {
                "dedupe_key": ch.dedupe_key,
                "kind": ch.kind.value,
                "severity": ch.severity.value,
                "severity_rank": ch.severity.rank,
                "status": IncidentStatus.OPEN.value,
                "subject_kind": ch.subject_kind,
                "subject_id": ch.subject_id,
                "subject_label": ch.subject_label,
                "zone_id": ch.zone_id,
                "zone_version": ch.zone_version,
                "started_at": ch.at,
                "last_seen_at": ch.at,
                "ended_at": None,
                "updated_at": now,
                "lat": ch.lat,
                "lon": ch.lon,
                "min_lon": bounds[0],
                "min_lat": bounds[1],
                "max_lon": bounds[2],
                "max_lat": bounds[3],
                "geom": geom,
                "summary": ch.summary,
                "details": dict(ch.details),
                "change_seq": 1,
            }
            # ON CONFLICT: another monitor process sharing the database may have opened the
            # same incident (same dedupe key) a moment ago; then this change is an update
            inserted = conn.execute(self._statement("incident_insert"), values).scalar_one_or_none()
            if inserted is None:
                existing = self._incident_id(conn, ch.dedupe_key)
                if existing is None:  # pragma: no cover - the conflicting row vanished
                    raise StoreError(f"incident {ch.dedupe_key} neither inserted nor found")
                known[ch.dedupe_key] = existing
                return self._apply_change(conn, ch, known)
            incident_id = inserted
            seq, action, created = 1, ChangeAction.OPEN, True
            known[ch.dedupe_key] = (incident_id, seq, IncidentStatus.OPEN.value, geom)
        else:
            incident_id, prev_seq, status, old_geom = existing
            seq = prev_seq + 1
            action = decided
            created = False
            geom = _track_geometry(old_geom, ch)
            values = {
                "severity": ch.severity.value,
                "severity_rank": ch.severity.rank,
                "last_seen_at": ch.at,
                "updated_at": now,
                "summary": ch.summary,
                "details": dict(ch.details),
                "change_seq": seq,
            }
            if ch.zone_version is not None:
                values["zone_version"] = ch.zone_version
            if ch.subject_label:
                values["subject_label"] = ch.subject_label
            if ch.lat is not None and ch.lon is not None:
                values["lat"], values["lon"] = ch.lat, ch.lon
            if geom is not None and ch.track:
                b = geom.bounds
                values.update(geom=geom, min_lon=b[0], min_lat=b[1], max_lon=b[2], max_lat=b[3])
            if action is ChangeAction.CLOSE:
                values["status"] = IncidentStatus.CLOSED.value
                values["ended_at"] = ch.at
            elif status == IncidentStatus.CLOSED.value:
                values["status"] = IncidentStatus.OPEN.value
                values["ended_at"] = None
            conn.execute(self._statement("incident_update"), {**values, "incident_pk": incident_id})
            known[ch.dedupe_key] = (
                incident_id,
                seq,
                values.get("status", status),
                values.get("geom", old_geom),
            )
        event_id = conn.execute(
            self._statement("event_insert"),
            {
                "incident_id": incident_id,
                "seq": seq,
                "action": action.value,
                "at": ch.at,
                "severity": ch.severity.value,
                "summary": ch.summary,
                "details": _jsonable(ch.details),
            },
        ).scalar_one()
        if ch.evidence:
            count = conn.execute(
                select(func.count()).select_from(EVD).where(EVD.c.incident_id == incident_id)
            ).scalar_one()
            room = MAX_EVIDENCE - count
            rows = [
                {
                    "incident_id": incident_id,
                    "observed_at": e.observed_at,
                    "source": e.source,
                    "note": e.note,
                    "record_ref": e.record_ref,
                    "subject_id": e.subject_id,
                    "lat": e.lat,
                    "lon": e.lon,
                    "altitude_ft": e.altitude_ft,
                    "ground_speed_kt": e.ground_speed_kt,
                    "track_deg": e.track_deg,
                }
                for e in ch.evidence[: max(room, 0)]
            ]
            if rows:
                conn.execute(insert(EVD), rows)
        final = IncidentChange(
            action=action,
            dedupe_key=ch.dedupe_key,
            kind=ch.kind,
            severity=ch.severity,
            at=ch.at,
            summary=ch.summary,
            subject_kind=ch.subject_kind,
            subject_id=ch.subject_id,
            subject_label=ch.subject_label,
            zone_id=ch.zone_id,
            zone_version=ch.zone_version,
            lat=ch.lat,
            lon=ch.lon,
            details=ch.details,
            evidence=ch.evidence,
            track=ch.track,
        )
        return AppliedChange(final, incident_id, event_id, seq, created)

    def _insert_outbox(
        self, conn: Connection, pending: Sequence[tuple[AppliedChange, Sequence[OutboxEntry]]]
    ) -> None:
        now = utcnow()
        rows = [
            {
                "idempotency_key": entry.idempotency_key,
                "rule": entry.rule,
                "channel": entry.channel,
                "incident_id": done.incident_id,
                "event_id": done.event_id,
                "created_at": now,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "payload": entry.payload,
            }
            for done, entries in pending
            for entry in entries
        ]
        conn.execute(_insert_ignore(self.dialect, OUT, ["idempotency_key"]), rows)

    def _statement(self, name: str) -> Any:
        """The change statements, built once with bound parameters (values passed at
        execution), so SQLAlchemy compiles each once instead of once per change."""
        stmt = self._statements.get(name)
        if stmt is None:
            if name == "incident_insert":
                stmt = _insert_ignore(self.dialect, INC, ["dedupe_key"]).returning(INC.c.id)
            elif name == "incident_update":
                stmt = update(INC).where(INC.c.id == bindparam("incident_pk"))
            elif name == "event_insert":
                stmt = insert(EVT).returning(EVT.c.id)
            else:  # pragma: no cover - a typo in this module
                raise KeyError(name)
            self._statements[name] = stmt
        return stmt

    def _insert_observations(self, conn: Connection, observations: Sequence[Observation]) -> None:
        """Sampled positions: one ``INSERT … SELECT`` per chunk of rows handed over as a
        single JSON array, unpacked by the database (``json_each`` on SQLite,
        ``json_array_elements`` on PostgreSQL).

        One statement per chunk instead of one ``executemany`` step per row: the driver
        releases the GIL for the whole statement, which is what lets the writer thread's
        index work run beside the pipeline (a step per row would hand the GIL back and
        forth thousands of times a batch), and no per-row parameter processing is paid.
        JSON numbers round-trip doubles exactly (shortest representation both ways)."""
        if self._obs_insert is None:
            dialect = conn.dialect
            table = dialect.identifier_preparer.format_table(OBS)
            cols = ", ".join(_OBS_COLUMNS)
            if self.dialect == "sqlite":
                values = ", ".join(f"value->>{i}" for i in range(len(_OBS_COLUMNS)))
                source = "json_each(?)"
                to_db = sqlite_time  # the text UTCDateTime's values get from the driver
            else:
                casts = {"observed_at": "::timestamptz", "lat": "::float8", "lon": "::float8",
                         "altitude_ft": "::float8", "ground_speed_kt": "::float8",
                         "track_deg": "::float8"}
                values = ", ".join(
                    f"(value->>{i}){casts.get(c, '')}" for i, c in enumerate(_OBS_COLUMNS)
                )
                source = "json_array_elements(%s::json)"
                to_db = _iso_utc
            self._obs_insert = (
                f"INSERT INTO {table} ({cols}) SELECT {values} FROM {source}",  # noqa: S608 - names from the table, values bound
                to_db,
            )
        sql, to_db = self._obs_insert
        kind_text = {k: k.value for k in SubjectKind}
        for chunk in iter_chunks(observations, _OBS_CHUNK):
            rows = [
                (
                    kind_text[o.subject_kind],
                    o.subject_id,
                    to_db(o.time),
                    o.lat,
                    o.lon,
                    o.altitude_ft,
                    o.ground_speed_kt,
                    o.track_deg,
                    o.callsign or o.name,
                    o.source,
                    o.record_ref,
                )
                for o in chunk
            ]
            conn.exec_driver_sql(sql, (orjson.dumps(rows).decode(),))

    def _upsert_vessels(self, conn: Connection, infos: Sequence[VesselInfo]) -> None:
        from monitor.store.upsert import upsert

        self._record_vessel_history(conn, infos)
        latest: dict[str, VesselInfo] = {}
        for info in infos:
            latest[info.mmsi] = info
        for info in latest.values():
            values = {
                "mmsi": info.mmsi,
                "name": info.name,
                "imo": info.imo,
                "callsign": info.callsign,
                "ship_type": info.ship_type,
                "length_m": info.length_m,
                "beam_m": info.beam_m,
                "destination": info.destination,
                "flag": info.flag,
                "updated_at": info.time,
            }
            keep = {k: v for k, v in values.items() if v is not None}
            conn.execute(upsert(self.dialect, VI, keep, ["mmsi"]))

    def _record_vessel_history(self, conn: Connection, infos: Sequence[VesselInfo]) -> None:
        """Rows of ``vessel_identity_history`` for what ``infos`` (in order) change against
        the static data stored (first values included); vessels only
        (:func:`monitor.identity.vessel.keeps_static_history`). One query per 500 MMSIs."""
        wanted = [i for i in infos if keeps_static_history(mmsi_class(i.mmsi))]
        if not wanted:
            return
        mmsis = sorted({i.mmsi for i in wanted})
        known: dict[str, dict[str, str | int | None]] = {}
        columns = [VI.c.mmsi, *(VI.c[f] for f in STATIC_FIELDS)]
        for k in range(0, len(mmsis), 500):
            chunk = mmsis[k : k + 500]
            for r in conn.execute(select(*columns).where(VI.c.mmsi.in_(chunk))):
                known[r[0]] = dict(zip(STATIC_FIELDS, r[1:], strict=True))
        rows = []
        for info in wanted:
            values = known.get(info.mmsi)
            for ch in static_changes(values, info):
                rows.append({
                    "mmsi": ch.mmsi,
                    "attribute": ch.field,
                    "old_value": _history_text(ch.old),
                    "new_value": _history_text(ch.new),
                    "changed_at": ch.at,
                    "source": (ch.source or "")[:60],
                })
                known.setdefault(info.mmsi, {})[ch.field] = ch.new
        if rows:
            conn.execute(insert(VH), rows)

    def vessel_history(
        self,
        mmsi: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        attributes: Iterable[str] | None = None,
    ) -> list[Any]:
        """The static-data history of ``mmsi`` (``vessel_identity_history`` rows: attribute,
        old_value, new_value, changed_at, source), oldest first."""
        stmt = select(VH).where(VH.c.mmsi == mmsi)
        if since is not None:
            stmt = stmt.where(VH.c.changed_at >= since)
        if until is not None:
            stmt = stmt.where(VH.c.changed_at <= until)
        if attributes is not None:
            stmt = stmt.where(VH.c.attribute.in_(sorted(set(attributes))))
        with self.engine.connect() as conn:
            return list(conn.execute(stmt.order_by(VH.c.changed_at, VH.c.id)).all())

    def _upsert_health(self, conn: Connection, h: FeedHealthState) -> None:
        from monitor.store.upsert import upsert

        values = {
            "source": h.source,
            "kind": h.kind,
            "status": h.status,
            "last_poll_at": h.last_poll_at,
            "last_ok_at": h.last_ok_at,
            "last_error_at": h.last_error_at,
            "last_error": h.last_error,
            "polls": h.polls,
            "failures": h.failures,
            "records": h.records,
            "items": h.items,
            "latency_s": h.latency_s,
            "errors": dict(h.errors),
            "updated_at": utcnow(),
        }
        conn.execute(upsert(self.dialect, FH, values, ["source"]))

    def _record_outage(self, conn: Connection, outage: Outage) -> None:
        open_row = conn.execute(
            select(FO.c.id).where(
                and_(FO.c.source == outage.source, FO.c.started_at == outage.started_at)
            )
        ).first()
        if open_row is None:
            conn.execute(
                insert(FO).values(
                    source=outage.source,
                    started_at=outage.started_at,
                    ended_at=outage.ended_at,
                    reason=outage.reason,
                )
            )
        else:
            conn.execute(
                update(FO).where(FO.c.id == open_row[0]).values(ended_at=outage.ended_at)
            )

    def _upsert_traffic(self, conn: Connection, hour: datetime, zone_id: str, n: int) -> None:
        from monitor.store.upsert import upsert

        conn.execute(
            upsert(self.dialect, TS, {"hour": hour, "zone_id": zone_id, "aircraft": n}, ["hour", "zone_id"])
        )

    def _save_checkpoint(self, conn: Connection, name: str, position: dict[str, Any]) -> None:
        from monitor.store.upsert import upsert

        conn.execute(
            upsert(
                self.dialect,
                CP,
                {"name": name, "position": position, "updated_at": utcnow()},
                ["name"],
            )
        )

    # --- reads: incidents -----------------------------------------------------------------

    def open_incidents(self) -> list[OpenIncident]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(INC).where(INC.c.status == IncidentStatus.OPEN.value)).all()
        out = []
        for r in rows:
            out.append(
                OpenIncident(
                    dedupe_key=r.dedupe_key,
                    kind=IncidentKind(r.kind),
                    severity=Severity(r.severity),
                    started_at=r.started_at if r.started_at.tzinfo else r.started_at,
                    last_seen_at=r.last_seen_at,
                    subject_id=r.subject_id,
                    zone_id=r.zone_id,
                    details=dict(r.details or {}),
                )
            )
        return out

    def query_incidents(self, q: IncidentQuery) -> tuple[list[Any], str | None]:
        """Incidents matching ``q``, newest first, and the cursor of the next page."""
        stmt = select(INC)
        conds = []
        if q.ids:
            conds.append(INC.c.id.in_(q.ids))
        if q.since is not None:
            conds.append(or_(INC.c.ended_at.is_(None), INC.c.ended_at >= q.since))
            conds.append(INC.c.last_seen_at >= q.since)
        if q.until is not None:
            conds.append(INC.c.started_at <= q.until)
        if q.zone:
            conds.append(INC.c.zone_id == q.zone)
        if q.kinds:
            conds.append(INC.c.kind.in_(q.kinds))
        if q.min_severity:
            conds.append(INC.c.severity_rank >= Severity(q.min_severity).rank)
        if q.status:
            conds.append(INC.c.status == q.status)
        if q.subject:
            s = q.subject.strip()
            conds.append(
                or_(
                    INC.c.subject_id == s.lower(),
                    INC.c.subject_id == s,
                    func.upper(INC.c.subject_label) == s.upper(),
                )
            )
        if q.bbox is not None:
            conds.append(self._bbox_condition(q.bbox, q.since, q.until))
        if q.cursor:
            c_started, c_id = decode_cursor(q.cursor)
            conds.append(
                or_(
                    INC.c.started_at < c_started,
                    and_(INC.c.started_at == c_started, INC.c.id < c_id),
                )
            )
        if conds:
            stmt = stmt.where(and_(*conds))
        stmt = stmt.order_by(INC.c.started_at.desc(), INC.c.id.desc()).limit(q.limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        next_cursor = None
        if len(rows) > q.limit:
            rows = rows[: q.limit]
            last = rows[-1]
            next_cursor = encode_cursor(last.started_at, last.id)
        return list(rows), next_cursor

    def _bbox_condition(
        self,
        bbox: tuple[float, float, float, float],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Any:
        min_lon, min_lat, max_lon, max_lat = bbox
        if self.dialect == "postgresql":
            area = text(
                "ST_Intersects(incident.geom, ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326))"
            ).bindparams(bx0=min_lon, by0=min_lat, bx1=max_lon, by1=max_lat)
            if since is None and until is None:
                return area
            # the expression of the GiST index of migration 0003 (space and active time)
            return and_(
                area,
                text(
                    f"{PG_ACTIVE_RANGE} && "
                    "tstzrange(CAST(:ts0 AS timestamptz), CAST(:ts1 AS timestamptz), '[]')"
                ).bindparams(ts0=since, ts1=until),
            )
        if self.dialect == "sqlite":
            # the R*Tree of migration 0003 holds space and the active interval in days; the
            # exact time conditions still apply to its candidates
            t0, t1 = rtree_day_window(since, until)
            return INC.c.id.in_(
                text(
                    "SELECT id FROM incident_active_rtree WHERE max_lon >= :bx0 "
                    "AND min_lon <= :bx1 AND max_lat >= :by0 AND min_lat <= :by1 "
                    "AND t1_day >= :bt0 AND t0_day <= :bt1"
                ).bindparams(bx0=min_lon, by0=min_lat, bx1=max_lon, by1=max_lat, bt0=t0, bt1=t1)
            )
        return and_(
            INC.c.max_lon >= min_lon,
            INC.c.min_lon <= max_lon,
            INC.c.max_lat >= min_lat,
            INC.c.min_lat <= max_lat,
        )

    def incident(self, incident_id: int) -> dict[str, Any] | None:
        """One incident with its timeline, evidence and alerts."""
        with self.engine.connect() as conn:
            row = conn.execute(select(INC).where(INC.c.id == incident_id)).first()
            if row is None:
                return None
            events = conn.execute(
                select(EVT).where(EVT.c.incident_id == incident_id).order_by(EVT.c.seq)
            ).all()
            evidence = conn.execute(
                select(EVD).where(EVD.c.incident_id == incident_id).order_by(EVD.c.observed_at)
            ).all()
            alerts = conn.execute(
                select(OUT).where(OUT.c.incident_id == incident_id).order_by(OUT.c.id)
            ).all()
        return {"incident": row, "events": events, "evidence": evidence, "alerts": alerts}

    def count_incidents(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(INC)).scalar_one())

    # --- zones (implements monitor.zones.repository.ZoneStore) ----------------------------

    def list_versions(self, zone_id: str | None = None) -> list[ZoneVersion]:
        stmt = select(ZV).order_by(ZV.c.zone_id, ZV.c.version)
        if zone_id is not None:
            stmt = stmt.where(ZV.c.zone_id == zone_id)
        with self.engine.connect() as conn:
            return [_zone_from_row(r) for r in conn.execute(stmt).all()]

    def add_versions(
        self, versions: Sequence[ZoneVersion], *, origin: str = "user", exclusive: bool = False
    ) -> list[ZoneVersion]:
        """Store zone versions in one transaction; return them as stored.

        A version whose ``(zone_id, version)`` is already stored is skipped and returned as
        stored (idempotent re-import), unless ``exclusive``: then the whole call is refused
        and nothing is stored (another writer took that version number a moment ago).
        On PostgreSQL the transaction also sends ``NOTIFY monitor_zones`` (delivered at
        commit) so that every process following zones reloads them at once
        (:mod:`monitor.store.zone_signal`).

        Raises
        ------
        StoreError
            ``exclusive`` and a key is already stored, or two writers raced for one key.
        """
        stored: list[ZoneVersion] = []
        inserted: list[str] = []
        try:
            with self.engine.begin() as conn:
                for v in versions:
                    found = conn.execute(
                        select(ZV).where(
                            and_(ZV.c.zone_id == v.zone_id, ZV.c.version == v.version)
                        )
                    ).first()
                    if found is not None:
                        if exclusive:
                            raise StoreError(
                                f"zone version {v.key} is already stored (another writer took "
                                "that number a moment ago); nothing stored, try again"
                            )
                        stored.append(_zone_from_row(found))
                        continue
                    recorded = v.recorded_at or utcnow()
                    conn.execute(insert(ZV).values(**_zone_to_row(v, recorded, origin)))
                    stored.append(_zone_from_row_values(v, recorded))
                    inserted.append(v.key)
                if inserted and self.dialect == "postgresql":
                    conn.execute(
                        text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": ZONE_CHANNEL, "payload": " ".join(inserted)[:7000]},
                    )
        except IntegrityError:
            keys = ", ".join(v.key for v in versions)
            raise StoreError(
                f"zone version(s) {keys}: stored by another writer at the same moment; "
                "nothing stored, try again"
            ) from None
        return stored

    def zone_change_token(self) -> tuple[int, int]:
        """``(rows, highest row id)`` of the stored zone versions: it changes whenever a
        version is stored (versions are only ever added), and costs one index read.

        Processes on SQLite compare it every second or so to follow versions stored by
        others (:class:`monitor.store.zone_signal.ZoneSignal`)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.coalesce(func.max(ZV.c.id), 0)).select_from(ZV)
            ).one()
        return int(row[0]), int(row[1])

    # --- feed health ----------------------------------------------------------------------

    def feed_health(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(FH).order_by(FH.c.source)).all())

    def outages(self, source: str | None = None) -> list[Outage]:
        stmt = select(FO).order_by(FO.c.started_at)
        if source:
            stmt = stmt.where(FO.c.source == source)
        with self.engine.connect() as conn:
            return [
                Outage(r.source, r.started_at, r.ended_at, r.reason)
                for r in conn.execute(stmt).all()
            ]

    # --- misc -----------------------------------------------------------------------------

    def checkpoint(self, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CP.c.position).where(CP.c.name == name)).first()
        return None if row is None else dict(row[0])

    def traffic_series(self, zone_id: str) -> list[tuple[datetime, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TS.c.hour, TS.c.aircraft).where(TS.c.zone_id == zone_id).order_by(TS.c.hour)
            ).all()
        return [(r[0], r[1]) for r in rows]

    def vessel(self, mmsi: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(VI).where(VI.c.mmsi == mmsi)).first()

    def prune_observations(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(OBS.delete().where(OBS.c.observed_at < before))
        return int(result.rowcount or 0)

    def observations_for(
        self, subject_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[Any]:
        stmt = select(OBS).where(OBS.c.subject_id == subject_id)
        if since is not None:
            stmt = stmt.where(OBS.c.observed_at >= since)
        if until is not None:
            stmt = stmt.where(OBS.c.observed_at <= until)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt.order_by(OBS.c.observed_at)).all())

    def alert_rows(self, *, limit: int = 100, state: str | None = None) -> list[Any]:
        stmt = select(OUT).order_by(OUT.c.id.desc()).limit(limit)
        if state:
            stmt = stmt.where(OUT.c.state == state)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).all())

    def attempts(self, outbox_id: int) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(select(ATT).where(ATT.c.outbox_id == outbox_id).order_by(ATT.c.id)).all()
            )


def _insert_ignore(dialect: str, table: Any, keys: list[str] | None = None) -> Any:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` on both backends."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    return insert(table)


def _track_geometry(old: Any, ch: IncidentChange) -> Any:
    points: list[tuple[float, float]] = []
    if old is not None:
        points = [tuple(c) for c in shapely.get_coordinates(old).tolist()]  # type: ignore[misc]
    new = list(ch.track)
    if not new and ch.lon is not None and ch.lat is not None and old is None:
        new = [(ch.lon, ch.lat)]
    for p in new:
        if not points or points[-1] != p:
            points.append(p)
    if not points:
        return None
    if len(points) > MAX_TRACK_POINTS:
        head, tail = points[:1], points[1:]
        step = len(tail) / (MAX_TRACK_POINTS - 1)
        points = head + [tail[int(i * step)] for i in range(MAX_TRACK_POINTS - 2)] + [tail[-1]]
    if len(points) == 1:
        return shapely.Point(points[0])
    return shapely.LineString(points)


def _jsonable(details: Any) -> dict[str, Any]:
    return dict(details)


def _zone_to_row(v: ZoneVersion, recorded: datetime, origin: str) -> dict[str, Any]:
    return {
        "zone_id": v.zone_id,
        "version": v.version,
        "name": v.name,
        "kind": v.kind.value,
        "status": v.status.value,
        "severity": v.severity.value,
        "authority": v.authority,
        "source_ref": v.source_ref,
        "source_url": v.source_url,
        "source_date": v.source_date,
        "floor_ft": v.floor_ft,
        "ceiling_ft": None if v.ceiling_ft == UNLIMITED_FT else v.ceiling_ft,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "confidence": v.confidence,
        "applies_to": v.applies_to.value,
        "change": v.change.value,
        "recorded_at": recorded,
        "description": v.description,
        "zone_group": v.group,
        "origin": origin,
        "binds": None if v.scope is None else str(v.scope),
        "more_sources": " ".join(v.more_sources),
        "notes": v.notes,
        "geom": v.geometry,
    }


def _zone_from_row(r: Any) -> ZoneVersion:
    return ZoneVersion(
        zone_id=r.zone_id,
        version=r.version,
        name=r.name,
        kind=ZoneKind(r.kind),
        status=ZoneStatus(r.status),
        severity=Severity(r.severity),
        authority=r.authority,
        source_ref=r.source_ref,
        geometry=r.geom,
        applies_to=AppliesTo(r.applies_to),
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        floor_ft=r.floor_ft,
        ceiling_ft=UNLIMITED_FT if r.ceiling_ft is None else r.ceiling_ft,
        confidence=r.confidence,
        source_url=r.source_url,
        source_date=r.source_date,
        change=ZoneChange(r.change),
        recorded_at=r.recorded_at,
        description=r.description,
        group=r.zone_group,
        scope=BindingScope.parse(r.binds) if r.binds else None,
        more_sources=tuple((r.more_sources or "").split()),
        notes=r.notes or "",
    )


def _zone_from_row_values(v: ZoneVersion, recorded: datetime) -> ZoneVersion:
    from dataclasses import replace

    return replace(v, recorded_at=recorded)


def iter_chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _iso_utc(t: datetime) -> str:
    """An aware datetime as ISO 8601 text for a ``::timestamptz`` cast."""
    return t.isoformat()


def _history_text(value: str | int | None) -> str | None:
    """A static-data value as stored in ``vessel_identity_history`` (cleaned text, 120 chars)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (clean_text(value) or "")[:120]
    return str(value)


# --- traffic by operator, recent positions and incidents (status board) ------------------


def replace_operator_traffic(
    store: Store,
    days: Sequence[datetime],
    rows: Sequence[tuple[datetime, str, str, str, int]],
    *,
    zone_ids: Sequence[str] | None = None,
) -> int:
    """Replace the ``operator_traffic`` rows of ``days`` (midnight UTC) by ``rows``
    ``(day, zone_id, operator_icao, registry_iso2, flights)``, in one transaction; with
    ``zone_ids`` only those FIRs' rows of those days are replaced. Returns rows written."""
    OT = OperatorTrafficRow.__table__
    now = utcnow()
    with store.engine.begin() as conn:
        if days:
            stmt = OT.delete().where(OT.c.day.in_(list(days)))
            if zone_ids is not None:
                stmt = stmt.where(OT.c.zone_id.in_(list(zone_ids)))
            conn.execute(stmt)
        if rows:
            conn.execute(
                insert(OT),
                [
                    {"day": d, "zone_id": z, "operator_icao": o, "registry_iso2": r,
                     "flights": int(n), "updated_at": now}
                    for d, z, o, r, n in rows
                ],
            )
    return len(rows)


def operator_traffic(
    store: Store,
    *,
    zone_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[datetime, str, str, str, int]]:
    """Stored daily rows ``(day, zone_id, operator_icao, registry_iso2, flights)`` with
    ``since <= day < until``, in day order."""
    OT = OperatorTrafficRow.__table__
    stmt = select(OT.c.day, OT.c.zone_id, OT.c.operator_icao, OT.c.registry_iso2, OT.c.flights)
    if zone_id is not None:
        stmt = stmt.where(OT.c.zone_id == zone_id)
    if since is not None:
        stmt = stmt.where(OT.c.day >= since)
    if until is not None:
        stmt = stmt.where(OT.c.day < until)
    stmt = stmt.order_by(OT.c.day, OT.c.zone_id, OT.c.operator_icao, OT.c.registry_iso2)
    with store.engine.connect() as conn:
        return [(r[0], r[1], r[2], r[3], int(r[4])) for r in conn.execute(stmt).all()]


def aircraft_positions(
    store: Store, since: datetime, until: datetime
) -> list[tuple[datetime, str, str | None, float, float, float | None]]:
    """Stored aircraft positions ``(time, icao24, callsign, lon, lat, altitude_ft)`` with
    ``since <= time < until``, in time order."""
    stmt = (
        select(OBS.c.observed_at, OBS.c.subject_id, OBS.c.callsign, OBS.c.lon, OBS.c.lat,
               OBS.c.altitude_ft)
        .where(OBS.c.subject_kind == "aircraft", OBS.c.observed_at >= since, OBS.c.observed_at < until)
        .order_by(OBS.c.observed_at)
    )
    with store.engine.connect() as conn:
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(stmt).all()]


def aircraft_position_span(store: Store) -> tuple[datetime | None, datetime | None]:
    """First and last time of the stored aircraft positions (``None`` when there are none)."""
    stmt = select(func.min(OBS.c.observed_at), func.max(OBS.c.observed_at)).where(
        OBS.c.subject_kind == "aircraft"
    )
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None, None
    return row[0], row[1]


def incidents_between(
    store: Store,
    kinds: Sequence[str],
    since: datetime,
    until: datetime,
    *,
    open_only: bool = False,
    limit: int = 500,
) -> list[Any]:
    """Incidents of ``kinds`` (all kinds when empty) started in ``[since, until)``, or, with
    ``open_only``, open at ``until`` whatever their start; newest first."""
    stmt = select(
        INC.c.id, INC.c.kind, INC.c.severity, INC.c.status, INC.c.subject_id, INC.c.subject_label,
        INC.c.zone_id, INC.c.summary, INC.c.started_at, INC.c.last_seen_at, INC.c.ended_at,
        INC.c.details,
    )
    if kinds:
        stmt = stmt.where(INC.c.kind.in_(list(kinds)))
    if open_only:
        stmt = stmt.where(
            INC.c.started_at < until,
            or_(INC.c.ended_at.is_(None), INC.c.ended_at > until),
        )
    else:
        stmt = stmt.where(INC.c.started_at >= since, INC.c.started_at < until)
    stmt = stmt.order_by(INC.c.started_at.desc()).limit(limit)
    with store.engine.connect() as conn:
        return list(conn.execute(stmt).all())


# --- coverage: which hours each source covers (``monitor backfill``, live) ----------------




def _coverage_table() -> Any:
    from monitor.store.models import CoverageRow

    return CoverageRow.__table__


def save_coverage(store: Store, origin: str, rows: Iterable[tuple[str, int, int]]) -> int:
    """Set the position counts of ``origin`` (a run's name) for ``(source, hour start in
    epoch seconds, positions)`` rows, in one transaction; returns how many rows.

    Counts are replaced, not added: a run that writes its running totals again (a resumed
    import recounting what it re-read) ends with the totals of an uninterrupted run."""
    from monitor.store.upsert import upsert
    from monitor.timeutil import utc_from_epoch_s

    table = _coverage_table()
    now = utcnow()
    n = 0
    with store.engine.begin() as conn:
        for source, hour_s, positions in rows:
            conn.execute(upsert(store.dialect, table, {
                "source": source[:60],
                "hour": utc_from_epoch_s(hour_s),
                "origin": origin[:120],
                "positions": int(positions),
                "updated_at": now,
            }, ["source", "hour", "origin"]))
            n += 1
    return n


class CoverageWriter:
    """A run's position counts per source and hour (``Pipeline.coverage``) to the store,
    at most every ``every_s`` of wall time and at the end; rows replaced, so what a killed
    run wrote is overwritten by the resumed run's recount. Used by ``monitor backfill`` and
    by the live service."""

    def __init__(self, store: Store, origin: str, counts: Counter[tuple[str, int]],
                 every_s: float = 5.0) -> None:
        self.store, self.origin, self.counts, self.every_s = store, origin, counts, every_s
        self._written: dict[tuple[str, int], int] = {}
        self._last = time.monotonic()

    def maybe_write(self) -> None:
        if time.monotonic() - self._last >= self.every_s:
            self.write()

    def write(self) -> None:
        changed = [(s, h, n) for (s, h), n in self.counts.items() if self._written.get((s, h)) != n]
        if changed and self.store is not None:
            save_coverage(self.store, self.origin, changed)
            for s, h, n in changed:
                self._written[(s, h)] = n
        self._last = time.monotonic()


def coverage(
    store: Store, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[str, datetime, int]]:
    """``(source, hour, positions)`` summed over origins, by source then hour, for hours
    starting in ``since`` .. ``until`` (the hour holding ``since`` included)."""
    table = _coverage_table()
    stmt = select(table.c.source, table.c.hour, func.sum(table.c.positions)).group_by(
        table.c.source, table.c.hour
    )
    if since is not None:
        from monitor.timeutil import utc_from_epoch_s

        stmt = stmt.where(table.c.hour >= utc_from_epoch_s(since.timestamp() // 3600 * 3600))
    if until is not None:
        stmt = stmt.where(table.c.hour <= until)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt.order_by(table.c.source, table.c.hour)).all()
    return [(r[0], r[1], int(r[2])) for r in rows]


def open_incident_counts(store: Store, at: datetime) -> dict[str, int]:
    """How many incidents of each kind were open at ``at`` (started before, not ended),
    most first."""
    stmt = (
        select(INC.c.kind, func.count())
        .where(INC.c.started_at <= at, or_(INC.c.ended_at.is_(None), INC.c.ended_at > at))
        .group_by(INC.c.kind)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {k: int(n) for k, n in sorted(rows, key=lambda r: (-r[1], r[0]))}
