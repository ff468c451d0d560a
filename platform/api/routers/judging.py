"""The final judging over HTTP: judges score the finalists on the rubric, staff read the
combined ranking (JSON or CSV), organizers write it to MLflow and publish the winners."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from odx.platform.api.deps import (
    ChallengeDep,
    OrganizerUser,
    ReviewerUser,
    SessionDep,
    SettingsDep,
    require_role,
)
from odx.platform.api.schemas import Awards, JudgeScoresIn, JudgingRow, TrackedRuns
from odx.platform.db.models import User
from odx.platform.services import judging
from odx.platform.services.users import Role

router = APIRouter(prefix="/api", tags=["programme"])
JudgeUser = Annotated[User, Depends(require_role(Role.judge))]


@router.put(
    "/challenges/{challenge_id}/judging/scores",
    response_model=list[JudgingRow],
    summary="Score a finalist on the final rubric's judged criteria (judges)",
)
def score_finalist(
    challenge: ChallengeDep, body: JudgeScoresIn, judge: JudgeUser, session: SessionDep
) -> Any:
    judging.score(session, challenge, body.team, judge, body.scores)
    return judging.results(session, challenge)


@router.get(
    "/challenges/{challenge_id}/judging",
    response_model=list[JudgingRow],
    summary="The finalists' rubric scores, each judge's, their spread and the ranking "
    "(judges and organizers; format=csv for a file)",
)
def judging_result(
    challenge: ChallengeDep,
    user: ReviewerUser,
    session: SessionDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    rows = judging.results(session, challenge)
    if format == "csv":
        return Response(
            judging.as_csv(challenge, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{challenge.id}-judging.csv"'},
        )
    return rows


@router.post(
    "/challenges/{challenge_id}/judging/runs",
    response_model=TrackedRuns,
    summary="Write one MLflow judging run per finalist (organizers; again updates them)",
)
def track_judging(
    challenge: ChallengeDep, user: OrganizerUser, session: SessionDep, settings: SettingsDep
) -> Any:
    return {"runs": judging.track(settings, session, challenge)}


@router.put(
    "/challenges/{challenge_id}/awards",
    response_model=Awards,
    summary="Publish the winners and runners-up (organizers; audited)",
)
def publish_awards(
    challenge: ChallengeDep, body: Awards, user: OrganizerUser, session: SessionDep
) -> Any:
    return judging.publish(session, challenge, body.model_dump(), actor=user.name)


@router.get(
    "/challenges/{challenge_id}/awards",
    response_model=Awards,
    summary="The published winners and runners-up (everyone)",
)
def show_awards(challenge: ChallengeDep, session: SessionDep) -> Any:
    return judging.awards(session, challenge)
