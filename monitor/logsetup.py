"""Logging set-up for the CLI and the service: text for people, JSON lines when asked."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

_SECRET_WORDS = ("apikey", "api_key", "client_secret", "password", "token=")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(doc).decode()


class RedactSecrets(logging.Filter):
    """Last line of defence: a message that looks like it carries a secret is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        low = msg.lower()
        if any(w in low for w in _SECRET_WORDS):
            record.msg = _mask(msg)
            record.args = ()
        return True


def _mask(msg: str) -> str:
    import re

    return re.sub(
        r"(?i)(apikey|api_key|client_secret|password|token)([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)",
        r"\1\2***",
        msg,
    )


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "alembic",
        "apscheduler.executors",
        "apscheduler.scheduler",
        "uvicorn.access",
        "websockets",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
