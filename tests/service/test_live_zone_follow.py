"""The live service follows zones stored by another process (SQLite and PostGIS): an
aircraft cruising where no zone is raises nothing until another process declares a
closure there; within 5 s the pipeline geofences with it and opens the incursion."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from monitor.config import Settings
from monitor.domain import ZoneKind, ZoneStatus
from monitor.feeds.base import PollingAdapter, PollResult
from monitor.service.live import LiveOptions, LiveService
from monitor.service.runtime import build_runtime
from monitor.store import IncidentQuery, Store
from monitor.timeutil import utcnow
from tests.builders import box_zone
from tests.pipeline.fixtures import v2_aircraft, v2_record

PROPAGATION_S = 5.0
#: open water north of Colombia, outside every shipped restriction
AREA = (-79.8, 14.8, -79.2, 15.4)


class Cruiser(PollingAdapter):
    """One airliner holding over the area, reported every poll."""

    kind = "adsbx_v2"
    name = "cruiser"
    interval_s = 0.2

    async def poll(self) -> PollResult:
        return PollResult([v2_record(utcnow(), [v2_aircraft("a0b1c2", -79.5, 15.1)], source=self.name)])


def test_a_zone_declared_by_another_process_is_geofenced_within_5_s(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    runtime = build_runtime(Settings(database_url=url))
    service = LiveService(
        runtime, [Cruiser()], [], LiveOptions(batch_wait_s=0.05, tick_every_s=0.5)
    )
    zone = box_zone(
        "FOLLOW-ME", AREA, kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED,
        authority="TEST", valid_from=utcnow() - timedelta(hours=1),
    )

    def incursions() -> list[object]:
        rows, _ = store.query_incidents(IncidentQuery(zone="FOLLOW-ME", kinds=["incursion"]))
        return rows

    async def main() -> tuple[float, float]:
        task = asyncio.create_task(service.run())
        try:
            while service.records_processed < 3:
                await asyncio.sleep(0.05)
            assert not incursions()
            started = time.perf_counter()
            await asyncio.to_thread(store.add_versions, [zone], origin="api")
            swapped = geofenced = None
            while time.perf_counter() - started < PROPAGATION_S:
                keys = {v.key for v in runtime.pipeline.geofence.index.versions}
                if swapped is None and "FOLLOW-ME@v1" in keys:
                    swapped = time.perf_counter() - started
                if await asyncio.to_thread(incursions):
                    geofenced = time.perf_counter() - started
                    break
                await asyncio.sleep(0.05)
            assert swapped is not None, "the pipeline did not take the zone within 5 s"
            assert geofenced is not None, "no incursion within 5 s of the declaration"
            return swapped, geofenced
        finally:
            service.stop()
            await asyncio.wait_for(task, 30)

    try:
        swapped, geofenced = asyncio.run(main())
    finally:
        runtime.close()
    print(f"\n{store.dialect}: zone in the pipeline after {swapped:.3f} s, incursion after {geofenced:.3f} s")
    assert service.zone_swaps >= 1
    assert service.zone_signal is not None and not service.zone_signal.running
