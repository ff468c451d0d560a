"""Writing each scored submission's tracking run (MLflow), after its score is committed.

Scores come first: a run that cannot be written (MLflow down) is retried by ``sync_tracking``,
waiting twice as long after each failure (at most ``MAX_TRACKING_DELAY``), so a run that can
never be written costs a try every few hours. ``log_run`` finds an existing run by the
submission's tag, so a retry never duplicates one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, DatasetVersion, Submission, Team, User, utcnow
from odx.platform.jobs.scoring import evaluate_stored
from odx.platform.services.challenges import spec_of
from odx.platform.settings import Settings
from odx.platform.states import SubmissionStatus
from odx.scoring.evaluate import Evaluation
from odx.scoring.tracking import RunRecord, log_run

log = logging.getLogger("odx.scoring")
MAX_TRACKING_DELAY = timedelta(hours=6)  # the longest wait between tries of one run


def run_record(session: Session, submission: Submission, challenge: Challenge) -> RunRecord:
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
    """Write (or find) the submission's run and remember its id; None if tracking failed."""
    url = settings.resolved_database_url
    try:
        with session_scope(url) as session:
            submission = session.get(Submission, submission_id)
            challenge = session.get(Challenge, submission.challenge_id)
            record = run_record(session, submission, challenge)
            if evaluation is None:
                version = session.get(DatasetVersion, challenge.dataset_version_id)
                result = evaluate_stored(settings, submission, challenge, version)
                if not isinstance(result, Evaluation):
                    raise RuntimeError(f"{submission_id} was scored but no longer evaluates")
                evaluation = result
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
    """Write the runs that failed earlier; returns how many now exist."""
    now = now or utcnow()
    with session_scope(settings.resolved_database_url) as session:
        pending = list(
            session.scalars(
                select(Submission.id)
                .where(
                    Submission.status == SubmissionStatus.SCORED,
                    Submission.mlflow_run_id.is_(None),
                    Submission.scored_at < now - older_than,
                    or_(Submission.track_after.is_(None), Submission.track_after <= now),
                )
                .order_by(Submission.scored_at)
                .limit(limit)
            )
        )
    return sum(track(settings, submission_id) is not None for submission_id in pending)
