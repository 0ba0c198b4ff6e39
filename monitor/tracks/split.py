"""Two transmitters under one MMSI: which fix belongs to which.

A fix is *reachable* from an earlier one when a vessel could have sailed between them: at
most ``max_speed_kt`` x the time between them plus ``tolerance_m`` (GPS noise, feed time
stamps), and any distance under ``min_split_m`` (nearer than that, two hulls sharing an
MMSI or a noisy fix are left on one track: only far-apart places are split, which keeps
the check cheap and the tracks of fast craft whole). Distances are great-circle on a sphere
(``monitor.geo``); most pairs are settled by an upper bound without trigonometry.

:class:`TrackStore` uses the rule per fix; :func:`split_transmitters` applies it to a stored
series of positions (what a map draws), keeping up to two sub-tracks: each point joins the
most recent sub-track it is reachable from, else starts one (replacing the one heard
longest ago), so a vessel reported alternately off Cartagena and off Trinidad is two lines,
not a zig-zag band across the Caribbean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.geo import M_PER_DEG_ARC, distance_m

#: metres per second in one knot
_MPS_PER_KT = 1852.0 / 3600.0


@dataclass(frozen=True, slots=True)
class TransmitterRule:
    """When a fix cannot come from the same transmitter as an earlier one."""

    #: the fastest a vessel goes (the spoofing detector's ``max_speed_kt``)
    max_speed_kt: float = 60.0
    #: added to the reach: GPS noise, feed time stamps
    tolerance_m: float = 2000.0
    #: places nearer than this are never split
    min_split_m: float = 50_000.0

    def reachable(
        self, t0_s: float, lon0: float, lat0: float, t_s: float, lon: float, lat: float
    ) -> bool:
        """Whether (``lon``, ``lat``) at ``t_s`` can follow (``lon0``, ``lat0``) at ``t0_s``."""
        dt = t_s - t0_s
        reach = self.max_speed_kt * _MPS_PER_KT * (dt if dt > 0.0 else -dt) + self.tolerance_m
        if reach < self.min_split_m:
            reach = self.min_split_m
        if (abs(lat - lat0) + abs(lon - lon0)) * M_PER_DEG_ARC <= reach:
            return True
        return distance_m(lat0, lon0, lat, lon) <= reach


def split_transmitters(
    points: Iterable[Sequence[float]], rule: TransmitterRule | None = None
) -> list[list[tuple[float, float, float]]]:
    """``(t_s, lon, lat)`` points in time order as up to two sub-tracks that each could be
    one transmitter's (see the module docstring); one list when the points need no split.

    A sub-track replaced by a third place is kept as it was; sub-tracks come out in the
    order they started.
    """
    rule = rule or TransmitterRule()
    done: list[list[tuple[float, float, float]]] = []
    live: list[list[tuple[float, float, float]]] = []
    for p in points:
        t, lon, lat = float(p[0]), float(p[1]), float(p[2])
        best = None
        for sub in sorted(live, key=lambda s: -s[-1][0]):
            t0, lon0, lat0 = sub[-1]
            if rule.reachable(t0, lon0, lat0, t, lon, lat):
                best = sub
                break
        if best is None:
            best = [(t, lon, lat)]
            if len(live) == 2:
                oldest = min(live, key=lambda s: s[-1][0])
                live.remove(oldest)
                done.append(oldest)
            live.append(best)
        else:
            best.append((t, lon, lat))
    out = done + live
    out.sort(key=lambda s: s[0][0])
    return out
