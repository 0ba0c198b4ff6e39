"""What the web app reads: handed in by whoever starts it (``monitor run``/``demo``/tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
    """

    store: Store
    live: LiveView
    health: FeedHealthBook
    zones: Callable[[], Sequence[ZoneVersion]]
    config: WebConfig = field(default_factory=WebConfig)
    clock: Callable[[], datetime | None] = lambda: None
    banner: str | None = None
