"""Every error leaves the API as an RFC 9457 problem body; none as a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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
            return page
        return JSONResponse(
            exc.to_problem(request.url.path), status_code=exc.status, media_type=PROBLEM_JSON
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
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = f"nothing at {request.url.path}"
        code = f"http_{exc.status_code}"
        if (page := await as_page(request, exc.status_code, code, detail)) is not None:
            return page
        return problem(
            exc.status_code,
            title,
            detail,
            code=f"http_{exc.status_code}",
            instance=request.url.path,
        )

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
