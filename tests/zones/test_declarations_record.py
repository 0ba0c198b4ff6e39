"""The shipped airspace rules agree with the cited crisis record (``shared/reference/crisis``).

Every airspace version rests on rows of ``airspace_events.csv``: its source addresses are
the record's, its dates are the dates the record gives (or its notes say why not), every
authority's row is either a version or listed as unshipped with a reason, and whom each
rule binds follows its kind: advisories, cautions and statements bind nobody.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from monitor.domain.identity import AircraftIdentity
from monitor.domain.zone import BindingScope, Bound, ScopeKind, ZoneKind, ZoneStatus
from monitor.zones.bundled import load_bundled_zones
from monitor.zones.registry import ZoneRegistry

REPO = Path(__file__).resolve().parents[2]
AIRSPACE = frozenset({ZoneKind.CLOSED_AIRSPACE, ZoneKind.ADVISORY_AIRSPACE})
#: actors whose rows are airspace rules (airlines' suspensions are operator events)
AUTHORITIES = ("FAA", "EASA", "AESA", "INAC", "US President", "US DOT", "Department of Transportation")


@pytest.fixture(scope="module")
def record(shared_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    path = shared_dir / "reference" / "crisis" / "airspace_events.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["date_utc"].strip(), r["actor"].strip()): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def crisis_text(shared_dir: Path) -> str:
    folder = shared_dir / "reference" / "crisis"
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


@pytest.fixture(scope="module")
def declarations() -> dict:
    return yaml.safe_load((REPO / "geodata" / "declarations.yaml").read_text(encoding="utf-8"))


def _entries(declarations: dict) -> list[dict]:
    return list(declarations["files"]["restrictions.geojson"]["zones"])


def _airspace_versions():
    return [v for v in load_bundled_zones() if v.kind in AIRSPACE]


def test_every_airspace_version_cites_the_record(declarations, record, crisis_text) -> None:
    shipped = {(v.zone_id, v.version): v for v in _airspace_versions()}
    entries = _entries(declarations)
    assert len(entries) == len(shipped)
    for entry in entries:
        label = f"{entry['zone_id']} v{entry['version']}"
        rows = [record[tuple(k)] for k in entry["record"]]  # KeyError: not a row
        v = shipped[(entry["zone_id"], entry["version"])]
        assert v.source_url == rows[0]["source_url"], label
        for url in v.sources:
            assert url.startswith(("http://", "https://")), label
            assert url in crisis_text, f"{label}: {url} is not in the crisis record"
        row_text = " ".join(
            r[k] for r in rows for k in ("date_utc", "valid_from", "valid_to", "note")
        )
        assert v.valid_from is not None, label
        assert v.valid_from.date().isoformat() in row_text, (
            f"{label}: valid_from {v.valid_from} is not a date the record gives"
        )
        if v.valid_to is not None and v.valid_to.date().isoformat() not in row_text:
            # an end from another source: the notes must say which, and that they disagree
            assert v.notes, f"{label}: valid_to {v.valid_to} is not in its rows and no note"


def test_every_authority_row_is_shipped_or_explained(declarations, record) -> None:
    used = {tuple(k) for e in _entries(declarations) for k in e["record"]}
    unshipped = {tuple(u["record"]): u["why"] for u in declarations["unshipped"]}
    assert all(why.strip() for why in unshipped.values())
    assert not (used & set(unshipped)), "a row is both shipped and unshipped"
    for key in unshipped:
        assert key in record, f"unshipped {key} is not a row of the record"
    for key, row in record.items():
        if any(a in row["actor"] for a in AUTHORITIES):
            assert key in used or key in unshipped, (
                f"record row {key} ({row['action'][:60]}) is neither a zone version nor "
                "listed under `unshipped` with a reason"
            )


def test_whom_each_rule_binds_follows_its_kind() -> None:
    for v in _airspace_versions():
        if v.status in (ZoneStatus.ADVISORY, ZoneStatus.STATEMENT):
            assert v.binding_scope.kind is ScopeKind.NOBODY, v.key
        if v.status is ZoneStatus.PROHIBITED:
            assert v.scope == BindingScope.parse("operators:US"), v.key
            assert v.valid_to is not None, f"{v.key}: a prohibition with no end"


def test_nothing_binding_is_in_force_today() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    today = datetime(2026, 12, 4, 12, tzinfo=UTC)
    in_force = [v for v in reg.in_force(today) if v.kind in AIRSPACE]
    assert in_force == []


def test_the_ban_day_binds_us_operators_only() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    noon = datetime(2026, 1, 3, 12, tzinfo=UTC)
    binding = sorted(
        v.zone_id
        for v in reg.in_force(noon)
        if v.kind in AIRSPACE and v.binding_scope.kind is not ScopeKind.NOBODY
    )
    assert binding == ["SVZM", "TJZS", "TNCF", "TTZP"]
    ban = reg.governing("TJZS", noon)
    assert ban is not None and ban.status is ZoneStatus.PROHIBITED
    us_private = AircraftIdentity("a6b5c4", registry_iso2="US", registration="N518JA")
    copa = AircraftIdentity("0c2001", registry_iso2="PA", callsign="CMP301",
                            operator_icao="CMP", operator_iso2="PA")
    assert ban.binding_scope.binds(us_private).verdict is Bound.BOUND
    assert ban.binding_scope.binds(copa).verdict is Bound.NOT_BOUND
    # the day after it expired (4 Jan 05:00Z) only cautions remain
    after = datetime(2026, 1, 4, 6, tzinfo=UTC)
    assert all(
        v.binding_scope.kind is ScopeKind.NOBODY
        for v in reg.in_force(after)
        if v.kind in AIRSPACE
    )
