"""The pipeline that wires the pure stages to the store (see ``core``)."""

from monitor.pipeline.core import Pipeline, PipelineConfig, PipelineStats
from monitor.pipeline.health import FeedHealthBook
from monitor.pipeline.live import LiveSnapshot, LiveView

__all__ = [
    "FeedHealthBook",
    "LiveSnapshot",
    "LiveView",
    "Pipeline",
    "PipelineConfig",
    "PipelineStats",
]
