"""Reading a request body chunk by chunk from a worker thread, as it arrives.

A route that declares no body parameter has its dependencies (the token, the role) checked
before a byte of the body is read; the service then pulls the body through this iterator
and stops at its own limit, so nothing beyond the limit is ever received or spooled.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio.from_thread
from fastapi import Request


def declared_length(request: Request) -> int | None:
    """The body's size as its ``Content-Length`` declares it (None for a chunked body)."""
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


def body_chunks(request: Request) -> Iterator[bytes]:
    """The body as a blocking iterator, for a service running in a worker thread."""
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = anyio.from_thread.run(stream.__anext__)
        except StopAsyncIteration:
            return
        if chunk:
            yield chunk
