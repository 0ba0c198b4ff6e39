"""The aviation half of the demo scenario (SYNTHETIC): who flies where, and the labels.

2026-01-03 10:00-13:00Z, the day of the FAA's prohibition for US operators. What is in
force (``geodata/declarations.yaml``, from the cited crisis record): from about 06:00Z
the FAA prohibits US operators (US air carriers and commercial operators, and operators
of US-registered civil aircraft unless a foreign air carrier operates them; foreign
carriers and state aircraft exempt) in the Maiquetia (SVZM), San Juan (TJZS), Curacao
(TNCF) and Piarco (TTZP) FIRs, until 05:00Z on 4 January. EASA's bulletin for SVZM and
the US President's statement of 2025-11-29 bind nobody.

So an ``incursion`` label is an aircraft that prohibition binds, airborne inside one of
those four FIRs: US-registered general aviation (call sign = its N-number, address in the
US civil block) and US carriers' flights (AAL, JBU, UAL, DAL call signs, US addresses).
Everyone else inside them is a negative: Venezuelan domestic flights and foreign carriers
(Copa, Avianca, GOL, LATAM, Caribbean Airlines, Conviasa, Estelar ...), including a
foreign carrier flying a US-registered aircraft, and US military aircraft (addresses in
the US military range ADF7C8-AFFFFF). An incursion raised for any of them is a false
positive.

Reroutes, boundary avoidance, turnbacks and dropouts are judged against every restricted
FIR in force (the reroute detector does not ask whom a zone binds): a flight labelled
``reroute`` keeps out of all four FIRs while it is abeam the stretch of its great circle
that crosses them, and never enters a FIR its great circle crosses (other than the one
it departs from or lands in). Each flight below carries a one-line note of what it is
for. Trajectories keep at least 30 km from the boundaries of SVZM, TJZS, TNCF and TTZP
unless they are meant to cross them (the geometry tests in ``tests/sim`` check this
against the shipped zones).
"""

from __future__ import annotations

from monitor.domain import IncidentKind as K
from monitor.sim.cast import Cast
from monitor.sim.flights import FlightPlan
from monitor.sim.model import (
    SOURCE_ADSB,
    SOURCE_OPENSKY,
    Airframe,
    Flight,
    GnssArea,
    Interval,
    PathBuilder,
    Spoof,
    SquawkEvent,
)
from monitor.sim.places import AIRPORTS as AP

BOTH = frozenset({SOURCE_ADSB, SOURCE_OPENSKY})
ADSB = frozenset({SOURCE_ADSB})

SVZM = "SVZM"
TJZS = "TJZS"
TNCF = "TNCF"
TTZP = "TTZP"
#: the FIRs where the FAA prohibits US operators on 2026-01-03
RESTRICTED_FIRS = (SVZM, TJZS, TNCF, TTZP)

#: where GNSS is degraded (around Curacao and the ABC islands), and when
GNSS_AREA_CENTRE = (12.25, -69.0)
GNSS_AREA_RADIUS_M = 110_000.0
GNSS_AREA_BBOX = (-70.4, 11.15, -67.6, 13.35)

#: ICAO 24-bit address blocks of the States whose aircraft fly here (ICAO Annex 10 Vol.
#: III, as in ``shared/reference/identity/icao_address_blocks.csv``): the State of
#: registry an address says, which OpenSky reports as ``origin_country``
ADDRESS_BLOCKS = (
    (0x0AC000, 0x0ACFFF, "Colombia"),
    (0x0C2000, 0x0C2FFF, "Panama"),
    (0x0C6000, 0x0C6FFF, "Trinidad and Tobago"),
    (0x0D8000, 0x0DFFFF, "Venezuela"),
    (0x480000, 0x487FFF, "Netherlands"),
    (0x490000, 0x497FFF, "Portugal"),
    (0xA00000, 0xAFFFFF, "United States"),
    (0xE40000, 0xE7FFFF, "Brazil"),
)
#: the US block's civil part; ADF7C8-AFFFFF is its military range
US_CIVIL = (0xA00000, 0xADF7C7)
US_MILITARY = (0xADF7C8, 0xAFFFFF)


def state_of_address(hex_: str) -> str:
    """The State of registry of an ICAO address (one of :data:`ADDRESS_BLOCKS`)."""
    value = int(hex_, 16)
    for lo, hi, state in ADDRESS_BLOCKS:
        if lo <= value <= hi:
            return state
    raise ValueError(f"address {hex_} lies in no block the scenario uses")


def _af(hex_: str, reg: str, type_code: str, cat: str = "A3", **kw: object) -> Airframe:
    value = int(hex_, 16)
    military = bool(kw.get("military"))
    if military != (US_MILITARY[0] <= value <= US_MILITARY[1]):
        raise ValueError(f"{reg} {hex_}: military aircraft (and only they) use ADF7C8-AFFFFF")
    if reg.startswith("N") and not US_CIVIL[0] <= value <= US_CIVIL[1]:
        raise ValueError(f"{reg} {hex_}: an N-number needs an address in the US civil block")
    kw.setdefault("country", state_of_address(hex_))
    return Airframe(hex=hex_, registration=reg, type_code=type_code, category=cat, **kw)  # type: ignore[arg-type]


def build_air(cast: Cast) -> list[GnssArea]:
    """Add the flights and their labels to ``cast``; return the GNSS-degraded areas."""
    at = cast.at
    _inside_svzm(cast)
    _us_operators_inside(cast)
    _reroutes(cast)
    _avoidance_turnback_diversion(cast)
    _emergencies_and_spoofing(cast)
    _gnss_area_traffic(cast)
    _military(cast)
    _background(cast)
    cast.label(
        K.TRAFFIC_COLLAPSE,
        (),
        at("11:00"),
        at("13:00"),
        "distinct aircraft inside SVZM per hour: about 13 (10-11Z), 3 (11-12Z), 1 (12-13Z)",
        zone_id=SVZM,
        multiple=True,
    )
    cast.label(
        K.GNSS_INTERFERENCE,
        (),
        at("11:00"),
        at("12:00"),
        "ADS-B aircraft within 110 km of 12.25N 69.00W report NIC < 7 / NACp < 8 "
        "(and gpsOkBefore) from 11:00 to 12:00Z; MLAT aircraft excluded",
        area=GNSS_AREA_BBOX,
        multiple=True,
    )
    return [
        GnssArea(
            "ABC islands",
            GNSS_AREA_CENTRE[0],
            GNSS_AREA_CENTRE[1],
            GNSS_AREA_RADIUS_M,
            at("11:00"),
            at("12:00"),
        )
    ]


def _incursion(
    cast: Cast, f: Flight, zone_id: str, start_s: float, end_s: float, note: str
) -> None:
    """An incursion label: ``f`` is bound by the FAA prohibition and airborne in ``zone_id``."""
    cast.label(
        K.INCURSION,
        (f.hex,),
        max(start_s, cast.t0_s),
        min(end_s, cast.at("13:00")),
        f"{f.callsign} {note}",
        zone_id=zone_id,
    )


# --- inside SVZM: traffic the prohibition does not bind (and that collapses) -------------


def _domestic(
    cast: Cast,
    af: Airframe,
    callsign: str,
    squawk: str,
    orig: str,
    dest: str,
    takeoff: str,
    cruise_ft: float,
    *,
    feeds: frozenset[str] = BOTH,
    kt: float = 420.0,
) -> Flight:
    f, _ = cast.fly(
        FlightPlan(
            airframe=af,
            callsign=callsign,
            squawk=squawk,
            role="inside_svzm",
            waypoints=(),
            cruise_ft=cruise_ft,
            cruise_kt=kt,
            origin=AP[orig],
            destination=AP[dest],
            route=(orig, dest),
            takeoff_s=cast.at(takeoff),
            feeds=feeds,
        )
    )
    return f


def _inside_svzm(cast: Cast) -> None:
    """Venezuelan domestic flights and foreign carriers inside SVZM: no incursion (the
    prohibition binds US operators only), but they are the traffic that collapses."""
    at = cast.at
    for af, cs, sq, orig, dest, takeoff, ft in (
        # Conviasa-like, Avior-like, Laser-like, Estelar-like, Rutaca-like domestic flights
        (_af("0d8101", "YV2945", "E190"), "VCV1250", "5102", "SVMI", "SVMC", "10:05", 31000),
        (_af("0d8102", "YV2946", "E190"), "VCV1251", "5104", "SVMC", "SVMI", "09:42", 30000),
        (_af("0d8213", "YV3012", "B733"), "ROI1030", "5111", "SVBC", "SVMI", "10:10", 21000),
        (_af("0d8324", "YV1423", "MD82"), "LER712", "5120", "SVMI", "SVMG", "10:12", 19000),
        (_af("0d8435", "YV3250", "B733"), "ETR401", "5131", "SVVA", "SVPR", "09:46", 29000),
        (_af("0d8546", "YV2741", "B734"), "RUC825", "5142", "SVPR", "SVMI", "10:06", 27000),
        (_af("0d8103", "YV2947", "E190"), "VCV1302", "5105", "SVMC", "SVVA", "10:20", 25000),
        # lands in the second hour
        (_af("0d8214", "YV3013", "B733"), "ROI1102", "5112", "SVVA", "SVMC", "10:44", 26000),
        # the only flight inside SVZM after 12:00Z
        (_af("0d8104", "YV2948", "E190"), "VCV1410", "5106", "SVMI", "SVPR", "11:24", 27000),
    ):
        _domestic(cast, af, cs, sq, orig, dest, takeoff, ft)
    # a Venezuelan light aircraft, call sign = its registration, ADS-B only
    _domestic(
        cast,
        _af("0d8657", "YV1905", "C208", cat="A1"),
        "YV1905",
        "5150",
        "SVVA",
        "SVMI",
        "10:14",
        9500,
        feeds=ADSB,
        kt=165.0,
    )
    # Conviasa-like international departure leaving SVZM to the north-west (towards
    # Havana) through TNCF
    cast.fly(
        FlightPlan(
            airframe=_af("0d8105", "YV3533", "A343", cat="A5"),
            callsign="VCV3310",
            squawk="5107",
            role="inside_svzm",
            waypoints=(
                (11.15, -67.82),
                (11.431, -68.039),
                (12.05, -68.52),
                (14.6, -71.2),
                (20.5, -77.6),
                (23.5, -81.0),
            ),
            cruise_ft=35000,
            cruise_kt=465,
            origin=AP["SVMI"],
            route=("SVMI", "MUHA"),
            takeoff_s=at("10:34"),
            feeds=BOTH,
        )
    )
    # a foreign airliner crossing SVZM (Panama -> Port of Spain on the great circle), then TTZP
    cast.fly(
        FlightPlan(
            airframe=_af("0c20a1", "HP-9834CMP", "B738"),
            callsign="CMP612",
            squawk="4612",
            role="inside_svzm",
            waypoints=((9.62, -75.6), (10.02, -72.95), (10.45, -66.5), (10.5, -61.95)),
            cruise_ft=37000,
            cruise_kt=455,
            entry_s=at("09:53"),
            destination=AP["TTPP"],
            route=("MPTO", "TTPP"),
            feeds=BOTH,
        )
    )


# --- aircraft the prohibition binds, inside the four FIRs: incursions --------------------


def _us_operators_inside(cast: Cast) -> None:
    at = cast.at
    # a US-registered business jet leaving Caracas for Florida: SVZM, then TNCF
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a6c3e1", "N518SM", "GLF5"),
            callsign="N518SM",
            squawk="1320",
            role="incursion",
            waypoints=((12.166, -67.81), (16.002, -69.871), (21.0, -74.5), (26.0, -80.1)),
            cruise_ft=41000,
            cruise_kt=470,
            origin=AP["SVMI"],
            route=("SVMI", "KFLL"),
            takeoff_s=at("10:15"),
            feeds=BOTH,
        )
    )
    assert f.takeoff_s is not None
    why = "US-registered, no foreign carrier named: bound by the FAA prohibition"
    _incursion(
        cast, f, SVZM, f.takeoff_s, marks[0], f"SVMI-KFLL climbs out of Caracas inside SVZM ({why})"
    )
    _incursion(cast, f, TNCF, marks[0], marks[1], f"SVMI-KFLL crosses TNCF northbound ({why})")
    # a US-registered Citation cutting across SVZM from Port of Spain to Aruba
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a8a1c7", "N650SM", "C560", cat="A2"),
            callsign="N650SM",
            squawk="4650",
            role="incursion",
            waypoints=((10.707, -61.811), (12.049, -67.835)),
            cruise_ft=35000,
            cruise_kt=400,
            origin=AP["TTPP"],
            destination=AP["TNCA"],
            route=("TTPP", "TNCA"),
            takeoff_s=at("09:40"),
            feeds=BOTH,
        )
    )
    assert f.landing_s is not None
    _incursion(
        cast, f, SVZM, marks[0], marks[1], f"TTPP-TNCA flies the length of SVZM's coast ({why})"
    )
    _incursion(cast, f, TNCF, marks[1], f.landing_s, f"TTPP-TNCA ends in TNCF at Aruba ({why})")
    # a US-registered PC-12 from Curacao to Santo Domingo, inside TNCF until 16N
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a7b2d4", "N846SM", "PC12", cat="A1"),
            callsign="N846SM",
            squawk="4846",
            role="incursion",
            waypoints=((16.012, -69.389),),
            cruise_ft=26000,
            cruise_kt=270,
            origin=AP["TNCC"],
            destination=AP["MDSD"],
            route=("TNCC", "MDSD"),
            takeoff_s=at("10:32"),
            feeds=ADSB,
            climb_fpm=1500,
            descent_fpm=1500,
        )
    )
    assert f.takeoff_s is not None
    _incursion(cast, f, TNCF, f.takeoff_s, marks[0], f"TNCC-MDSD inside TNCF until 16N ({why})")
    # a US-registered Piper Navajo from Sint Maarten to San Juan, inside TJZS throughout
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("a5b9c3", "N462SM", "PA31", cat="A1"),
            callsign="N462SM",
            squawk="4462",
            role="incursion",
            waypoints=(),
            cruise_ft=9500,
            cruise_kt=200,
            origin=AP["TNCM"],
            destination=AP["TJSJ"],
            route=("TNCM", "TJSJ"),
            takeoff_s=at("11:05"),
            feeds=ADSB,
            climb_fpm=1000,
            descent_fpm=900,
        )
    )
    assert f.takeoff_s is not None and f.landing_s is not None
    _incursion(cast, f, TJZS, f.takeoff_s, f.landing_s, f"TNCM-TJSJ inside TJZS throughout ({why})")
    # a US-registered King Air from Grenada to Barbados, inside TTZP throughout
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("ab4d21", "N919SM", "BE20", cat="A1"),
            callsign="N919SM",
            squawk="4919",
            role="incursion",
            waypoints=(),
            cruise_ft=21000,
            cruise_kt=270,
            origin=AP["TGPY"],
            destination=AP["TBPB"],
            route=("TGPY", "TBPB"),
            takeoff_s=at("11:35"),
            feeds=BOTH,
            climb_fpm=1500,
            descent_fpm=1500,
        )
    )
    assert f.takeoff_s is not None and f.landing_s is not None
    _incursion(cast, f, TTZP, f.takeoff_s, f.landing_s, f"TGPY-TBPB inside TTZP throughout ({why})")

    carrier = "a US carrier: bound by the FAA prohibition"
    # JetBlue-like Barbados -> New York: departs inside TTZP, crosses TJZS
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a4c8e2", "N372SM", "A320"),
            callsign="JBU1055",
            squawk="1055",
            role="incursion",
            waypoints=((17.35, -63.013), (21.847, -66.96), (22.4, -67.45)),
            cruise_ft=35000,
            cruise_kt=460,
            origin=AP["TBPB"],
            route=("TBPB", "KJFK"),
            takeoff_s=at("10:50"),
            feeds=BOTH,
        )
    )
    assert f.takeoff_s is not None
    _incursion(
        cast, f, TTZP, f.takeoff_s, marks[0], f"TBPB-KJFK departs Barbados inside TTZP ({carrier})"
    )
    _incursion(cast, f, TJZS, marks[0], marks[1], f"TBPB-KJFK crosses TJZS northbound ({carrier})")
    # JetBlue-like New York -> San Juan, into TJZS from the north
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a5d0b8", "N591SM", "A320"),
            callsign="JBU1203",
            squawk="1203",
            role="incursion",
            waypoints=((22.6, -66.5), (22.0, -66.35)),
            cruise_ft=36000,
            cruise_kt=460,
            destination=AP["TJSJ"],
            route=("KJFK", "TJSJ"),
            entry_s=at("10:14"),
            feeds=BOTH,
        )
    )
    assert f.landing_s is not None
    _incursion(
        cast,
        f,
        TJZS,
        marks[1],
        f.landing_s,
        f"KJFK-TJSJ inside TJZS from the coverage edge to San Juan ({carrier})",
    )
    # American-like San Juan -> Miami, climbing out through TJZS
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a9e3f2", "N903SM", "B738"),
            callsign="AAL1991",
            squawk="2191",
            role="incursion",
            waypoints=((19.949, -68.882), (21.5, -72.0), (25.6, -80.0)),
            cruise_ft=37000,
            cruise_kt=465,
            origin=AP["TJSJ"],
            route=("TJSJ", "KMIA"),
            takeoff_s=at("12:05"),
            feeds=BOTH,
        )
    )
    assert f.takeoff_s is not None
    _incursion(
        cast,
        f,
        TJZS,
        f.takeoff_s,
        marks[0],
        f"TJSJ-KMIA climbs out of San Juan inside TJZS ({carrier})",
    )


# --- reroutes: great circle through the restricted FIRs, track around them ----------------


def _reroute(
    cast: Cast,
    af: Airframe,
    callsign: str,
    squawk: str,
    route: tuple[str, str],
    waypoints: tuple[tuple[float, float], ...],
    note: str,
    *,
    entry: str | None = None,
    takeoff: str | None = None,
    land: bool = False,
    cruise_ft: float = 37000,
    kt: float = 475,
    feeds: frozenset[str] = BOTH,
    silent: tuple[Interval, ...] = (),
) -> Flight:
    f, _ = cast.fly(
        FlightPlan(
            airframe=af,
            callsign=callsign,
            squawk=squawk,
            role="reroute",
            waypoints=waypoints,
            cruise_ft=cruise_ft,
            cruise_kt=kt,
            origin=AP[route[0]] if takeoff else None,
            destination=AP[route[1]] if land else None,
            route=route,
            takeoff_s=cast.at(takeoff) if takeoff else None,
            entry_s=cast.at(entry) if entry else None,
            feeds=feeds,
            silent=silent,
        )
    )
    start = max(f.path.start_s, cast.t0_s)
    end = min(f.landing_s or f.path.end_s, cast.at("13:00"))
    cast.label(K.REROUTE, (f.hex,), start, end, f"{callsign} {route[0]}-{route[1]}: {note}")
    return f


def _reroutes(cast: Cast) -> None:
    at = cast.at
    _reroute(
        cast,
        _af("e48c01", "PT-SMG", "B77W", cat="A5"),
        "TAM8364",
        "2341",
        ("SBGR", "KMIA"),
        (
            (-1.2, -68.6),
            (2.2, -71.2),
            (6.6, -73.5),
            (9.4, -74.1),
            (12.0, -74.6),
            (16.5, -77.0),
            (23.0, -80.0),
        ),
        "great circle crosses SVZM and TNCF; routed west of them through Bogota (SKED) "
        "and Barranquilla (SKEC)",
        entry="10:00",
    )
    # a US carrier, bound in all four FIRs, takes the same western way south; it drops out
    # of ADS-B for 18 min 60-80 km off the SVZM boundary, other traffic still reported
    f = _reroute(
        cast,
        _af("ab0e21", "N930SM", "B788", cat="A5"),
        "AAL2930",
        "3012",
        ("KMIA", "SBGR"),
        (
            (23.0, -79.9),
            (16.5, -77.3),
            (12.0, -75.0),
            (9.8, -74.05),
            (7.0, -73.55),
            (2.2, -71.6),
            (-1.2, -69.0),
            (-3.0, -66.0),
        ),
        "great circle crosses SVZM and TNCF; a US carrier keeps out of all four FIRs of "
        "the prohibition, west through Barranquilla (SKEC) and Bogota (SKED)",
        entry="10:00",
        silent=(Interval(at("11:51"), at("12:09")),),
    )
    cast.label(
        K.DROPOUT,
        (f.hex,),
        at("11:51"),
        at("12:09"),
        "AAL2930 stops transmitting for 18 min 60-80 km west of the SVZM boundary "
        "(Colombian side) while other aircraft nearby keep reporting; reappears on track",
    )
    # Avianca flying a US-registered aircraft: a foreign carrier, so the prohibition does
    # not bind it in TNCF and TJZS, which it crosses
    _reroute(
        cast,
        _af("aa9b12", "N792SM", "B788", cat="A5"),
        "AVA4010",
        "1433",
        ("SKBO", "LEMD"),
        (
            (8.0, -74.6),
            (11.2, -74.3),
            (13.9, -72.3),
            (15.6, -69.6),
            (16.9, -66.8),
            (18.3, -63.2),
            (20.0, -57.5),
            (20.8, -53.0),
        ),
        "great circle crosses SVZM and TTZP; departs Bogota north through Barranquilla, "
        "TNCF and TJZS (a foreign carrier: not bound there), north of the SVZM tip",
        takeoff="09:55",
    )
    _reroute(
        cast,
        _af("e49a22", "PR-SMA", "B38M"),
        "GLO7402",
        "2205",
        ("SBEG", "KMIA"),
        (
            (0.6, -59.8),
            (6.0, -58.7),
            (9.6, -58.7),
            (13.2, -60.1),
            (16.6, -62.3),
            (19.3, -67.9),
            (23.0, -74.5),
        ),
        "great circle crosses SVZM and TNCF; routed east of them over Georgetown (SYGC), "
        "then through TTZP and TJZS (a foreign carrier: not bound there)",
        entry="10:00",
        kt=455,
    )
    # into Curacao from Colombia and Panama, north of the Paraguana lobe of SVZM
    _reroute(
        cast,
        _af("0ac6d4", "HK-5321", "A320"),
        "AVA256",
        "1256",
        ("SKBO", "TNCC"),
        ((8.5, -74.6), (11.3, -74.2), (12.9, -72.3), (12.9, -70.6)),
        "great circle crosses SVZM; routed through Barranquilla (SKEC) and north of the "
        "Paraguana peninsula into TNCF",
        takeoff="09:50",
        land=True,
        cruise_ft=35000,
        kt=455,
    )
    _reroute(
        cast,
        _af("0c2156", "HP-9529CMP", "B738"),
        "CMP145",
        "4145",
        ("MPTO", "TNCC"),
        ((10.2, -76.5), (12.6, -73.5), (13.0, -71.0), (12.75, -69.8)),
        "great circle crosses SVZM; routed north of the Paraguana peninsula into Curacao",
        takeoff="10:12",
        land=True,
        cruise_ft=36000,
        kt=455,
    )
    # a US carrier to Georgetown: the great circle crosses TJZS and TTZP, so it flies
    # south over the Atlantic east of 57W (Piarco Oceanic, TTZO, is not restricted)
    _reroute(
        cast,
        _af("a61e77", "N943SM", "A321"),
        "JBU2201",
        "2201",
        ("KJFK", "SYCJ"),
        ((23.4, -57.6), (19.0, -55.95), (9.2, -55.95), (8.2, -56.7)),
        "great circle crosses TJZS and TTZP; a US carrier keeps out of both, south over "
        "the Atlantic east of 57W (TTZO) into Georgetown",
        entry="10:05",
        land=True,
        cruise_ft=36000,
        kt=470,
    )
    # a US carrier to Sao Paulo on the western way, an hour behind AAL2930
    _reroute(
        cast,
        _af("a45f10", "N411SM", "A339", cat="A5"),
        "DAL1121",
        "1121",
        ("KATL", "SBGR"),
        (
            (22.5, -81.7),
            (15.0, -78.6),
            (10.5, -76.3),
            (7.5, -74.9),
            (3.5, -72.9),
            (-0.5, -70.6),
            (-3.0, -67.5),
        ),
        "great circle crosses SVZM and TNCF; a US carrier keeps out of all four FIRs, "
        "west through Barranquilla and Bogota",
        entry="10:30",
    )


# --- boundary avoidance, turnback, diversion ---------------------------------------------


def _avoidance_turnback_diversion(cast: Cast) -> None:
    at = cast.at
    # US-registered business jets with no published route, heading for a FIR the
    # prohibition closes to them, turning away at about 70 km and running along it
    for af, cs, sq, pts, start, note in (
        (
            _af("a72f3c", "N57SM", "GLEX", cat="A2"),
            "N57SM",
            "6217",
            (
                (22.3, -70.0),
                (16.63, -70.0),
                (17.5, -71.2),
                (17.6, -74.0),
                (16.0, -79.0),
                (13.5, -85.5),
            ),
            "10:08",
            "heads south through the Santo Domingo FIR for TNCF, turns north-west about "
            "70 km short and runs along its northern boundary towards Jamaica",
        ),
        (
            _af("a7e0d9", "N604SM", "CL60", cat="A2"),
            "N604SM",
            "6230",
            (
                (12.3, -54.6),
                (12.3, -56.36),
                (18.3, -56.55),
                (21.4, -57.4),
                (23.0, -58.0),
            ),
            "10:38",
            "flies west from the Atlantic towards TTZP, turns north about 70 km short of "
            "57W and runs along the TTZP boundary in Piarco Oceanic (TTZO)",
        ),
    ):
        f, marks = cast.fly(
            FlightPlan(
                airframe=af,
                callsign=cs,
                squawk=sq,
                role="boundary_avoidance",
                waypoints=pts,
                cruise_ft=41000,
                cruise_kt=460,
                entry_s=at(start),
                route=None,
                route_known=False,
                feeds=ADSB,
            )
        )
        cast.label(
            K.BOUNDARY_AVOIDANCE, (f.hex,), marks[0], marks[2], f"{cs} (no known route) {note}"
        )

    # an Estelar-like Madrid -> Caracas turns back about 110 km before the SVZM boundary
    b = PathBuilder(at("10:04"), 19.7, -55.0)
    b.to(14.0, -63.2, speed_kt=480)
    t_turn = b.t_s
    b.turn(45.0, radius_m=14_000, speed_kt=450, right=True, steps=12)
    t_turned = b.t_s
    b.to(21.0, -54.2, speed_kt=480)
    back = Flight(
        airframe=_af("0d8a71", "YV3380", "A343", cat="A5"),
        callsign="ETR1150",
        path=b.build(),
        cruise_ft=39000,
        squawk="2173",
        role="turnback",
        origin="LEMD",
        destination="SVMI",
        feeds=BOTH,
    )
    cast.flights.append(back)
    cast.label(
        K.TURNBACK,
        (back.hex,),
        t_turn,
        t_turned,
        "ETR1150 LEMD-SVMI reverses course (about 170 deg) in TTZP some 110 km north-east "
        "of the SVZM boundary and flies back out over the Atlantic",
    )

    # Copa Panama -> Valencia (SVVA, inside SVZM) diverts to Curacao
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("0c20b3", "HP-9841CMP", "B738"),
            callsign="CMP318",
            squawk="4318",
            role="diversion",
            waypoints=((9.75, -76.9), (10.75, -74.7), (12.2, -73.4), (13.1, -71.3), (12.78, -69.7)),
            cruise_ft=35000,
            cruise_kt=450,
            origin=AP["MPTO"],
            destination=AP["TNCC"],
            route=("MPTO", "SVVA"),
            takeoff_s=at("10:06"),
            feeds=BOTH,
        )
    )
    assert f.landing_s is not None
    cast.label(
        K.DIVERSION,
        (f.hex,),
        marks[1],
        f.landing_s + 300,
        "CMP318 MPTO-SVVA leaves its route before the Venezuelan border and lands at "
        "Curacao (TNCC) instead of Valencia",
    )


# --- emergencies, spoofing ---------------------------------------------------------------


def _emergencies_and_spoofing(cast: Cast) -> None:
    at = cast.at
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("acb6f0", "N921SM", "B738"),
            callsign="AAL2921",
            squawk="2614",
            role="emergency",
            waypoints=((22.0, -79.55),),
            cruise_ft=36000,
            cruise_kt=465,
            destination=AP["SKBO"],
            route=("KMIA", "SKBO"),
            entry_s=at("10:02"),
            feeds=BOTH,
            squawks=(SquawkEvent(at("11:10"), at("11:40"), "7700", "general"),),
        )
    )
    cast.label(
        K.EMERGENCY,
        (f.hex,),
        at("11:10"),
        at("11:40"),
        "AAL2921 KMIA-SKBO squawks 7700 (emergency 'general') for 30 min over the "
        "western Caribbean, then back to its assigned code",
    )
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("0c20c5", "HP-9911CMP", "B738"),
            callsign="CMP201",
            squawk="4201",
            role="emergency",
            waypoints=(),
            cruise_ft=37000,
            cruise_kt=455,
            origin=AP["MPTO"],
            destination=AP["TJSJ"],
            route=("MPTO", "TJSJ"),
            takeoff_s=at("10:40"),
            feeds=BOTH,
            squawks=(SquawkEvent(at("12:05"), at("12:30"), "7600", "nordo"),),
        )
    )
    cast.label(
        K.EMERGENCY,
        (f.hex,),
        at("12:05"),
        at("12:30"),
        "CMP201 MPTO-TJSJ squawks 7600 (radio failure, emergency 'nordo') for 25 min",
    )
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("0aca31", "HK-5410", "A320"),
            callsign="AVA4406",
            squawk="1406",
            role="position_jump",
            waypoints=((5.4, -74.3), (13.0, -77.0), (23.5, -80.4)),
            cruise_ft=38000,
            cruise_kt=460,
            origin=AP["SKBO"],
            route=("SKBO", "KMIA"),
            takeoff_s=at("10:42"),
            destination=None,
            feeds=BOTH,
            spoof=Spoof(at("12:02"), at("14:00"), 1.10, -0.55),
        )
    )
    cast.label(
        K.POSITION_JUMP,
        (f.hex,),
        at("12:02"),
        at("12:06"),
        "AVA4406 SKBO-KMIA: reported position jumps about 135 km north-west between two "
        "fixes 15 s apart (implied speed far above any airliner's), then stays offset",
    )


def _gnss_area_traffic(cast: Cast) -> None:
    """Arrivals and departures round Curacao and Bonaire while GNSS is degraded there.

    The US carriers among them are bound by the prohibition inside TNCF: incursions."""
    at = cast.at
    carrier = "a US carrier: bound by the FAA prohibition"
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a1c4d2", "N917SM", "B738"),
            callsign="AAL1417",
            squawk="2417",
            role="gnss",
            waypoints=((21.8, -74.0), (15.99, -70.596)),
            cruise_ft=36000,
            cruise_kt=465,
            destination=AP["TNCC"],
            route=("KMIA", "TNCC"),
            entry_s=at("10:14"),
            feeds=BOTH,
        )
    )
    assert f.landing_s is not None
    _incursion(
        cast,
        f,
        TNCF,
        marks[1],
        f.landing_s,
        f"KMIA-TNCC inside TNCF from 16N to Curacao ({carrier})",
    )
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a3e1f7", "N332SM", "B752"),
            callsign="DAL1845",
            squawk="2245",
            role="gnss",
            waypoints=((22.0, -75.8), (15.994, -70.328), (15.5, -69.9)),
            cruise_ft=38000,
            cruise_kt=470,
            destination=AP["TNCB"],
            route=("KATL", "TNCB"),
            entry_s=at("10:13"),
            feeds=BOTH,
        )
    )
    assert f.landing_s is not None
    _incursion(
        cast,
        f,
        TNCF,
        marks[1],
        f.landing_s,
        f"KATL-TNCB inside TNCF from 16N to Bonaire ({carrier})",
    )
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a0b7e4", "N374SM", "B738"),
            callsign="UAL1681",
            squawk="3681",
            role="gnss",
            waypoints=((14.2, -69.4), (16.008, -70.313), (22.2, -73.6)),
            cruise_ft=37000,
            cruise_kt=470,
            origin=AP["TNCB"],
            route=("TNCB", "KEWR"),
            takeoff_s=at("11:16"),
            feeds=ADSB,
        )
    )
    assert f.takeoff_s is not None
    _incursion(
        cast,
        f,
        TNCF,
        f.takeoff_s,
        marks[1],
        f"TNCB-KEWR climbs out of Bonaire inside TNCF ({carrier})",
    )
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("a2d5c9", "N916SM", "B738"),
            callsign="AAL1502",
            squawk="2502",
            role="gnss",
            waypoints=((15.5, -70.4), (16.006, -70.704), (22.2, -74.6)),
            cruise_ft=36000,
            cruise_kt=465,
            origin=AP["TNCC"],
            route=("TNCC", "KMIA"),
            takeoff_s=at("11:38"),
            feeds=BOTH,
        )
    )
    assert f.takeoff_s is not None
    _incursion(
        cast,
        f,
        TNCF,
        f.takeoff_s,
        marks[1],
        f"TNCC-KMIA climbs out of Curacao inside TNCF ({carrier})",
    )
    # island hoppers registered in Curacao (PJ-, an address in the Kingdom of the
    # Netherlands' block), call sign = registration: not bound, though inside TNCF
    cast.fly(
        FlightPlan(
            airframe=_af("4840a1", "PJ-DVR", "BN2P", cat="A1"),
            callsign="PJDVR",
            squawk="1201",
            role="gnss (MLAT, not counted)",
            waypoints=(),
            cruise_ft=4500,
            cruise_kt=140,
            origin=AP["TNCC"],
            destination=AP["TNCB"],
            route=("TNCC", "TNCB"),
            takeoff_s=at("11:08"),
            position_source="mlat",
            feeds=ADSB,
            climb_fpm=800,
            descent_fpm=700,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("4840a7", "PJ-DVS", "B190", cat="A1"),
            callsign="PJDVS",
            squawk="1202",
            role="gnss",
            waypoints=(),
            cruise_ft=6500,
            cruise_kt=220,
            origin=AP["TNCB"],
            destination=AP["TNCC"],
            route=("TNCB", "TNCC"),
            takeoff_s=at("11:12"),
            feeds=ADSB,
            climb_fpm=1200,
            descent_fpm=1000,
        )
    )


def _military(cast: Cast) -> None:
    at = cast.at
    mil = (
        (
            "ae5420",
            "11-9043",
            "Q4",
            "FORTE11",
            "4520",
            55000,
            340,
            ((17.6, -57.5), (17.1, -62.0), (16.9, -68.0), (15.6, -73.6), (13.2, -80.5)),
            "10:00",
            "RQ-4B transit east to west through TTZP, TJZS and TNCF",
        ),
        (
            "ae6830",
            "169998",
            "P8",
            "JAKE21",
            "1351",
            24000,
            350,
            ((19.2, -64.4), (16.2, -62.6), (13.2, -61.0), (12.0, -58.5), (11.0, -54.5)),
            "10:20",
            "P-8A patrol south-east from Puerto Rico, east of the Windward Islands",
        ),
        (
            "ae07e1",
            "07-7999",
            "C17",
            "RCH123",
            "1123",
            31000,
            440,
            ((22.5, -69.5), (19.5, -66.6)),
            "11:40",
            "C-17 inbound to Puerto Rico (Muniz ANGB at TJSJ)",
        ),
    )
    for hex_, reg, t, cs, sq, ft, kt, pts, start, _note in mil:
        cast.fly(
            FlightPlan(
                airframe=_af(hex_, reg, t, cat="A5" if t != "Q4" else "B6", military=True),
                callsign=cs,
                squawk=sq,
                role="military",
                waypoints=pts,
                cruise_ft=ft,
                cruise_kt=kt,
                entry_s=at(start),
                route=None,
                route_known=False,
                feeds=ADSB,
                destination=AP["TJSJ"] if cs == "RCH123" else None,
            )
        )
    cast.label(
        K.MILITARY_PRESENCE,
        (),
        at("10:00"),
        at("13:00"),
        "US military aircraft (dbFlags & 1, addresses in the US military range) north and "
        "east of SVZM, inside TTZP, TJZS and TNCF (state aircraft: the prohibition does not "
        "bind them): FORTE11 (RQ-4B), JAKE21 (P-8A), RCH123 (C-17)",
        multiple=True,
    )


def _background(cast: Cast) -> None:
    """Ordinary traffic that should raise nothing (foreign carriers: no incursion in the
    FIRs they cross either), and a foreign carrier that drops out near SVZM."""
    at = cast.at
    cast.fly(
        FlightPlan(
            airframe=_af("e4a7b1", "PR-SMJ", "B789", cat="A5"),
            callsign="TAM8084",
            squawk="2084",
            role="background",
            # on its great circle, straight through TTZP and TJZS (a foreign carrier: not bound)
            waypoints=((-2.0, -54.85), (10.0, -59.24), (18.02, -62.36), (23.77, -64.78)),
            cruise_ft=39000,
            cruise_kt=485,
            route=("SBGR", "KJFK"),
            entry_s=at("10:15"),
            feeds=BOTH,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("0ac8f5", "HK-9263", "A320"),
            callsign="AVA9412",
            squawk="1412",
            role="background",
            waypoints=(),
            cruise_ft=34000,
            cruise_kt=440,
            origin=AP["SKBO"],
            destination=AP["SKSM"],
            route=("SKBO", "SKSM"),
            takeoff_s=at("10:30"),
            feeds=BOTH,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("0c2211", "HP-9722CMP", "B738"),
            callsign="CMP480",
            squawk="4480",
            role="background",
            waypoints=((12.4, -82.5), (14.5, -86.5)),
            cruise_ft=36000,
            cruise_kt=455,
            origin=AP["MPTO"],
            route=("MPTO", "MMUN"),
            takeoff_s=at("11:05"),
            feeds=BOTH,
        )
    )
    # Caribbean Airlines Port of Spain -> San Juan, east of SVZM through TTZP and TJZS (a
    # foreign carrier: not bound); its great circle passes 35 km outside SVZM, so no
    # reroute. It drops out of ADS-B for 18 min 55-85 km off the SVZM boundary while
    # other traffic around it keeps reporting.
    f, _ = cast.fly(
        FlightPlan(
            airframe=_af("0c6011", "9Y-SMB", "B738"),
            callsign="BWA471",
            squawk="4471",
            role="dropout",
            waypoints=((12.4, -62.6), (14.6, -64.05)),
            cruise_ft=33000,
            cruise_kt=455,
            origin=AP["TTPP"],
            destination=AP["TJSJ"],
            route=("TTPP", "TJSJ"),
            takeoff_s=at("10:50"),
            feeds=BOTH,
            silent=(Interval(at("11:12"), at("11:30")),),
        )
    )
    cast.label(
        K.DROPOUT,
        (f.hex,),
        at("11:12"),
        at("11:30"),
        "BWA471 stops transmitting for 18 min 55-85 km off the SVZM boundary while other "
        "aircraft nearby keep reporting; reappears on track (the straight line between its "
        "last and next fix stays outside SVZM)",
    )
