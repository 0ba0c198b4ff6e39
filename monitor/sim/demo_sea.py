"""The maritime half of the demo scenario (SYNTHETIC): vessels, their labels, NGA warnings.

Zones the vessels meet (``geodata/``): STRIKE-SOUTHERN-CARIBBEAN (the broad area north of
Venezuela, including the waters round Aruba, Curacao and Bonaire), STRIKE-PARIA-TRINIDAD,
STRIKE-CENTRAL-COAST and TERRSEA-VEN (12 nm). A vessel inside a zone at its first report
gets an *optional* ``zone_entry`` label (a monitor may or may not call that an entry); a
vessel crossing into a zone during the scenario gets a required one, with the crossing
placed on a straight edge of the zone (or, for the territorial sea, where the shipped
buffer lies) and checked by ``tests/sim`` against the shipped geometry.

MMSIs are made up; names, call signs and IMO numbers too (IMO check digits are valid).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.domain import IncidentKind as K
from monitor.sim import geo
from monitor.sim.cast import Cast
from monitor.sim.model import (
    SOURCE_AISSTREAM,
    SOURCE_NMEA,
    Hull,
    Interval,
    Path,
    PathBuilder,
    Spoof,
    Voyage,
    report_schedule,
)

AIS = frozenset({SOURCE_AISSTREAM, SOURCE_NMEA})

SC = "STRIKE-SOUTHERN-CARIBBEAN"
PARIA = "STRIKE-PARIA-TRINIDAD"
CENTRAL = "STRIKE-CENTRAL-COAST"
TS = "TERRSEA-VEN"

CARGO, TANKER, FISHING, TUG, PASSENGER = 70, 80, 30, 52, 60

END = "13:30"  # paths run past the scenario end


def imo(six: int) -> int:
    """A 7-digit IMO number with a valid check digit."""
    digits = [int(d) for d in f"{six:06d}"]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return six * 10 + check


def _hull(
    mmsi: int,
    name: str,
    callsign: str,
    imo6: int,
    ship_type: int,
    length_m: int,
    beam_m: int,
    draught_m: float,
    destination: str,
    **kw: Any,
) -> Hull:
    return Hull(
        mmsi=mmsi,
        name=name,
        callsign=callsign,
        imo=imo(imo6) if imo6 else 0,
        ship_type=ship_type,
        to_bow_m=int(length_m * 0.8),
        to_stern_m=length_m - int(length_m * 0.8),
        to_port_m=beam_m // 2,
        to_starboard_m=beam_m - beam_m // 2,
        draught_m=draught_m,
        destination=destination,
        **kw,
    )


def _route(cast: Cast, start: str, points: Sequence[tuple[float, float]], kt: float) -> Path:
    b = PathBuilder(cast.at(start), *points[0])
    for lat, lon in points[1:]:
        b.to(lat, lon, speed_kt=kt)
    return b.until(cast.at(END)).build()


def _heading(cast: Cast, start: str, pos: tuple[float, float], brg: float, kt: float) -> Path:
    """Steam from ``pos`` along ``brg`` at ``kt`` until past the scenario end."""
    dur = cast.at(END) - cast.at(start)
    end = geo.destination(*pos, brg, kt / 1.9438444924406046 * dur)
    return PathBuilder(cast.at(start), *pos).to(*end, speed_kt=kt).build()


def _voyage(
    cast: Cast,
    hull: Hull,
    path: Path,
    role: str,
    *,
    nav_status: int = 0,
    nav_events: tuple[tuple[float, float, int], ...] = (),
    silent: tuple[Interval, ...] = (),
    spoof: Spoof | None = None,
    gaps: tuple[float, float] = (60.0, 180.0),
    tag: str = "",
    feeds: frozenset[str] = AIS,
) -> Voyage:
    key = f"{hull.mmsi}{tag}"
    times = report_schedule(
        path.start_s,
        path.end_s,
        seed=cast.seed,
        key=key,
        min_gap_s=gaps[0],
        max_gap_s=gaps[1],
        silent=silent,
    )
    static = tuple(t for i, t in enumerate(times) if i % 6 == 1) if hull.sends_static else ()
    return cast.sail(
        Voyage(
            hull=hull,
            path=path,
            role=role,
            report_times=times,
            static_times=static,
            nav_status=nav_status,
            nav_events=nav_events,
            feeds=feeds,
            spoof=spoof,
            tag=tag,
        )
    )


def _inside_from_start(cast: Cast, v: Voyage, zones: Sequence[str], where: str) -> None:
    for z in zones:
        cast.label(
            K.ZONE_ENTRY,
            (str(v.mmsi),),
            cast.t0_s,
            cast.at("13:00"),
            f"{v.hull.name or v.mmsi} is already inside {z} at its first report ({where})",
            zone_id=z,
            optional=True,
        )


def _enters(cast: Cast, v: Voyage, zone: str, t_s: float, note: str) -> None:
    cast.label(
        K.ZONE_ENTRY,
        (str(v.mmsi),),
        t_s,
        cast.at("13:00"),
        f"{v.hull.name or v.mmsi} {note}",
        zone_id=zone,
    )


def build_sea(cast: Cast, *, with_going_dark: bool = True) -> None:
    """Add the vessels and their labels to ``cast``."""
    at = cast.at
    # --- ordinary traffic off Colombia and in the Gulf of Paria: no zone, no label ----
    _voyage(
        cast,
        _hull(356201000, "CARIBE EXPRESS", "3EKF7", 941220, CARGO, 210, 32, 11.2, "WILLEMSTAD"),
        _heading(cast, "10:00", (10.40, -75.70), 35.0, 15.0),
        "background",
    )
    v = _voyage(
        cast,
        _hull(538007812, "MAR DEL SUR", "V7QM4", 931455, TANKER, 183, 32, 10.4, "CARTAGENA"),
        _route(cast, "10:00", ((11.40, -75.90), (10.42, -75.62)), 12.0),
        "background",
    )
    del v
    _voyage(
        cast,
        _hull(636021455, "ATLANTIC BRIO", "A8WT2", 957311, CARGO, 190, 30, 10.8, "SANTA MARTA"),
        _route(cast, "10:00", ((11.25, -74.75), (11.30, -74.30)), 11.0),
        "background",
    )
    # Gulf of Paria coasters keep moving: more than 20 nm from Venezuelan land, so a
    # stop there could read as loitering to a monitor that knows no Trinidad coastline
    _voyage(
        cast,
        _hull(362001450, "POINT FORTIN", "9YFP3", 0, CARGO, 96, 16, 5.6, "PORT OF SPAIN"),
        _route(
            cast,
            "10:00",
            ((10.385, -61.56), (10.60, -61.58), (10.52, -61.61), (10.40, -61.57), (10.58, -61.59)),
            6.0,
        ),
        "background",
    )
    _voyage(
        cast,
        _hull(362003320, "GULF WARRIOR", "9YGW1", 0, TUG, 32, 11, 4.0, "POINT LISAS"),
        _route(cast, "10:00", ((10.60, -61.56), (10.45, -61.55), (10.60, -61.52)) * 3, 8.0),
        "background",
    )

    # --- vessels already inside strike zones / the territorial sea at 10:00 ---------------
    v = _voyage(
        cast,
        _hull(775001122, "PROSPERIDAD", "YYPQ2", 893310, TANKER, 176, 31, 9.8, "PTO CABELLO"),
        _route(cast, "10:00", ((10.58, -68.00),), 0.0),
        "background",
        nav_status=1,
        gaps=(150.0, 180.0),
    )
    _inside_from_start(cast, v, (CENTRAL, TS), "at anchor off Puerto Cabello")
    for mmsi, name, cs, pts, kt in (
        (
            775009541,
            "DONA CARMEN",
            "YYDC5",
            ((11.20, -62.00), (11.33, -61.72), (11.18, -61.95)),
            4.2,
        ),
        (
            775009544,
            "LOS TESTIGOS II",
            "YYLT2",
            ((11.28, -62.62), (11.20, -62.35), (11.32, -62.20)),
            4.8,
        ),
    ):
        v = _voyage(
            cast,
            _hull(mmsi, name, cs, 0, FISHING, 24, 7, 2.8, "GUIRIA"),
            _route(cast, "10:00", pts, kt),
            "background",
            nav_status=7,
        )
        _inside_from_start(cast, v, (PARIA, SC), "fishing north of the Paria peninsula")
    v = _voyage(
        cast,
        _hull(341520000, "CAPE TARIBA", "V4TB9", 924481, TANKER, 228, 42, 12.9, "FOR ORDERS"),
        _heading(cast, "10:00", (11.38, -61.90), 268.0, 12.0),
        "background",
    )
    _inside_from_start(cast, v, (PARIA, SC), "tanker westbound north of Paria")
    v = _voyage(
        cast,
        _hull(306118000, "BONAIRE SPIRIT", "PJBS4", 915203, TANKER, 144, 23, 8.1, "BULLENBAAI"),
        _heading(cast, "10:00", (12.70, -68.62), 8.0, 12.0),
        "background",
    )
    _inside_from_start(cast, v, (SC,), "north of Curacao")

    # --- vessels entering a zone during the scenario -------------------------------------
    v = _voyage(
        cast,
        _hull(730152000, "TAYRONA TRADER", "HKTT6", 938820, CARGO, 160, 27, 9.1, "ORANJESTAD"),
        _route(cast, "10:00", ((12.55, -72.78), (12.57, -72.50), (12.62, -71.90)), 14.0),
        "zone_entry",
    )
    _enters(
        cast,
        v,
        SC,
        v.path.knots[1].t_s,
        "crosses 72.5W eastbound into the southern-Caribbean strike area",
    )
    v = _voyage(
        cast,
        _hull(219031477, "NORDIC CORAL", "OZNC2", 946672, CARGO, 172, 28, 9.7, "WILLEMSTAD"),
        _route(cast, "10:00", ((15.72, -68.30), (15.50, -68.32), (14.90, -68.38)), 13.0),
        "zone_entry",
    )
    _enters(
        cast,
        v,
        SC,
        v.path.knots[1].t_s,
        "crosses 15.5N southbound into the southern-Caribbean strike area",
    )
    v = _voyage(
        cast,
        _hull(248713000, "STELLA MARIS", "9HSM7", 933104, TANKER, 249, 44, 13.6, "PUERTO JOSE"),
        _route(cast, "10:00", ((12.50, -60.60), (12.49, -60.826), (12.42, -61.40)), 13.0),
        "zone_entry",
    )
    _enters(
        cast,
        v,
        SC,
        v.path.knots[1].t_s,
        "crosses the eastern edge of the southern-Caribbean strike area westbound",
    )
    v = _voyage(
        cast,
        _hull(775002310, "RIO CARONI", "YYRC3", 902215, TANKER, 183, 32, 10.9, "LA GUAIRA"),
        _route(cast, "10:00", ((11.05, -66.95), (10.814, -66.95), (10.68, -66.95)), 12.0),
        "zone_entry",
        nav_events=((at("11:52"), at("14:00"), 1),),
    )
    _inside_from_start(cast, v, (CENTRAL,), "approaching La Guaira")
    _enters(
        cast,
        v,
        TS,
        v.path.knots[1].t_s,
        "enters the Venezuelan 12 nm territorial sea bound for La Guaira",
    )
    v = _voyage(
        cast,
        _hull(775004410, "VIRGEN DEL VALLE", "YYVV8", 871120, CARGO, 88, 15, 5.2, "PAMPATAR"),
        _route(cast, "10:00", ((11.60, -63.90), (11.368, -63.90), (11.26, -63.90)), 12.0),
        "zone_entry",
        nav_events=((at("11:40"), at("14:00"), 1),),
    )
    _inside_from_start(cast, v, (SC,), "north of Margarita")
    _enters(
        cast, v, TS, v.path.knots[1].t_s, "enters the Venezuelan territorial sea north of Margarita"
    )

    # --- going dark in the Paria strike area ----------------------------------------------
    dark_path = _heading(cast, "10:00", (11.30, -62.05), 275.0, 9.0)
    silent = (Interval(at("10:31"), at("12:45")),) if with_going_dark else ()
    v = _voyage(
        cast,
        _hull(613254871, "ARIEL SOL", "TJAS5", 908817, TANKER, 243, 42, 14.8, "FOR ORDERS"),
        dark_path,
        "going_dark",
        silent=silent,
    )
    _inside_from_start(cast, v, (PARIA, SC), "tanker north of Paria")
    if with_going_dark:
        cast.label(
            K.GOING_DARK,
            (str(v.mmsi),),
            at("10:31"),
            at("12:45"),
            "ARIEL SOL stops transmitting for 2 h 14 min inside the Paria strike area "
            "while the fishing boats and the tanker CAPE TARIBA nearby keep "
            "reporting, then reappears about 37 km further west (9 kn implied)",
            zone_id=PARIA,
        )

    # --- loitering far from shore ---------------------------------------------------------
    b = PathBuilder(at("10:00"), 13.52, -66.12)
    b.to(13.45, -66.20, speed_kt=11.0)
    t_slow = b.t_s
    b.drift(at("12:30") - t_slow, bearing=290.0, speed_kt=0.6)
    t_go = b.t_s
    b.heading(265.0, 30_000, speed_kt=11.0)
    v = _voyage(
        cast,
        _hull(620997001, "KALIMA", "D6KL3", 897702, TANKER, 244, 42, 14.1, "FOR ORDERS"),
        b.until(at(END)).build(),
        "loitering",
    )
    _inside_from_start(cast, v, (SC,), "150 nm north of the coast")
    cast.label(
        K.LOITERING,
        (str(v.mmsi),),
        t_slow,
        t_go,
        "KALIMA drifts at about 0.6 kn for 2 h some 260 km from the nearest shore, "
        "then gets under way",
    )

    # --- rendezvous (ship-to-ship) off the central coast ---------------------------------
    meet = (10.66, -67.45)
    a_path = (
        PathBuilder(at("10:00"), *meet)
        .drift(at("12:45") - at("10:00"), bearing=95.0, speed_kt=0.3)
        .until(at(END))
        .build()
    )
    va = _voyage(
        cast,
        _hull(511100431, "NEVA STAR", "T8NS4", 917764, TANKER, 250, 44, 15.2, "FOR ORDERS"),
        a_path,
        "rendezvous",
        gaps=(90.0, 180.0),
    )
    b = PathBuilder(at("10:00"), 10.665, -67.40)
    alongside = geo.offset_m(*meet, 180.0, 0.0)  # 180 m north of NEVA STAR at 10:25
    b.to(*alongside, speed_kt=8.0)
    t_meet = b.t_s
    b.drift(at("12:40") - t_meet, bearing=95.0, speed_kt=0.3)
    t_part = b.t_s
    b.heading(30.0, 40_000, speed_kt=10.0)
    vb = _voyage(
        cast,
        _hull(667001983, "YASMIN", "9LYS2", 863340, TANKER, 182, 32, 8.4, "FOR ORDERS"),
        b.until(at(END)).build(),
        "rendezvous",
        gaps=(90.0, 180.0),
    )
    for v in (va, vb):
        _inside_from_start(cast, v, (CENTRAL, TS), "13 km off the central coast")
    cast.label(
        K.RENDEZVOUS,
        (str(va.mmsi), str(vb.mmsi)),
        t_meet,
        t_part,
        "NEVA STAR and YASMIN lie 180 m apart at under 1 kn for 2 h 15 min, 13 km off "
        "the coast and 55 km from the nearest port (ship-to-ship transfer)",
    )

    # --- spoofing and bad identity --------------------------------------------------------
    v = _voyage(
        cast,
        _hull(636019812, "MARLIN BAY", "A8MB6", 948851, TANKER, 183, 32, 11.5, "CARTAGENA"),
        _heading(cast, "10:00", (12.60, -73.60), 250.0, 12.0),
        "spoofing",
        spoof=Spoof(at("11:35"), at("14:00"), 1.00, -0.90),
    )
    cast.label(
        K.SPOOFING,
        (str(v.mmsi),),
        at("11:35"),
        at("11:45"),
        "MARLIN BAY's reported position jumps about 145 km north-west between two "
        "reports a few minutes apart (thousands of knots implied) and stays offset",
    )
    twin = 538009777
    _voyage(
        cast,
        _hull(twin, "OCEAN PRIDE", "V7OP1", 926637, CARGO, 190, 32, 10.1, "CARTAGENA"),
        _heading(cast, "10:00", (10.70, -76.10), 190.0, 11.0),
        "spoofing",
        tag="a",
    )
    _voyage(
        cast,
        _hull(twin, "OCEANIC PRIDE", "V7OP9", 926637, CARGO, 178, 30, 9.6, "GEORGETOWN"),
        _heading(cast, "10:00", (10.75, -60.30), 140.0, 11.0),
        "spoofing",
        tag="b",
    )
    cast.label(
        K.IDENTITY_CONFLICT,
        (str(twin),),
        at("10:00"),
        at("13:00"),
        "MMSI 538009777 reported at the same time off Cartagena and east of Trinidad, "
        "1,700 km apart (two transmitters sharing one MMSI)",
    )
    v = _voyage(
        cast,
        _hull(123456789, "SANTA LUCIA 3", "", 0, FISHING, 22, 6, 2.5, "SANTA MARTA"),
        _route(cast, "10:00", ((11.35, -74.50), (11.45, -74.30), (11.36, -74.12)), 6.0),
        "spoofing",
        nav_status=7,
    )
    cast.label(
        K.SPOOFING,
        (str(v.mmsi),),
        at("10:00"),
        at("13:00"),
        "MMSI 123456789 is not a valid ship MMSI (no maritime identification digits "
        "start with 1; a well-known default value)",
    )

    # --- a go-fast: unidentified class B craft at 38 kn ----------------------------------
    gofast = Hull(
        mmsi=775123456,
        name="",
        callsign="",
        imo=0,
        ship_type=0,
        to_bow_m=0,
        to_stern_m=0,
        to_port_m=0,
        to_starboard_m=0,
        draught_m=0.0,
        destination="",
        ais_class="B",
        sends_static=False,
    )
    path = _route(
        cast, "11:20", ((11.35, -60.75), (11.35, -60.955), (11.35, -61.20), (11.42, -62.40)), 38.0
    )
    v = _voyage(cast, gofast, path, "fast_craft", gaps=(30.0, 60.0), feeds=AIS)
    t_sc, t_paria = v.path.knots[1].t_s, v.path.knots[2].t_s
    _enters(
        cast,
        v,
        SC,
        t_sc,
        "(an unidentified go-fast) enters the southern-Caribbean "
        "strike area from the east at 38 kn",
    )
    _enters(cast, v, PARIA, t_paria, "(the go-fast) enters the Paria strike area at 38 kn")
    cast.label(
        K.FAST_CRAFT,
        (str(v.mmsi),),
        t_sc,
        v.path.knots[3].t_s,
        "class B transmitter with no static data (unidentified small craft) at 38 kn "
        "inside the strike areas north of Paria",
    )


def nga_warnings() -> list[dict[str, Any]]:
    """NAVAREA IV broadcast warnings in the NGA MSI JSON shape (SYNTHETIC texts)."""
    return [
        {
            "msgYear": 2025,
            "msgNumber": 1342,
            "navArea": "4",
            "subregion": "26",
            "text": (
                "CARIBBEAN SEA.\nNORTH OF ARUBA.\n"
                "1. HAZARDOUS OPERATIONS, LIVE FIRE EXERCISES\n"
                "   021100Z TO 022100Z DEC\n"
                "   IN AREA BOUND BY\n"
                "   14-18.00N 070-36.00W, 14-18.00N 069-36.00W,\n"
                "   13-48.00N 069-36.00W, 13-48.00N 070-36.00W.\n"
                "2. CANCEL THIS MSG 022200Z DEC 25.\n"
            ),
            "status": "A",
            "issueDate": "011530Z DEC 2025",
            "authority": "SIMULATED SCENARIO (MONITOR.SIM) 0/25 011500Z DEC 25.",
            "cancelDate": None,
            "cancelNavArea": None,
            "cancelMsgYear": None,
            "cancelMsgNumber": None,
            "year": 2025,
            "area": "4",
            "number": 1342,
        },
        {
            "msgYear": 2025,
            "msgNumber": 1338,
            "navArea": "4",
            "subregion": "26,GEN",
            "text": (
                "SOUTHERN CARIBBEAN SEA.\n"
                "1. MILITARY OPERATIONS IN PROGRESS. MARINERS ARE ADVISED TO\n"
                "   MAINTAIN A SHARP LOOKOUT AND KEEP AIS TRANSMITTING.\n"
                "2. CANCEL THIS MSG 312359Z DEC 25.\n"
            ),
            "status": "A",
            "issueDate": "301200Z NOV 2025",
            "authority": "SIMULATED SCENARIO (MONITOR.SIM) 0/25 301130Z NOV 25.",
            "cancelDate": None,
            "cancelNavArea": None,
            "cancelMsgYear": None,
            "cancelMsgNumber": None,
            "year": 2025,
            "area": "4",
            "number": 1338,
        },
    ]
