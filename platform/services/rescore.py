"""Scoring a scored submission again, to verify it: a judge's check of a winner.

A model is run again in the sandbox on the hidden test features and its predictions are
compared byte for byte with the stored ones; a file (or those predictions) is validated and
scored again. Scores must match exactly: scoring is deterministic, so any difference means the
model is not (or the release or the code changed). Nothing is recorded on the submission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, DatasetVersion
from odx.platform.errors import ConflictError
from odx.platform.jobs.models import evaluate_model
from odx.platform.jobs.scoring import evaluate_stored, release_of, score_values
from odx.platform.services import submissions
from odx.platform.settings import Settings
from odx.platform.states import SubmissionKind, SubmissionStatus
from odx.scoring.evaluate import Evaluation

SCORE_FIELDS = ("public_score", "private_score", "overall_score")


@dataclass(frozen=True)
class Rescore:
    submission_id: str
    kind: str
    scores_match: bool
    predictions_match: bool | None  # None for a file: there is nothing to run again
    stored: dict[str, float | None]
    recomputed: dict[str, float | None]
    message: str

    @property
    def verified(self) -> bool:
        return self.scores_match and self.predictions_match is not False


def rescore(settings: Settings, submission_id: str) -> Rescore:
    """Run or score ``submission_id`` again and compare with what was recorded."""
    with session_scope(settings.resolved_database_url) as session:
        submission = submissions.get(session, submission_id)
        if submission.status != SubmissionStatus.SCORED:
            raise ConflictError(f"{submission.id} is {submission.status}: only scores are verified")
        challenge = session.get(Challenge, submission.challenge_id)
        version = session.get(DatasetVersion, challenge.dataset_version_id)
        session.expunge_all()
    stored = {name: getattr(submission, name) for name in SCORE_FIELDS}
    predictions_match: bool | None = None
    if submission.kind == SubmissionKind.MODEL:
        ran = evaluate_model(
            settings,
            submission,
            challenge,
            release_of(settings, version),
            worker=f"rescore-{uuid.uuid4().hex[:8]}",  # owns no job: its heartbeat is a no-op
        )
        result = ran.result
        predictions_match = ran.predictions_sha256 == submission.predictions_sha256
    else:
        result = evaluate_stored(settings, submission, challenge, version)
    if not isinstance(result, Evaluation):
        problems = "; ".join(p.get("message", "") for p in result.problems)
        return Rescore(submission.id, submission.kind, False, False, stored, {}, problems)
    recomputed = {name: score_values(result.scores)[name] for name in SCORE_FIELDS}
    scores_match = recomputed == stored
    verdict = "reproduced exactly" if scores_match and predictions_match is not False else "DIFFERS"
    return Rescore(
        submission.id, submission.kind, scores_match, predictions_match, stored, recomputed, verdict
    )
