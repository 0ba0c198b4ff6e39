"""An in-memory ZoneStore for the zone CLI and registry tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain.zone import ZoneVersion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"
RECORDED_AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


class MemoryZoneStore:
    """Implements monitor.zones.repository.ZoneStore in a list."""

    def __init__(self) -> None:
        self.versions: list[ZoneVersion] = []

    def list_versions(self, zone_id: str | None = None) -> list[ZoneVersion]:
        return [v for v in self.versions if zone_id is None or v.zone_id == zone_id]

    def add_versions(self, versions: Sequence[ZoneVersion]) -> list[ZoneVersion]:
        out = []
        held = {(v.zone_id, v.version): v for v in self.versions}
        for v in versions:
            if (v.zone_id, v.version) in held:
                out.append(held[(v.zone_id, v.version)])
                continue
            v = dataclasses.replace(v, recorded_at=v.recorded_at or RECORDED_AT)
            self.versions.append(v)
            out.append(v)
        return out


@pytest.fixture
def zone_store() -> MemoryZoneStore:
    return MemoryZoneStore()


@pytest.fixture
def cli_store(monkeypatch: pytest.MonkeyPatch, zone_store: MemoryZoneStore) -> MemoryZoneStore:
    """The zones CLI wired to the in-memory store."""
    import monitor.cli.zones as zones_cli

    @contextmanager
    def fake_open() -> Iterator[MemoryZoneStore]:
        yield zone_store

    monkeypatch.setattr(zones_cli, "open_zone_store", fake_open)
    return zone_store


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
