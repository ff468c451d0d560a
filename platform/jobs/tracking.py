"""Writing each scored submission's tracking run (MLflow), after its score is committed.

Scores come first: a run that cannot be written (MLflow down) is retried by ``sync_tracking``,
waiting twice as long after each failure (at most ``MAX_TRACKING_DELAY``), so a run that can
never be written costs a try every few hours. ``log_run`` finds an existing run by the
submission's tag, so a retry never duplicates one.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import or_, select, true, update
from sqlalchemy.orm import Session

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, DatasetVersion, Submission, Team, User, utcnow
from odx.platform.jobs.scoring import evaluate_stored
from odx.platform.services.challenges import spec_of
from odx.platform.settings import Settings
from odx.platform.states import SubmissionKind, SubmissionStatus
from odx.scoring.evaluate import Evaluation
from odx.scoring.tracking import RunRecord, log_run
from odx.submissions.models.archive import unpack_model
from odx.submissions.storage import ObjectStore

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
        model_run=submission.model_run,
        k=ranking_cutoff(session, challenge) if spec.task == "ranking" else None,
    )


def ranking_cutoff(session: Session, challenge: Challenge) -> int | None:
    """The k of a ranking challenge's metric, as its release's manifest fixes it."""
    version = session.get(DatasetVersion, challenge.dataset_version_id)
    ranking = version.release_manifest.ranking if version is not None else None
    return ranking.k if ranking is not None else None


@contextmanager
def uploaded_model(settings: Settings, kind: str, file_sha256: str) -> Iterator[Path | None]:
    """A model submission's folder, unpacked again from its stored zip for the run's
    artifacts (read as files, never loaded); None for a prediction file."""
    if kind != SubmissionKind.MODEL:
        yield None
        return
    archive = ObjectStore(settings.objects_root).path_for(file_sha256)
    with tempfile.TemporaryDirectory(prefix="odx-track-") as folder:
        package = unpack_model(archive, Path(folder) / "model", max_bytes=settings.max_upload_bytes)
        yield package.root


def lease(
    session: Session,
    submission_id: str,
    *,
    seconds: float,
    token: datetime | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    """Take the right to write a submission's run for ``seconds`` (one writer at a time, even
    across processes): a conditional UPDATE of ``track_after``, committed at once.

    Without ``token`` the run must be due (never tried, or its back-off over); with one, the
    lease must still be the one the sweep took on this writer's behalf; ``force`` takes it from
    a writer that was lost (its message came back from the broker). Returns the new lease,
    or None when the run exists or someone else holds it.
    """
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    if force:
        held = true()
    elif token is not None:
        held = Submission.track_after == token
    else:
        held = or_(Submission.track_after.is_(None), Submission.track_after <= now)
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status == SubmissionStatus.SCORED,
            Submission.mlflow_run_id.is_(None),
            held,
        )
        .values(track_after=until)
    )
    session.commit()
    return until if result.rowcount == 1 else None


def track(
    settings: Settings,
    submission_id: str,
    evaluation: Evaluation | None = None,
    *,
    token: datetime | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> str | None:
    """Write (or find) the submission's run and remember its id; None if tracking failed or
    another writer holds the run's lease."""
    url = settings.resolved_database_url
    try:
        with session_scope(url) as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                return None
            if submission.mlflow_run_id is not None:
                return submission.mlflow_run_id
            if (
                lease(
                    session,
                    submission_id,
                    seconds=settings.job_timeout_seconds,
                    token=token,
                    now=now,
                )
                is None
            ):
                return None
            challenge = session.get(Challenge, submission.challenge_id)
            record = run_record(session, submission, challenge)
            upload = (submission.kind, submission.file_sha256)
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
        with uploaded_model(settings, *upload) as model_dir:
            run_id = log_run(
                settings.resolved_mlflow_uri,
                settings.mlflow_artifact_root,
                record,
                y_true=y_true,
                y_pred=y_pred,
                report=evaluation.report,
                labels=labels,
                model_dir=model_dir,
                ids=ids.to_numpy(),
            )
    except Exception:
        delay = _back_off(settings, submission_id, now=now)
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


def _back_off(
    settings: Settings, submission_id: str, *, now: datetime | None = None
) -> timedelta | None:
    """Count a failed attempt to write a run and set when to try again (None: not recorded,
    e.g. the database is unreachable too; the next sweep simply tries again)."""
    try:
        with session_scope(settings.resolved_database_url) as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                return None
            submission.tracking_failures = (submission.tracking_failures or 0) + 1
            first = settings.tracking_retry_seconds
            delay = min(
                timedelta(seconds=first * 2 ** min(submission.tracking_failures, 10)),
                MAX_TRACKING_DELAY,
            )
            submission.track_after = (now or utcnow()) + delay
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
        pending = due_runs(session, older_than=older_than, limit=limit, now=now)
    return sum(track(settings, submission_id, now=now) is not None for submission_id in pending)


def due_runs(
    session: Session, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> list[str]:
    """Scored submissions whose run is missing and due: a failed write whose back-off is over,
    or one never written for ``older_than`` (its message or its writer was lost)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.status == SubmissionStatus.SCORED,
                Submission.mlflow_run_id.is_(None),
                or_(Submission.tracking_failures > 0, Submission.scored_at < now - older_than),
                or_(Submission.track_after.is_(None), Submission.track_after <= now),
            )
            .order_by(Submission.scored_at)
            .limit(limit)
        )
    )
