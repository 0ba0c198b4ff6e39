"""Prometheus metrics, computed when scraped from the state the monitor already keeps.

Nothing on the hot path is instrumented: the collector reads the feed-health book, the
pipeline's running totals, the open incidents and the alert outbox at scrape time
(``GET /metrics``). Names follow Prometheus conventions (``_total`` counters, base units).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class MonitorCollector(Collector):
    """Feed, pipeline, incident and alert metrics of one monitor process.

    Parameters
    ----------
    pipeline:
        The running :class:`~monitor.pipeline.Pipeline` (totals, open incidents, tracks,
        feed health).
    alert_counts:
        Alerts by state (``OutboxStore.counts``), or ``None`` without alerting.
    queue_depth:
        Records waiting for the pipeline (the live service's queue), or ``None``.
    """

    def __init__(
        self,
        pipeline: Any,
        *,
        alert_counts: Callable[[], dict[str, int]] | None = None,
        queue_depth: Callable[[], int] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.alert_counts = alert_counts
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[Any]:
        yield from self._feeds()
        yield from self._pipeline()
        yield from self._incidents()
        if self.alert_counts is not None:
            g = GaugeMetricFamily("monitor_alerts", "Alerts in the outbox by state", labels=["state"])
            for state, n in sorted(self.alert_counts().items()):
                g.add_metric([state], n)
            yield g

    def _feeds(self) -> Iterator[Any]:
        book = self.pipeline.health
        polls = CounterMetricFamily("monitor_feed_polls", "Polls per feed", labels=["feed"])
        fails = CounterMetricFamily("monitor_feed_failures", "Failed polls or stream drops", labels=["feed"])
        errors = CounterMetricFamily(
            "monitor_feed_errors", "Errors and skipped items by reason", labels=["feed", "reason"]
        )
        records = CounterMetricFamily("monitor_feed_records", "Responses received", labels=["feed"])
        items = CounterMetricFamily("monitor_feed_items", "Items parsed from responses", labels=["feed"])
        latency = GaugeMetricFamily("monitor_feed_latency_seconds", "Last poll's duration", labels=["feed"])
        stale = GaugeMetricFamily(
            "monitor_feed_staleness_seconds", "Data time since the feed's last record", labels=["feed"]
        )
        up = GaugeMetricFamily("monitor_feed_up", "1 when the feed's last poll or stream was ok", labels=["feed"])
        now = self.pipeline.now
        for name, st in sorted(book.feeds.items()):
            polls.add_metric([name], st.polls)
            fails.add_metric([name], st.failures)
            for reason, n in sorted(st.errors.items()):
                errors.add_metric([name, reason], n)
            records.add_metric([name], st.records)
            items.add_metric([name], st.items)
            if st.latency_s is not None:
                latency.add_metric([name], st.latency_s)
            if now is not None and st.last_data_at is not None:
                stale.add_metric([name], max(0.0, (now - st.last_data_at).total_seconds()))
            up.add_metric([name], 1.0 if st.status == "ok" else 0.0)
        yield from (polls, fails, errors, records, items, latency, stale, up)

    def _pipeline(self) -> Iterator[Any]:
        t = self.pipeline.totals
        for name, value, doc in (
            ("monitor_pipeline_records", t.records, "Capture records processed"),
            ("monitor_pipeline_observations", t.observations, "Observations parsed"),
            ("monitor_pipeline_accepted", t.accepted, "Observations kept after fusion and dedupe"),
            ("monitor_pipeline_incident_changes", t.changes, "Incident changes applied"),
            ("monitor_pipeline_busy_seconds", t.seconds, "Seconds spent processing batches"),
        ):
            c = CounterMetricFamily(name, doc)
            c.add_metric([], value)
            yield c
        if self.queue_depth is not None:
            g = GaugeMetricFamily("monitor_pipeline_queue_depth", "Records waiting for the pipeline")
            g.add_metric([], self.queue_depth())
            yield g
        tracked = GaugeMetricFamily("monitor_tracked_subjects", "Subjects with a live track", labels=["kind"])
        counts: Counter[str] = self.pipeline.tracks.counts()
        for kind in ("aircraft", "vessel"):
            tracked.add_metric([kind], counts.get(kind, 0))
        yield tracked

    def _incidents(self) -> Iterator[Any]:
        g = GaugeMetricFamily("monitor_open_incidents", "Open incidents by kind", labels=["kind"])
        counts: Counter[str] = Counter(o.kind.value for o in self.pipeline.open.by_key.values())
        for kind, n in sorted(counts.items()):
            g.add_metric([kind], n)
        yield g


def make_registry(collector: MonitorCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


class StoreCollector(Collector):
    """Metrics of a ``monitor serve`` worker, read from the database when scraped.

    The serve workers have no pipeline of their own; everything they can tell comes from
    the shared database, so every worker behind the shared port answers the same numbers
    and no cross-process aggregation (prometheus_client's multiprocess mode, which exists
    for counters and histograms incremented inside each process) is needed. The feed
    metrics are those the live process last stored (``feed_health`` rows).

    Parameters
    ----------
    store:
        The :class:`~monitor.store.Store` the worker serves.
    zones:
        Returns the zone versions the worker knows (shipped + stored).
    """

    def __init__(self, store: Any, *, zones: Callable[[], Any] | None = None) -> None:
        self.store = store
        self.zones = zones

    def collect(self) -> Iterator[Any]:
        open_by_kind: Counter[str] = Counter(o.kind.value for o in self.store.open_incidents())
        g = GaugeMetricFamily("monitor_open_incidents", "Open incidents by kind", labels=["kind"])
        for kind, n in sorted(open_by_kind.items()):
            g.add_metric([kind], n)
        yield g
        total = GaugeMetricFamily("monitor_stored_incidents", "Incidents in the database")
        total.add_metric([], self.store.count_incidents())
        yield total
        polls = CounterMetricFamily("monitor_feed_polls", "Polls per feed (as last stored)", labels=["feed"])
        fails = CounterMetricFamily(
            "monitor_feed_failures", "Failed polls or stream drops (as last stored)", labels=["feed"]
        )
        records = CounterMetricFamily("monitor_feed_records", "Responses received (as last stored)", labels=["feed"])
        up = GaugeMetricFamily("monitor_feed_up", "1 when the feed's last poll or stream was ok", labels=["feed"])
        for r in self.store.feed_health():
            polls.add_metric([r.source], r.polls or 0)
            fails.add_metric([r.source], r.failures or 0)
            records.add_metric([r.source], r.records or 0)
            up.add_metric([r.source], 1.0 if r.status == "ok" else 0.0)
        yield from (polls, fails, records, up)
        if self.zones is not None:
            z = GaugeMetricFamily("monitor_zone_versions", "Zone versions known (shipped and stored)")
            z.add_metric([], len(list(self.zones())))
            yield z


def make_store_registry(store: Any, *, zones: Callable[[], Any] | None = None) -> CollectorRegistry:
    """The registry of a ``monitor serve`` worker (see :class:`StoreCollector`)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, zones=zones))
    return registry
