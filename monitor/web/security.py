"""Security defaults: read-only unless a token is configured, CORS closed unless origins are
listed, and headers that keep pages from loading anything off this server."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Header
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import ApiError


def require_admin(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    authorization: Annotated[str | None, Header(description="Bearer <admin_token>")] = None,
) -> None:
    """Dependency of every write endpoint: ``Authorization: Bearer <web.admin_token>``.

    With no ``admin_token`` configured, writes are refused outright (403).
    """
    token = ctx.services.config.admin_token
    if not token:
        raise ApiError(403, "writes are disabled: no web.admin_token is configured", code="forbidden")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given or not secrets.compare_digest(given.encode(), token.encode()):
        raise ApiError(401, "authorization: a valid admin bearer token is required",
                       param="authorization", code="unauthorized")


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """Cross-origin reads only from the configured origins (none by default)."""
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET"], allow_headers=["*"]
        )


def page_csp(tile_url: str | None) -> str:
    img = "'self' data:"
    if tile_url:
        img += " " + _origin(tile_url)
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}" if rest else url


class SecurityHeaders:
    """Adds nosniff / referrer / frame headers to every answer (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ):
                    if k not in names:
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

