"""How odx's HTTP server runs: uvicorn, plus a deadline for each request's head.

uvicorn waits for ever for a client that opens a connection and sends its request line and
headers a byte at a time (slowloris): each such client holds a connection. Here a request's
head must be complete within ``request_head_seconds`` of the connection opening (or of the
previous response on a kept-alive connection), or the connection is closed. Bodies have
their own limits (``odx.platform.api.bodies``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from odx.platform.settings import Settings


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is late."""

    head_seconds: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None
    _scope_before: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.scope is not self._scope_before:
            self._head_timer.cancel()  # a new request's head has arrived
            self._head_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._scope_before = self.scope
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if self.scope is self._scope_before and not self.transport.is_closing():
            self.transport.close()


def config(app: Any, settings: Settings, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for ``app``, with the request-head deadline of ``settings``."""
    protocol = type(
        "HeadDeadline", (HeadDeadlineProtocol,), {"head_seconds": settings.request_head_seconds}
    )
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)


def serve(app: Any, settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    uvicorn.Server(config(app, settings, host=host, port=port, log_level=log_level)).run()
