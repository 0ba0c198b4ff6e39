"""The registry: history, in force, latest, and declare / amend / lift / number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shapely

from monitor.domain import ZoneChange, ZoneKind, ZoneStatus
from monitor.errors import ZoneError
from monitor.zones.bundled import load_bundled_zones
from monitor.zones.fields import UNNUMBERED
from monitor.zones.geojson import read_geojson
from monitor.zones.registry import ZoneRegistry
from tests.zones.conftest import FIXTURES


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def shipped() -> ZoneRegistry:
    return ZoneRegistry(load_bundled_zones())


def test_svzm_history_with_authorities(shipped: ZoneRegistry) -> None:
    rows = [
        (v.version, v.change.value, v.status.value, v.authority) for v in shipped.history("SVZM")
    ]
    assert rows == [
        (1, "declare", "advisory", "FAA"),
        (2, "declare", "advisory", "AESA (Spain)"),
        (3, "declare", "statement", "US President (statement, not a NOTAM)"),
        (4, "declare", "advisory", "EASA"),
        (5, "amend", "advisory", "AESA (Spain)"),
        (6, "amend", "advisory", "FAA"),
        (7, "amend", "advisory", "EASA"),
        (8, "amend", "prohibited", "FAA"),
        (9, "amend", "advisory", "FAA"),
        (10, "lift", "lifted", "US President (statement, not a NOTAM)"),
        (11, "lift", "lifted", "FAA"),
        (12, "amend", "advisory", "AESA (Spain)"),
        (13, "lift", "lifted", "EASA"),
    ]
    v1 = shipped.history("SVZM")[0]
    assert v1.source_ref == "FAA NOTAM KICZ A0012/25"
    assert (v1.valid_from, v1.valid_to) == (utc(2025, 11, 21, 17, 43), utc(2026, 2, 19, 23, 59))
    assert (v1.floor_ft, v1.ceiling_ft) == (0.0, float("inf"))


def test_in_force_and_governing_over_time(shipped: ZoneRegistry) -> None:
    assert shipped.governing("SVZM", utc(2025, 11, 20)) is None
    assert shipped.governing("SVZM", utc(2025, 11, 25, 12)).key in ("SVZM@v1", "SVZM@v2")
    # the statement of 29 Nov ranks below the advisories: it binds no one
    assert shipped.governing("SVZM", utc(2025, 12, 2)).status is ZoneStatus.ADVISORY
    assert shipped.governing("SVZM", utc(2026, 1, 3, 12)).key == "SVZM@v8"
    keys = [v.key for v in shipped.in_force(utc(2026, 1, 3, 12), "SVZM")]
    # the statement, the EASA CZIB and the FAA prohibition (which ends the FAA advisory)
    assert keys == ["SVZM@v3", "SVZM@v7", "SVZM@v8"]
    # the FAA prohibitions for US operators outside SVZM, for 23 hours
    everywhere = {v.zone_id for v in shipped.in_force(utc(2026, 1, 3, 12))}
    assert {"TJZS", "TNCF", "TTZP", "FIR-SVZM", "STRIKE-EPAC-ACAPULCO"} <= everywhere
    assert shipped.governing("TJZS", utc(2026, 1, 4, 6)).status is ZoneStatus.ADVISORY
    assert shipped.governing("TJZS", utc(2026, 1, 30)) is None


def test_latest_and_next_version(shipped: ZoneRegistry) -> None:
    assert shipped.latest("SVZM").key == "SVZM@v13"
    assert shipped.latest("SVZM", "FAA").key == "SVZM@v11"
    assert shipped.next_version("SVZM") == 14
    assert shipped.next_version("NEW") == 1
    assert shipped.latest("NOPE") is None and shipped.history("NOPE") == []


def test_declare_amend_lift_chain() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    box = shapely.box(-70, 11, -69, 12)
    v = reg.declare(
        "WATCH-X",
        authority="desk",
        valid_from=utc(2026, 1, 5),
        geometry=box,
        name="watch x",
        kind=ZoneKind.WATCH_AREA,
    )
    assert (v.version, v.change, v.status) == (1, ZoneChange.DECLARE, ZoneStatus.ACTIVE)
    reg.add([v])
    with pytest.raises(ZoneError, match="already declared by desk"):
        reg.declare("WATCH-X", authority="desk", valid_from=utc(2026, 1, 6))
    a = reg.amend("WATCH-X", valid_from=utc(2026, 1, 7), status="closed", ceiling_ft=10000.0)
    assert (a.version, a.change, a.status.value, a.ceiling_ft, a.authority) == (
        2,
        ZoneChange.AMEND,
        "closed",
        10000.0,
        "desk",
    )
    assert a.geometry.equals(box) and a.name == "watch x"
    reg.add([a])
    lift = reg.lift("WATCH-X", at=utc(2026, 1, 9))
    assert (lift.version, lift.change, lift.status, lift.authority) == (
        3,
        ZoneChange.LIFT,
        ZoneStatus.LIFTED,
        "desk",
    )
    reg.add([lift])
    assert reg.governing("WATCH-X", utc(2026, 1, 8)).key == "WATCH-X@v2"
    assert reg.governing("WATCH-X", utc(2026, 1, 10)) is None
    with pytest.raises(ZoneError, match="was lifted by desk"):
        reg.amend("WATCH-X", valid_from=utc(2026, 1, 11), status="closed")
    again = reg.declare("WATCH-X", authority="desk", valid_from=utc(2026, 2, 1))
    assert again.version == 4 and again.geometry.equals(box)


def test_a_new_authority_declares_an_existing_zone() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    v = reg.declare(
        "SVZM", authority="UK CAA", valid_from=utc(2026, 1, 4), status=ZoneStatus.ADVISORY
    )
    assert v.version == 14 and v.geometry.equals(reg.latest("SVZM").geometry)
    assert v.kind is ZoneKind.ADVISORY_AIRSPACE  # inherited from the latest version


def test_amend_and_lift_need_an_authority_when_several_are_live() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    reg.add([reg.declare("SVZM", authority="UK CAA", valid_from=utc(2026, 3, 1),
                         status=ZoneStatus.ADVISORY)])
    reg.add([reg.declare("SVZM", authority="DGAC", valid_from=utc(2026, 3, 1),
                         status=ZoneStatus.ADVISORY)])
    with pytest.raises(ZoneError, match="several authorities"):
        reg.lift("SVZM", at=utc(2026, 4, 1))
    lift = reg.lift("SVZM", at=utc(2026, 4, 1), authority="DGAC")
    assert lift.authority == "DGAC" and lift.status is ZoneStatus.LIFTED
    reg.add([lift])
    assert [v.key for v in reg.in_force(utc(2026, 4, 2), "SVZM")] == ["SVZM@v14"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: r.amend("NOPE", valid_from=utc(2026, 1, 1), status="closed"),
            "unknown zone 'NOPE'",
        ),
        (
            lambda r: r.amend("MPZL", valid_from=utc(2025, 1, 1), status="closed"),
            "before the version",
        ),
        (lambda r: r.lift("MPZL", at=utc(2026, 1, 16)), "is not after the start"),
        (
            lambda r: r.amend(
                "MPZL", valid_from=utc(2026, 2, 1), floor_ft=50000.0, ceiling_ft=1000.0
            ),
            "floor 50000 ft is above ceiling",
        ),
        (
            lambda r: r.amend("MPZL", valid_from=utc(2026, 2, 1), status="maybe"),
            "unknown status 'maybe'",
        ),
        (lambda r: r.amend("MPZL", valid_from=utc(2026, 2, 1), version=9), "set by the registry"),
        (
            lambda r: r.amend("TJZS", valid_from=utc(2026, 2, 1), status="closed"),
            "was lifted by FAA",
        ),
        (lambda r: r.declare("NEW", authority="x", valid_from=None), "give it a geometry"),
    ],
)
def test_builder_errors(call, message: str) -> None:
    reg = ZoneRegistry(load_bundled_zones())
    with pytest.raises(ZoneError, match=message):
        call(reg)


def test_number_imports_and_skip_identical_reimports() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    imported = read_geojson((FIXTURES / "watch_areas.geojson").read_bytes()).versions
    assert {v.version for v in imported} == {UNNUMBERED}
    numbered = reg.number(imported)
    assert [(v.key, v.change.value) for v in numbered] == [
        ("WATCH-PARAGUANA@v1", "declare"),
        ("TFR-MARGARITA@v1", "declare"),
    ]
    reg.add(numbered)
    assert reg.number(imported) == []  # the same file again adds nothing
    changed = [
        imported[0].__class__(
            **{**{f: getattr(imported[0], f) for f in imported[0].__slots__}, "confidence": 0.5}
        )
    ]
    (amended,) = reg.number(changed)
    assert (amended.key, amended.change.value) == ("WATCH-PARAGUANA@v2", "amend")


def test_conflicting_numbered_version_is_refused() -> None:
    reg = ZoneRegistry(load_bundled_zones())
    svzm1 = reg.history("SVZM")[0]
    clash = svzm1.__class__(
        **{**{f: getattr(svzm1, f) for f in svzm1.__slots__}, "authority": "someone"}
    )
    with pytest.raises(ZoneError, match="SVZM@v1 already exists with different content"):
        reg.number([clash])
    with pytest.raises(ZoneError, match="already exists"):
        reg.add([clash])


def test_merged_prefers_stored_on_a_clash(caplog: pytest.LogCaptureFixture) -> None:
    shipped = load_bundled_zones()
    svzm1 = next(v for v in shipped if v.key == "SVZM@v1")
    stored = svzm1.__class__(
        **{**{f: getattr(svzm1, f) for f in svzm1.__slots__}, "description": "edited"}
    )
    reg = ZoneRegistry.merged(shipped, [stored])
    assert reg.history("SVZM")[0].description == "edited"
    assert "differs from the shipped one" in caplog.text
