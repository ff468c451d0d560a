"""The user evaluation over HTTP: an evaluator gets the case form, runs a case through the
finalists' models (blinded as A, B, C…) and rates each once; staff read the results."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from odx.platform.api.deps import ChallengeDep, CurrentUser, ReviewerUser, SessionDep, SettingsDep
from odx.platform.api.schemas import (
    CaseIn,
    EvaluationField,
    EvaluationResult,
    Predictions,
    RatingIn,
)
from odx.platform.services import evaluation

router = APIRouter(prefix="/api", tags=["programme"])


@router.get(
    "/challenges/{challenge_id}/evaluation/form",
    response_model=list[EvaluationField],
    summary="The case form: the models' inputs, labelled in Korean and English",
)
def case_form(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Any:
    return [asdict(f) for f in evaluation.form(session, settings, challenge)]


@router.post(
    "/challenges/{challenge_id}/evaluation/predictions",
    response_model=Predictions,
    summary="Run your case through every finalist model, blinded (evaluators; a budget of "
    "cases per hour; nothing of the case is kept)",
)
def predictions(
    request: Request,
    challenge: ChallengeDep,
    body: CaseIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    shown = evaluation.predict(
        session, settings, request.app.state.attempts, challenge, user, body.case
    )
    return {"case": evaluation.case_sha256(body.case), "models": [asdict(s) for s in shown]}


@router.post(
    "/challenges/{challenge_id}/evaluation/ratings",
    status_code=201,
    response_model=RatingIn,
    summary="Rate one blinded model 1–5, once, with an optional comment (evaluators)",
)
def rate(challenge: ChallengeDep, body: RatingIn, user: CurrentUser, session: SessionDep) -> Any:
    evaluation.rate(session, challenge, user, body.model, body.rating, body.comment, body.case)
    return body


@router.get(
    "/challenges/{challenge_id}/evaluation/results",
    response_model=list[EvaluationResult],
    summary="Per finalist: evaluators, mean rating with its 95% interval, comments (staff)",
)
def results(challenge: ChallengeDep, user: ReviewerUser, session: SessionDep) -> Any:
    return evaluation.results(session, challenge)
