"""The guard every request passes before the app sees it: bounded bodies, no stalled
uploads, no control characters in the address.

- A body larger than its route allows is refused from its ``Content-Length`` at once (413),
  and a chunked one is cut off at the limit: FastAPI reads a JSON or YAML body whole,
  before any dependency checks the token, so this is where its size is bounded. Upload
  routes check their own, larger limit in their service; here they get only a ceiling.
- A body that sends nothing for ``upload_idle_seconds`` is dropped (408), and at most
  ``max_concurrent_bodies`` bodies are received at once (503 with ``Retry-After`` beyond),
  so slow or stalled clients cannot hold the server's connections.
- NUL and control characters in the path or query are refused (400): no route takes them,
  and PostgreSQL would fail on a NUL in a lookup.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from odx.platform.services.submissions import FORM_ENVELOPE
from odx.platform.settings import Settings

PROBLEM_JSON = b"application/problem+json"
BUSY_RETRY_SECONDS = 5
CLOSE = (b"connection", b"close")
# Routes that read their own body as it arrives and check its size in their service.
UPLOAD_ROUTES = re.compile(
    r"^/(api/challenges/[^/]+/(submissions|application)|challenges/[^/]+/submit"
    r"|api/dataset-jobs/upload|organizer/datasets/upload)/?$"
)
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class BodyRefused(HTTPException):
    """Raised from ``receive`` while the app reads a body. An ``HTTPException``, so that
    FastAPI's own body parsing passes it on; the problem handlers render it."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(status, detail)
        self.code, self.title = code, title


def _problem(status: int, code: str, title: str, detail: str, path: str) -> dict[str, Any]:
    return {
        "type": f"https://opendatax.kr/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": path,
    }


async def _answer(send: Send, problem: dict[str, Any], headers: dict[bytes, bytes]) -> None:
    body = json.dumps(problem).encode()
    head = {
        b"content-type": PROBLEM_JSON,
        b"content-length": str(len(body)).encode(),
        b"connection": b"close",  # the body, if any, is never read: end the connection
    }
    await send(
        {
            "type": "http.response.start",
            "status": problem["status"],
            "headers": list((head | headers).items()),
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyGuard:
    """Pure ASGI middleware (a response sent before the body is read closes the connection:
    the rest of the body is never received)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.receiving = 0  # bodies being received now (one event loop: no lock needed)

    def limit_for(self, path: str) -> int:
        if UPLOAD_ROUTES.match(path):
            largest = max(self.settings.max_upload_bytes, self.settings.max_dataset_upload_bytes)
            return largest + FORM_ENVELOPE
        return self.settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if _CONTROL.search(path.encode()):  # no resource has such a name
            printable = path.encode("unicode_escape").decode("ascii")
            problem = _problem(404, "http_404", "Not found", f"nothing at {printable}", printable)
            await _answer(send, problem, {})
            return
        if _CONTROL.search(unquote_to_bytes(scope.get("query_string", b""))):
            detail = "the query contains a control character"
            await _answer(send, _problem(400, "bad_query", "Bad query", detail, path), {})
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if not chunked and declared in (b"", b"0"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(path)
        if declared.isdigit() and int(declared) > limit:
            detail = f"the request body is larger than the limit of {limit:,} bytes"
            problem = _problem(413, "request_too_large", "Request too large", detail, path)
            await _answer(send, problem, {})
            return
        if self.receiving >= self.settings.max_concurrent_bodies:
            detail = "the server is receiving as many uploads as it takes; try again shortly"
            problem = _problem(503, "server_busy", "Server busy", detail, path)
            await _answer(send, problem, {b"retry-after": str(BUSY_RETRY_SECONDS).encode()})
            return
        await self._guarded(scope, receive, send, limit)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self.receiving += 1
        state = {"received": 0, "complete": False, "released": False}
        idle = self.settings.upload_idle_seconds

        def release() -> None:  # this body no longer takes a place
            if not state["released"]:
                state["released"] = True
                self.receiving -= 1

        async def bounded_receive() -> Message:
            if state["complete"]:  # the body is in: wait for a disconnect as long as it takes
                return await receive()
            with anyio.move_on_after(idle) as waiting:
                message = await receive()
            if waiting.cancelled_caught:
                release()
                raise BodyRefused(
                    408,
                    "upload_stalled",
                    "Upload stalled",
                    f"nothing of the body arrived for {idle:g} seconds; the upload was dropped",
                )
            if message["type"] != "http.request":  # the client went away
                release()
                return message
            state["received"] += len(message.get("body", b""))
            if state["received"] > limit:
                release()
                raise BodyRefused(
                    413,
                    "request_too_large",
                    "Request too large",
                    f"the request body is larger than the limit of {limit:,} bytes",
                )
            if not message.get("more_body", False):
                state["complete"] = True
                release()
            return message

        async def closing_send(message: Message) -> None:
            # An answer before the whole body arrived (a refusal): close the connection, or
            # uvicorn would keep receiving the rest of the body only to discard it.
            if message["type"] == "http.response.start" and not state["complete"]:
                message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        try:
            await self.app(scope, bounded_receive, closing_send)
        finally:
            release()
