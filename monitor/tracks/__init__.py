"""Per-subject tracks: recent fixes of each aircraft and vessel, fused across feeds."""

from monitor.tracks.store import TrackStore, subject_key

__all__ = ["TrackStore", "subject_key"]
