"""Serve an ASGI app with uvicorn on 127.0.0.1 (ephemeral port) in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from monitor.web.server import bound_port


@contextmanager
def serve_in_thread(app: Any, *, timeout_s: float = 15.0) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:PORT``) while the server runs."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test web server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{bound_port(server)}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)
