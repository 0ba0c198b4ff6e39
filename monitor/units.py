"""Unit conversions, applied once at the feed edge.

Every quantity inside the monitor carries its unit in its name: ``altitude_ft``,
``ground_speed_kt``, ``vertical_rate_fpm``, ``distance_m``, ``duration_s``.
"""

from __future__ import annotations

FT_PER_M = 3.280839895013123
KT_PER_MPS = 1.9438444924406046
FPM_PER_MPS = 196.85039370078738
M_PER_NM = 1852.0
KM_PER_NM = 1.852


def m_to_ft(value_m: float) -> float:
    return value_m * FT_PER_M


def mps_to_kt(value_mps: float) -> float:
    return value_mps * KT_PER_MPS


def mps_to_fpm(value_mps: float) -> float:
    return value_mps * FPM_PER_MPS


def nm_to_m(value_nm: float) -> float:
    return value_nm * M_PER_NM


def m_to_nm(value_m: float) -> float:
    return value_m / M_PER_NM
