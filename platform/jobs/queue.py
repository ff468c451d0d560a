"""The submission queue's state machine: every change of a job's state is here.

queued → scoring (``claim``) → scored | failed (``finish``), or back to queued
(``retry_or_fail``, ``requeue_stale``). Each is a conditional UPDATE committed at once, so two
workers can never both own a job and only the owner records its outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from odx.platform.db.models import Submission, utcnow
from odx.platform.states import Failure, SubmissionStatus

MAX_ATTEMPTS = 3
INTERNAL_PROBLEM = {
    "code": "internal",
    "message": "scoring failed on the server; this submission does not count toward your quota",
}


def claim(session: Session, submission_id: str, worker: str) -> bool:
    """Move one queued job to scoring for ``worker``; False when someone else has it."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == SubmissionStatus.QUEUED)
        .values(
            status=SubmissionStatus.SCORING,
            worker=worker,
            heartbeat_at=utcnow(),
            attempts=Submission.attempts + 1,
        )
    )
    session.commit()
    return result.rowcount == 1


def next_queued(session: Session, limit: int = 10) -> list[str]:
    """Oldest queued jobs first (fair under a deadline rush)."""
    return list(
        session.scalars(
            select(Submission.id)
            .where(Submission.status == SubmissionStatus.QUEUED)
            .order_by(Submission.created_at)
            .limit(limit)
        )
    )


def finish(session: Session, submission_id: str, worker: str, values: dict[str, Any]) -> bool:
    """Record the outcome only if this worker still owns the job (exactly-once)."""
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status == SubmissionStatus.SCORING,
            Submission.worker == worker,
        )
        .values(**values)
    )
    session.commit()
    return result.rowcount == 1


def scored(score_values: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": SubmissionStatus.SCORED,
        "scored_at": utcnow(),
        "failure": None,
        "problems": None,
        **score_values,
    }


def rejected(problems: list[dict[str, Any]]) -> dict[str, Any]:
    """The participant's file was invalid: precise problems, and the quota is spared."""
    return {
        "status": SubmissionStatus.FAILED,
        "failure": Failure.INVALID_FILE,
        "problems": problems,
        "scored_at": utcnow(),
    }


def retry_or_fail(session: Session, submission_id: str, worker: str) -> SubmissionStatus:
    """After our own error: queue the job again, or fail it for good after ``MAX_ATTEMPTS``."""
    submission = session.get(Submission, submission_id)
    assert submission is not None
    if submission.attempts >= MAX_ATTEMPTS:
        values = {
            "status": SubmissionStatus.FAILED,
            "failure": Failure.INTERNAL,
            "scored_at": utcnow(),
            "problems": [INTERNAL_PROBLEM],
        }
        finish(session, submission_id, worker, values)
        return SubmissionStatus.FAILED
    finish(session, submission_id, worker, {"status": SubmissionStatus.QUEUED, "worker": None})
    return SubmissionStatus.QUEUED


def requeue_stale(session: Session, *, timeout: timedelta) -> int:
    """Give jobs whose worker stopped heart-beating back to the queue (or fail them for good)."""
    cutoff = utcnow() - timeout
    stale = list(
        session.scalars(
            select(Submission).where(
                Submission.status == SubmissionStatus.SCORING, Submission.heartbeat_at < cutoff
            )
        )
    )
    for submission in stale:
        retry_or_fail(session, submission.id, submission.worker or "")
    return len(stale)


def requeue_all_scoring(session: Session) -> int:
    """On an embedded server's start, nobody else scores: every job left scoring is orphaned."""
    result = session.execute(
        update(Submission)
        .where(Submission.status == SubmissionStatus.SCORING)
        .values(status=SubmissionStatus.QUEUED, worker=None)
    )
    session.commit()
    return result.rowcount
