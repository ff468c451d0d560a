"""Running a challenge's baseline as a participant would: its own user and team, the same
intake (``submissions.accept``), the same scoring job, and the fitted model on its run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from odx.baselines.run import (
    DEFAULT,
    MODEL_UPLOAD_NAME,
    UPLOAD_NAME,
    baseline_names,
    predict_release,
)
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, User
from odx.platform.errors import NotFoundError
from odx.platform.jobs import pipeline, tracking
from odx.platform.services import challenges, models, submissions, teams, users
from odx.platform.settings import Settings
from odx.platform.states import SubmissionStatus
from odx.scoring.tracking import log_model


@dataclass(frozen=True)
class BaselineOutcome:
    challenge_id: str
    name: str  # the baseline's name, also its user and team
    submission_id: str
    status: str
    public_score: float | None
    model: object | None
    example: pd.DataFrame | None


def _baseline_user(session, challenge: Challenge, name: str) -> User:  # type: ignore[no-untyped-def]
    """Each baseline submits as its own user and team, named after it, like any team."""
    try:
        user = users.get_by_name(session, name)
    except NotFoundError:
        user, _ = users.create_user(session, name=name, role="participant", actor="baselines")
    if teams.team_of(session, challenge, user) is None:
        teams.create(session, challenge, user, name, is_baseline=True)
    return user


def names_of(settings: Settings, challenge_id: str) -> list[str]:
    """The baselines of a challenge's dataset release."""
    with session_scope(settings.resolved_database_url) as session:
        version = challenges.dataset_version(session, challenges.get(session, challenge_id))
        return baseline_names(settings.public_root / version.public_dir)


def run_baseline(
    settings: Settings, challenge_id: str, name: str = DEFAULT, *, as_user: str | None = None
) -> BaselineOutcome:
    """Train, predict, submit and score one of a challenge's baselines (synchronously);
    ``as_user``: sent by that user's team instead of the baseline's own (a demo team)."""
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        version = challenges.dataset_version(session, challenge)
        public_dir = settings.public_root / version.public_dir
        if name not in baseline_names(public_dir):
            raise NotFoundError(
                f"no baseline '{name}' for {challenge_id}; there are: "
                f"{', '.join(baseline_names(public_dir))}"
            )
        if challenges.spec_of(challenge).takes_models:
            models.require_sandbox(settings)  # before training a model that cannot be run
        prediction = predict_release(public_dir, name)
        is_model = version.release_manifest.hides_test_features
        user = (
            users.get_by_name(session, as_user)
            if as_user
            else _baseline_user(session, challenge, name)
        )
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
        # a model's run holds it; a team's run holds what the team sent
        fitted = prediction.model is not None and not is_model and as_user is None
        if run_id is not None and fitted:
            log_model(settings.resolved_mlflow_uri, run_id, prediction.model, prediction.example)
    return BaselineOutcome(
        challenge_id, name, submission_id, status, score, prediction.model, prediction.example
    )
