"""Receiving uploads, shared by both edges (the JSON API and the pages).

Two ways in: a multipart file that FastAPI has spooled (a submission), read back in
chunks; or a raw body pulled chunk by chunk from a worker thread as it arrives (a dataset
zip), so that a route declaring no body parameter has the token and the role checked before
a byte is read, and the service stops at its own limit with nothing beyond it received.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio.from_thread
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request

from odx.platform.db.models import Challenge, Submission, User
from odx.platform.services import submissions as intake

CHUNK = 1 << 20


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


def file_chunks(file: UploadFile) -> Iterator[bytes]:
    """A spooled upload read back in chunks, never whole into memory."""
    return iter(lambda: file.file.read(CHUNK), b"")


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
    file: UploadFile,
    message: str,
) -> Submission:
    """Store an upload in chunks, queue it and hand it to the workers (the API's and the
    pages' upload both end here)."""
    settings = request.app.state.settings
    submission = intake.accept(
        session,
        settings,
        challenge,
        user,
        file_chunks(file),
        file_name=file.filename or "",
        message=message,
    )
    queue_submission(request, submission.id)
    return submission
