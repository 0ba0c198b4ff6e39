"""Build a working monitor from settings: store, zones, geofence, detectors, pipeline.

This is one of the few places (with the CLI, the web app and the scheduler) that wires
every stage together.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import Settings
from monitor.detectors.base import Detector, transitions_reader
from monitor.detectors.registry import build_detectors
from monitor.domain import ZoneVersion
from monitor.errors import StoreError
from monitor.pipeline import FeedHealthBook, Pipeline, PipelineConfig
from monitor.store import Store

log = logging.getLogger(__name__)


def load_shipped_zones(settings: Settings) -> list[ZoneVersion]:
    """The shipped zones (``geodata/``, or ``geodata_dir`` of the settings)."""
    from monitor.zones.bundled import load_bundled_zones

    return load_bundled_zones(Path(settings.geodata_dir) if settings.geodata_dir else None)


def merge_zones(shipped: Sequence[ZoneVersion], store: Store | None) -> list[ZoneVersion]:
    """``shipped`` plus every version stored in the database (merged as
    ``ZoneRegistry.merged`` does for the CLI: a stored version wins its key)."""
    from monitor.zones.registry import ZoneRegistry

    stored = store.list_versions() if store is not None else []
    return list(ZoneRegistry.merged(shipped, stored).versions())


def load_zone_versions(settings: Settings, store: Store | None) -> list[ZoneVersion]:
    """The shipped zones (``geodata/``) plus every version stored in the database."""
    return merge_zones(load_shipped_zones(settings), store)


def version_keys(versions: Iterable[ZoneVersion]) -> frozenset[str]:
    """``{"SVZM@v1", ...}``: versions are never changed in place, so equal keys mean
    equal zone sets."""
    return frozenset(v.key for v in versions)


class ZoneSet:
    """The zone versions one process works with: the shipped ones merged with the stored
    ones, reloaded when another process (or this one) stores a version.

    ``versions`` is what the web app reads (``WebServices.zones``); ``reload`` is what the
    zone signal (:class:`monitor.store.zone_signal.ZoneSignal`) calls. The swap is one
    reference assignment, so readers in other threads see the old or the new set whole.
    """

    def __init__(self, shipped: Sequence[ZoneVersion], store: Store | None) -> None:
        self.shipped = list(shipped)
        self.store = store
        self._lock = threading.Lock()
        self._versions = merge_zones(self.shipped, store)
        #: called after each reload that changed the set, with the whole new set and the
        #: versions it added (in the thread that reloaded)
        self.listeners: list[Callable[[list[ZoneVersion], list[ZoneVersion]], None]] = []

    def versions(self) -> list[ZoneVersion]:
        return self._versions

    def reload(self) -> list[ZoneVersion] | None:
        """Read the stored versions again; the new set when it changed, else ``None``."""
        fresh = merge_zones(self.shipped, self.store)
        with self._lock:
            old = self._versions
            if version_keys(fresh) == version_keys(old):
                return None
            self._versions = fresh
        known = version_keys(old)
        added = [v for v in fresh if v.key not in known]
        names = ", ".join(v.key for v in added[:10]) + (" ..." if len(added) > 10 else "")
        log.info("zones reloaded: %d version(s)%s", len(fresh), f", new: {names}" if added else "")
        for listener in self.listeners:
            listener(fresh, added)
        return fresh


def load_routes(paths: list[str] | tuple[str, ...]) -> Any:
    """A route book (callsign -> origin/destination) from the users' CSV files, or None."""
    if not paths:
        return None
    from monitor.feeds.routes import AirportIndex, RouteBook

    book = RouteBook(AirportIndex.load())
    for path in paths:
        n = book.load_csv(path)
        log.info("routes: %d from %s", n, path)
    for problem in book.problems[:10]:
        log.warning("routes: %s", problem)
    return book


def companion_routes(capture: Path) -> Path | None:
    """``NAME.routes.csv`` beside a capture ``NAME.jsonl[.gz]``: the routes published for
    the flights it holds (the shipped scenarios carry one)."""
    name = capture.name
    for suffix in (".jsonl.gz", ".jsonl", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    candidate = capture.with_name(f"{name}.routes.csv")
    return candidate if candidate.is_file() else None


def make_geofence(
    settings: Settings, versions: list[ZoneVersion], detectors: Sequence[Detector] | None = None
) -> Any:
    """The geofence; with ``detectors``, transitions only for the zones they read."""
    from monitor.geofence import Geofence, ZoneIndex

    return Geofence(
        ZoneIndex(versions),
        min_dwell_s=settings.geofence.min_dwell_s,
        exit_grace_s=settings.geofence.exit_grace_s,
        transitions_for=None if detectors is None else transitions_reader(detectors),
    )


@dataclass
class Runtime:
    settings: Settings
    store: Store
    pipeline: Pipeline
    health: FeedHealthBook
    extras: dict[str, Any] = field(default_factory=dict)
    #: shipped + stored zone versions, reloaded on a zone change (``None``: fixed zones)
    zones: ZoneSet | None = None

    def close(self) -> None:
        try:
            self.pipeline.flush()  # the batch still committing, and any kept backlog
        except StoreError as exc:
            log.error("closing with batches not stored: %s", exc)
        self.store.close()


def build_runtime(settings: Settings, *, store: Store | None = None) -> Runtime:
    store = store or Store.open(settings.database_url)
    zones = ZoneSet(load_shipped_zones(settings), store)
    versions = zones.versions()
    detectors = build_detectors(settings.detectors, source=settings.source_file or "config")
    geofence = make_geofence(settings, versions, detectors)
    health = FeedHealthBook()
    pipeline = Pipeline(
        geofence=geofence,
        detectors=detectors,
        store=store,
        health=health,
        config=PipelineConfig(observation_sample_s=settings.storage.observation_sample_s),
    )
    # the live routeset lookup (monitor.service.live) adds a book when there is none: a
    # replay reads only its CSV routes
    routes = load_routes(settings.routes_csv)
    extras: dict[str, Any] = {}
    if routes is not None:
        # detectors read it as data (MonitorState.extra); the live service's routeset
        # lookup adds to it, never the detectors
        pipeline.state.extra["routes"] = routes
        extras["route_book"] = routes
    log.info(
        "monitor ready: %d zone versions, detectors: %s, database %s",
        len(versions),
        ", ".join(d.name for d in detectors),
        store.engine.url.render_as_string(hide_password=True),
    )
    return Runtime(
        settings=settings, store=store, pipeline=pipeline, health=health, extras=extras, zones=zones
    )
