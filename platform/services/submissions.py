"""Submission intake: phase, quotas, storage, and the queued row that is the scoring job.

Quota rules (per team, per day of the challenge's time zone): files that failed validation do
not use the daily or total quota, but count toward the daily cap on invalid files, so that
nobody can probe the test set with a stream of malformed files.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission, Team, TeamMember, User, utcnow
from odx.platform.errors import ConflictError, InvalidInputError, Message, NotFoundError, OdxError
from odx.platform.services import applications, models, teams, text
from odx.platform.services.challenges import is_open, spec_of
from odx.platform.settings import Settings
from odx.platform.states import (
    FINAL_SUBMISSION_STATES,
    Failure,
    SubmissionKind,
    SubmissionStatus,
)
from odx.submissions.storage import ObjectStore, UploadTooLargeError

MIN_PREFIX = 6  # `odx submissions` prints 12 characters; 6 hex digits make a clash unlikely
SHOWN_MATCHES = 5
_DEFAULT_NAMES = {SubmissionKind.PREDICTIONS: "submission.csv", SubmissionKind.MODEL: "model.zip"}
_team_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


class SubmissionClosedError(OdxError):
    code = "challenge_closed"
    title = "Not accepting submissions"
    status = 403


class SubmissionLimitError(OdxError):
    code = "submission_limit"
    title = "Submission limit reached"
    status = 429


class UnknownSubmissionError(NotFoundError):
    code = "unknown_submission"
    title = "Unknown submission"


class AmbiguousSubmissionError(ConflictError):
    code = "ambiguous_submission"
    title = "Ambiguous submission id"


def _unknown(submission_id: str) -> UnknownSubmissionError:
    return UnknownSubmissionError(
        Message("submission.unknown", "no submission '{id}'", id=submission_id)
    )


def _team_lock(team_id: int) -> threading.Lock:
    with _locks_guard:
        return _team_locks.setdefault(team_id, threading.Lock())


def _counts(
    session: Session, challenge: Challenge, team: Team, since: datetime
) -> tuple[int, int, int, int]:
    """(counted today, counted in total, invalid files today, files not yet checked today)
    for a team."""
    counted = Submission.failure.is_(None)  # invalid files and server faults spare the quota
    today = Submission.created_at >= since
    # One statement, so one snapshot: with separate counts, a file turning from waiting to
    # invalid between two of them (READ COMMITTED) would be counted in neither.
    row = session.execute(
        select(
            func.count().filter(today, counted),
            func.count().filter(counted),
            func.count().filter(today, Submission.failure == Failure.INVALID_FILE),
            func.count().filter(today, Submission.status.not_in(FINAL_SUBMISSION_STATES)),
        ).where(Submission.challenge_id == challenge.id, Submission.team_id == team.id)
    ).one()
    return (row[0], row[1], row[2], row[3])


@dataclass(frozen=True)
class Quota:
    """What a team has left today, for the submit page (the intake enforces the same rules)."""

    used_today: int
    daily: int
    used_total: int
    total: int | None
    invalid_today: int
    invalid_daily: int
    resets_at: datetime
    waiting_today: int = 0  # queued or running: each may still turn out invalid

    @property
    def remaining_today(self) -> int:
        left = self.daily - self.used_today
        if self.total is not None:
            left = min(left, self.total - self.used_total)
        return max(left, 0)


def quota(session: Session, challenge: Challenge, team: Team, now: datetime) -> Quota:
    spec = spec_of(challenge)
    day_start, day_end = spec.day_bounds(now)
    today, total, invalid, waiting = _counts(session, challenge, team, day_start)
    limits = spec.limits
    return Quota(
        used_today=today,
        daily=limits.daily_submissions,
        used_total=total,
        total=limits.total_submissions,
        invalid_today=invalid,
        invalid_daily=limits.daily_failed_submissions,
        resets_at=day_end,
        waiting_today=waiting,
    )


def check_can_submit(session: Session, challenge: Challenge, team: Team, now: datetime) -> str:
    """Raise unless the team may submit now; returns the open phase's name."""
    phase = spec_of(challenge).phase_at(now)
    if phase is None or not is_open(challenge, now):
        raise SubmissionClosedError(
            Message(
                "submission.closed",
                "'{challenge}' is not accepting submissions now",
                challenge=challenge.id,
            )
        )
    if team.is_baseline:
        return phase.name
    left = quota(session, challenge, team, now)
    if left.used_today >= left.daily:
        raise SubmissionLimitError(
            Message(
                "quota.daily",
                "your team has used its {daily} submissions for today; "
                "the quota resets at {resets}",
                daily=left.daily,
                resets=left.resets_at,
            )
        )
    if left.total is not None and left.used_total >= left.total:
        raise SubmissionLimitError(
            Message(
                "quota.total",
                "your team has used all {total} submissions of this challenge",
                total=left.total,
            )
        )
    if left.invalid_today < left.invalid_daily <= left.invalid_today + left.waiting_today:
        # A file waiting to be checked may still be invalid: reserve its place under the
        # cap, or concurrent uploads would overshoot it once they are found invalid.
        raise SubmissionLimitError(
            Message(
                "quota.invalid_waiting",
                "your team sent {invalid} invalid files today and {waiting} more are still "
                "being checked, which reaches the cap of {cap} invalid files a day; "
                "wait until they are scored",
                invalid=left.invalid_today,
                waiting=left.waiting_today,
                cap=left.invalid_daily,
            )
        )
    if left.invalid_today >= left.invalid_daily:
        raise SubmissionLimitError(
            Message(
                "quota.invalid",
                "your team sent {invalid} invalid files today, the most allowed; "
                "check files with the sample submission and try again after {resets}",
                invalid=left.invalid_today,
                resets=left.resets_at,
            )
        )
    return phase.name


FORM_ENVELOPE = 64 * 1024  # a form's framing and text fields beside the file, at most
MAX_MESSAGE = 500


class Upload(Protocol):
    """An upload as the intake takes it. Its bytes are pulled only after every check that
    needs none of them has passed; a form may send the file's name and the message after the
    file, so they are read once the bytes are."""

    declared_bytes: int | None  # what the request's Content-Length says, if anything

    def chunks(self) -> Iterable[bytes]: ...

    @property
    def file_name(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class BytesUpload:
    """An upload already in memory (baselines, scripts, tests)."""

    data: bytes
    file_name: str = ""
    message: str = ""
    declared_bytes: int | None = None

    def chunks(self) -> Iterable[bytes]:
        return [self.data]


def _check_declared_size(settings: Settings, declared_bytes: int | None) -> None:
    """Refuse a body whose declared size is already over the limit, before reading it."""
    most = settings.max_upload_bytes + FORM_ENVELOPE
    if declared_bytes is not None and declared_bytes > most:
        raise UploadTooLargeError(
            f"the upload ({declared_bytes:,} bytes) is larger than the limit of "
            f"{settings.max_upload_bytes:,} bytes"
        )


def admit(
    session: Session, settings: Settings, challenge: Challenge, user: User, declared: int | None
) -> Team:
    """Who, when and how much, before a byte of the upload is read: the user's team, the
    open phase, the quotas, the sandbox a model needs and the declared size."""
    team = teams.require_team(session, challenge, user)
    check_can_submit(session, challenge, team, utcnow())
    finalists_only = spec_of(challenge).dataset.access == "finalists"
    if (
        finalists_only
        and not team.is_baseline
        and not applications.is_finalist(session, challenge, team)
    ):
        raise SubmissionClosedError(
            f"only finalist teams submit to '{challenge.id}': its data is for finalists"
        )
    if spec_of(challenge).submission == SubmissionKind.MODEL:
        models.require_sandbox(settings)
    _check_declared_size(settings, declared)
    return team


def accept(
    session: Session, settings: Settings, challenge: Challenge, user: User, upload: Upload
) -> Submission:
    """Store an upload and queue it (committed); the caller then wakes a worker."""
    team = admit(session, settings, challenge, user, upload.declared_bytes)
    kind = spec_of(challenge).submission
    stored = ObjectStore(settings.objects_root).put_chunks(
        upload.chunks(), max_bytes=settings.max_upload_bytes
    )
    message = text.typed(upload.message, "message", most=MAX_MESSAGE, multiline=True)
    file_name = text.file_name(upload.file_name) or _DEFAULT_NAMES[kind]
    with _team_lock(team.id):  # the quota check and the insert must not interleave
        session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
        phase = check_can_submit(session, challenge, team, utcnow())
        submission = Submission(
            id=uuid.uuid4().hex,
            challenge_id=challenge.id,
            team_id=team.id,
            user_id=user.id,
            phase=phase,
            message=message,
            file_sha256=stored.sha256,
            file_bytes=stored.size,
            file_name=file_name,
            status=SubmissionStatus.QUEUED,
            kind=kind,
        )
        session.add(submission)
        session.commit()  # inside the lock: the next check must see this row
    return submission


def get(session: Session, submission_id: str) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise _unknown(submission_id)
    return submission


def of_team(session: Session, challenge: Challenge, team: Team) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.challenge_id == challenge.id, Submission.team_id == team.id)
            .order_by(Submission.created_at.desc())
        )
    )


def visible_to(session: Session, submission_id: str, user: User, *, staff: bool) -> Submission:
    """A submission its own team (or staff) may see; others get the same 'no such submission'
    as for an unknown id, so ids of other teams cannot be probed."""
    submission = get(session, submission_id)
    if staff:
        return submission
    challenge = session.get(Challenge, submission.challenge_id)
    team = teams.team_of(session, challenge, user) if challenge else None
    if team is None or team.id != submission.team_id:
        raise _unknown(submission_id)
    return submission


def own_by_prefix(session: Session, reference: str, user: User, *, staff: bool) -> Submission:
    """A submission by its full id, or, like git's short hashes, by a unique prefix of at
    least MIN_PREFIX characters among the submissions of the user's own teams.

    Only the user's own submissions are searched, so a prefix tells nothing about other
    teams' ids: a match elsewhere is 'no submission', the same as no match at all.
    """
    if session.get(Submission, reference) is not None:
        return visible_to(session, reference, user, staff=staff)
    if len(reference) < MIN_PREFIX:
        raise InvalidInputError(
            Message(
                "submission.prefix_short",
                "give at least {min} characters of the submission id (it has 32); "
                "'{prefix}' is too short",
                min=MIN_PREFIX,
                prefix=reference,
            )
        )
    mine = select(TeamMember.team_id).where(TeamMember.user_id == user.id)
    query = select(Submission.id).where(
        Submission.team_id.in_(mine),
        Submission.id.startswith(reference.lower(), autoescape=True),
    )
    matches = list(session.scalars(query.order_by(Submission.id).limit(SHOWN_MATCHES + 1)))
    if not matches:
        raise _unknown(reference)
    if len(matches) > 1:
        count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        shown = matches[:SHOWN_MATCHES] + (["…"] if count > SHOWN_MATCHES else [])
        raise AmbiguousSubmissionError(
            Message(
                "submission.ambiguous",
                "'{prefix}' is the start of {count} of your team's submission ids ({ids}); "
                "give more characters",
                prefix=reference,
                count=count,
                ids=shown,
            )
        )
    return get(session, matches[0])


def counts_by_challenge(session: Session) -> dict[str, int]:
    """Submissions per challenge id, for the organizer's overview."""
    query = select(Submission.challenge_id, func.count()).group_by(Submission.challenge_id)
    return {challenge_id: count for challenge_id, count in session.execute(query)}


def counts_by_team(session: Session, challenge: Challenge) -> dict[int, int]:
    query = (
        select(Submission.team_id, func.count())
        .where(Submission.challenge_id == challenge.id)
        .group_by(Submission.team_id)
    )
    return {team_id: count for team_id, count in session.execute(query)}


def wait_for_outcome(
    settings: Settings, submission_id: str, *, timeout: float, poll: float = 0.2
) -> tuple[str, float | None]:
    """Wait until a job is scored or failed (or ``timeout`` seconds pass): its status and
    public score. For in-process callers such as the baselines; the API's clients poll."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(settings.resolved_database_url) as session:
            row = get(session, submission_id)
            status, score = row.status, row.public_score
        if status in FINAL_SUBMISSION_STATES or time.monotonic() > deadline:
            return status, score
        time.sleep(poll)
