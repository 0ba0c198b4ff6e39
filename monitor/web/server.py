"""Serve the app with uvicorn inside the caller's event loop (the live service runs it as one
more task beside the pollers), on 127.0.0.1 unless told otherwise.

:func:`run_workers` serves the history API from several worker processes instead (uvicorn's
supervisor, one shared socket): a read-only server beside the live service, for many map
and history users. Each worker builds its own app with ``monitor.service.main:history_app`` over the
database of the settings. There is no feed in those processes: ``/api/live/*`` answer the
latest stored position of each subject (``monitor.service.main.StoreLiveFeed``, refreshed
every 5 s, as downsampled as the store keeps them), and ``/metrics`` answers what the
database tells (``monitor.metrics.StoreCollector``: the same numbers from every worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
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


def run_workers(
    host: str = DEFAULT_HOST,
    port: int = 8000,
    *,
    workers: int = 2,
    factory: str = "monitor.service.main:history_app",
    log_level: str = "warning",
) -> None:
    """Serve ``factory``'s app from ``workers`` processes until interrupted (blocking).

    Parameters
    ----------
    host, port:
        Where to listen; 127.0.0.1 by default.
    workers:
        Worker processes; about one per core is right (each runs its queries and JSON
        encoding on its own core, the GIL of one process being the limit otherwise).
        With 1 the app runs in this process.
    factory:
        Import string of a function returning the ASGI app, called in each worker.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    config = uvicorn.Config(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess

    # What uvicorn.run does for workers > 1, plus TCP_NODELAY on the shared socket: uvicorn
    # makes it with protocol 0, asyncio then leaves Nagle on for the accepted connections
    # (it sets TCP_NODELAY only on sockets whose protocol says TCP), and every answer
    # written in two parts waited ~40 ms for the client's delayed ACK. Accepted sockets
    # inherit the option from the listening one on Linux.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def bound_port(server: uvicorn.Server) -> int | None:
    """The port a started server listens on (useful with port 0)."""
    for s in getattr(server, "servers", []) or []:
        for sock in s.sockets:
            return int(sock.getsockname()[1])
    return None
