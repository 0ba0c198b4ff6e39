"""The scenario files shipped in ``monitor/sim/data`` and how to regenerate them.

``python -m monitor.sim`` rewrites them; ``tests/sim/test_generator.py`` regenerates them
in a temporary folder and checks they are identical, so the labels stay true.
"""

from __future__ import annotations

from pathlib import Path

from monitor.sim.generator import write_capture, write_labels, write_routes
from monitor.sim.scenario import DEFAULT_HOURS, DEFAULT_SEED, build_demo, build_outage

DATA_DIR = Path(__file__).resolve().parent / "data"

DEMO_CAPTURE = "demo_scenario.jsonl.gz"
DEMO_LABELS = "demo_labels.json"
DEMO_ROUTES = "demo_scenario.routes.csv"  # NAME.routes.csv beside NAME.jsonl.gz: replay loads it
OUTAGE_CAPTURE = "outage_scenario.jsonl.gz"
OUTAGE_LABELS = "outage_labels.json"


def shipped_paths(data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Every shipped file by role (``demo_capture``, ``demo_labels``, ...)."""
    return {
        "demo_capture": data_dir / DEMO_CAPTURE,
        "demo_labels": data_dir / DEMO_LABELS,
        "demo_routes": data_dir / DEMO_ROUTES,
        "outage_capture": data_dir / OUTAGE_CAPTURE,
        "outage_labels": data_dir / OUTAGE_LABELS,
    }


def write_shipped(data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """(Re)write the shipped files into ``data_dir`` with the default seed and length."""
    paths = shipped_paths(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    demo = build_demo(DEFAULT_SEED, DEFAULT_HOURS)
    write_capture(demo, paths["demo_capture"])
    write_labels(demo, paths["demo_labels"])
    write_routes(demo, paths["demo_routes"])
    outage = build_outage(DEFAULT_SEED, DEFAULT_HOURS)
    write_capture(outage, paths["outage_capture"])
    write_labels(outage, paths["outage_labels"])
    return paths
