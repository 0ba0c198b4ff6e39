"""monitor.geo: the cheap upper bound of within_m never says yes when the distance says no."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.geo import distance_m, within_m

lat = st.floats(-89.9, 89.9)
lon = st.floats(-180.0, 180.0)


@given(lat1=lat, lon1=lon, dlat=st.floats(-2, 2), dlon=st.floats(-2, 2), limit_m=st.floats(0, 400_000))
def test_within_agrees_with_the_haversine_distance(lat1, lon1, dlat, dlon, limit_m) -> None:
    lat2 = max(-90.0, min(90.0, lat1 + dlat))
    lon2 = lon1 + dlon
    assert within_m(lat1, lon1, lat2, lon2, limit_m) == (distance_m(lat1, lon1, lat2, lon2) <= limit_m)


def test_nearby_and_far_pairs() -> None:
    assert within_m(10.0, -66.0, 10.001, -66.001, 200.0)  # ~155 m
    assert not within_m(10.0, -66.0, 10.01, -66.0, 1000.0)  # ~1.1 km
