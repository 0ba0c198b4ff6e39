"""Build a working monitor from settings: store, zones, geofence, detectors, pipeline.

This is one of the few places (with the CLI, the web app and the scheduler) that wires
every stage together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import Settings
from monitor.detectors.registry import build_detectors
from monitor.domain import ZoneVersion
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


def make_geofence(settings: Settings, versions: list[ZoneVersion]) -> Any:
    from monitor.geofence import Geofence, ZoneIndex

    return Geofence(
        ZoneIndex(versions),
        min_dwell_s=settings.geofence.min_dwell_s,
        exit_grace_s=settings.geofence.exit_grace_s,
    )


@dataclass
class Runtime:
    settings: Settings
    store: Store
    pipeline: Pipeline
    health: FeedHealthBook
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()


def build_runtime(settings: Settings, *, store: Store | None = None) -> Runtime:
    store = store or Store.open(settings.database_url)
    versions = load_zone_versions(settings, store)
    geofence = make_geofence(settings, versions)
    detectors = build_detectors(settings.detectors, source=settings.source_file or "config")
    health = FeedHealthBook()
    pipeline = Pipeline(
        geofence=geofence,
        detectors=detectors,
        store=store,
        health=health,
        config=PipelineConfig(observation_sample_s=settings.storage.observation_sample_s),
    )
    log.info(
        "monitor ready: %d zone versions, detectors: %s, database %s",
        len(versions),
        ", ".join(d.name for d in detectors),
        store.engine.url.render_as_string(hide_password=True),
    )
    return Runtime(settings=settings, store=store, pipeline=pipeline, health=health)
