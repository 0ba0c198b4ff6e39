"""``GET /api/live/stream``: live positions pushed to every viewer over server-sent events.

One broadcaster per app watches the live indexes (``WebContext.aircraft`` / ``vessels``,
kept up to date by ``context.refresh_live``) every ``tick_s``. When a snapshot changed it
serialises **once** what changed since the previous broadcast (the same diff a poll with
``since_version`` gets) and hands the same bytes to every viewer's queue. A viewer that
connects gets the full snapshot of the last broadcast first (serialised once per
broadcast, on the first viewer's request), then the diffs.

Each viewer has a bounded queue (``queue_size`` events). A viewer that stops reading
fills it, and is disconnected rather than buffered without bound; a send that does not
complete within ``send_timeout_s`` (the client's socket buffer full) disconnects it too.

Events (``text/event-stream``)::

    event: full | diff
    id: <aircraft version>.<vessel version>
    data: {"aircraft": <as /api/live/aircraft>, "vessels": <as /api/live/vessels>}

plus a ``: keepalive`` comment every ``keepalive_s`` without data. The polling routes
(``/api/live/aircraft`` with ``since_version``) remain the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.types import Receive, Scope, Send

from monitor.web.context import WebContext, get_ctx
from monitor.web.live_index import LiveIndex

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])


@dataclass(eq=False)
class Viewer:
    """One connected viewer: its bounded queue of events (``None`` ends the stream)."""

    queue: asyncio.Queue[bytes | None]
    dropped: bool = False

    def drop(self) -> None:
        """End this viewer's stream: nothing more is queued for it."""
        if self.dropped:
            return
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


@dataclass(eq=False)
class LiveStream:
    """The broadcaster of one app (see the module docstring)."""

    ctx: WebContext
    tick_s: float = 0.1
    queue_size: int = 16
    keepalive_s: float = 15.0
    send_timeout_s: float = 10.0
    viewers: set[Viewer] = field(default_factory=set)
    #: events serialised (one per broadcast, plus one full snapshot per broadcast that a
    #: new viewer asked for): the cost follows the data, not the number of viewers
    serialisations: int = 0
    #: viewers disconnected for not reading
    dropped: int = 0
    _task: asyncio.Task[None] | None = None
    _last: tuple[Any, Any] = (None, None)
    _full: bytes | None = None

    def subscribe(self) -> Viewer:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-stream")
        viewer = Viewer(asyncio.Queue(maxsize=self.queue_size))
        full = self._full_event()
        if full is not None:
            viewer.queue.put_nowait(full)
        self.viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)

    async def close(self) -> None:
        for viewer in list(self.viewers):
            viewer.drop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _indexes(self) -> tuple[LiveIndex, LiveIndex]:
        return self.ctx.aircraft, self.ctx.vessels

    def _full_event(self) -> bytes | None:
        """The full snapshot of the last broadcast (serialised once per broadcast)."""
        air, ves = self._last
        if air is None and ves is None:
            air, ves = (idx.current for idx in self._indexes())
            if air is None or ves is None or air.version != ves.version:
                return None  # not indexed yet: the first broadcast will be a full one
            self._last = (air, ves)
        if self._full is None:
            self._full = self._event("full", air, ves, since=(None, None))
        return self._full

    def _event(self, name: str, air: Any, ves: Any, *, since: tuple[int | None, int | None]) -> bytes:
        self.serialisations += 1
        parts = []
        for index, indexed, since_version in zip(self._indexes(), (air, ves), since, strict=True):
            if indexed is None:
                parts.append(b"null")
            else:
                parts.append(index.query(indexed, bbox=None, since_version=since_version).to_bytes(index.kind))
        ident = f"{getattr(air, 'version', 0)}.{getattr(ves, 'version', 0)}".encode()
        return b"".join(
            (b"event: ", name.encode(), b"\nid: ", ident, b'\ndata: {"aircraft":', parts[0],
             b',"vessels":', parts[1], b"}\n\n")
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            air, ves = (idx.current for idx in self._indexes())
            last_air, last_ves = self._last
            if air is last_air and ves is last_ves:
                continue
            if air is not None and ves is not None and air.version != ves.version:
                continue  # one snapshot indexed, the other kind not yet: one event for both
            since = (getattr(last_air, "version", None), getattr(last_ves, "version", None))
            if not self.viewers:  # nobody to tell: the next viewer starts from a full one
                self._last, self._full = (air, ves), None
                continue
            name = "full" if since == (None, None) else "diff"
            event = await asyncio.to_thread(self._event, name, air, ves, since=since)
            self._last, self._full = (air, ves), None
            for viewer in list(self.viewers):
                try:
                    viewer.queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.info("live stream: a viewer stopped reading (%d events queued); disconnected",
                             self.queue_size)
                    self.dropped += 1
                    viewer.drop()
                    self.unsubscribe(viewer)


def live_stream(request: Request) -> LiveStream:
    """The app's broadcaster (made on first use)."""
    state = request.app.state
    stream: LiveStream | None = getattr(state, "live_stream", None)
    if stream is None:
        stream = state.live_stream = LiveStream(get_ctx(request))
    return stream


class EventStreamResponse(Response):
    """An ASGI answer streaming one viewer's queue; ends when the viewer is dropped, the
    client disconnects, or a send does not complete within the stream's timeout."""

    media_type = "text/event-stream"

    def __init__(self, stream: LiveStream, viewer: Viewer) -> None:
        super().__init__(media_type=self.media_type)
        self.stream = stream
        self.viewer = viewer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream, viewer = self.stream, self.viewer

        async def watch_disconnect() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    viewer.drop()
                    return

        watcher = asyncio.create_task(watch_disconnect())
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            while True:
                try:
                    chunk = await asyncio.wait_for(viewer.queue.get(), stream.keepalive_s)
                except TimeoutError:
                    chunk = b": keepalive\n\n"
                if chunk is None:
                    break
                try:
                    await asyncio.wait_for(
                        send({"type": "http.response.body", "body": chunk, "more_body": True}),
                        stream.send_timeout_s,
                    )
                except TimeoutError:
                    log.info("live stream: a send took over %.0f s; viewer disconnected", stream.send_timeout_s)
                    stream.dropped += 1
                    viewer.drop()
                    return  # the server closes the connection of an unfinished answer
            if not viewer.dropped or not _disconnected(watcher):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            stream.unsubscribe(viewer)
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def _disconnected(watcher: asyncio.Task[None]) -> bool:
    return watcher.done()


@router.get(
    "/api/live/stream",
    summary="Live positions pushed over server-sent events (one shared snapshot per change)",
    response_model=None,
    response_class=EventStreamResponse,
    status_code=200,
    responses={
        200: {
            "description": "an endless `text/event-stream`: a `full` event, then `diff` events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def stream_live(request: Request) -> Response:
    """Aircraft and vessels as ``/api/live/aircraft`` and ``/api/live/vessels`` answer
    them, pushed when they change: first everything (``event: full``), then what changed
    (``event: diff``, with ``removed`` ids). A client that falls behind by more than the
    server's queue is disconnected; reconnect, or poll ``/api/live/*?since_version=``."""
    stream = live_stream(request)
    return EventStreamResponse(stream, stream.subscribe())
