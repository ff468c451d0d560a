"""Running a challenge's baseline as a participant would: its own user and team, the same
intake (``submissions.accept``), the same scoring job, and the fitted model on its run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from odx.baselines.run import MODEL_UPLOAD_NAME, UPLOAD_NAME, predict_release
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, User
from odx.platform.errors import NotFoundError
from odx.platform.jobs import pipeline, tracking
from odx.platform.services import challenges, models, submissions, teams, users
from odx.platform.settings import Settings
from odx.platform.states import SubmissionStatus
from odx.scoring.tracking import log_model

BASELINE_USER = "baseline"
BASELINE_TEAM = "baseline"


@dataclass(frozen=True)
class BaselineOutcome:
    challenge_id: str
    submission_id: str
    status: str
    public_score: float | None
    model: object
    example: pd.DataFrame


def _baseline_user(session, challenge: Challenge) -> User:  # type: ignore[no-untyped-def]
    try:
        user = users.get_by_name(session, BASELINE_USER)
    except NotFoundError:
        user, _ = users.create_user(
            session, name=BASELINE_USER, role="participant", actor="baselines"
        )
    if teams.team_of(session, challenge, user) is None:
        teams.create(session, challenge, user, BASELINE_TEAM, is_baseline=True)
    return user


def run_baseline(settings: Settings, challenge_id: str) -> BaselineOutcome:
    """Train, predict, submit and score one challenge's baseline (synchronously)."""
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        version = challenges.dataset_version(session, challenge)
        if challenges.spec_of(challenge).takes_models:
            models.require_sandbox(settings)  # before training a model that cannot be run
        prediction = predict_release(settings.public_root / version.public_dir)
        is_model = version.release_manifest.hides_test_features
        user = _baseline_user(session, challenge)
        submission = submissions.accept(
            session,
            settings,
            challenge,
            user,
            submissions.BytesUpload(
                prediction.upload,
                file_name=MODEL_UPLOAD_NAME if is_model else UPLOAD_NAME,
                message=f"baseline: {prediction.description}",
            ),
        )
        submission_id = submission.id
    # 'skipped' when a server's worker took the job first: then wait for its outcome.
    pipeline.run(settings, submission_id, "baseline")
    status, score = submissions.wait_for_outcome(settings, submission_id, timeout=600)
    if status == SubmissionStatus.SCORED:
        run_id = tracking.track(settings, submission_id)  # finds the run the job wrote
        if run_id is not None and not is_model:  # a model's run holds the upload already
            log_model(settings.resolved_mlflow_uri, run_id, prediction.model, prediction.example)
    return BaselineOutcome(
        challenge_id, submission_id, status, score, prediction.model, prediction.example
    )
