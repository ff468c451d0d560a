"""The scoring job: load → validate → score → record, with its state durable in the database.

The same function runs in the embedded worker threads and, later, in Celery workers. Every
state change is a conditional UPDATE, so a job is claimed by one worker, recorded once, and a
job whose worker died is re-queued by :func:`requeue_stale` — nothing stays queued or scoring
forever: after ``MAX_ATTEMPTS`` a job fails with an internal error that spares the quota.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, DatasetVersion, Submission, Team, User, utcnow
from odx.platform.errors import InvalidInputError
from odx.platform.services.challenges import spec_of
from odx.platform.settings import Settings
from odx.scoring.score import Scores, score_submission
from odx.scoring.tracking import RunRecord, log_run
from odx.scoring.validation import SubmissionFormat, check_submission
from odx.submissions.files import read_upload
from odx.submissions.storage import ObjectStore

MAX_ATTEMPTS = 3
INTERNAL = "internal"
INVALID_FILE = "invalid_file"
log = logging.getLogger("odx.scoring")
MAX_TRACKING_DELAY = timedelta(hours=6)  # the longest wait between tries of one MLflow run


def claim(session: Session, submission_id: str, worker: str) -> bool:
    """Move one queued job to scoring for ``worker``; False when someone else has it."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == "queued")
        .values(
            status="scoring", worker=worker, heartbeat_at=utcnow(), attempts=Submission.attempts + 1
        )
    )
    session.commit()
    return result.rowcount == 1


def next_queued(session: Session, limit: int = 10) -> list[str]:
    """Oldest queued jobs first (fair under a deadline rush)."""
    return list(
        session.scalars(
            select(Submission.id)
            .where(Submission.status == "queued")
            .order_by(Submission.created_at)
            .limit(limit)
        )
    )


def _finish(session: Session, submission_id: str, worker: str, values: dict[str, Any]) -> bool:
    """Record the outcome only if this worker still owns the job (exactly-once)."""
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status == "scoring",
            Submission.worker == worker,
        )
        .values(**values)
    )
    session.commit()
    return result.rowcount == 1


def _score_values(scores: Scores) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for part in ("public", "private", "overall"):
        score = getattr(scores, part)
        for field, number in (("score", score.value), ("low", score.low), ("high", score.high)):
            values[f"{part}_{field}"] = None if math.isnan(number) else float(number)
    return values


@lru_cache(maxsize=32)
def release_format(public_dir: Path, task: str, metric: str) -> SubmissionFormat:
    """Releases are immutable, so each one's format (ids, labels) is read once per process."""
    return SubmissionFormat.from_release(public_dir, task=task, metric=metric)


@dataclass(frozen=True)
class Evaluation:
    """What scoring produced, kept in memory for the MLflow run written right after."""

    scores: Scores
    predictions: pd.Series
    labels: pd.DataFrame
    report: dict[str, Any]


def _evaluate(
    settings: Settings, submission: Submission, challenge: Challenge, version: DatasetVersion
) -> Evaluation:
    """Validate the stored file against the release's format and score it on hidden labels."""
    spec = spec_of(challenge)
    public_dir = settings.public_root / version.public_dir
    fmt = release_format(public_dir, spec.task.value, spec.metric)
    path = ObjectStore(settings.objects_root).path_for(submission.file_sha256)
    table = read_upload(path, max_bytes=settings.max_upload_bytes)
    predictions = check_submission(table.frame, fmt)
    manifest = version.manifest
    labels = pd.read_csv(
        settings.hidden_root / version.hidden_dir / "labels.csv", dtype={manifest["id_column"]: str}
    )
    scores = score_submission(
        labels,
        predictions.iloc[:, 0],
        metric=spec.metric,
        id_column=manifest["id_column"],
        target_column=manifest["target_column"],
    )
    report = {
        "submission_id": submission.id,
        "file": {
            "name": submission.file_name,
            "sha256": submission.file_sha256,
            "bytes": submission.file_bytes,
            "encoding": table.encoding,
            "compression": table.compression,
            "rows": len(table.frame),
        },
        "validation": "passed",
        "metric": spec.metric,
        "scores": scores.to_dict(),
    }
    return Evaluation(scores, predictions.iloc[:, 0], labels, report)


@dataclass(frozen=True)
class JobOutcome:
    status: str  # scored | failed | queued (to retry) | skipped (someone else has it)
    evaluation: Evaluation | None = None  # set when this call recorded a score


def run_job(settings: Settings, submission_id: str, worker: str) -> JobOutcome:
    """Claim, validate, score and record one job; MLflow is left to the caller."""
    url = settings.resolved_database_url
    with session_scope(url) as session:
        if not claim(session, submission_id, worker):
            return JobOutcome("skipped")
        submission = session.get(Submission, submission_id)
        challenge = session.get(Challenge, submission.challenge_id)
        version = session.get(DatasetVersion, challenge.dataset_version_id)
        session.expunge_all()
    evaluation = None
    try:
        evaluation = _evaluate(settings, submission, challenge, version)
        values = {
            "status": "scored",
            "scored_at": utcnow(),
            "failure": None,
            "problems": None,
            **_score_values(evaluation.scores),
        }
    except InvalidInputError as exc:  # the participant's file: precise, participant-safe
        problems = exc.extra.get("problems") or [{"code": exc.code, "message": exc.detail}]
        values = {
            "status": "failed",
            "failure": INVALID_FILE,
            "problems": problems,
            "scored_at": utcnow(),
        }
    except Exception:
        log.exception("scoring %s failed", submission_id)
        with session_scope(url) as session:
            return JobOutcome(_retry_or_fail(session, submission_id, worker))
    with session_scope(url) as session:
        recorded = _finish(session, submission_id, worker, values)
    return JobOutcome(values["status"], evaluation if recorded else None)


def run(settings: Settings, submission_id: str, worker: str) -> str:
    """Run one job and write its MLflow run right after the score is committed.

    This is the whole pipeline for callers without a tracking thread of their own (a Celery
    task, the baseline command); returns the job's status.
    """
    outcome = run_job(settings, submission_id, worker)
    if outcome.evaluation is not None:
        track(settings, submission_id, outcome.evaluation)
    return outcome.status


def _run_record(session: Session, submission: Submission, challenge: Challenge) -> RunRecord:
    team = session.get(Team, submission.team_id)
    user = session.get(User, submission.user_id)
    spec = spec_of(challenge)

    def triple(part: str) -> tuple[float | None, float | None, float | None]:
        return tuple(getattr(submission, f"{part}_{f}") for f in ("score", "low", "high"))

    return RunRecord(
        submission_id=submission.id,
        challenge_id=challenge.id,
        kind="baseline" if team.is_baseline else "submission",
        team=team.name,
        user=user.name,
        phase=submission.phase,
        file_sha256=submission.file_sha256,
        message=submission.message,
        metric=spec.metric,
        task=spec.task.value,
        public=triple("public"),
        private=triple("private"),
        overall=triple("overall"),
    )


def track(
    settings: Settings, submission_id: str, evaluation: Evaluation | None = None
) -> str | None:
    """Write (or find) the submission's MLflow run and remember its id; None if MLflow failed.

    ``log_run`` finds an existing run by the submission's tag, so a retry never duplicates.
    """
    url = settings.resolved_database_url
    try:
        with session_scope(url) as session:
            submission = session.get(Submission, submission_id)
            challenge = session.get(Challenge, submission.challenge_id)
            record = _run_record(session, submission, challenge)
            if evaluation is None:
                version = session.get(DatasetVersion, challenge.dataset_version_id)
                evaluation = _evaluate(settings, submission, challenge, version)
        ids = evaluation.labels.iloc[:, 0]
        y_pred = evaluation.predictions.reindex(ids.to_numpy()).to_numpy()
        y_true = evaluation.labels.iloc[:, 1].to_numpy()
        labels = sorted(map(str, pd.unique(y_true))) if record.task == "multiclass" else None
        run_id = log_run(
            settings.resolved_mlflow_uri,
            settings.mlflow_artifact_root,
            record,
            y_true=y_true,
            y_pred=y_pred,
            report=evaluation.report,
            labels=labels,
        )
    except Exception:
        delay = _back_off(settings, submission_id)
        log.warning(
            "MLflow run for %s not written; next try in %s", submission_id, delay, exc_info=True
        )
        return None
    with session_scope(url) as session:
        session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.mlflow_run_id.is_(None))
            .values(mlflow_run_id=run_id)
        )
    return run_id


def _back_off(settings: Settings, submission_id: str) -> timedelta | None:
    """Count a failed attempt to write a run and set when to try again (None: not recorded,
    e.g. the database is unreachable too; the next sweep simply tries again)."""
    try:
        with session_scope(settings.resolved_database_url) as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                return None
            submission.tracking_failures = (submission.tracking_failures or 0) + 1
            delay = min(
                timedelta(minutes=2 ** min(submission.tracking_failures, 10)), MAX_TRACKING_DELAY
            )
            submission.track_after = utcnow() + delay
            return delay
    except Exception:
        return None


def sync_tracking(
    settings: Settings,
    *,
    older_than: timedelta = timedelta(minutes=1),
    limit: int = 20,
    now: datetime | None = None,
) -> int:
    """Write the MLflow runs that failed earlier (MLflow was down); returns how many now exist.
    A run that failed waits before its next try, twice as long each time (at most
    ``MAX_TRACKING_DELAY``), so one that can never be written costs a try every few hours."""
    now = now or utcnow()
    with session_scope(settings.resolved_database_url) as session:
        pending = list(
            session.scalars(
                select(Submission.id)
                .where(
                    Submission.status == "scored",
                    Submission.mlflow_run_id.is_(None),
                    Submission.scored_at < now - older_than,
                    or_(Submission.track_after.is_(None), Submission.track_after <= now),
                )
                .order_by(Submission.scored_at)
                .limit(limit)
            )
        )
    return sum(track(settings, submission_id) is not None for submission_id in pending)


def _retry_or_fail(session: Session, submission_id: str, worker: str) -> str:
    submission = session.get(Submission, submission_id)
    if submission.attempts >= MAX_ATTEMPTS:
        _finish(
            session,
            submission_id,
            worker,
            {
                "status": "failed",
                "failure": INTERNAL,
                "scored_at": utcnow(),
                "problems": [
                    {
                        "code": "internal",
                        "message": "scoring failed on the server; this "
                        "submission does not count toward your quota",
                    }
                ],
            },
        )
        return "failed"
    _finish(session, submission_id, worker, {"status": "queued", "worker": None})
    return "queued"


def requeue_stale(session: Session, *, timeout: timedelta) -> int:
    """Give jobs whose worker stopped heart-beating back to the queue (or fail them for good)."""
    cutoff = utcnow() - timeout
    stale = list(
        session.scalars(
            select(Submission).where(
                Submission.status == "scoring", Submission.heartbeat_at < cutoff
            )
        )
    )
    for submission in stale:
        _retry_or_fail(session, submission.id, submission.worker or "")
    return len(stale)
