"""Build a working monitor from settings: store, zones, geofence, detectors, pipeline.

This is one of the few places (with the CLI, the web app and the scheduler) that wires
every stage together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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


def load_zone_versions(settings: Settings, store: Store | None) -> list[ZoneVersion]:
    """The shipped zones (``geodata/``) plus every version stored in the database
    (merged as ``ZoneRegistry.merged`` does for the CLI: a stored version wins its key)."""
    from monitor.zones.bundled import load_bundled_zones
    from monitor.zones.registry import ZoneRegistry

    geodata = Path(settings.geodata_dir) if settings.geodata_dir else None
    shipped = load_bundled_zones(geodata)
    stored = store.list_versions() if store is not None else []
    return list(ZoneRegistry.merged(shipped, stored).versions())


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

    def close(self) -> None:
        try:
            self.pipeline.flush()  # the batch still committing, and any kept backlog
        except StoreError as exc:
            log.error("closing with batches not stored: %s", exc)
        self.store.close()


def build_runtime(settings: Settings, *, store: Store | None = None) -> Runtime:
    store = store or Store.open(settings.database_url)
    versions = load_zone_versions(settings, store)
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
    routes = load_routes(settings.routes_csv)
    if routes is not None:
        pipeline.state.extra["routes"] = routes
    log.info(
        "monitor ready: %d zone versions, detectors: %s, database %s",
        len(versions),
        ", ".join(d.name for d in detectors),
        store.engine.url.render_as_string(hide_password=True),
    )
    return Runtime(settings=settings, store=store, pipeline=pipeline, health=health)
