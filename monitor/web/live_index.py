"""Live positions as GeoJSON, fast enough for 25,000 objects per poll.

The pipeline publishes immutable :class:`~monitor.pipeline.live.LiveSnapshot` values. For
each snapshot the web app sees, :class:`LiveIndex` keeps, per object, its feature already
serialised (re-serialised only when its observation changed), its lon/lat in numpy arrays
(for the bbox), and the snapshot version at which it last changed. A poll then answers:

* ``full``: every object in the bbox (no ``since_version``, or one this index cannot diff
  against: too old, or from before a restart);
* a diff: objects in the bbox that changed after ``since_version``, and ``removed`` ids:
  objects gone since then, or that changed and are now outside the bbox (the client drops
  them, so nothing stale stays in view).

Thread-safe: handlers run in a thread pool; an index is immutable once built.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from monitor.domain import Observation
from monitor.domain.identity import AircraftIdentity, VesselIdentity
from monitor.errors import MonitorError
from monitor.identity.aircraft import AircraftIdentifier
from monitor.identity.vessel import vessel_identity
from monitor.web.styles import aircraft_style, vessel_category

log = logging.getLogger(__name__)

#: versions remembered for diffs, and removals kept (older ``since_version`` -> full answer)
KEEP_VERSIONS = 2048
KEEP_REMOVALS = 200_000
#: how long a poll waits for a snapshot being indexed before it gets the previous one
WAIT_FOR_BUILD_S = 0.05


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


class _Identities:
    """Who a live subject is, from the shipped identity tables (read on first use). Without
    the tables (a trimmed deployment) the map still draws, with the feed's own fields only:
    logged once, never raised per fix."""

    def __init__(self) -> None:
        self._aircraft: AircraftIdentifier | None = AircraftIdentifier()
        self._lock = threading.Lock()

    def aircraft(self, o: Observation) -> AircraftIdentity | None:
        identifier = self._aircraft
        if identifier is None:
            return None
        try:
            with self._lock:  # the cache is a plain dict; index builds may run in threads
                return identifier.identify(o)
        except (MonitorError, OSError) as exc:
            log.warning("live map without aircraft identity tables: %s", exc)
            self._aircraft = None
            return None


IDENTITIES = _Identities()


def _aircraft_identity(who: AircraftIdentity | None) -> dict[str, Any]:
    if who is None:
        return {}
    return {
        "registry_iso2": who.registry_iso2,
        "registry_state": who.registry_state,
        "id_registration": who.registration,
        "operator_icao": who.operator_icao,
        "operator_name": who.operator_name,
        "military_because": who.military_because if who.military else None,
        "identity_military": who.military,
    }


def _vessel_identity(mmsi: str) -> dict[str, Any]:
    who: VesselIdentity = vessel_identity(mmsi)
    return {
        "mmsi_class": who.mmsi_class.value,
        "flag_iso2": who.flag_iso2,
        "flag_name": who.flag_name,
    }


def aircraft_feature(o: Observation) -> dict[str, Any]:
    who = IDENTITIES.aircraft(o)
    props = {
        "id": o.subject_id,
        "callsign": (o.callsign or "").strip() or None,
        "altitude_ft": _r(o.altitude_ft, 0),
        "ground_speed_kt": _r(o.ground_speed_kt, 1),
        "track_deg": _r(o.track_deg, 1),
        "vertical_rate_fpm": _r(o.vertical_rate_fpm, 0),
        "squawk": o.squawk,
        "emergency": o.emergency if o.emergency and o.emergency != "none" else None,
        "on_ground": o.on_ground,
        "military": o.military or None,
        "aircraft_type": o.aircraft_type,
        "registration": o.registration,
        "nic": o.nic,
        "source": o.source,
        "time": _iso(o.time),
        "style": aircraft_style(
            military=o.military or bool(who and who.military),
            emergency=o.emergency, squawk=o.squawk, on_ground=o.on_ground,
        ),
        **_aircraft_identity(who),
    }
    if props["registration"] is None:
        props["registration"] = props.pop("id_registration", None)
    props.pop("id_registration", None)
    return _feature(o, props)


def vessel_feature(o: Observation) -> dict[str, Any]:
    props = {
        "id": o.subject_id,
        "name": (o.name or "").strip() or None,
        "callsign": (o.callsign or "").strip() or None,
        "ground_speed_kt": _r(o.ground_speed_kt, 1),
        "track_deg": _r(o.track_deg, 1),
        "heading_deg": _r(o.heading_deg, 0),
        "nav_status": o.nav_status,
        "vessel_type": o.vessel_type,
        "category": vessel_category(o.vessel_type),
        "source": o.source,
        "time": _iso(o.time),
        **_vessel_identity(o.subject_id),
    }
    return _feature(o, props)


def _feature(o: Observation, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": o.subject_id,
        "geometry": {"type": "Point", "coordinates": [round(o.lon, 5), round(o.lat, 5)]},
        "properties": {k: v for k, v in props.items() if v is not None},
    }


@dataclass(frozen=True)
class _Indexed:
    version: int
    at: datetime | None
    ids: list[str]
    obs: list[Observation]
    blobs: list[bytes]
    changed_at: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    pos: dict[str, int]
    #: the joined features of the whole snapshot, built once for full unfiltered answers
    cache: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveAnswer:
    version: int
    at: datetime | None
    full: bool
    removed: list[str]
    total: int
    blobs: list[bytes]
    joined: bytes | None = None

    def to_bytes(self, kind: str) -> bytes:
        head = orjson.dumps(
            {
                "type": "FeatureCollection",
                "kind": kind,
                "version": self.version,
                "at": None if self.at is None else _iso(self.at),
                "full": self.full,
                "removed": self.removed,
                "count": len(self.blobs),
                "total": self.total,
            }
        )
        body = self.joined if self.joined is not None else b",".join(self.blobs)
        return b"".join((head[:-1], b',"features":[', body, b"]}"))


class LiveIndex:
    """The serialised, bbox-searchable view of one kind of object (aircraft or vessels)."""

    def __init__(self, kind: str, to_feature: Callable[[Observation], dict[str, Any]]) -> None:
        self.kind = kind
        self._to_feature = to_feature
        self._lock = threading.Lock()
        self._cur: _Indexed | None = None
        self._versions: deque[int] = deque(maxlen=KEEP_VERSIONS)
        self._removals: deque[tuple[int, str]] = deque()
        self._oldest_diffable = 0

    @property
    def current(self) -> _Indexed | None:
        return self._cur

    def for_snapshot(
        self, version: int, at: datetime | None, observations: Sequence[Observation]
    ) -> _Indexed:
        """The index of ``version``, or — while another thread is building it — the latest
        index built (at most one snapshot old), so a request never waits for a rebuild."""
        cur = self._cur
        if cur is not None and cur.version == version:
            return cur
        if cur is not None and self._lock.locked():
            # being built: wait a moment (small snapshots are done by then), else serve the last
            if not self._lock.acquire(timeout=WAIT_FOR_BUILD_S):
                return cur
            self._lock.release()
            cur = self._cur
            if cur is not None and cur.version == version:
                return cur
        return self.update(version, at, observations)

    def update(self, version: int, at: datetime | None, observations: Sequence[Observation]) -> _Indexed:
        """Index snapshot ``version`` (no-op when it is the one already indexed)."""
        cur = self._cur
        if cur is not None and cur.version == version:
            return cur
        with self._lock:
            cur = self._cur
            if cur is not None and cur.version == version:
                return cur
            n = len(observations)
            ids: list[str] = [""] * n
            blobs: list[bytes] = [b""] * n
            pos: dict[str, int] = {}
            prev_pos = cur.pos if cur is not None else {}
            prev_obs = cur.obs if cur is not None else []
            prev_blobs = cur.blobs if cur is not None else []
            prev_changed = cur.changed_at.tolist() if cur is not None else []
            changed_list = [version] * n
            dumps = orjson.dumps
            feature = self._to_feature
            get = prev_pos.get
            for i, o in enumerate(observations):
                sid = o.subject_id
                ids[i] = sid
                pos[sid] = i
                j = get(sid)
                if j is not None:
                    p = prev_obs[j]
                    if p is o or p == o:  # the pipeline reuses unchanged fixes
                        blobs[i] = prev_blobs[j]
                        changed_list[i] = prev_changed[j]
                        continue
                blobs[i] = dumps(feature(o))
            coords = np.fromiter(
                (c for o in observations for c in (o.lon, o.lat)), dtype=np.float64, count=2 * n
            ).reshape(n, 2) if n else np.empty((0, 2))
            lon = coords[:, 0]
            lat = coords[:, 1]
            changed = np.asarray(changed_list, dtype=np.int64)
            if cur is not None:
                for sid in prev_pos.keys() - pos.keys():
                    self._removals.append((version, sid))
                while len(self._removals) > KEEP_REMOVALS:
                    dropped_version, _ = self._removals.popleft()
                    self._oldest_diffable = max(self._oldest_diffable, dropped_version)
            else:
                self._oldest_diffable = version
            new = _Indexed(version, at, ids, list(observations), blobs, changed, lon, lat, pos)
            self._versions.append(version)
            if len(self._versions) == self._versions.maxlen:
                self._oldest_diffable = max(self._oldest_diffable, self._versions[0])
            self._cur = new
            return new

    def query(
        self,
        index: _Indexed,
        *,
        bbox: tuple[float, float, float, float] | None,
        since_version: int | None,
    ) -> LiveAnswer:
        n = len(index.ids)
        if bbox is not None:
            min_lon, min_lat, max_lon, max_lat = bbox
            inside = (
                (index.lon >= min_lon)
                & (index.lon <= max_lon)
                & (index.lat >= min_lat)
                & (index.lat <= max_lat)
            )
        else:
            inside = np.ones(n, dtype=bool)
        diffable = since_version is not None and self._can_diff(since_version, index.version)
        if not diffable:
            if bool(inside.all()):  # the whole snapshot: join it once per version
                joined = index.cache.get("all")
                if joined is None:
                    joined = index.cache["all"] = b",".join(index.blobs)
                return LiveAnswer(index.version, index.at, True, [], n, index.blobs, joined)
            sel = np.flatnonzero(inside)
            return LiveAnswer(
                index.version, index.at, True, [], n, [index.blobs[i] for i in sel.tolist()]
            )
        assert since_version is not None
        fresh = index.changed_at > since_version
        sel = np.flatnonzero(fresh & inside)
        moved_out = np.flatnonzero(fresh & ~inside)
        removed = [index.ids[i] for i in moved_out.tolist()]
        gone: list[str] = []
        with self._lock:
            for v, sid in reversed(self._removals):  # appended in version order
                if v <= since_version:
                    break
                if sid not in index.pos:
                    gone.append(sid)
        removed.extend(dict.fromkeys(gone))
        return LiveAnswer(
            index.version, index.at, False, removed, n, [index.blobs[i] for i in sel.tolist()]
        )

    def _can_diff(self, since_version: int, current: int) -> bool:
        if since_version == current:
            return True
        return since_version >= self._oldest_diffable and since_version in self._versions
