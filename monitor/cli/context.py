"""Global CLI options and the objects commands open from them (settings, store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


def check_database_exists(url: str) -> None:
    """For a query: a SQLite database file that does not exist is a user mistake (say so,
    exit 2), not an empty database to create in passing. Other URLs are left to connect."""
    from sqlalchemy.engine import make_url

    from monitor.errors import MonitorError

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - Store.open reports a malformed URL with its own words
        return
    if not parsed.drivername.startswith("sqlite"):
        return
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    if not Path(database).exists():
        raise MonitorError(
            f"no database at {database}: nothing recorded there yet; "
            "run `monitor replay FILE` or `monitor run`, or point DATABASE_URL at your database"
        )


#: set inside :func:`read_only`: the store opened there must exist already
_READ_ONLY: ContextVar[bool] = ContextVar("read_only", default=False)


@contextmanager
def read_only() -> Iterator[None]:
    """A query block: :func:`open_store` inside it refuses a SQLite file that does not
    exist (an error naming it, exit 2) instead of creating an empty database."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


@contextmanager
def open_store() -> Iterator[Store]:
    url = get_settings().database_url
    if _READ_ONLY.get():
        check_database_exists(url)
    store = Store.open(url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_zone_store() -> Iterator[ZoneStore]:
    with open_store() as store:
        yield store
