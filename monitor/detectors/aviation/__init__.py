"""Aviation detectors: rerouting around restricted airspace, emergencies, dropouts, GNSS
interference and position jumps, military presence, traffic collapse,
operator traffic and operator returns.

``DETECTORS`` maps each config name (``detectors.<name>`` in the config file) to its
detector class and thresholds dataclass; :mod:`monitor.detectors.registry` merges it with
the core detectors. Importing this package imports none of the detector modules.
"""

from __future__ import annotations

_P = "monitor.detectors.aviation"

#: config name -> ("module:DetectorClass", "module:ConfigDataclass")
DETECTORS: dict[str, tuple[str, str]] = {
    "reroute": (f"{_P}.reroute:RerouteDetector", f"{_P}.reroute:RerouteConfig"),
    "emergency": (f"{_P}.emergency:EmergencyDetector", f"{_P}.emergency:EmergencyConfig"),
    "dropout": (f"{_P}.dropout:DropoutDetector", f"{_P}.dropout:DropoutConfig"),
    "gnss_interference": (f"{_P}.gnss:GnssInterferenceDetector", f"{_P}.gnss:GnssConfig"),
    "position_jump": (
        f"{_P}.position_jump:PositionJumpDetector",
        f"{_P}.position_jump:PositionJumpConfig",
    ),
    "military_presence": (f"{_P}.military:MilitaryPresenceDetector", f"{_P}.military:MilitaryConfig"),
    "traffic_collapse": (
        f"{_P}.traffic:TrafficCollapseDetector",
        f"{_P}.traffic:TrafficCollapseConfig",
    ),
    "operator_traffic": (
        f"{_P}.operators:OperatorTrafficDetector",
        f"{_P}.operators:OperatorTrafficConfig",
    ),
}
