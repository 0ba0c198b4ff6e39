"""Maritime detectors: zone transits, going dark, loitering, rendezvous, spoofing and identity
conflicts, fast craft, identity changes.

``DETECTORS`` maps each config name (``detectors.<name>`` in the config file) to its
detector class and thresholds dataclass; :mod:`monitor.detectors.registry` merges it with
the core detectors. Nothing is imported here until a detector is built.
"""

from __future__ import annotations

_PKG = "monitor.detectors.maritime"

#: config name -> ("module:DetectorClass", "module:ConfigDataclass")
DETECTORS: dict[str, tuple[str, str]] = {
    "zone_transit": (f"{_PKG}.zone_transit:ZoneTransitDetector", f"{_PKG}.zone_transit:ZoneTransitConfig"),
    "going_dark": (f"{_PKG}.going_dark:GoingDarkDetector", f"{_PKG}.going_dark:GoingDarkConfig"),
    "loitering": (f"{_PKG}.loitering:LoiteringDetector", f"{_PKG}.loitering:LoiteringConfig"),
    "rendezvous": (f"{_PKG}.rendezvous:RendezvousDetector", f"{_PKG}.rendezvous:RendezvousConfig"),
    "spoofing": (f"{_PKG}.spoofing:SpoofingDetector", f"{_PKG}.spoofing:SpoofingConfig"),
    "fast_craft": (f"{_PKG}.fast_craft:FastCraftDetector", f"{_PKG}.fast_craft:FastCraftConfig"),
    "identity_change": (
        f"{_PKG}.identity_change:IdentityChangeDetector",
        f"{_PKG}.identity_change:IdentityChangeConfig",
    ),
}

__all__ = ["DETECTORS"]
