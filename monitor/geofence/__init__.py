"""Geofence engine: which zones in force contain each fix, and per-subject transitions.

Pure: numpy arrays and shapely geometry in, index arrays and :class:`Transition` out.
"""
