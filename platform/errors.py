"""One error family for the whole platform, rendered as RFC 9457 problem details.

Every error carries a machine-readable ``code``, a short ``title`` and an HTTP
``status``. ``participant_safe`` says whether the message may be shown to a
participant: messages built from hidden labels never are.

A ``detail`` may be a :class:`Message`: plain English for the API, the CLI and logs, that
also remembers a message key and its values, so pages can say it in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from odx.datasets.errors import CoreError

MOMENT = "%Y-%m-%d %H:%M %Z"  # how error texts show a moment, e.g. 2026-05-02 00:00 KST


def plain(value: object) -> object:
    """A value as an English sentence shows it: moments to the minute in their own time
    zone, enum members by their value, lists joined with commas."""
    if isinstance(value, datetime):
        return value.strftime(MOMENT)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(str(plain(v)) for v in value)
    return value


class Message(str):
    """An English sentence that also keeps its message key and values.

    It is a ``str``, so everything that reads an error's detail (problem bodies, the CLI,
    logs, tests) keeps working unchanged; the pages look up ``detail.<key>`` in their
    catalogue and fill in the same values in the visitor's language.
    """

    key: str
    values: Mapping[str, Any]

    def __new__(cls, key: str, english: str, /, **values: Any) -> Message:
        return _message(english.format(**{k: plain(v) for k, v in values.items()}), key, values)

    def __reduce__(self) -> tuple[Any, ...]:  # copies and pickles keep the key and values
        return (_message, (str(self), self.key, dict(self.values)))


def _message(text: str, key: str, values: Mapping[str, Any]) -> Message:
    message = str.__new__(Message, text)
    message.key, message.values = key, values
    return message


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
        self.headers: dict[str, str] = {}  # HTTP headers the answer carries (Retry-After)

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


class CoreProblem(OdxError):
    """A core error (``odx.datasets.errors.CoreError``) as the platform reports it."""

    def __init__(self, error: CoreError) -> None:
        super().__init__(error.detail, extra=error.extra)
        self.code = error.code  # type: ignore[misc]
        self.title = error.title  # type: ignore[misc]
        self.status = _core_status(error)  # type: ignore[misc]


# The HTTP status of a core error, by its code, where it is not 422 (and not a LookupError).
_CORE_STATUS = {"upload_too_large": 413, "sandbox_unavailable": 503}
# Every error meant for a person: catch these, then show ``reported(exc)``.
REPORTABLE = (OdxError, CoreError)


def _core_status(error: CoreError) -> int:
    if isinstance(error, LookupError):
        return 404
    return _CORE_STATUS.get(error.code, 422)


def reported(error: OdxError | CoreError) -> OdxError:
    """The one mapping of the core's errors onto the platform's (status, title, problem body)."""
    return error if isinstance(error, OdxError) else CoreProblem(error)


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
