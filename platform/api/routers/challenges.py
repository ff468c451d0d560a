"""Challenges, teams, submissions and leaderboards over HTTP. Routes only translate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, Query, Request, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from odx.platform.api.deps import (
    ChallengeDep,
    CurrentUser,
    SessionDep,
    bearer_token,
    is_staff,
)
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission, User, utcnow
from odx.platform.services import audit, challenges, teams, users
from odx.platform.services import submissions as intake
from odx.platform.services.leaderboards import cache, finals, listings, names, visibility
from odx.platform.services.leaderboards.ranking import Board
from odx.platform.services.users import Role
from odx.platform.uploads import receive_submission

router = APIRouter(prefix="/api", tags=["challenges"])


class ChallengePublic(BaseModel):
    id: str
    title_ko: str
    title_en: str
    description_ko: str
    description_en: str
    dataset_id: str
    dataset_version: int
    task: str
    metric: str
    direction: str
    timezone: str
    phases: list[dict[str, Any]]
    limits: dict[str, Any]
    is_open: bool
    closed_at: datetime | None
    private_revealed: bool


class SubmissionPublic(BaseModel):
    """What a team sees of its own submission: no private score until the reveal."""

    id: str
    challenge_id: str
    team: str
    user: str
    status: str
    message: str
    file_name: str
    file_sha256: str
    created_at: datetime
    scored_at: datetime | None
    public_score: float | None
    public_low: float | None
    public_high: float | None
    selected: bool
    problems: list[dict[str, Any]] | None


class SubmissionStaff(SubmissionPublic):
    private_score: float | None
    private_low: float | None
    private_high: float | None
    overall_score: float | None
    mlflow_run_id: str | None


def _challenge_public(challenge: Challenge) -> ChallengePublic:
    spec = challenges.spec_of(challenge)
    return ChallengePublic(
        id=spec.id,
        title_ko=spec.title.ko,
        title_en=spec.title.en,
        description_ko=spec.description.ko,
        description_en=spec.description.en,
        dataset_id=spec.dataset.id,
        dataset_version=spec.dataset.version,
        task=spec.task.value,
        metric=spec.metric,
        direction="maximize" if spec.greater_is_better else "minimize",
        timezone=spec.timezone,
        phases=[p.model_dump(mode="json") for p in spec.phases],
        limits=spec.limits.model_dump(),
        is_open=challenges.is_open(challenge, utcnow()),
        closed_at=challenge.closed_at,
        private_revealed=challenge.revealed_at is not None,
    )


@router.get("/challenges", response_model=list[ChallengePublic], summary="List challenges")
def list_challenges(session: SessionDep) -> list[ChallengePublic]:
    return [_challenge_public(c) for c in challenges.list_all(session)]


@router.get("/challenges/{challenge_id}", response_model=ChallengePublic)
def show_challenge(challenge: ChallengeDep) -> ChallengePublic:
    return _challenge_public(challenge)


@router.post(
    "/challenges",
    response_model=ChallengePublic,
    status_code=201,
    summary="Register a challenge from its YAML definition (organizers)",
)
def create_challenge(
    user: CurrentUser,
    session: SessionDep,
    definition: Annotated[str, Body(media_type="application/yaml")],
) -> ChallengePublic:
    users.require_role(user, Role.organizer)
    challenge = challenges.register_definition(session, definition.encode("utf-8"), actor=user.name)
    return _challenge_public(challenge)


@router.post("/challenges/{challenge_id}/close", response_model=ChallengePublic)
def close_challenge(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> ChallengePublic:
    users.require_role(user, Role.organizer)
    challenges.close(session, challenge, actor=user.name)
    return _challenge_public(challenge)


@router.post("/challenges/{challenge_id}/reveal", response_model=ChallengePublic)
def reveal_private(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> ChallengePublic:
    users.require_role(user, Role.organizer)
    challenges.reveal(session, challenge, actor=user.name)
    return _challenge_public(challenge)


class TeamCreate(BaseModel):
    name: str


class TeamJoin(BaseModel):
    name: str
    invite_code: str


class TeamPublic(BaseModel):
    name: str
    members: list[str]
    invite_code: str | None = None


@router.post(
    "/challenges/{challenge_id}/teams",
    response_model=TeamPublic,
    status_code=201,
    summary="Create a team (you become its first member; share the invite code)",
)
def create_team(
    challenge: ChallengeDep, body: TeamCreate, user: CurrentUser, session: SessionDep
) -> TeamPublic:
    team, invite = teams.create(session, challenge, user, body.name)
    return TeamPublic(name=team.name, members=teams.members(session, team), invite_code=invite)


@router.post("/challenges/{challenge_id}/teams/join", response_model=TeamPublic)
def join_team(
    challenge: ChallengeDep, body: TeamJoin, user: CurrentUser, session: SessionDep
) -> TeamPublic:
    team = teams.join(session, challenge, user, body.name, body.invite_code)
    return TeamPublic(name=team.name, members=teams.members(session, team))


@router.get("/challenges/{challenge_id}/team", response_model=TeamPublic)
def my_team(challenge: ChallengeDep, user: CurrentUser, session: SessionDep) -> TeamPublic:
    team = teams.require_team(session, challenge, user)
    return TeamPublic(name=team.name, members=teams.members(session, team))


def _submission_view(
    session: SessionDep, submission: Submission, *, staff: bool
) -> SubmissionPublic:
    data = {
        c: getattr(submission, c) for c in SubmissionStaff.model_fields if hasattr(submission, c)
    }
    data["team"] = names.team_name(session, submission.team_id)
    data["user"] = names.user_name(session, submission.user_id)
    return SubmissionStaff(**data) if staff else SubmissionPublic(**data)


@router.post(
    "/challenges/{challenge_id}/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionPublic,
    summary="Upload predictions (CSV, .csv.gz or .zip with one CSV); scored in the background",
)
def submit(
    request: Request,
    challenge: ChallengeDep,
    user: CurrentUser,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    message: Annotated[str, Form(max_length=500)] = "",
) -> SubmissionPublic:
    submission = receive_submission(request, session, challenge, user, file, message)
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


def _visible(session: SessionDep, submission_id: str, user: CurrentUser) -> Submission:
    return intake.visible_to(session, submission_id, user, staff=is_staff(user))


@router.get("/submissions/{submission_id}", response_model=SubmissionStaff | SubmissionPublic)
def show_submission(submission_id: str, user: CurrentUser, session: SessionDep) -> SubmissionPublic:
    submission = _visible(session, submission_id, user)
    return _submission_view(session, submission, staff=is_staff(user))


class Selection(BaseModel):
    selected: bool


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


@router.get(
    "/challenges/{challenge_id}/leaderboard",
    summary="Public leaderboard, or private once revealed (format=csv to export)",
)
async def leaderboard(
    challenge_id: str,
    request: Request,
    board: Annotated[Literal["public", "private"], Query()] = "public",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    # The hottest read of a challenge: served from memory when rendered a moment ago, else
    # rendered on a worker thread (database access must not block the event loop).
    result = cache.fresh(challenge_id, board, format)
    if result is None:
        result = await run_in_threadpool(_render_board, request, challenge_id, board, format)
    headers = {"ETag": result.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == result.etag:
        return Response(status_code=304, headers=headers)
    body = result.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = result.gzipped, "gzip"
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{challenge_id}-{board}.csv"'
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _render_board(
    request: Request, challenge_id: str, board: Board, fmt: cache.Format
) -> cache.Rendered:
    settings = request.app.state.settings
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        visibility.require_visible(challenge, board, lambda: _optional_user(request, session))
        return cache.rendered(session, challenge, board=board, fmt=fmt)


def _optional_user(request: Request, session: Session) -> User | None:
    token = bearer_token(request)
    return users.authenticate(session, token) if token else None


@router.get("/audit", summary="The audit log (organizers)")
def audit_log(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    users.require_role(user, Role.organizer, Role.judge)
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "details": e.details,
        }
        for e in audit.events(session)
    ]


@router.get("/me", summary="Who the token belongs to")
def me(user: CurrentUser) -> dict[str, str]:
    return {"name": user.name, "role": user.role}
