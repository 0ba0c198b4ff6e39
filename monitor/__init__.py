"""Airspace and maritime incident monitor for the southern Caribbean.

The package is laid out along the data flow::

    feeds (I/O) -> domain.Observation -> tracks -> geofence -> detectors
        -> pipeline (incident changes) -> store -> alerts / web / cli

``domain``, ``geofence``, ``zones`` (the pure parts) and ``detectors`` do no I/O.
"""

__version__ = "0.1.0"
