"""The core's one error family: input it cannot use, with a machine ``code``.

``datasets`` is the lowest layer of the core, so ``submissions`` and ``scoring`` raise these
too. They know nothing of HTTP: the platform maps them once (``odx.platform.errors.reported``)
to problem bodies, CLI messages and pages.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CoreError(ValueError):
    """Input the core cannot use. ``extra`` holds structured detail (e.g. ``problems``)."""

    code: ClassVar[str] = "invalid_input"
    title: ClassVar[str] = "Invalid input"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class CoreLookupError(CoreError, LookupError):
    """Something asked for by name that does not exist."""

    code: ClassVar[str] = "not_found"
    title: ClassVar[str] = "Not found"
