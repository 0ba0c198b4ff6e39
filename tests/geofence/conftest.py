"""Zone sets for the geofence tests: the synthetic fixture zones and the shipped set."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.domain.zone import ZoneVersion
from monitor.geofence import ZoneIndex
from monitor.zones.bundled import load_bundled_zones
from monitor.zones.geojson import read_geojson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"


@pytest.fixture(scope="session")
def synthetic_versions() -> list[ZoneVersion]:
    return read_geojson((FIXTURES / "geofence_zones.geojson").read_bytes()).versions


@pytest.fixture(scope="session")
def bundled_versions() -> list[ZoneVersion]:
    return load_bundled_zones()


@pytest.fixture(scope="session")
def synthetic_index(synthetic_versions: list[ZoneVersion]) -> ZoneIndex:
    return ZoneIndex(synthetic_versions)


@pytest.fixture(scope="session")
def bundled_index(bundled_versions: list[ZoneVersion]) -> ZoneIndex:
    return ZoneIndex(bundled_versions)
