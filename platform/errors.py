"""One error family for the whole platform, rendered as RFC 9457 problem details.

Every error carries a machine-readable ``code``, a short ``title`` and an HTTP
``status``. ``participant_safe`` says whether the message may be shown to a
participant: messages built from hidden labels never are.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OdxError(Exception):
    """Base of every error odx reports to a person."""

    code: ClassVar[str] = "odx_error"
    title: ClassVar[str] = "OpenData X error"
    status: ClassVar[int] = 400
    participant_safe: ClassVar[bool] = True

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The error as an RFC 9457 problem body."""
        body: dict[str, Any] = {
            "type": f"https://opendatax.kr/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class NotFoundError(OdxError):
    code = "not_found"
    title = "Not found"
    status = 404


class InvalidInputError(OdxError):
    code = "invalid_input"
    title = "Invalid input"
    status = 422


class ConflictError(OdxError):
    code = "conflict"
    title = "Conflict"
    status = 409
