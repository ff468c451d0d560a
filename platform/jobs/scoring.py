"""Scoring one submission: claim it, call the core's ``evaluate``, record the outcome.

The database is the truth: the rows are read in one short session, the file is scored with no
session open, and the outcome is written by the queue's conditional update, so a job whose
worker died is simply run again by whoever claims it next.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, DatasetVersion, Submission
from odx.platform.jobs import memory, queue
from odx.platform.jobs.models import evaluate_model
from odx.platform.services.challenges import spec_of
from odx.platform.settings import Settings
from odx.platform.states import SubmissionKind
from odx.scoring.evaluate import Evaluation, Rejection, Release, evaluate
from odx.scoring.score import Scores
from odx.submissions.storage import ObjectStore

log = logging.getLogger("odx.scoring")
Result = Evaluation | Rejection


@dataclass(frozen=True)
class JobOutcome:
    status: str  # scored | failed | queued (to retry) | skipped (someone else has it)
    evaluation: Evaluation | None = None  # set when this call recorded a score


def release_of(settings: Settings, version: DatasetVersion) -> Release:
    return Release(
        settings.public_root / version.public_dir,
        settings.hidden_root / version.hidden_dir,
        version.release_manifest,
    )


def evaluate_stored(
    settings: Settings, submission: Submission, challenge: Challenge, version: DatasetVersion
) -> Evaluation | Rejection:
    """Evaluate a stored submission's predictions (the uploaded file, or the predictions its
    model made), with the upload's identity added to the report."""
    sha256 = submission.predictions_sha256 or submission.file_sha256
    path = ObjectStore(settings.objects_root).path_for(sha256)
    metric = spec_of(challenge).metric
    release = release_of(settings, version)
    with memory.decoding(path):
        result = evaluate(path, release, metric=metric, max_bytes=settings.max_upload_bytes)
    return _with_identity(result, submission)


def _with_identity(
    result: Evaluation | Rejection, submission: Submission
) -> Evaluation | Rejection:
    if isinstance(result, Evaluation):
        result.report["submission_id"] = submission.id
        result.report["file"].update(
            name=submission.file_name, sha256=submission.file_sha256, bytes=submission.file_bytes
        )
    return result


def score_values(scores: Scores) -> dict[str, Any]:
    """The columns a score fills: value and interval for each board (NaN stored as NULL)."""
    values: dict[str, Any] = {}
    for part in ("public", "private", "overall"):
        score = getattr(scores, part)
        for field, number in (("score", score.value), ("low", score.low), ("high", score.high)):
            values[f"{part}_{field}"] = None if math.isnan(number) else float(number)
    return values


def run_job(
    settings: Settings, submission_id: str, worker: str, *, take_over: bool = False
) -> JobOutcome:
    """Claim, validate, score and record one job; tracking is left to the caller.

    ``take_over``: the broker delivered this job's message again because its worker was lost,
    so a job still marked scoring is claimed from that worker (see ``queue.take_over``).
    """
    url = settings.resolved_database_url
    with session_scope(url) as session:
        claimed = queue.claim(session, submission_id, worker) or (
            take_over and queue.take_over(session, submission_id, worker)
        )
        if not claimed:
            return JobOutcome("skipped")
        submission = session.get(Submission, submission_id)
        challenge = session.get(Challenge, submission.challenge_id)
        version = session.get(DatasetVersion, challenge.dataset_version_id)
        session.expunge_all()
    extra: dict[str, Any] = {}
    try:
        if submission.kind == SubmissionKind.MODEL:
            ran = evaluate_model(
                settings, submission, challenge, release_of(settings, version), worker=worker
            )
            result = _with_identity(ran.result, submission)
            extra = {"model_run": ran.model_run, "predictions_sha256": ran.predictions_sha256}
        else:
            result = evaluate_stored(settings, submission, challenge, version)
    except Exception:
        log.exception("scoring %s failed", submission_id)
        with session_scope(url) as session:
            return JobOutcome(queue.retry_or_fail(session, submission_id, worker))
    if isinstance(result, Rejection):
        values = queue.rejected(result.problems) | extra
    else:
        values = queue.scored(score_values(result.scores)) | extra
    with session_scope(url) as session:
        recorded = queue.finish(session, submission_id, worker, values)
    evaluation = result if recorded and isinstance(result, Evaluation) else None
    return JobOutcome(values["status"], evaluation)
