"""Submissions over HTTP: upload predictions, list and show them, choose the final ones.
A participant's shape has no private score; staff get every team's, with private scores."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from odx.platform.api.deps import ChallengeDep, CurrentUser, ReviewerUser, SessionDep, SettingsDep
from odx.platform.api.schemas import RescoreOut, Selection, SubmissionPublic, SubmissionStaff
from odx.platform.db.models import Submission
from odx.platform.services import rescore, teams
from odx.platform.services import submissions as intake
from odx.platform.services.leaderboards import finals, listings, names
from odx.platform.services.users import is_staff
from odx.platform.uploads import UPLOAD_FORM, receive_submission

router = APIRouter(prefix="/api", tags=["challenges"])


def _submission_view(session: Session, submission: Submission, *, staff: bool) -> SubmissionPublic:
    data = {
        c: getattr(submission, c) for c in SubmissionStaff.model_fields if hasattr(submission, c)
    }
    data["team"] = names.team_name(session, submission.team_id)
    data["user"] = names.user_name(session, submission.user_id)
    data["model_log"] = (submission.model_run or {}).get("log")
    return SubmissionStaff(**data) if staff else SubmissionPublic(**data)


@router.post(
    "/challenges/{challenge_id}/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionPublic,
    summary="Upload predictions (CSV, .csv.gz or .zip with one CSV) or a model (.zip); "
    "scored in the background",
    openapi_extra={"requestBody": UPLOAD_FORM},
)
def submit(
    request: Request, challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> SubmissionPublic:
    """The form's ``file`` part holds the upload, an optional ``message`` field a note of
    up to 500 characters. The token, the team, the phase, the quota and the declared size
    are checked before the body is read."""
    submission = receive_submission(request, session, challenge, user)
    return _submission_view(session, submission, staff=False)


@router.get(
    "/challenges/{challenge_id}/submissions",
    response_model=list[SubmissionStaff] | list[SubmissionPublic],
    summary="Your team's submissions (staff: every team's, with private scores)",
)
def list_submissions(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> list[SubmissionPublic]:
    if is_staff(user):
        rows = listings.all_submissions(session, challenge)
        return [_submission_view(session, s, staff=True) for s in rows]
    team = teams.require_team(session, challenge, user)
    return [
        _submission_view(session, s, staff=False) for s in intake.of_team(session, challenge, team)
    ]


@router.get("/submissions/{submission_id}", response_model=SubmissionStaff | SubmissionPublic)
def show_submission(submission_id: str, user: CurrentUser, session: SessionDep) -> SubmissionPublic:
    staff = is_staff(user)
    submission = intake.visible_to(session, submission_id, user, staff=staff)
    return _submission_view(session, submission, staff=staff)


@router.post(
    "/submissions/{submission_id}/select",
    response_model=SubmissionPublic,
    summary="Mark a scored submission as a final one (or unmark it); a unique prefix of at "
    f"least {intake.MIN_PREFIX} characters of one of your team's ids will do",
)
def select_final(
    submission_id: str, body: Selection, user: CurrentUser, session: SessionDep
) -> SubmissionPublic:
    submission = finals.choose_final(session, user, submission_id, body.selected)
    return _submission_view(session, submission, staff=False)


@router.post(
    "/submissions/{submission_id}/rescore",
    response_model=RescoreOut,
    summary="Run or score a scored submission again and compare (judges, organizers)",
)
def rescore_submission(submission_id: str, user: ReviewerUser, settings: SettingsDep) -> RescoreOut:
    """A model is run again in the sandbox; its predictions and scores must match exactly."""
    result = rescore.rescore(settings, submission_id)
    return RescoreOut(**vars(result), verified=result.verified)
