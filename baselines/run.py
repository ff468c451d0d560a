"""Run a challenge's baseline the way a participant would: train on the public files,
predict, upload through the same intake, get scored by the same job."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pandas as pd

from odx.baselines.pipelines import BASELINES, fit_predict
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Submission
from odx.platform.errors import NotFoundError
from odx.platform.services import challenges, teams, users
from odx.platform.services import submissions as intake
from odx.platform.settings import Settings
from odx.scoring import jobs
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


def _baseline_user(session, challenge):  # type: ignore[no-untyped-def]
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
        public = settings.public_root / version.public_dir
        manifest = json.loads((public / "manifest.json").read_text(encoding="utf-8"))
        id_column, target = manifest["id_column"], manifest["target_column"]
        baseline = BASELINES[manifest["dataset_id"]]
        train = pd.read_csv(public / "train.csv", dtype={id_column: str})
        test = pd.read_csv(public / "test.csv", dtype={id_column: str})
        model, predictions = fit_predict(baseline, train, test, id_column=id_column, target=target)
        body = predictions.to_csv(index=False).encode("utf-8")
        user = _baseline_user(session, challenge)
        submission = intake.accept(
            session,
            settings,
            challenge,
            user,
            [body],
            file_name="baseline.csv",
            message=f"baseline: {baseline.description}",
        )
        submission_id = submission.id
    jobs.run(settings, submission_id, "baseline")  # 'skipped' if a server worker took it
    deadline = time.monotonic() + 600
    while True:
        with session_scope(settings.resolved_database_url) as session:
            row = session.get(Submission, submission_id)
            status, score = row.status, row.public_score
        if status in ("scored", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    example = test.drop(columns=[id_column]).head(5)
    if status == "scored":
        run_id = jobs.track(settings, submission_id)  # finds the run the job wrote
        if run_id is not None:
            log_model(settings.resolved_mlflow_uri, run_id, model, example)
    return BaselineOutcome(challenge_id, submission_id, status, score, model, example)
