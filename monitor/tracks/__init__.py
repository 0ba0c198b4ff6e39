"""Per-subject tracks: recent fixes of each aircraft and vessel, fused across feeds."""

from monitor.tracks.store import Fix, Track, TrackStore, subject_key

__all__ = ["Fix", "Track", "TrackStore", "subject_key"]
