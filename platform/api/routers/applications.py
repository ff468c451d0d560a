"""Document screening over HTTP: a team applies with its plan (a PDF) and the form, judges
score the applications, an organizer selects the finalists. Plans go to staff only, as
downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from odx.platform.api.deps import (
    ChallengeDep,
    CurrentUser,
    OrganizerUser,
    ReviewerUser,
    RowNumber,
    SessionDep,
    SettingsDep,
    require_role,
)
from odx.platform.api.schemas import (
    ApplicationOwn,
    ApplicationScores,
    ApplicationStaff,
    FinalistsIn,
    FinalistsOut,
)
from odx.platform.db.models import User
from odx.platform.downloads import plan_file
from odx.platform.services import applications
from odx.platform.services.users import Role
from odx.platform.uploads import (
    PLAN_MAX_FIELD_BYTES,
    PLAN_MAX_FIELDS,
    FormUpload,
    plan_form,
)

router = APIRouter(prefix="/api", tags=["programme"])
JudgeUser = Annotated[User, Depends(require_role(Role.judge))]


def _own(outcome: applications.Outcome) -> ApplicationOwn:
    return ApplicationOwn(
        submitted_at=outcome.submitted_at,
        plan_bytes=outcome.plan_bytes,
        answers=outcome.answers,
        status=outcome.status,  # type: ignore[arg-type]
    )


@router.post(
    "/challenges/{challenge_id}/application",
    response_model=ApplicationOwn,
    status_code=201,
    summary="Apply: the plan as a PDF in the part 'file', each form answer as a field named "
    "by its id (a second application replaces the first while applications are open)",
    openapi_extra={"requestBody": plan_form()},
)
def apply(
    request: Request, challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> ApplicationOwn:
    form = FormUpload(request, max_fields=PLAN_MAX_FIELDS, max_field_bytes=PLAN_MAX_FIELD_BYTES)
    applications.submit(session, request.app.state.settings, challenge, user, form)
    return _own(applications.outcome(session, challenge, user))


@router.get(
    "/challenges/{challenge_id}/application",
    response_model=ApplicationOwn,
    summary="Your team's application and its outcome (submitted, finalist or not selected)",
)
def my_application(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> ApplicationOwn:
    return _own(applications.outcome(session, challenge, user))


@router.get(
    "/challenges/{challenge_id}/applications",
    response_model=list[ApplicationStaff],
    summary="Every application with the judges' scores (judges and organizers)",
)
def all_applications(
    challenge: ChallengeDep, user: ReviewerUser, session: SessionDep
) -> list[ApplicationStaff]:
    return [ApplicationStaff(**row) for row in applications.for_staff(session, challenge)]


@router.get(
    "/challenges/{challenge_id}/applications/{application_id}/plan",
    response_class=FileResponse,
    summary="Download an application's plan (judges and organizers; never rendered here)",
)
def plan(
    challenge: ChallengeDep,
    application_id: RowNumber,
    user: ReviewerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    return plan_file(settings, challenge, applications.get(session, challenge, application_id))


@router.put(
    "/challenges/{challenge_id}/applications/{application_id}/scores",
    response_model=ApplicationStaff,
    summary="Score an application on the application rubric (judges)",
)
def score_application(
    challenge: ChallengeDep,
    application_id: RowNumber,
    body: ApplicationScores,
    judge: JudgeUser,
    session: SessionDep,
) -> ApplicationStaff:
    applications.score(session, challenge, application_id, judge, body.scores)
    (row,) = [r for r in applications.for_staff(session, challenge) if r["id"] == application_id]
    return ApplicationStaff(**row)


@router.put(
    "/challenges/{challenge_id}/finalists",
    response_model=FinalistsOut,
    summary="Select the finalists: exactly these teams (organizers; audited)",
)
def select_finalists(
    challenge: ChallengeDep, body: FinalistsIn, user: OrganizerUser, session: SessionDep
) -> FinalistsOut:
    chosen = applications.select_finalists(session, challenge, body.teams, actor=user.name)
    return FinalistsOut(teams=chosen)


@router.get(
    "/challenges/{challenge_id}/finalists",
    response_model=FinalistsOut,
    summary="The finalists (judges and organizers)",
)
def list_finalists(
    challenge: ChallengeDep, user: ReviewerUser, session: SessionDep
) -> FinalistsOut:
    return FinalistsOut(teams=applications.finalists(session, challenge))
