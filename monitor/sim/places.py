"""Airports and sea ports the scenario uses, WGS84 degrees.

Airport positions and elevations are copied from the ``airportsdata`` package (MIT) and
frozen here, so a new release of that package can never change a regenerated scenario.
Port positions are approximate harbour or anchorage points chosen by the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    lat: float
    lon: float
    elevation_ft: float = 0.0

    @property
    def pos(self) -> tuple[float, float]:
        return self.lat, self.lon


def _ap(code: str, lat: float, lon: float, elev: float) -> Place:
    return Place(code, lat, lon, elev)


AIRPORTS: dict[str, Place] = {
    p.code: p
    for p in (
        _ap("SVMI", 10.60312, -66.99059, 235.0),
        _ap("SVMC", 10.55821, -71.72786, 239.0),
        _ap("SVVA", 10.14973, -67.9284, 1411.0),
        _ap("SVBC", 10.1071, -64.6892, 26.0),
        _ap("SVMG", 10.9126, -63.9666, 74.0),
        _ap("SVPR", 8.28853, -62.7604, 472.0),
        _ap("TNCC", 12.1889, -68.9598, 29.0),
        _ap("TNCA", 12.5014, -70.0152, 60.0),
        _ap("TNCB", 12.131, -68.2685, 20.0),
        _ap("TTPP", 10.5954, -61.3372, 58.0),
        _ap("TGPY", 12.0042, -61.7862, 41.0),
        _ap("TBPB", 13.0746, -59.4925, 169.0),
        _ap("SKBO", 4.70159, -74.1469, 8361.0),
        _ap("SKBQ", 10.8896, -74.7808, 98.0),
        _ap("SKCG", 10.4424, -75.513, 4.0),
        _ap("SKSM", 11.1196, -74.2306, 22.0),
        _ap("MPTO", 9.07136, -79.3835, 135.0),
        _ap("TJSJ", 18.439399, -66.002133, 9.6),
        _ap("TNCM", 18.041, -63.1089, 13.0),
        _ap("SYCJ", 6.49855, -58.2541, 95.0),
        _ap("MDSD", 18.4297, -69.6689, 59.0),
        _ap("KMIA", 25.795361, -80.290116, 9.3),
        _ap("KATL", 33.6367, -84.427864, 1026.2),
        _ap("KJFK", 40.639928, -73.778692, 13.0),
        _ap("SBGR", -23.43556, -46.47306, 2459.0),
        _ap("SBEG", -3.03861, -60.0497, 264.0),
        _ap("LEMD", 40.4936, -3.56676, 2001.0),
        _ap("LPPT", 38.7813, -9.13592, 355.0),
        _ap("EHAM", 52.3086, 4.76389, -11.0),
        _ap("MUHA", 22.9892, -82.4091, 210.0),
    )
}

#: harbour / anchorage points (lat, lon), a little off the coastline
PORTS: dict[str, Place] = {
    p.code: p
    for p in (
        Place("CARTAGENA", 10.335, -75.560),
        Place("BARRANQUILLA", 11.060, -74.860),
        Place("SANTA MARTA", 11.255, -74.235),
        Place("WILLEMSTAD", 12.085, -68.950),
        Place("ORANJESTAD", 12.505, -70.060),
        Place("LA GUAIRA", 10.640, -66.935),
        Place("PUERTO CABELLO", 10.520, -68.000),
        Place("PORT OF SPAIN", 10.630, -61.540),
        Place("POINT LISAS", 10.385, -61.505),
    )
}
