"""The submission queue's state machine: every change of a job's state is here.

queued → scoring (``claim``) → scored | failed (``finish``), or back to queued
(``retry_or_fail``, ``requeue_stale``). Each is a conditional UPDATE committed at once, so two
workers can never both own a job and only the owner records its outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from odx.platform.db.models import Submission, utcnow
from odx.platform.states import Failure, SubmissionKind, SubmissionStatus

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


def heartbeat(session: Session, submission_id: str, worker: str) -> bool:
    """The owner of a running job says it is alive (long model runs); False once it is not
    the owner any more."""
    return finish(session, submission_id, worker, {"heartbeat_at": utcnow()})


def take_over(session: Session, submission_id: str, worker: str) -> bool:
    """Claim a job left scoring by a worker that was lost: the broker delivered its message
    again. A job that has used up its attempts (it may be what kills workers) fails instead.
    Should the first worker still be alive, its ``finish`` no longer matches: exactly once."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.status != SubmissionStatus.SCORING:
        return False
    if submission.attempts >= MAX_ATTEMPTS:
        finish(session, submission_id, submission.worker or "", failed_internal())
        return False
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status == SubmissionStatus.SCORING,
            Submission.worker == submission.worker,
        )
        .values(worker=worker, heartbeat_at=utcnow(), attempts=Submission.attempts + 1)
    )
    session.commit()
    return result.rowcount == 1


def next_queued(
    session: Session, limit: int = 10, *, kind: SubmissionKind | None = None
) -> list[str]:
    """Oldest queued jobs first (fair under a deadline rush), of one kind if given."""
    query = select(Submission.id).where(Submission.status == SubmissionStatus.QUEUED)
    if kind is not None:
        query = query.where(Submission.kind == kind)
    return list(session.scalars(query.order_by(Submission.created_at).limit(limit)))


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


def failed_internal() -> dict[str, Any]:
    """Our own error, for good: the quota is spared."""
    return {
        "status": SubmissionStatus.FAILED,
        "failure": Failure.INTERNAL,
        "scored_at": utcnow(),
        "problems": [INTERNAL_PROBLEM],
    }


def retry_or_fail(session: Session, submission_id: str, worker: str) -> SubmissionStatus:
    """After our own error: queue the job again, or fail it for good after ``MAX_ATTEMPTS``."""
    submission = session.get(Submission, submission_id)
    assert submission is not None
    if submission.attempts >= MAX_ATTEMPTS:
        finish(session, submission_id, worker, failed_internal())
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


def mark_sent(session: Session, submission_ids: list[str]) -> None:
    """The broker has these jobs' messages (production mode)."""
    if submission_ids:
        session.execute(
            update(Submission).where(Submission.id.in_(submission_ids)).values(sent_at=utcnow())
        )
        session.commit()


def unsent(session: Session, *, resend_after: timedelta, grace: timedelta, limit: int) -> list[str]:
    """Queued jobs the broker may not have: never sent (it was down) or sent so long ago that
    the message must be lost. Jobs younger than ``grace`` are left to their first send."""
    now = utcnow()
    return list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.status == SubmissionStatus.QUEUED,
                Submission.created_at < now - grace,
                or_(Submission.sent_at.is_(None), Submission.sent_at < now - resend_after),
            )
            .order_by(Submission.created_at)
            .limit(limit)
        )
    )


def requeue_all_scoring(session: Session) -> int:
    """On an embedded server's start, nobody else scores: every job left scoring is orphaned."""
    result = session.execute(
        update(Submission)
        .where(Submission.status == SubmissionStatus.SCORING)
        .values(status=SubmissionStatus.QUEUED, worker=None)
    )
    session.commit()
    return result.rowcount
