"""The simulator: a SYNTHETIC, labelled scenario of the southern Caribbean crisis.

``scenario`` builds the model (flights, voyages, warnings, labels), ``generator`` writes it
as a capture file, ``servers`` serves it live over HTTP / websocket / TCP, ``scoring``
measures detectors against its labels. See README.md.
"""

from monitor.sim.clock import SimClock
from monitor.sim.labels import Label, LabelSet
from monitor.sim.scenario import (
    DEFAULT_SEED,
    SCENARIOS,
    build_demo,
    build_outage,
    build_scenario,
    label_set,
    routes_csv,
)
from monitor.sim.scoring import KindScore, format_scores, score

__all__ = [
    "DEFAULT_SEED",
    "SCENARIOS",
    "KindScore",
    "Label",
    "LabelSet",
    "SimClock",
    "build_demo",
    "build_outage",
    "build_scenario",
    "format_scores",
    "label_set",
    "routes_csv",
    "score",
]
