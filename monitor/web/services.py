"""What the web app reads: handed in by whoever starts it (``monitor run``/``demo``/tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.config import WebConfig
from monitor.domain import ZoneVersion
from monitor.pipeline import FeedHealthBook, LiveView
from monitor.store import Store


@dataclass
class WebServices:
    """Everything the web app needs; nothing else is imported by it at run time.

    ``zones`` returns the current zone versions (shipped + stored + from feeds);
    ``clock`` returns the data time the monitor is at (the scenario clock in the demo);
    ``banner`` is shown on every page (e.g. "SYNTHETIC DEMO SCENARIO").

    Optional:
    ``geodata_dir`` is where the base map's land polygons are looked for (default: the
    shipped ``geodata/``); ``tile_url`` adds a tile layer (``{z}/{x}/{y}`` template) for
    deployments allowed to reach a tile server — by default the map fetches nothing from
    the internet; ``ready`` says whether the service is ready (``/readyz``), beyond the
    database answering; ``zones_stored`` is called (in a worker thread) after the API
    stored a zone version: when it returns, ``zones`` should include it (``monitor serve``
    reloads its zones, ``monitor run`` also waits for its pipeline to take them). Other
    processes follow through the zone signal (:mod:`monitor.store.zone_signal`).
    """

    store: Store
    live: LiveView
    health: FeedHealthBook
    zones: Callable[[], Sequence[ZoneVersion]]
    config: WebConfig = field(default_factory=WebConfig)
    clock: Callable[[], datetime | None] = lambda: None
    banner: str | None = None
    #: a prometheus_client registry served at /metrics (None: no metrics endpoint)
    metrics: Any = None
    geodata_dir: Path | None = None
    tile_url: str | None = None
    tile_attribution: str = ""
    ready: Callable[[], bool] = lambda: True
    zones_stored: Callable[[], object] = lambda: None
    #: the end of the scenario a demo plays (``/api/live/status`` says when it has ended)
    scenario_end: datetime | None = None
