"""Security defaults: read-only unless a token is configured, CORS closed unless origins are
listed, and headers that keep pages from loading anything off this server.

Writes (the zone endpoints of :mod:`monitor.web.api_zone_admin`) depend on
:func:`require_admin`: ``Authorization: Bearer <web.admin_token>``, compared in constant
time. No token configured: every write is refused (403). No bearer token: 401 (with
``WWW-Authenticate: Bearer``). A wrong one: 403. Each refusal is logged at WARNING with
the method, path and client address, never with the token given.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, NoReturn

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import ApiError

log = logging.getLogger(__name__)

#: the OpenAPI security scheme of the write endpoints
admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="adminToken",
    description="`Authorization: Bearer <web.admin_token>` (env MONITOR_ADMIN_TOKEN)",
)


def require_admin(
    request: Request,
    ctx: Annotated[WebContext, Depends(get_ctx)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(admin_bearer)],
) -> None:
    """Dependency of every write endpoint: ``Authorization: Bearer <web.admin_token>``.

    With no ``admin_token`` configured, writes are refused outright (403); a missing
    bearer token is a 401, a wrong one a 403.
    """
    token = ctx.services.config.admin_token
    if not token:
        _refuse(request, 403, "writes are disabled: no web.admin_token is configured "
                "(set MONITOR_ADMIN_TOKEN)", "writes disabled", param=None)
    if credentials is None:
        _refuse(request, 401, "authorization: a bearer token is required "
                "(Authorization: Bearer <web.admin_token>)", "no bearer token")
    if not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
        _refuse(request, 403, "authorization: the bearer token is not the admin token",
                "wrong token")


def _refuse(
    request: Request, status: int, message: str, reason: str, *, param: str | None = "authorization"
) -> NoReturn:
    client = request.client
    log.warning(
        "write refused (%d, %s): %s %s from %s",
        status,
        reason,
        request.method,
        request.url.path,
        f"{client.host}:{client.port}" if client else "unknown client",
    )
    code = "unauthorized" if status == 401 else "forbidden"
    raise ApiError(status, message, param=param, code=code)


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
                if message.get("status") == 401 and b"www-authenticate" not in names:
                    headers.append((b"www-authenticate", b"Bearer"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

