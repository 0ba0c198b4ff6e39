"""Identity changes: a vessel taking a new name, call sign, IMO number or flag."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.detectors.maritime.identity_change import IdentityChangeConfig, IdentityChangeDetector
from monitor.detectors.maritime.spoofing import SpoofingDetector
from monitor.domain import IncidentKind, Severity, VesselInfo
from monitor.identity.vessel import merge_all
from tests.builders import at
from tests.detectors.maritime.helpers import Harness, steady, strike_zone

STRIKE = strike_zone("STRIKE-TEST", (-64.0, 11.0, -62.0, 12.0), name="Test strike area")
VESSEL = "775123456"


def _info(t: datetime, mmsi: str = VESSEL, **kw) -> VesselInfo:
    kw.setdefault("name", "CARIBE STAR")
    kw.setdefault("callsign", "YYAB3")
    kw.setdefault("imo", 9123456)
    kw.setdefault("ship_type", 80)
    kw.setdefault("destination", "LA GUAIRA")
    return VesselInfo(mmsi, t, "aisstream", **kw)


def _run(h: Harness, fixes, statics: dict[datetime, VesselInfo], until: datetime):
    """Fixes in time order; ``statics`` arrive at their times, merged into
    ``state.vessels`` as the pipeline merges them."""
    vessels = h.state.vessels
    assert isinstance(vessels, dict)
    for obs in sorted(fixes, key=lambda o: o.time):
        due = sorted(t for t in statics if t <= obs.time)
        merge_all(vessels, [statics.pop(t) for t in due])
        h.step([obs])
    t = fixes[-1].time
    while t < until:
        t += timedelta(minutes=1)
        h.tick(t)


def test_a_rename_inside_a_strike_zone_is_one_high_incident():
    h = Harness(IdentityChangeDetector(), [STRIKE])
    fixes = steady(VESSEL, (-63.5, 11.5), at(0), minutes=60, speed_kt=8.0)
    _run(h, fixes, {at(0): _info(at(0)), at(20): _info(at(20), name="SEA  SPIRIT", callsign="YYZZ9")},
         until=at(120))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.IDENTITY_CHANGE.value and inc.subject_id == VESSEL
    assert inc.started_at == inc.ended_at == at(20)
    assert inc.zone_id == "STRIKE-TEST"
    assert inc.changes[0].severity is Severity.HIGH
    assert inc.changes[0].summary == (
        "SEA SPIRIT (775123456): identity changed inside Test strike area: "
        "name CARIBE STAR -> SEA SPIRIT; call sign YYAB3 -> YYZZ9"
    )
    assert [c["attribute"] for c in inc.details["changes"]] == ["name", "callsign"]
    assert inc.changes[0].evidence


def test_outside_any_zone_a_rename_is_low_and_an_imo_change_medium():
    h = Harness(IdentityChangeDetector(), [STRIKE])
    fixes = steady(VESSEL, (-70.0, 13.0), at(0), minutes=60)
    _run(h, fixes, {at(0): _info(at(0)), at(10): _info(at(10), name="SEA SPIRIT"),
                    at(40): _info(at(40), name="SEA SPIRIT", imo=9999998)}, until=at(120))
    renamed, imo = h.incidents()
    assert renamed.changes[0].severity is Severity.LOW and renamed.zone_id is None
    assert imo.changes[0].severity is Severity.MEDIUM
    assert imo.details["changes"][0] == {
        "attribute": "imo", "old": 9123456, "new": 9999998,
        "at": at(40).isoformat(), "source": "aisstream",
    }


def test_first_values_destination_type_and_parts_are_no_change():
    h = Harness(IdentityChangeDetector(), [STRIKE])
    fixes = steady(VESSEL, (-63.5, 11.5), at(0), minutes=60)
    part_a = VesselInfo(VESSEL, at(0), "ais", name="CARIBE STAR")
    part_b = VesselInfo(VESSEL, at(1), "ais", callsign="YYAB3", ship_type=37)
    _run(h, fixes, {at(0): part_a, at(1): part_b,
                    at(10): _info(at(10), destination="PUERTO CABELLO", ship_type=70),
                    at(12): _info(at(12), name="caribe  star@@")}, until=at(120))
    assert h.incidents() == []


def test_a_name_that_flips_back_is_no_change():
    """A transponder alternating between two programmed names every few minutes."""
    h = Harness(IdentityChangeDetector(), [STRIKE])
    fixes = steady(VESSEL, (-63.5, 11.5), at(0), minutes=120)
    statics = {at(k * 6): _info(at(k * 6), name="CARIBE STAR" if k % 2 == 0 else "CARIBE STAR II")
               for k in range(20)}
    _run(h, fixes, statics, until=at(200))
    assert h.incidents() == []


def test_a_flag_change_is_an_imo_heard_under_an_mmsi_of_another_state():
    h = Harness(IdentityChangeDetector(), [STRIKE])
    old = steady("636019812", (-70.0, 13.0), at(0), minutes=20)  # Liberia
    new = steady("775987654", (-63.5, 11.5), at(30), minutes=40)  # Venezuela, in the strike zone
    _run(h, [*old, *new], {
        at(0): _info(at(0), mmsi="636019812", name="MARLIN BAY", imo=9488510),
        at(30): _info(at(30), mmsi="775987654", name="MARLIN BAY", imo=9488510),
    }, until=at(120))
    (inc,) = h.incidents()
    assert inc.subject_id == "775987654" and inc.changes[0].severity is Severity.HIGH
    assert inc.details["changes"][0]["attribute"] == "flag"
    assert "Liberia (MMSI 636019812) -> Venezuela" in inc.changes[0].summary


def test_net_buoys_renaming_with_their_battery_are_not_followed():
    h = Harness(IdentityChangeDetector(), [STRIKE])
    fixes = steady("994008087", (-63.5, 11.5), at(0), minutes=60, speed_kt=1.0)
    _run(h, fixes, {at(0): VesselInfo("994008087", at(0), "ais", name="BUOY-007 9V"),
                    at(20): VesselInfo("994008087", at(20), "ais", name="BUOY-007 8V")}, until=at(120))
    assert h.incidents() == []


def test_two_transmitters_sharing_an_mmsi_raise_a_conflict_not_identity_changes():
    """The demo's twin: OCEAN PRIDE off Cartagena, OCEANIC PRIDE east of Trinidad."""
    spoof, change = SpoofingDetector(), IdentityChangeDetector(IdentityChangeConfig(hold_s=600.0))

    class Both(SpoofingDetector):
        def detect(self, batch, state, now):  # noqa: ANN001, ANN201
            return [*spoof.detect(batch, state, now), *change.detect(batch, state, now)]

    h = Harness(Both(), [STRIKE])
    twin = "538009777"
    west = steady(twin, (-76.10, 12.70), at(0), minutes=120, every_s=120.0)
    east = steady(twin, (-60.30, 12.75), at(1), minutes=120, every_s=120.0)
    statics = {}
    for k in range(10):
        statics[at(k * 12)] = _info(at(k * 12), mmsi=twin, name="OCEAN PRIDE", callsign="V7OP1")
        statics[at(k * 12 + 6)] = _info(at(k * 12 + 6), mmsi=twin, name="OCEANIC PRIDE", callsign="V7OP9")
    _run(h, [*west, *east], statics, until=at(300))
    assert [i.kind for i in h.incidents()] == ["identity_conflict"]
