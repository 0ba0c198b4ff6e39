"""The live service's scheduling: backoff honouring the feed's wait, isolation of failures,
and a clean stop that processes everything received."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from monitor.capture import CaptureRecord
from monitor.config import Settings
from monitor.errors import FeedError, RateLimited
from monitor.feeds.base import PollingAdapter, PollResult
from monitor.service.live import Backoff, LiveOptions, LiveService
from monitor.service.runtime import Runtime
from monitor.store import Store
from monitor.timeutil import utcnow
from tests.pipeline.fixtures import v2_aircraft, v2_record
from tests.pipeline.test_pipeline import make_pipeline


class Scripted(PollingAdapter):
    """Answers from a script: a record, or an exception to raise."""

    kind = "adsbx_v2"

    def __init__(self, name: str, script: list[object], interval_s: float = 0.1) -> None:
        self.name = name
        self.script = list(script)
        self.interval_s = interval_s
        self.calls = 0

    async def poll(self) -> PollResult:
        self.calls += 1
        step = self.script.pop(0) if self.script else None
        if isinstance(step, Exception):
            raise step
        rec = v2_record(utcnow(), [v2_aircraft("0d0abc", -70.0, 11.0)], source=self.name)
        return PollResult([rec])


def _service(tmp_path, adapters, **opts):
    store = Store.open(f"sqlite:///{tmp_path / 'live.sqlite'}")
    pipeline = make_pipeline(store)
    runtime = Runtime(Settings(), store, pipeline, pipeline.health)
    return store, LiveService(runtime, adapters, [], LiveOptions(batch_wait_s=0.05, tick_every_s=0.2, **opts))


def test_backoff_grows_and_never_undercuts_the_feeds_own_wait():
    b = Backoff(base_s=5, max_s=900)
    delays = [b.next_delay() for _ in range(4)]
    assert 4.0 <= delays[0] <= 6.0 and 32.0 <= delays[3] <= 48.0
    assert b.next_delay(retry_after_s=600) >= 600
    b.reset()
    assert b.next_delay() <= 6.0


def test_a_rate_limited_feed_waits_as_told_and_the_others_keep_polling(tmp_path):
    limited = Scripted("limited", [RateLimited("limited", 3600.0)])
    broken = Scripted("broken", [FeedError("broken", "http_500", "boom")] * 50)
    healthy = Scripted("healthy", [])
    store, service = _service(tmp_path, [limited, broken, healthy])

    async def main() -> None:
        task = asyncio.create_task(service.run())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if healthy.calls >= 5:
                break
        job = service.scheduler.get_job("limited")
        assert job.next_run_time - utcnow() > timedelta(minutes=55)
        broken_job = service.scheduler.get_job("broken")
        assert broken_job.next_run_time - utcnow() > timedelta(seconds=3)
        service.stop()
        await asyncio.wait_for(task, 20)

    try:
        asyncio.run(main())
        assert limited.calls == 1
        assert broken.calls == 1
        assert healthy.calls >= 5
        health = {h.source: h for h in store.feed_health()}
        assert health["limited"].errors == {"rate_limited": 1}
        assert health["broken"].errors == {"http_500": 1}
        assert health["healthy"].status == "ok"
        assert service.records_processed == service.records_in == healthy.calls
    finally:
        store.close()


def test_records_still_queued_at_stop_are_processed(tmp_path):
    store, service = _service(tmp_path, [])

    async def main() -> None:
        task = asyncio.create_task(service.run())
        await asyncio.sleep(0.1)
        for i in range(50):
            await service.emit(
                CaptureRecord("adsbx_v2", utcnow(), v2_record(utcnow(), [v2_aircraft(f"a{i:05d}", -70.0, 11.0)]).body)
            )
        service.stop()
        await asyncio.wait_for(task, 20)

    try:
        asyncio.run(main())
        assert service.records_processed == 50
    finally:
        store.close()
