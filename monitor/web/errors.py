"""API errors: every bad request answers JSON that names the parameter, never a 500.

Body of a 4xx: ``{"error": CODE, "param": NAME | null, "message": TEXT}``. FastAPI's own
validation errors (a non-integer ``limit``) keep their standard ``detail`` list and gain the
same ``param`` and ``message`` members.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.store import QueryError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the API refuses, with the HTTP status and the parameter at fault."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str = "") -> None:
        self.status = status
        self.param = param
        self.code = code or {400: "bad_parameter", 403: "forbidden", 404: "not_found"}.get(
            status, "error"
        )
        self.message = message
        super().__init__(message)


def bad_param(param: str, message: str) -> ApiError:
    """400 naming ``param``; the message starts with the parameter name."""
    return ApiError(400, f"{param}: {message}", param=param)


def not_found(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, message, param=param)


def error_body(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": code, "param": param, "message": message}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _methods_of(app: FastAPI, scope: dict[str, object]) -> list[str]:
    """Every method some route of ``app`` answers on the request's path."""
    from starlette.routing import Match

    return [
        method
        for method in _METHODS
        if any(r.matches({**scope, "method": method})[0] is Match.FULL for r in app.router.routes)
    ]


def install_handlers(app: FastAPI) -> None:
    """Map every error to a JSON answer (and log the unexpected ones)."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.param), status_code=exc.status)

    @app.exception_handler(QueryError)
    async def _query_error(_request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse(error_body("bad_parameter", str(exc), exc.param), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        param = None
        message = "invalid request"
        if errors:
            loc = [str(p) for p in errors[0].get("loc", ()) if p not in ("query", "path", "body")]
            param = loc[0] if loc else None
            message = f"{param}: {errors[0].get('msg', 'invalid value')}" if param else errors[0].get("msg", message)
            if "input" in errors[0]:
                message += f" (got {errors[0]['input']!r})"
        body = {"detail": jsonable_encoder(errors), **error_body("invalid_parameter", message, param)}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # the router names the methods of the first route of the path only; a path
            # served by several routes (GET and POST /api/zones) allows all of theirs
            headers["Allow"] = ", ".join(_methods_of(app, request.scope))
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal", "internal error (logged)"), status_code=500)
