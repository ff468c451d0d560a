"""Receiving uploads, shared by both edges (the JSON API and the pages).

No upload route lets FastAPI parse its body: FastAPI would receive (and spool to a temp
file) the whole body before a dependency checks the token. A route declares no body
parameter instead, so the token, the role, the phase and the quota are checked from the
headers first; the service then pulls the body chunk by chunk as it stores it and stops at
its own limit, with nothing beyond it received or written anywhere.

Two shapes of body: a raw one (a dataset zip, ``body_chunks``) and multipart/form-data (a
submission, or a dataset zip sent by the organizer page's form), parsed as it arrives by
``FormUpload``: small text fields are kept, the one file part goes straight to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect, Request

from odx.platform.db.models import Challenge, Submission, User
from odx.platform.errors import Message, OdxError
from odx.platform.services import submissions as intake


def form_body(fields: dict[str, Any], *, more: dict[str, Any] | None = None) -> dict[str, Any]:
    """A multipart request body for the OpenAPI schema (FastAPI does not parse ours): the
    ``file`` part and ``fields``; ``more`` describes any further field."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, **fields},
    }
    if more is not None:
        schema["additionalProperties"] = more
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


UPLOAD_FORM = form_body({"message": {"type": "string", "maxLength": 500}})
MAX_FIELDS = 8  # text fields beside the file: a form has a handful (csrf_token, message, …)
MAX_FIELD_BYTES = 4096
# An application's form: up to 30 answers (and a CSRF token), long ones in UTF-8.
PLAN_MAX_FIELDS = 32
PLAN_MAX_FIELD_BYTES = 40_000


def plan_form() -> dict[str, Any]:
    """The request body of an application: the plan, and the answers named by field id."""
    return form_body({}, more={"type": "string", "maxLength": 10_000})


class MalformedFormError(OdxError):
    code = "malformed_form"
    title = "Malformed form"
    status = 400


class ClientGoneError(OdxError):
    """The client went away mid-body; nobody reads the answer, but nothing is stored."""

    code = "client_disconnected"
    title = "Client disconnected"
    status = 400


def declared_length(request: Request) -> int | None:
    """The body's size as its ``Content-Length`` declares it (None for a chunked body)."""
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


def body_chunks(request: Request) -> Iterator[bytes]:
    """The body as a blocking iterator, for a service running in a worker thread. The body
    guard (``odx.platform.api.bodies``) drops a body that stalls."""
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = anyio.from_thread.run(stream.__anext__)
        except StopAsyncIteration:
            return
        except ClientDisconnect:
            raise ClientGoneError("the client disconnected before the upload ended") from None
        if chunk:
            yield chunk


def _malformed(reason: str) -> MalformedFormError:
    return MalformedFormError(
        Message("upload.malformed", "the upload is not a valid form: {reason}", reason=reason)
    )


class FormUpload:
    """A multipart/form-data body read as it arrives: one file part (``file``) streamed
    through ``chunks()``, the small text fields beside it kept in ``fields``.

    ``before_file`` sees the fields sent before the file (a page's CSRF token comes first,
    in the form's order) and may refuse before any of the file is stored. ``fields`` is
    complete once ``chunks()`` is exhausted.
    """

    def __init__(
        self,
        request: Request,
        *,
        file_field: str = "file",
        before_file: Callable[[dict[str, str]], None] | None = None,
        max_fields: int = MAX_FIELDS,
        max_field_bytes: int = MAX_FIELD_BYTES,
    ) -> None:
        self._request = request
        self._file_field = file_field
        self._before_file = before_file
        self._max_fields, self._max_field_bytes = max_fields, max_field_bytes
        self.fields: dict[str, str] = {}
        self.file_name = ""
        self.has_file = False
        self.declared_bytes = declared_length(request)
        self._parts: Iterator[bytes] | None = None
        self._first: bytes | None = None

    @property
    def message(self) -> str:
        return self.fields.get("message", "")

    def _boundary(self) -> bytes:
        kind, options = parse_options_header(self._request.headers.get("content-type"))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise _malformed("send multipart/form-data with the file in a part named 'file'")
        return boundary

    def start(self) -> dict[str, str]:
        """Read the body up to the start of the file part (or its end, if it has none):
        the fields sent before the file, e.g. a page's CSRF token."""
        if self._parts is None:
            self._parts = self._read()
            self._first = next(self._parts, None)
        return dict(self.fields)

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, as the body arrives; text fields are collected on the way."""
        self.start()
        if self._first is not None:
            yield self._first
        assert self._parts is not None
        yield from self._parts
        if not self.has_file:
            raise _malformed(f"no file was sent in a part named '{self._file_field}'")

    def _read(self) -> Iterator[bytes]:
        """The whole body through the parser; yields b"" when the file part begins, then
        the file's bytes."""
        parser, pending = self._parser()
        try:
            for network_chunk in body_chunks(self._request):
                parser.write(network_chunk)
                yield from pending
                pending.clear()
            parser.finalize()
        except MultipartParseError as exc:
            raise _malformed(str(exc)) from None
        yield from pending

    def _parser(self) -> tuple[MultipartParser, list[bytes]]:
        pending: list[bytes] = []
        part: dict[str, Any] = {}

        def on_part_begin() -> None:
            part.clear()
            part.update(headers={}, field=b"", value=b"", data=[], size=0, is_file=False)

        def on_header_field(data: bytes, start: int, end: int) -> None:
            part["field"] += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            part["value"] += data[start:end]

        def on_header_end() -> None:
            part["headers"][part["field"].lower()] = part["value"]
            part["field"], part["value"] = b"", b""

        def on_headers_finished() -> None:
            _, options = parse_options_header(part["headers"].get(b"content-disposition"))
            name = options.get(b"name", b"").decode("utf-8", "replace")
            part["name"] = name
            if b"filename" not in options:
                if len(self.fields) >= self._max_fields:
                    raise _malformed(f"more than {self._max_fields} fields")
                return
            if name != self._file_field or self.has_file:
                raise _malformed(f"send exactly one file, in a part named '{self._file_field}'")
            if self._before_file is not None:
                self._before_file(dict(self.fields))
            self.has_file = part["is_file"] = True
            self.file_name = options[b"filename"].decode("utf-8", "replace")
            pending.append(b"")  # the file begins: start() stops here

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if part["is_file"]:
                pending.append(bytes(data[start:end]))
                return
            part["size"] += end - start
            if part["size"] > self._max_field_bytes:
                limit = self._max_field_bytes
                raise _malformed(f"the field '{part['name']}' is longer than {limit} bytes")
            part["data"].append(bytes(data[start:end]))

        def on_part_end() -> None:
            if not part["is_file"]:
                self.fields[part["name"]] = b"".join(part["data"]).decode("utf-8", "replace")

        callbacks = {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }
        return MultipartParser(self._boundary(), callbacks), pending  # type: ignore[arg-type]


def queue_submission(request: Request, submission_id: str) -> None:
    """Hand a committed submission to whoever scores: the embedded worker is woken, or (in
    production mode) a message goes to the broker."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        jobs.submission(submission_id)


def queue_dataset_job(request: Request, job_id: str) -> None:
    """Hand a committed dataset job to whoever runs it, as for submissions."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        jobs.dataset_job(job_id)


def receive_submission(
    request: Request,
    session: Session,
    challenge: Challenge,
    user: User,
    *,
    before_file: Callable[[dict[str, str]], None] | None = None,
) -> Submission:
    """Check the team, phase, quota and declared size, then store the form's file as it
    arrives, queue it and hand it to the workers (the API's and the pages' upload end here)."""
    form = FormUpload(request, before_file=before_file)
    submission = intake.accept(session, request.app.state.settings, challenge, user, form)
    queue_submission(request, submission.id)
    return submission
