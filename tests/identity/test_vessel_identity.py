"""Vessel identity: the MMSI's ITU-R M.585 class, its flag from the MID at the class's
place, static data cleaned, merged and compared (``monitor.identity.vessel``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.domain import VesselInfo
from monitor.domain.identity import MmsiClass
from monitor.feeds import mid as mid_table
from monitor.identity.vessel import (
    flag_of,
    is_placeholder,
    keeps_static_history,
    merge_all,
    merge_static,
    mid_of,
    mmsi_class,
    static_changes,
    static_values,
    vessel_identity,
)

T = datetime(2025, 12, 2, 10, 0, tzinfo=UTC)

# (mmsi, class, MID, flag ISO) -- one row per M.585 form, with the digit places that differ
CASES = [
    ("775123456", MmsiClass.SHIP, 775, "VE"),
    ("636019812", MmsiClass.SHIP, 636, "LR"),
    ("217123456", MmsiClass.SHIP, 217, None),  # MID 217 not allocated: class kept, flag unknown
    ("077512345", MmsiClass.GROUP, 775, "VE"),  # 0MIDxxxxx: digits 2-4
    ("002393200", MmsiClass.COAST_STATION, 239, "GR"),  # 00MIDxxxx: digits 3-5
    ("003669157", MmsiClass.COAST_STATION, 366, "US"),
    ("111775123", MmsiClass.SAR_AIRCRAFT, 775, "VE"),  # 111MIDxxx: digits 4-6
    ("111232511", MmsiClass.SAR_AIRCRAFT, 232, "GB"),  # real type 9 (gpsd sample)
    ("877512345", MmsiClass.HANDHELD_VHF, 775, "VE"),  # 8MIDxxxxx: digits 2-4
    ("987751234", MmsiClass.CRAFT_WITH_PARENT, 775, "VE"),  # 98MIDxxxx: digits 3-5
    ("992766606", MmsiClass.AID_TO_NAVIGATION, 276, "EE"),  # 99MIDxxxx: digits 3-5
    ("995121027", MmsiClass.AID_TO_NAVIGATION, 512, "NZ"),
    ("994008087", MmsiClass.AID_TO_NAVIGATION, 400, None),  # net buoy, MID 400 unallocated
    ("970123456", MmsiClass.SART, None, None),
    ("972158237", MmsiClass.MOB, None, None),
    ("974291422", MmsiClass.EPIRB, None, None),
    ("000000000", MmsiClass.INVALID, None, None),
    ("123456789", MmsiClass.INVALID, None, None),  # a leading 1 other than 111
    ("971123456", MmsiClass.INVALID, None, None),  # 97x other than 970/972/974
    ("951234567", MmsiClass.INVALID, None, None),
    ("77512345", MmsiClass.INVALID, None, None),  # eight digits
    ("77512345a", MmsiClass.INVALID, None, None),
]


@pytest.mark.parametrize(("mmsi", "cls", "mid", "flag"), CASES, ids=[c[0] for c in CASES])
def test_class_mid_and_flag_of_every_form(mmsi, cls, mid, flag):
    assert mmsi_class(mmsi) is cls
    assert mid_of(mmsi) == mid
    entry = flag_of(mmsi)
    assert (entry.iso if entry else None) == flag
    ident = vessel_identity(mmsi)
    assert ident.mmsi_class is cls and ident.flag_iso2 == flag
    # the feed-side MID table agrees on where the MID is
    assert mid_table.mid_of(mmsi) == mid


def test_integers_are_zero_padded():
    assert mmsi_class(2393200) is MmsiClass.COAST_STATION
    assert vessel_identity(2393200).mmsi == "002393200"
    assert vessel_identity(2393200).flag_name == "Greece"
    assert mmsi_class(True) is MmsiClass.INVALID and mmsi_class(-5) is MmsiClass.INVALID


def test_class_properties_split_vessels_from_fixed_stations_and_beacons():
    assert {c for c in MmsiClass if c.is_vessel} == {
        MmsiClass.SHIP, MmsiClass.CRAFT_WITH_PARENT, MmsiClass.HANDHELD_VHF,
    }
    assert {c for c in MmsiClass if c.is_fixed_or_distress} == {
        MmsiClass.AID_TO_NAVIGATION, MmsiClass.COAST_STATION, MmsiClass.SART, MmsiClass.MOB,
        MmsiClass.EPIRB,
    }
    assert keeps_static_history(MmsiClass.SHIP)
    assert not keeps_static_history(MmsiClass.AID_TO_NAVIGATION)
    assert not keeps_static_history(MmsiClass.INVALID)


@pytest.mark.parametrize("mmsi", ["999999999", "111111111", "222222222", "123456789", "987654321"])
def test_placeholders(mmsi):
    assert is_placeholder(mmsi)


def test_real_identities_are_not_placeholders():
    assert not any(is_placeholder(m) for m in ("775123456", "994008087", "123456007"))


def test_static_data_is_cleaned_and_described():
    info = VesselInfo("636019812", T, "aisstream", name="MARLIN  BAY@@@@", callsign="a8mb6 ",
                      imo=9488510, ship_type=80, destination="  cartagena ")
    ident = vessel_identity("636019812", info)
    assert (ident.name, ident.callsign, ident.imo, ident.ship_type, ident.destination) == (
        "MARLIN BAY", "A8MB6", 9488510, 80, "CARTAGENA",
    )
    assert ident.describe() == "MARLIN BAY (636019812), ship, flag Liberia, IMO 9488510, call sign A8MB6"
    blank = VesselInfo("636019812", T, "x", name="@@@@", imo=0, ship_type=0)
    assert static_values(blank) == {}
    assert vessel_identity("636019812", blank).label == "MMSI 636019812"


def test_type_24_parts_are_merged_not_overwritten():
    part_a = VesselInfo("775123456", T, "ais", name="LA GUAIRA EXPRESS")
    part_b = VesselInfo("775123456", T + timedelta(seconds=5), "ais", callsign="YYAB", ship_type=37)
    merged = merge_static(part_a, part_b)
    assert (merged.name, merged.callsign, merged.ship_type, merged.time) == (
        "LA GUAIRA EXPRESS", "YYAB", 37, part_b.time,
    )
    latest: dict[str, VesselInfo] = {}
    out = merge_all(latest, [part_a, part_b, VesselInfo("538009777", T, "ais", name="X")])
    assert latest["775123456"] is out[1] and out[1].name == "LA GUAIRA EXPRESS"
    assert merge_static(None, part_b) is part_b


def test_static_changes_first_values_changes_and_no_change():
    first = VesselInfo("538009777", T, "ais", name="OCEAN PRIDE", callsign="V7OP1", imo=9266370,
                       ship_type=70, destination="CARTAGENA")
    got = static_changes(None, first)
    assert [(c.field, c.old, c.new) for c in got] == [
        ("name", None, "OCEAN PRIDE"), ("callsign", None, "V7OP1"), ("destination", None, "CARTAGENA"),
        ("imo", None, 9266370), ("ship_type", None, 70),
    ]
    assert not any(c.raised for c in got)
    known = {c.field: c.new for c in got}
    renamed = VesselInfo("538009777", T, "ais", name="Oceanic  Pride", destination="GEORGETOWN")
    changes = {c.field: c for c in static_changes(known, renamed)}
    assert set(changes) == {"name", "destination"}
    assert changes["name"].raised and changes["name"].old == "OCEAN PRIDE"
    assert not changes["destination"].raised  # a voyage edit is recorded, not raised
    same = VesselInfo("538009777", T, "ais", name="ocean pride@@")
    assert static_changes(known, same) == []


# --- the real NMEA samples ---------------------------------------------------------------


def _position_mmsis(samples_dir: Path) -> set[str]:
    from monitor.feeds.nmea import make_parser

    out: set[str] = set()
    for path in sorted(samples_dir.glob("ais_nmea_*")):
        if path.suffix == ".chk":
            continue
        r = make_parser()(path.read_text(errors="replace"), received_at=T, source="rx")
        out.update(o.subject_id for o in r.observations)
    return out


def test_classes_of_the_real_position_reports(samples_dir):
    """Which MMSIs of the real NMEA samples send position reports from forms other than a
    ship's: the net buoys are aids to navigation by their MMSI, not invalid ships."""
    if not any(samples_dir.glob("ais_nmea_*")):
        pytest.skip("no NMEA samples")
    mmsis = _position_mmsis(samples_dir)
    odd = {m: mmsi_class(m) for m in mmsis if mmsi_class(m) is not MmsiClass.SHIP}
    assert odd == {
        "992766606": MmsiClass.AID_TO_NAVIGATION,  # NETFIH9927-06, a net buoy (type 19)
        "994008087": MmsiClass.AID_TO_NAVIGATION,  # BUOY-007 (type 19), MID 400 unallocated
        "994030369": MmsiClass.AID_TO_NAVIGATION,  # type 18, MID 403 Saudi Arabia
        "000133310": MmsiClass.COAST_STATION,
        "000786434": MmsiClass.COAST_STATION,
        "001245196": MmsiClass.COAST_STATION,
        "059700014": MmsiClass.GROUP,  # "00014 82%": a buoy's battery in its name
        "062585404": MmsiClass.GROUP,
        "876131000": MmsiClass.HANDHELD_VHF,
        "123456007": MmsiClass.INVALID,
        "123456789": MmsiClass.INVALID,
    }
    assert all(re.fullmatch(r"\d{9}", m) for m in mmsis)
