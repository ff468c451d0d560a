"""Every error leaves the API as an RFC 9457 problem body; none as a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from odx.datasets.errors import CoreError
from odx.platform.errors import OdxError, reported

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("odx.api")


def problem(
    status: int, title: str, detail: str, *, code: str, instance: str, **extra: object
) -> JSONResponse:
    body = {
        "type": f"https://opendatax.kr/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


# A page renderer for browsers: (request, status, code, detail) -> a response, or None when
# the request wants JSON. Supplied by the web layer, so the API does not depend on it.
HtmlRenderer = Callable[[Request, int, str, str], Response | None]


def install(app: FastAPI, html: HtmlRenderer | None = None) -> None:
    """Register the handlers that turn every failure into a problem body (or, for a browser
    asking for a page, into an error page)."""

    async def as_page(request: Request, status: int, code: str, detail: str) -> Response | None:
        if html is None:
            return None
        return await run_in_threadpool(html, request, status, code, detail)

    @app.exception_handler(OdxError)
    @app.exception_handler(CoreError)
    async def _odx(request: Request, error: OdxError | CoreError) -> Response:
        exc = reported(error)
        if (page := await as_page(request, exc.status, exc.code, exc.detail)) is not None:
            page.headers.update(exc.headers)
            return page
        return JSONResponse(
            exc.to_problem(request.url.path),
            status_code=exc.status,
            media_type=PROBLEM_JSON,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        if (page := await as_page(request, 422, "invalid_request", detail)) is not None:
            return page
        return problem(
            422,
            "Invalid request",
            detail,
            code="invalid_request",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        default_title = {404: "Not found", 405: "Method not allowed"}
        title = getattr(exc, "title", default_title.get(exc.status_code, "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = f"nothing at {request.url.path}"
        code = getattr(exc, "code", f"http_{exc.status_code}")
        if (page := await as_page(request, exc.status_code, code, detail)) is not None:
            return page
        answer = problem(exc.status_code, title, detail, code=code, instance=request.url.path)
        answer.headers.update(exc.headers or {})
        return answer

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        if (page := await as_page(request, 500, "internal_error", "")) is not None:
            return page
        return problem(
            500,
            "Internal error",
            "the server failed; the error was logged",
            code="internal_error",
            instance=request.url.path,
        )


# What each documented problem status means, for the OpenAPI schema.
_MEANINGS = {
    400: "Malformed request (a body that cannot be parsed, a control character in the query)",
    401: "No valid API token (send 'Authorization: Bearer <token>')",
    403: "The token's user may not do this (role, phase)",
    404: "No such resource, or none this user may see",
    408: "The request body stalled and was dropped",
    409: "Conflicts with the current state (already exists, not in a team, …)",
    413: "The request body is over its limit",
    422: "Invalid parameters or body",
    429: "Quota reached, or too many failed attempts (see Retry-After)",
    503: "The server cannot take this now (busy receiving uploads, no sandbox; see Retry-After)",
}


def _walk(dependant: Any) -> list[Any]:
    """A route's dependant and every dependency below it."""
    return [dependant, *(d for sub in dependant.dependencies for d in _walk(sub))]


def _statuses(route: APIRoute) -> set[int]:
    """The problem statuses a route can answer, read off what it declares."""
    tree = _walk(route.dependant)
    names = {getattr(d.call, "__name__", "") for d in tree}
    path = any(d.path_params for d in tree)
    body = any(d.body_params for d in tree)
    statuses = {400}  # the body guard refuses control characters in any query
    if path or body or any(d.query_params for d in tree):
        statuses |= {422}
    if path:
        statuses |= {404}
    if names & {"_current_user", "signed_in_with_role"}:  # a token, a role, a team
        statuses |= {401, 403, 404, 409, 429}
    if body or "requestBody" in (route.openapi_extra or {}):
        statuses |= {408, 413, 503}
    if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
        statuses |= {404, 409, 429, 503}
    return statuses


PROBLEM_SCHEMA = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; 'code' is stable, 'detail' is for people.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Problem responses a route declares itself (those its signature does not show)."""
    return {status: _problem_response(status) for status in statuses}


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": _MEANINGS[status], "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


def document(router: APIRouter) -> APIRouter:
    """Add the problem responses each of a router's routes can give to the OpenAPI schema,
    so that a client (or a schema-driven test) knows every status it may meet."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for status in sorted(_statuses(route)):
                route.responses.setdefault(status, _problem_response(status))
    return router
