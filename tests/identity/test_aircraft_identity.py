"""Aircraft identity: the shipped tables, the rules, and what they give on real recordings.

Real samples come from ``../shared/reference/samples`` (provenance in its SOURCES.md): the
ADS-B Exchange readsb snapshot of 2022-04-30 (global and Caribbean subset), a local readsb
receiver near Washington DC (2020-05-19), OpenSky ``/states/all`` of 2023-08-28 and two real
military flights of the ``traffic`` package. Call-sign cases are in ``callsign_cases.csv``.
"""

from __future__ import annotations

import csv
import gzip
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain import Observation, SubjectKind
from monitor.domain.zone import BindingScope, Bound
from monitor.errors import ConfigError
from monitor.feeds.adsbx import make_parser as adsbx_parser
from monitor.feeds.opensky import make_parser as opensky_parser
from monitor.identity import build as identity_build
from monitor.identity.aircraft import (
    AircraftIdentifier,
    military_by_address,
    military_callsign,
    operator_of_callsign,
    registration_in_callsign,
    state_of_address,
)
from monitor.identity.tables import (
    ENV_VAR,
    TABLE_FILES,
    IdentityTables,
    geodata_dir,
    load_identity_tables,
)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ADSBX_CARIBBEAN = "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json"
ADSBX_GLOBAL = "adsbx_readsb_aircraft_global_20220430T235959Z.json"
READSB_DC = "readsb_local_aircraft_washingtondc_20200519.json"
OPENSKY_CARIBBEAN = "opensky_states_all_caribbean_subset_20230828T145101Z.json"
OPENSKY_GLOBAL = "opensky_states_all_global_20230828T145101Z.json"
TRAFFIC_MILITARY = (
    "traffic_military_aircraft_carrier.json.gz",
    "traffic_military_inflight_refuelling.json.gz",
)

#: OpenSky ``origin_country`` names that are not State names of the block table
OPENSKY_NAMES = {
    "Kingdom of the Netherlands": "NL",
    "Russian Federation": "RU",
    "Republic of Korea": "KR",
    "Czech Republic": "CZ",
    "Libyan Arab Jamahiriya": "LY",
    "Brunei Darussalam": "BN",
    "Islamic Republic of Iran": "IR",
    "Syrian Arab Republic": "SY",
    "Republic of Moldova": "MD",
}


@pytest.fixture(scope="module")
def tables() -> IdentityTables:
    return load_identity_tables(REPO / "geodata")


@pytest.fixture()
def identifier(tables: IdentityTables) -> AircraftIdentifier:
    return AircraftIdentifier(tables)


def fix(icao24: str, **fields: Any) -> Observation:
    """A minimal aircraft fix: only the identity fields matter here."""
    return Observation(
        source=fields.pop("source", "test"),
        feed_kind=fields.pop("feed_kind", "adsbx_v2"),
        subject_kind=fields.pop("subject_kind", SubjectKind.AIRCRAFT),
        subject_id=icao24,
        time=datetime(2026, 1, 3, 12, 0, tzinfo=UTC),
        lat=10.6,
        lon=-66.9,
        **fields,
    )


def parse_readsb(samples_dir: Path, name: str) -> list[Observation]:
    body = orjson.loads((samples_dir / name).read_bytes())
    received = datetime.fromtimestamp(float(body["now"]) + 1.0, UTC)
    result = adsbx_parser()(body, received_at=received, source="adsbx_sample", record_ref=None)
    return list(result.observations)


def address_in(tables: IdentityTables, iso2: str) -> str:
    """The first address of ``iso2``'s block that no military list flags."""
    for block in tables.blocks:
        if block.iso2 == iso2:
            for value in range(block.start, block.end + 1):
                icao24 = f"{value:06x}"
                if military_by_address(icao24, tables) is None:
                    return icao24
    raise AssertionError(f"no block for {iso2}")


# --- the shipped tables -------------------------------------------------------------------


def test_committed_identity_tables_equal_a_fresh_build(shared_dir: Path, tmp_path: Path) -> None:
    """geodata/identity/*.csv must be exactly what the build makes from ../shared/reference."""
    written = identity_build.build(shared_dir / "reference", tmp_path)
    assert [p.name for p in written] == list(identity_build.BUILT_FILES)
    for path in written:
        committed = REPO / "geodata" / "identity" / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run `python -m monitor.identity.build "
            "--reference ../shared/reference --out geodata/identity`"
        )


def test_build_command_line(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "identity"
    assert (
        identity_build.main(["--reference", str(shared_dir / "reference"), "--out", str(out)]) == 0
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(identity_build.BUILT_FILES)
    with pytest.raises(SystemExit):
        identity_build.main(["--reference", str(tmp_path / "nowhere"), "--out", str(out)])


def test_every_row_keeps_its_source_and_every_callsign_row_cites_an_address(
    tables: IdentityTables,
) -> None:
    assert all(b.source for b in tables.blocks)
    assert all(m.source and m.reason for m in tables.military)
    assert all(d.source for d in tables.designators.values())
    assert all(c.source.startswith("https://") for c in tables.military_callsigns.values())
    # the hand-curated table names no civil carrier of the airline table
    assert not set(tables.military_callsigns) & set(tables.designators)
    sources = (REPO / "geodata" / "SOURCES.md").read_text(encoding="utf-8")
    assert "## identity/: who an aircraft is" in sources
    assert "https://openflights.org" in sources and "ODbL" in sources
    for name in TABLE_FILES:
        assert name in sources


def test_operator_state_added_to_airlines(tables: IdentityTables) -> None:
    d = tables.designators
    assert (d["CMP"].name, d["CMP"].iso2) == ("Copa Airlines", "PA")
    assert d["AAL"].iso2 == "US" and d["CAY"].iso2 == "KY" and d["ARU"].iso2 == "AW"
    unknown = sorted(code for code, row in d.items() if row.iso2 is None)
    assert unknown == ["AUZ", "INC", "ULS"]


def test_env_var_overrides_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert geodata_dir() == tmp_path
    with pytest.raises(ConfigError, match=ENV_VAR):
        load_identity_tables()
    (tmp_path / "identity").mkdir()
    with pytest.raises(ConfigError, match="icao_address_blocks.csv is missing"):
        load_identity_tables()
    monkeypatch.delenv(ENV_VAR)
    assert geodata_dir() == REPO / "geodata"


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("icao24", "expected"),
    [
        ("a00001", ("US", "United States")),  # N1
        ("AE1234", ("US", "United States")),  # upper case accepted
        ("0d8000", ("VE", "Venezuela")),
        ("0d8462", ("VE", "Venezuela")),  # YV3533, Conviasa A340 in the ADSBx snapshot
        ("0dffff", ("VE", "Venezuela")),
        ("0ac382", ("CO", "Colombia")),  # HK5220 (OpenSky tracks sample)
        ("400000", ("BM", "Bermuda")),  # sub-range inside the UK block
        ("400200", ("GB", "United Kingdom")),
        ("789abc", ("HK", "Hong Kong")),
        ("780000", ("CN", "China")),
        ("f00000", None),  # ICAO temporary block: no State
        ("~0d8462", None),  # non-ICAO (TIS-B) address
        ("zzzzzz", None),
        ("", None),
    ],
)
def test_state_of_address(tables: IdentityTables, icao24: str, expected: Any) -> None:
    assert state_of_address(icao24, tables) == expected


def _reference_rows(shared_dir: Path, name: str) -> list[dict[str, str]]:
    with (shared_dir / "reference" / "identity" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _naive_smallest(rows: list[dict[str, str]], value: int) -> dict[str, str] | None:
    """Linear scan of the *reference* table: the smallest range containing ``value``."""
    best: dict[str, str] | None = None
    best_size = 1 << 25
    for row in rows:
        start, end = int(row["start_hex"], 16), int(row["end_hex"], 16)
        if start <= value <= end and end - start < best_size:
            best, best_size = row, end - start
    return best


@pytest.fixture(scope="module")
def reference_blocks(shared_dir: Path) -> list[dict[str, str]]:
    return _reference_rows(shared_dir, "icao_address_blocks.csv")


@pytest.fixture(scope="module")
def reference_military(shared_dir: Path) -> list[dict[str, str]]:
    return _reference_rows(shared_dir, "military_address_ranges.csv")


def _edges(rows: list[dict[str, str]]) -> list[int]:
    out = set()
    for row in rows:
        for v in (int(row["start_hex"], 16), int(row["end_hex"], 16)):
            out.update(x for x in (v - 1, v, v + 1) if 0 <= x <= 0xFFFFFF)
    return sorted(out)


PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(data=st.data())
def test_state_of_address_agrees_with_a_linear_scan(
    tables: IdentityTables, reference_blocks: list[dict[str, str]], data: st.DataObject
) -> None:
    value = data.draw(
        st.one_of(st.integers(0, 0xFFFFFF), st.sampled_from(_edges(reference_blocks)))
    )
    row = _naive_smallest(reference_blocks, value)
    expected = (row["iso2"], row["state"]) if row is not None and row["iso2"] else None
    assert state_of_address(f"{value:06x}", tables) == expected


@PROPERTY
@given(data=st.data())
def test_military_by_address_agrees_with_a_linear_scan(
    tables: IdentityTables, reference_military: list[dict[str, str]], data: st.DataObject
) -> None:
    value = data.draw(
        st.one_of(st.integers(0, 0xFFFFFF), st.sampled_from(_edges(reference_military)))
    )
    # ties of size: the VRS "NOT military" exception wins
    candidates = [
        r for r in reference_military if int(r["start_hex"], 16) <= value <= int(r["end_hex"], 16)
    ]
    if candidates:
        win = min(
            candidates,
            key=lambda r: (
                int(r["end_hex"], 16) - int(r["start_hex"], 16),
                not r["note"].startswith("NOT military"),
            ),
        )
        expected = not win["note"].startswith("NOT military")
    else:
        expected = False
    reason = military_by_address(f"{value:06x}", tables)
    assert (reason is not None) == expected
    if reason is not None:
        assert reason.startswith(f"address {value:06X} in ") and "military range" in reason


def test_military_ranges_and_their_exceptions(tables: IdentityTables) -> None:
    reason = military_by_address("ae1234", tables)
    assert reason is not None and "United States military range AE0000-AFFFFF" in reason
    assert "tar1090-db ranges.json also: ADF7C8-AFFFFF" in reason
    assert military_by_address("adf7c7", tables) is None  # the last N-number address
    assert military_by_address("adf7c8", tables) is not None
    # VRS IsMilitary=0 exception inside both Egyptian military ranges: civil
    assert military_by_address("010070", tables) is None
    assert military_by_address("010072", tables) is not None
    assert military_by_address("~ae1234", tables) is None


# --- call signs ---------------------------------------------------------------------------


def _callsign_cases() -> list[dict[str, str]]:
    with (HERE / "callsign_cases.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    "case", _callsign_cases(), ids=lambda c: f"{c['callsign'].strip()}-{c['registry_iso2']}"
)
def test_callsign_cases(
    tables: IdentityTables, identifier: AircraftIdentifier, case: dict[str, str]
) -> None:
    callsign, registry = case["callsign"], case["registry_iso2"] or None
    assert registration_in_callsign(callsign, tables) == (case["registration"] or None)
    row = military_callsign(callsign, tables, registry_iso2=registry)
    assert (row.prefix if row else None) == (case["military_prefix"] or None)
    icao24 = address_in(tables, registry) if registry else "~123456"
    who = identifier.identify(fix(icao24, callsign=callsign))
    assert who.callsign == callsign.strip().upper()
    assert who.operator_icao == (case["operator_icao"] or None)
    assert who.registration == (case["registration"] or None)
    assert who.military == (True if case["military_prefix"] else None)
    if case["operator_icao"] and not case["military_prefix"]:
        operator = operator_of_callsign(callsign, tables)
        assert operator is not None and who.operator_iso2 == operator.iso2


def test_copa_callsign_names_copa_of_panama(tables: IdentityTables) -> None:
    operator = operator_of_callsign("CMP301", tables)
    assert operator is not None
    assert (operator.icao, operator.name, operator.iso2) == ("CMP", "Copa Airlines", "PA")
    assert operator_of_callsign("N518JA", tables) is None  # a registration, not "N51"
    assert operator_of_callsign("ZZZ123", tables) is None  # not in the table: unknown


# --- the military decision ----------------------------------------------------------------


def test_feed_flag_decides_first(identifier: AircraftIdentifier) -> None:
    who = identifier.identify(fix("ae4dff", callsign="C6047", military=True, source="adsb_lol"))
    assert who.military is True and "readsb dbFlags" in (who.military_because or "")
    # the feed's database says civil: no call sign and no range overrides it
    civil = identifier.identify(fix("a00001", callsign="RCH851", military=False))
    assert civil.military is False and "without the military flag" in (civil.military_because or "")
    assert identifier.identify(fix("ae1234", callsign="RCH851", military=False)).military is False


def test_address_range_wins_over_nothing(identifier: AircraftIdentifier) -> None:
    who = identifier.identify(fix("ae1234", callsign="PSWRD35"))
    assert who.military is True
    assert (who.military_because or "").startswith("address AE1234 in United States military")
    nothing = identifier.identify(fix("a00001", callsign="DAL123"))
    assert (nothing.military, nothing.military_because) == (None, None)


def test_civil_carrier_callsign_in_a_military_range_is_left_unknown(
    identifier: AircraftIdentifier,
) -> None:
    # JetSMART A320 CC-AWC (e80601) in VRS's Chile military range, as in the ADSBx snapshot
    who = identifier.identify(fix("e80601", callsign="JAT401"))
    assert who.military is None
    assert "sources conflict" in (who.military_because or "")
    assert who.operator_icao == "JAT" and who.registry_iso2 == "CL"


def test_callsign_reason_names_the_source(identifier: AircraftIdentifier) -> None:
    who = identifier.identify(fix("a00001", callsign="RCH851"))
    assert who.military is True
    assert who.military_because == (
        "call sign RCH851: Air Mobility Command, US (VRS standing-data airlines.csv)"
    )
    assert (who.operator_icao, who.operator_iso2) == ("RCH", "US")


def test_identity_binds_as_the_zone_rules_expect(identifier: AircraftIdentifier) -> None:
    us_operators = BindingScope.parse("operators:US")
    private_n = identifier.identify(fix("a00001", callsign="N1"))
    assert us_operators.binds(private_n).verdict is Bound.BOUND
    copa = identifier.identify(fix("0c2001", callsign="CMP301"))  # Panama-registered Copa
    assert copa.registry_iso2 == "PA"
    assert us_operators.binds(copa).verdict is Bound.NOT_BOUND
    navy = identifier.identify(fix("ae0455", callsign="PSWRD35"))
    assert BindingScope.parse("civil").binds(navy).verdict is Bound.NOT_BOUND


# --- the identifier -----------------------------------------------------------------------


def test_identifier_caches_and_stays_bounded(tables: IdentityTables) -> None:
    identifier = AircraftIdentifier(tables, max_cached=2)
    a = fix("a00001", callsign="N1")
    first = identifier.identify(a)
    assert identifier.identify(msgspec.structs.replace(a, lat=11.0)) is first  # same key
    assert identifier.identify(msgspec.structs.replace(a, callsign="DAL1")) is not first
    identifier.identify(fix("a00002"))
    assert len(identifier) == 2
    assert identifier.identify(a) is not first  # evicted (oldest first), built again
    with pytest.raises(ValueError, match="max_cached"):
        AircraftIdentifier(tables, max_cached=0)


def test_identifier_refuses_vessels(identifier: AircraftIdentifier) -> None:
    with pytest.raises(ValueError, match="not an aircraft"):
        identifier.identify(fix("244660000", subject_kind=SubjectKind.VESSEL))


def test_identify_cost(identifier: AircraftIdentifier, samples_dir: Path) -> None:
    """Cost per call on a miss and on a cached hit (printed; bounds are generous)."""
    observations = parse_readsb(samples_dir, ADSBX_GLOBAL)
    t0 = time.perf_counter()
    for obs in observations:
        identifier.identify(obs)
    t1 = time.perf_counter()
    rounds = 10
    for _ in range(rounds):
        for obs in observations:
            identifier.identify(obs)
    t2 = time.perf_counter()
    miss_us = (t1 - t0) / len(observations) * 1e6
    hit_us = (t2 - t1) / (rounds * len(observations)) * 1e6
    print(f"identify: miss {miss_us:.2f} us, hit {hit_us:.3f} us ({len(observations)} fixes)")
    assert hit_us < 20 and miss_us < 500


# --- real recordings ----------------------------------------------------------------------


def test_readsb_caribbean_snapshot(identifier: AircraftIdentifier, samples_dir: Path) -> None:
    observations = parse_readsb(samples_dir, ADSBX_CARIBBEAN)
    who = {o.subject_id: identifier.identify(o) for o in observations}
    n_registered = [w for w in who.values() if (w.registration or "").startswith("N")]
    assert len(n_registered) > 150
    assert all(w.registry_iso2 == "US" for w in n_registered)
    # the one military aircraft: a US Coast Guard H-60, flagged by readsb's database
    coast_guard = who["ae4dff"]
    assert coast_guard.military is True and "readsb dbFlags" in (coast_guard.military_because or "")
    assert coast_guard.registration == "6047" and coast_guard.aircraft_type == "H60"
    copa = [w for w in who.values() if (w.callsign or "").startswith("CMP")]
    assert len(copa) == 11
    assert all((w.operator_icao, w.operator_iso2) == ("CMP", "PA") for w in copa)
    assert sum(1 for w in who.values() if w.military) == 1


def test_readsb_global_snapshot_never_overrides_the_feed(
    identifier: AircraftIdentifier, samples_dir: Path
) -> None:
    observations = parse_readsb(samples_dir, ADSBX_GLOBAL)
    flagged: Counter[tuple[bool, bool | None]] = Counter()
    for obs in observations:
        who = identifier.identify(obs)
        if obs.military is not None:
            assert who.military is obs.military
            # what the tables alone would say, measured against readsb's database flag
            alone = identifier.identify(msgspec.structs.replace(obs, military=None))
            flagged[(obs.military, alone.military)] += 1
    # readsb flags 60 aircraft with a position; the tables alone find 57 of them, and flag
    # 17 that readsb knows as civil (VRS's Australian and Chilean ranges, ground stations)
    assert flagged[(True, True)] == 57 and flagged[(True, None)] == 3
    assert flagged[(False, True)] == 17


def test_readsb_washington_receiver(identifier: AircraftIdentifier, samples_dir: Path) -> None:
    observations = parse_readsb(samples_dir, READSB_DC)
    military = {o.subject_id for o in observations if identifier.identify(o).military}
    assert military and all(icao.startswith("ae") for icao in military)
    assert all(
        identifier.identify(o).registry_iso2 == "US"
        for o in observations
        if not o.subject_id.startswith("~")
    )


@pytest.mark.parametrize(("name", "minimum"), [(OPENSKY_CARIBBEAN, 0.95), (OPENSKY_GLOBAL, 0.99)])
def test_registry_agrees_with_opensky_origin_country(
    tables: IdentityTables, samples_dir: Path, name: str, minimum: float
) -> None:
    """OpenSky derives ``origin_country`` from the address too: measure the agreement."""
    states = orjson.loads((samples_dir / name).read_bytes())["states"]
    by_name = {b.state: b.iso2 for b in tables.blocks if b.iso2}
    agree, disagree = 0, []
    for state in states:
        icao24, country = state[0], state[2]
        if not country:
            continue
        expected = by_name.get(country) or OPENSKY_NAMES[country]
        got = state_of_address(icao24, tables)
        if got is not None and got[0] == expected:
            agree += 1
        else:
            disagree.append((icao24, country, got))
    share = agree / (agree + len(disagree))
    print(
        f"{name}: registry agrees with OpenSky origin_country for {agree} of "
        f"{agree + len(disagree)} ({share:.2%})"
    )
    assert share >= minimum
    # every disagreement is a territory sub-range that OpenSky files under its sovereign
    for icao24, _country, got in disagree:
        block = next(b for b in tables.blocks if b.start <= int(icao24, 16) <= b.end)
        assert got is not None and "sub-range inside the" in block.source, (icao24, got)


def test_opensky_fixes_identify(identifier: AircraftIdentifier, samples_dir: Path) -> None:
    body = orjson.loads((samples_dir / OPENSKY_CARIBBEAN).read_bytes())
    result = opensky_parser()(
        body,
        received_at=datetime.fromtimestamp(body["time"], UTC),
        source="opensky",
        record_ref=None,
    )
    who = [identifier.identify(o) for o in result.observations]
    copa = [w for w in who if w.operator_icao == "CMP"]
    assert copa and all(w.operator_iso2 == "PA" and w.registry_iso2 == "PA" for w in copa)
    assert all(w.military is not False for w in who)  # OpenSky says nothing of it


def test_traffic_military_flights_are_recognised_without_feed_flags(
    identifier: AircraftIdentifier, samples_dir: Path
) -> None:
    recognised: dict[str, str] = {}
    points = 0
    for name in TRAFFIC_MILITARY:
        records = json.loads(gzip.decompress((samples_dir / name).read_bytes()))
        for r in records:
            obs = fix(
                r["icao24"], callsign=r.get("callsign"), source="traffic", feed_kind="traffic"
            )
            who = identifier.identify(obs)
            assert who.military is True, (r["icao24"], r.get("callsign"), who)
            recognised[f"{r['icao24']} {r.get('callsign')}"] = who.military_because or ""
            points += 1
    print(f"traffic military samples: {len(recognised)} flights, {points} points, all military:")
    for flight, because in sorted(recognised.items()):
        print(f"  {flight}: {because}")
    assert len(recognised) == 2 and points == 9024 + 10397
    assert "United States military range" in recognised["ae0455 PSWRD35"]
    assert "France military range" in recognised["3b7777 FAF4011"]
    # the French tanker's call sign alone would say so too
    alone = military_callsign("FAF4011", registry_iso2="FR")
    assert alone is not None and alone.operator == "Force Aerienne Francaise"


def test_traffic_calibration_flight_is_a_salvadoran_registration(
    identifier: AircraftIdentifier, samples_dir: Path
) -> None:
    records = json.loads(
        gzip.decompress((samples_dir / "traffic_calibration_kingston.json.gz").read_bytes())
    )
    who = identifier.identify(fix(records[0]["icao24"], callsign=records[0]["callsign"]))
    assert (who.registration, who.registry_iso2, who.operator_icao) == ("YS111N", "SV", None)
