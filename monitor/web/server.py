"""Serve the app with uvicorn inside the caller's event loop (the live service runs it as one
more task beside the pollers), on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import uvicorn

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the service owns SIGINT / SIGTERM."""

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None

    @contextlib.contextmanager
    def capture_signals(self) -> Any:  # uvicorn >= 0.29
        yield


async def serve(
    app: Any,
    host: str = DEFAULT_HOST,
    port: int = 8000,
    stop: asyncio.Event | None = None,
    *,
    on_started: Callable[[int], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run ``app`` until ``stop`` is set (or the task is cancelled), then shut down cleanly.

    Parameters
    ----------
    app:
        The ASGI app (``create_app(services)``).
    host, port:
        Where to listen; 127.0.0.1 by default. Port 0 picks a free port (see
        ``bound_port``).
    stop:
        Set it to stop the server (in-flight requests finish first).
    on_started:
        Called with the bound port once the server accepts connections.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    stop = stop or asyncio.Event()
    task = asyncio.create_task(server.serve(), name="web-server")
    try:
        while not server.started:
            if task.done():
                await task  # raises the bind error (e.g. port in use)
                raise OSError(f"web server on {host}:{port} stopped before it started")
            await asyncio.sleep(0.02)
        actual = bound_port(server) or port
        log.info("web: serving on http://%s:%s", host, actual)
        if on_started is not None:
            on_started(actual)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
    log.info("web: stopped")


def bound_port(server: uvicorn.Server) -> int | None:
    """The port a started server listens on (useful with port 0)."""
    for s in getattr(server, "servers", []) or []:
        for sock in s.sockets:
            return int(sock.getsockname()[1])
    return None
