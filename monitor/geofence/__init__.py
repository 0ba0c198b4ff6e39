"""Geofence engine: which zones in force contain each fix, and per-subject transitions.

Pure: numpy arrays and shapely geometry in, index arrays and :class:`Transition` out.
"""

from monitor.geofence.engine import Geofence, GeofenceResult, Hits
from monitor.geofence.index import ZoneIndex
from monitor.geofence.types import Transition, TransitionKind

__all__ = ["Geofence", "GeofenceResult", "Hits", "Transition", "TransitionKind", "ZoneIndex"]
