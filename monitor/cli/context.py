"""Global CLI options and the objects commands open from them (settings, store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from monitor.config import Settings, load_settings
from monitor.store import Store
from monitor.zones.repository import ZoneStore


@dataclass
class CliState:
    config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, overrides=self.overrides)
        return self._settings


STATE = CliState()


def make_console(*, stderr: bool = False) -> Console:
    """A rich console; piped or captured output is not wrapped at 80 columns."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=200)
    return console


def get_settings() -> Settings:
    return STATE.settings()


@contextmanager
def open_store() -> Iterator[Store]:
    store = Store.open(get_settings().database_url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_zone_store() -> Iterator[ZoneStore]:
    with open_store() as store:
        yield store
