"""A reference webhook receiver: checks the signature, drops duplicates by idempotency key.

It shows what a receiver of the monitor's webhook should do, and it is the receiver used
by the tests, the latency benchmark and the demo::

    python -m monitor.alerts.receiver --port 9009 --secret-env ALERT_HOOK_SECRET [--record FILE]

Every POST is answered ``200 {"ok": true, "duplicate": <bool>}`` when accepted (a repeat
of a key already seen is acknowledged, not processed again), ``401`` when a secret is set
and the ``X-Monitor-Signature`` does not match, ``400`` when the body is not JSON.
Binds 127.0.0.1 unless told otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.alerts.signing import SIGNATURE_HEADER, verify

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    key: str | None
    received_at: float  # time.time()
    payload: dict[str, Any]
    signature_ok: bool | None
    duplicate: bool
    body: bytes = b""
    signature: str | None = None


class WebhookReceiver:
    """A threaded HTTP receiver on 127.0.0.1 that records what it accepts.

    Parameters
    ----------
    port:
        0 picks a free port (see :attr:`url`).
    secret:
        When set, requests without a valid ``X-Monitor-Signature`` get 401.
    delay_s:
        Sleep this long before answering (an in-flight window for fault tests).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        secret: str | None = None,
        delay_s: float = 0.0,
        path: str = "/hook",
        record: Path | None = None,
    ) -> None:
        self.host = host
        self.secret = secret
        self.delay_s = delay_s
        self.path = path
        self.received: list[Received] = []
        self.rejected: list[tuple[int, str]] = []
        self._keys: dict[str, int] = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._fail: list[int] = []
        self._fail_always: int | None = None
        self._record = record.open("a", encoding="utf-8") if record is not None else None
        self._server = _Server((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life cycle --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._record is not None:
            self._record.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- behaviour ---------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` requests with ``status`` (and record nothing)."""
        with self._lock:
            self._fail.extend([status] * n)

    def fail_always(self, status: int | None) -> None:
        """Answer every request with ``status`` until called with ``None``."""
        with self._lock:
            self._fail_always = status

    # --- what arrived ------------------------------------------------------------------------

    @property
    def unique_keys(self) -> set[str]:
        with self._lock:
            return set(self._keys)

    @property
    def duplicates(self) -> int:
        with self._lock:
            return sum(n - 1 for n in self._keys.values())

    def count(self, key: str) -> int:
        with self._lock:
            return self._keys.get(key, 0)

    def first_arrivals(self) -> dict[str, float]:
        """Idempotency key -> time.time() of its first accepted delivery."""
        out: dict[str, float] = {}
        with self._lock:
            for r in self.received:
                if r.key is not None and r.key not in out:
                    out[r.key] = r.received_at
        return out

    def wait_for(self, unique: int, timeout_s: float = 10.0) -> bool:
        """Block until ``unique`` distinct keys arrived (or the timeout passed)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self._keys) < unique:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # --- request handling (called by the handler threads) ------------------------------------

    def _handle(self, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            if self._fail_always is not None:
                return self._fail_always, {"ok": False, "error": "receiver down (test)"}
            if self._fail:
                return self._fail.pop(0), {"ok": False, "error": "receiver down (test)"}
        signature_ok: bool | None = None
        if self.secret is not None:
            signature_ok = verify(body, self.secret, headers.get(SIGNATURE_HEADER))
            if not signature_ok:
                with self._lock:
                    self.rejected.append((401, "bad signature"))
                return 401, {"ok": False, "error": "bad signature"}
        try:
            payload = json.loads(body)
        except ValueError:
            with self._lock:
                self.rejected.append((400, "not JSON"))
            return 400, {"ok": False, "error": "body is not JSON"}
        key = payload.get("idempotency_key") if isinstance(payload, dict) else None
        with self._cond:
            duplicate = key is not None and key in self._keys
            if key is not None:
                self._keys[key] = self._keys.get(key, 0) + 1
            now = time.time()
            self.received.append(
                Received(key, now, payload, signature_ok, duplicate, body, headers.get(SIGNATURE_HEADER))
            )
            if self._record is not None:
                line = {"key": key, "received_at": now, "duplicate": duplicate, "signature_ok": signature_ok}
                self._record.write(json.dumps(line) + "\n")
                self._record.flush()
            self._cond.notify_all()
        if not duplicate:
            log.info("webhook: %s", payload.get("title") if isinstance(payload, dict) else "?")
        return 200, {"ok": True, "duplicate": duplicate}


class _Server(ThreadingHTTPServer):
    # the default backlog of 5 drops the SYNs of a dispatcher opening 8 connections at
    # once, and the kernel retries them only after 1 s
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
            log.debug("receiver: connection from %s reset by the sender", client_address)
            return
        super().handle_error(request, client_address)


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every answer
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, doc = receiver._handle(body, self.headers)
            out = json.dumps(doc).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                # the sender died after sending (a kill -9 test): it will re-send, and the
                # key tells us it is a repeat
                log.debug("receiver: the sender went away before the answer")
                self.close_connection = True

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # not the request line: a token in the path is the receiver's secret
            log.debug("receiver: %s -> %s", self.command, code)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("receiver: " + format, *args)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference receiver for the monitor's alert webhook.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9009)
    parser.add_argument("--path", default="/hook")
    parser.add_argument("--secret-env", default=None, help="environment variable holding the HMAC secret")
    parser.add_argument("--record", type=Path, default=None, help="append one JSON line per POST to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    secret = os.environ.get(args.secret_env) if args.secret_env else None
    receiver = WebhookReceiver(args.host, args.port, secret=secret, path=args.path, record=args.record)
    log.info("listening on %s (signature check %s)", receiver.url, "on" if secret else "off")
    try:
        receiver._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver._server.server_close()
        if receiver._record is not None:
            receiver._record.close()


if __name__ == "__main__":
    main()
