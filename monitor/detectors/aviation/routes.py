"""What the reroute detector needs to know of a flight's planned route.

Detectors do not import feeds: these protocols describe the shape of
``monitor.feeds.routes.Route`` / ``Airport`` / ``RouteBook`` without importing them. The
route source reaches the detector either through its constructor (``routes=``) or, when
the pipeline is built from config, through ``MonitorState.extra["routes"]``: a
``RouteBook`` (anything with ``route_for(callsign, at)``) or a plain callable
``(callsign, at) -> route | None``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, cast, runtime_checkable


class AirportLike(Protocol):
    @property
    def icao(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


class RouteLike(Protocol):
    @property
    def callsign(self) -> str: ...

    @property
    def origin(self) -> AirportLike: ...

    @property
    def destination(self) -> AirportLike: ...

    @property
    def source(self) -> str: ...


@runtime_checkable
class RouteSource(Protocol):
    def route_for(self, callsign: str, at: datetime | None = None) -> Any: ...


RouteLookup = Callable[[str, datetime], "RouteLike | None"]

#: key of ``MonitorState.extra`` holding the route source
STATE_KEY = "routes"


def as_lookup(source: object) -> RouteLookup | None:
    """A route source (``RouteBook``-like object or callable) as a lookup function."""
    if source is None:
        return None
    if isinstance(source, RouteSource):
        return source.route_for
    if callable(source):
        return cast(RouteLookup, source)
    raise TypeError(f"route source must have route_for() or be callable, got {type(source).__name__}")
