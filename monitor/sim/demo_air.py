"""The aviation half of the demo scenario (SYNTHETIC): who flies where, and the labels.

2025-12-02 10:00-13:00Z. The FAA advisory KICZ A0012/25 and the declaration of
2025-11-29 are both in force over the Maiquetia FIR (SVZM). Each flight below carries a
one-line note of what it is for. Trajectories keep at least 30 km from the SVZM boundary
unless they are meant to cross it (the geometry tests in ``tests/sim`` check this against
the shipped zones).
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

#: where GNSS is degraded (around Curacao and the ABC islands), and when
GNSS_AREA_CENTRE = (12.25, -69.0)
GNSS_AREA_RADIUS_M = 110_000.0
GNSS_AREA_BBOX = (-70.4, 11.15, -67.6, 13.35)


def _af(hex_: str, reg: str, type_code: str, cat: str = "A3", **kw: object) -> Airframe:
    return Airframe(hex=hex_, registration=reg, type_code=type_code, category=cat, **kw)  # type: ignore[arg-type]


def build_air(cast: Cast) -> list[GnssArea]:
    """Add the flights and their labels to ``cast``; return the GNSS-degraded areas."""
    at = cast.at
    _incursions(cast)
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
        "distinct aircraft inside SVZM per hour: about 12 (10-11Z), 3 (11-12Z), 1 (12-13Z)",
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


# --- inside SVZM: incursions (and the traffic that collapses) ---------------------------


def _domestic(
    cast: Cast,
    af: Airframe,
    callsign: str,
    squawk: str,
    orig: str,
    dest: str,
    takeoff: str,
    cruise_ft: float,
    note: str,
    *,
    feeds: frozenset[str] = BOTH,
    kt: float = 420.0,
    via: tuple[tuple[float, float], ...] = (),
) -> Flight:
    f, _ = cast.fly(
        FlightPlan(
            airframe=af,
            callsign=callsign,
            squawk=squawk,
            role="incursion",
            waypoints=via,
            cruise_ft=cruise_ft,
            cruise_kt=kt,
            origin=AP[orig],
            destination=AP[dest],
            route=(orig, dest),
            takeoff_s=cast.at(takeoff),
            feeds=feeds,
        )
    )
    assert f.takeoff_s is not None and f.landing_s is not None
    cast.label(
        K.INCURSION,
        (f.hex,),
        max(f.takeoff_s, cast.t0_s),
        f.landing_s,
        f"{callsign} {orig}-{dest} airborne inside SVZM ({note})",
        zone_id=SVZM,
    )
    return f


def _incursions(cast: Cast) -> None:
    at = cast.at
    _domestic(
        cast,
        _af("0d8101", "YV2945", "E190"),
        "VCV1250",
        "5102",
        "SVMI",
        "SVMC",
        "10:05",
        31000,
        "Conviasa-like domestic",
    )
    _domestic(
        cast,
        _af("0d8102", "YV2946", "E190"),
        "VCV1251",
        "5104",
        "SVMC",
        "SVMI",
        "09:42",
        30000,
        "already airborne at 10:00",
    )
    _domestic(
        cast,
        _af("0d8213", "YV3012", "B733", cat="A3"),
        "ROI1030",
        "5111",
        "SVBC",
        "SVMI",
        "10:10",
        21000,
        "Avior-like",
    )
    _domestic(
        cast,
        _af("0d8324", "YV1423", "MD82"),
        "LER712",
        "5120",
        "SVMI",
        "SVMG",
        "10:12",
        19000,
        "Laser-like",
    )
    _domestic(
        cast,
        _af("0d8435", "YV3250", "B733"),
        "ETR401",
        "5131",
        "SVVA",
        "SVPR",
        "09:46",
        29000,
        "already airborne at 10:00",
    )
    _domestic(
        cast,
        _af("0d8546", "YV2741", "B734"),
        "RUC825",
        "5142",
        "SVPR",
        "SVMI",
        "10:06",
        27000,
        "Rutaca-like",
    )
    _domestic(
        cast,
        _af("0d8657", "YV1905", "C208", cat="A1"),
        "YV1905",
        "5150",
        "SVVA",
        "SVMI",
        "10:14",
        9500,
        "light aircraft, ADS-B only",
        feeds=ADSB,
        kt=165.0,
    )
    _domestic(
        cast,
        _af("0d8103", "YV2947", "E190"),
        "VCV1302",
        "5105",
        "SVMC",
        "SVVA",
        "10:20",
        25000,
        "Conviasa-like",
    )
    _domestic(
        cast,
        _af("0d8214", "YV3013", "B733"),
        "ROI1102",
        "5112",
        "SVVA",
        "SVMC",
        "10:44",
        26000,
        "Avior-like, lands in the second hour",
    )
    _domestic(
        cast,
        _af("0d8104", "YV2948", "E190"),
        "VCV1410",
        "5106",
        "SVMI",
        "SVPR",
        "11:24",
        27000,
        "the only flight inside SVZM after 12:00Z",
    )
    # Conviasa-like international departure leaving SVZM to the north-west (towards Havana)
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("0d8105", "YV3533", "A343", cat="A5"),
            callsign="VCV3310",
            squawk="5107",
            role="incursion",
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
    assert f.takeoff_s is not None
    cast.label(
        K.INCURSION,
        (f.hex,),
        f.takeoff_s,
        marks[1],
        "VCV3310 SVMI-MUHA climbing inside SVZM until it leaves the FIR near Bonaire",
        zone_id=SVZM,
    )
    # a foreign airliner still crossing SVZM (Panama -> Port of Spain on the great circle)
    f, marks = cast.fly(
        FlightPlan(
            airframe=_af("0c20a1", "HP-9834CMP", "B738"),
            callsign="CMP612",
            squawk="4612",
            role="incursion",
            waypoints=((9.62, -75.6), (10.02, -72.95), (10.45, -66.5), (10.5, -61.95)),
            cruise_ft=37000,
            cruise_kt=455,
            entry_s=at("09:53"),
            destination=AP["TTPP"],
            route=("MPTO", "TTPP"),
            feeds=BOTH,
        )
    )
    cast.label(
        K.INCURSION,
        (f.hex,),
        marks[1],
        marks[3],
        "CMP612 MPTO-TTPP, a foreign overflight crossing SVZM from the Colombian "
        "border to the Paria peninsula",
        zone_id=SVZM,
    )


# --- reroutes: great circle through SVZM, track around it ------------------------------


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
    f, marks = cast.fly(
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
    cast.label(
        K.REROUTE,
        (f.hex,),
        start,
        end,
        f"{callsign} {route[0]}-{route[1]}: great circle crosses SVZM, {note}",
    )
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
        "routed west of it through Bogota (SKED) and Barranquilla (SKEC)",
        entry="10:00",
    )
    _reroute(
        cast,
        _af("ab0e21", "N930SM", "B788", cat="A5"),
        "AAL2930",
        "3012",
        ("KMIA", "SBGR"),
        (
            (21.3, -71.0),
            (18.9, -66.6),
            (17.3, -61.9),
            (13.6, -58.9),
            (9.6, -58.2),
            (5.0, -58.6),
            (-3.0, -59.3),
        ),
        "routed east of it through San Juan (TJZS), Piarco (TTZP) and Georgetown",
        entry="10:00",
    )
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
            (17.8, -63.0),
            (19.6, -57.5),
            (20.6, -53.0),
        ),
        "departs Bogota north through Barranquilla and Curacao (TNCF), north of the SVZM tip",
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
        "routed east of it over Georgetown (SYGC) and Piarco (TTZP)",
        entry="10:00",
        kt=455,
    )
    # into Curacao from Colombia and Panama, north of the Paraguana lobe of SVZM
    _reroute(
        cast,
        _af("0ac6d4", "N451SM", "A320"),
        "AVA256",
        "1256",
        ("SKBO", "TNCC"),
        ((8.5, -74.6), (11.3, -74.2), (12.9, -72.3), (12.9, -70.6)),
        "routed through Barranquilla (SKEC) and north of the Paraguana peninsula",
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
        "routed north of the Paraguana peninsula into Curacao",
        takeoff="10:12",
        land=True,
        cruise_ft=36000,
        kt=455,
    )
    # Curacao -> Port of Spain, round the north of SVZM; drops out of ADS-B for 18 min
    # while 45-60 km off the SVZM boundary, other traffic around it still reported
    f = _reroute(
        cast,
        _af("0c6011", "9Y-SMB", "B738"),
        "BWA471",
        "4471",
        ("TNCC", "TTPP"),
        (
            (13.7, -68.45),
            (16.15, -67.55),
            (16.05, -65.3),
            (15.2, -64.4),
            (12.0, -62.53),
            (11.5, -61.2),
        ),
        "routed north round the SVZM tip through TNCF, TJZS and TTZP",
        takeoff="10:26",
        land=True,
        cruise_ft=33000,
        kt=455,
        silent=(Interval(at("11:31"), at("11:49")),),
    )
    cast.label(
        K.DROPOUT,
        (f.hex,),
        at("11:31"),
        at("11:49"),
        "BWA471 stops transmitting for 18 min about 55 km off the SVZM boundary while "
        "other aircraft nearby keep reporting; reappears on track",
    )
    # Amsterdam -> Curacao, round the SVZM tip; drops out for 18 min near the tip
    f = _reroute(
        cast,
        _af("484f62", "PH-SMK", "B789", cat="A5"),
        "KLM7935",
        "2735",
        ("EHAM", "TNCC"),
        ((20.6, -55.0), (17.0, -63.5), (16.05, -66.2), (16.0, -67.4), (14.3, -68.7)),
        "routed round the north of the SVZM tip into Curacao (TNCF)",
        entry="10:02",
        land=True,
        kt=480,
        silent=(Interval(at("11:38"), at("11:56")),),
    )
    cast.label(
        K.DROPOUT,
        (f.hex,),
        at("11:38"),
        at("11:56"),
        "KLM7935 stops transmitting for 18 min 50-60 km west of the SVZM tip while "
        "other aircraft nearby keep reporting; reappears on track (the straight line "
        "between its last and next fix stays outside SVZM)",
    )


# --- boundary avoidance, turnback, diversion ---------------------------------------------


def _avoidance_turnback_diversion(cast: Cast) -> None:
    at = cast.at
    # business jets with no published route, heading for SVZM, turning away at 60-90 km
    # and running along the boundary
    for af, cs, sq, pts, start, note in (
        (
            _af("a72f3c", "N57SM", "GLEX", cat="A2"),
            "N57SM",
            "6217",
            (
                (18.9, -65.9),
                (16.1, -66.4),
                (16.1, -68.5),
                (15.0, -72.0),
                (12.8, -76.5),
                (11.4, -86.0),
            ),
            "10:08",
            "heads south for the SVZM tip, turns west about 70 km short and runs along "
            "its northern boundary",
        ),
        (
            _af("a7e0d9", "N604SM", "CL60", cat="A2"),
            "N604SM",
            "6230",
            (
                (12.3, -56.5),
                (12.75, -62.75),
                (15.3, -64.3),
                (17.0, -64.9),
                (19.5, -65.6),
                (23.0, -66.8),
            ),
            "10:40",
            "flies west towards the SVZM eastern boundary, turns north-west about 70 km "
            "short and runs along it into TJZS",
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
            K.BOUNDARY_AVOIDANCE, (f.hex,), marks[0], marks[3], f"{cs} (no known route) {note}"
        )

    # TAP Lisbon -> Caracas turns back about 100 km before the SVZM boundary
    b = PathBuilder(at("10:04"), 19.7, -55.0)
    b.to(14.0, -63.2, speed_kt=480)
    t_turn = b.t_s
    b.turn(45.0, radius_m=14_000, speed_kt=450, right=True, steps=12)
    t_turned = b.t_s
    b.to(21.0, -54.2, speed_kt=480)
    tap = Flight(
        airframe=_af("4951c7", "CS-SMT", "A339", cat="A5", country="Portugal"),
        callsign="TAP1097",
        path=b.build(),
        cruise_ft=39000,
        squawk="2173",
        role="turnback",
        origin="LPPT",
        destination="SVMI",
        feeds=BOTH,
    )
    cast.flights.append(tap)
    cast.label(
        K.TURNBACK,
        (tap.hex,),
        t_turn,
        t_turned,
        "TAP1097 LPPT-SVMI reverses course (about 170 deg) some 110 km north-east of "
        "the SVZM boundary and flies back out over the Atlantic",
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
            airframe=_af("0aca31", "N725SM", "A320"),
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
    """Arrivals and departures round Curacao and Bonaire while GNSS is degraded there."""
    at = cast.at
    cast.fly(
        FlightPlan(
            airframe=_af("a1c4d2", "N917SM", "B738"),
            callsign="AAL1417",
            squawk="2417",
            role="gnss",
            waypoints=((21.8, -74.0), (16.0, -70.6)),
            cruise_ft=36000,
            cruise_kt=465,
            destination=AP["TNCC"],
            route=("KMIA", "TNCC"),
            entry_s=at("10:14"),
            feeds=BOTH,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("a3e1f7", "N332SM", "B752"),
            callsign="DAL1845",
            squawk="2245",
            role="gnss",
            waypoints=((22.0, -75.8), (15.5, -69.9)),
            cruise_ft=38000,
            cruise_kt=470,
            destination=AP["TNCB"],
            route=("KATL", "TNCB"),
            entry_s=at("10:13"),
            feeds=BOTH,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("a0b7e4", "N374SM", "B738"),
            callsign="UAL1681",
            squawk="3681",
            role="gnss",
            waypoints=((14.2, -69.4), (22.2, -73.6)),
            cruise_ft=37000,
            cruise_kt=470,
            origin=AP["TNCB"],
            route=("TNCB", "KEWR"),
            takeoff_s=at("11:16"),
            feeds=ADSB,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("a2d5c9", "N916SM", "B738"),
            callsign="AAL1502",
            squawk="2502",
            role="gnss",
            waypoints=((15.5, -70.4), (22.2, -74.6)),
            cruise_ft=36000,
            cruise_kt=465,
            origin=AP["TNCC"],
            route=("TNCC", "KMIA"),
            takeoff_s=at("11:38"),
            feeds=BOTH,
        )
    )
    cast.fly(
        FlightPlan(
            airframe=_af("0c8a11", "PJ-DVR", "BN2P", cat="A1"),
            callsign="DVR201",
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
            airframe=_af("0c8a17", "PJ-DVS", "B190", cat="A1"),
            callsign="DVR202",
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
            "RQ-4B transit east to west through TJZS and TNCF",
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
        "US military aircraft (dbFlags & 1, ae.... addresses) north and east of SVZM: "
        "FORTE11 (RQ-4B), JAKE21 (P-8A), RCH123 (C-17)",
        multiple=True,
    )


def _background(cast: Cast) -> None:
    """Ordinary traffic that should raise nothing."""
    at = cast.at
    cast.fly(
        FlightPlan(
            airframe=_af("e4a7b1", "PR-SMJ", "B789", cat="A5"),
            callsign="TAM8084",
            squawk="2084",
            role="background",
            waypoints=((-2.0, -56.2), (8.2, -59.1), (18.0, -63.0), (22.5, -65.0)),
            cruise_ft=39000,
            cruise_kt=485,
            route=("SBGR", "KJFK"),
            entry_s=at("10:25"),
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
    cast.fly(
        FlightPlan(
            airframe=_af("a4c8e2", "N372SM", "A320"),
            callsign="JBU1055",
            squawk="1055",
            role="background",
            waypoints=((22.0, -67.1),),
            cruise_ft=35000,
            cruise_kt=460,
            origin=AP["TBPB"],
            route=("TBPB", "KJFK"),
            takeoff_s=at("10:50"),
            feeds=BOTH,
        )
    )
