"""The shipped zone set: what is in it, where it is found, and that a fresh build equals it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.domain import AppliesTo, ZoneKind
from monitor.errors import ConfigError
from monitor.zones.build import build
from monitor.zones.bundled import BUNDLED_FILES, ENV_VAR, geodata_dir, load_bundled_zones

REPO = Path(__file__).resolve().parents[2]


def test_bundled_set_contents() -> None:
    versions = load_bundled_zones()
    ids = {v.zone_id for v in versions}
    firs = {
        "FIR-" + c
        for c in (
            "SVZM",
            "TTZP",
            "TTZO",
            "TNCF",
            "SKEC",
            "SKED",
            "SBAZ",
            "SYGC",
            "SMPM",
            "SOOO",
            "TJZS",
            "MDCS",
            "MPZL",
            "KZMA",
            "KZMA-OCN",
        )
    }
    assert firs <= ids
    assert {"SVZM", "TJZS", "TNCF", "TTZP", "LAND-VEN", "TERRSEA-VEN"} <= ids
    strikes = [v for v in versions if v.kind is ZoneKind.STRIKE_ZONE]
    assert len(strikes) == 5
    assert all(
        v.confidence < 1 and v.source_ref and v.applies_to is AppliesTo.VESSELS for v in strikes
    )
    assert all(v.geometry.is_valid for v in versions)
    sea = next(v for v in versions if v.zone_id == "TERRSEA-VEN")
    assert "pproximation" in sea.description and sea.confidence < 1
    by_key = {v.key: v for v in versions}
    # SKED has SKEC cut out: no overlap left
    assert by_key["FIR-SKED@v1"].geometry.intersection(by_key["FIR-SKEC@v1"].geometry).area < 1e-3
    # the restriction zone uses the FIR's area
    assert by_key["SVZM@v1"].geometry.equals(by_key["FIR-SVZM@v1"].geometry)


def test_licences_and_attribution_are_on_the_files() -> None:
    firs = json.loads((REPO / "geodata" / "firs.geojson").read_text())
    assert firs["license"] == "CC BY-SA 4.0"
    assert "VATSIM VAT-Spy Client Data Update Project" in firs["attribution"]
    assert "not the AIP" in firs["caveat"]
    restrictions = json.loads((REPO / "geodata" / "restrictions.geojson").read_text())
    assert "CC BY-SA 4.0" in restrictions["license"]
    assert "VATSIM VAT-Spy Client Data Update Project" in restrictions["attribution"]
    venezuela = json.loads((REPO / "geodata" / "venezuela.geojson").read_text())
    assert "Public domain (Natural Earth)" in venezuela["license"]
    sources = (REPO / "geodata" / "SOURCES.md").read_text()
    for name in BUNDLED_FILES:
        assert name in sources


def test_files_are_small() -> None:
    total = sum((REPO / "geodata" / n).stat().st_size for n in BUNDLED_FILES)
    assert total < 500_000


def test_env_var_overrides_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert geodata_dir() == tmp_path
    with pytest.raises(ConfigError, match=r"firs.geojson is missing"):
        load_bundled_zones()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match=ENV_VAR):
        load_bundled_zones()


def test_default_folder_is_the_repository_geodata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert geodata_dir() == REPO / "geodata"
    assert len(load_bundled_zones(REPO / "geodata")) == len(load_bundled_zones())


def test_committed_geodata_equals_a_fresh_build(shared_dir: Path, tmp_path: Path) -> None:
    """geodata/*.geojson must be exactly what the build makes from ../shared/reference."""
    written = build(shared_dir / "reference", tmp_path, REPO / "geodata" / "declarations.yaml")
    assert sorted(p.name for p in written) == sorted(BUNDLED_FILES)
    for path in written:
        committed = REPO / "geodata" / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run "
            "`python -m monitor.zones.build --reference ../shared/reference --out geodata`"
        )
