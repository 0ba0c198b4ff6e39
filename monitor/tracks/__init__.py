"""Per-subject tracks: recent fixes of each aircraft and vessel, fused across feeds."""

from monitor.tracks.split import TransmitterRule, split_transmitters
from monitor.tracks.store import Fix, Track, TrackStore, subject_key

__all__ = ["Fix", "Track", "TrackStore", "TransmitterRule", "split_transmitters", "subject_key"]
