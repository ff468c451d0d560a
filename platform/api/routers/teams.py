"""Teams over HTTP: create one (and get its invite code once), join one, show your own."""

from __future__ import annotations

from fastapi import APIRouter, Request

from odx.platform.api.deps import ChallengeDep, CurrentUser, SessionDep, attempts_of, client_of
from odx.platform.api.schemas import TeamCreate, TeamJoin, TeamPublic
from odx.platform.services import teams
from odx.platform.services.attempts import Secret

router = APIRouter(prefix="/api", tags=["challenges"])


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
    request: Request,
    challenge: ChallengeDep,
    body: TeamJoin,
    user: CurrentUser,
    session: SessionDep,
) -> TeamPublic:
    team = attempts_of(request).attempt(
        Secret.INVITE,
        client_of(request, *teams.invite_accounts(challenge, body.name, user)),
        lambda: teams.join(session, challenge, user, body.name, body.invite_code),
    )
    return TeamPublic(name=team.name, members=teams.members(session, team))


@router.get("/challenges/{challenge_id}/team", response_model=TeamPublic)
def my_team(challenge: ChallengeDep, user: CurrentUser, session: SessionDep) -> TeamPublic:
    team = teams.require_team(session, challenge, user)
    return TeamPublic(name=team.name, members=teams.members(session, team))
