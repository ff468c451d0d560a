"""Teams per challenge: a user is in at most one team per challenge, within the size limit."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Team, TeamMember, User
from odx.platform.errors import ConflictError, InvalidInputError, Message, NotFoundError
from odx.platform.services import text
from odx.platform.services.challenges import spec_of
from odx.platform.services.users import PermissionDeniedError, Role, hash_token


class NotInTeamError(InvalidInputError):
    code = "no_team"
    title = "Not in a team"
    status = 409


def team_of(session: Session, challenge: Challenge, user: User) -> Team | None:
    return session.scalar(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.challenge_id == challenge.id, TeamMember.user_id == user.id)
    )


def require_team(session: Session, challenge: Challenge, user: User) -> Team:
    team = team_of(session, challenge, user)
    if team is None:
        raise NotInTeamError(
            Message(
                "team.required",
                "join or create a team in '{challenge}' first "
                "(POST /api/challenges/{challenge}/teams)",
                challenge=challenge.id,
            )
        )
    return team


def _already_member(challenge: Challenge) -> ConflictError:
    return ConflictError(
        Message(
            "team.already_member",
            "you are already in a team in '{challenge}'",
            challenge=challenge.id,
        )
    )


def _check_name(name: str) -> str:
    name = text.typed(name, "team name", most=200).strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInputError(
            Message("team.name_length", "a team name has 1 to {most} characters", most=100)
        )
    return name


def _require_participant(user: User) -> None:
    """Evaluators rate the finalists' models, so they join no team."""
    if user.role == Role.evaluator:
        raise PermissionDeniedError("teams are for participants; an evaluator joins none")


def create(
    session: Session, challenge: Challenge, user: User, name: str, *, is_baseline: bool = False
) -> tuple[Team, str]:
    """Create a team with ``user`` as its first member; returns it and its invite code."""
    _require_participant(user)
    name = _check_name(name)
    if team_of(session, challenge, user) is not None:
        raise _already_member(challenge)
    if (
        session.scalar(select(Team).where(Team.challenge_id == challenge.id, Team.name == name))
        is not None
    ):
        raise ConflictError(
            Message(
                "team.name_taken",
                "a team named '{name}' already exists in '{challenge}'",
                name=name,
                challenge=challenge.id,
            )
        )
    invite = secrets.token_urlsafe(12)
    team = Team(
        challenge_id=challenge.id,
        name=name,
        is_baseline=is_baseline,
        invite_sha256=hash_token(invite),
    )
    session.add(team)
    session.flush()
    session.add(TeamMember(challenge_id=challenge.id, team_id=team.id, user_id=user.id))
    session.flush()
    return team, invite


def invite_accounts(challenge: Challenge, name: str, user: User) -> list[tuple[str, str]]:
    """The accounts a try at a team's invite code counts toward: the team and the user."""
    return [("team", f"{challenge.id}/{name[:100]}"), ("user", user.name)]


def join(session: Session, challenge: Challenge, user: User, name: str, invite: str) -> Team:
    """Add ``user`` to the team called ``name``, given its invite code, if it has room."""
    _require_participant(user)
    name = text.typed(name, "team name", most=200)
    invite = text.typed(invite, "invite code", most=200)
    team = session.scalar(select(Team).where(Team.challenge_id == challenge.id, Team.name == name))
    if team is None or team.is_baseline or team.invite_sha256 != hash_token(invite):
        raise NotFoundError(
            Message(
                "team.not_found",
                "no team named '{name}' with that invite code in '{challenge}'",
                name=name,
                challenge=challenge.id,
            )
        )
    if team_of(session, challenge, user) is not None:
        raise _already_member(challenge)
    size = session.scalar(select(func.count()).where(TeamMember.team_id == team.id)) or 0
    limit = spec_of(challenge).limits.team_size
    if size >= limit:
        raise ConflictError(
            Message(
                "team.full",
                "team '{name}' is full ({limit} members at most)",
                name=name,
                limit=limit,
            )
        )
    session.add(TeamMember(challenge_id=challenge.id, team_id=team.id, user_id=user.id))
    session.flush()
    return team


def members(session: Session, team: Team) -> list[str]:
    return list(
        session.scalars(
            select(User.name)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team.id)
            .order_by(User.name)
        )
    )


def counts(session: Session) -> dict[str, int]:
    """Participant teams per challenge id (baseline teams are not counted)."""
    query = (
        select(Team.challenge_id, func.count())
        .where(Team.is_baseline.is_(False))
        .group_by(Team.challenge_id)
    )
    return {challenge_id: count for challenge_id, count in session.execute(query)}


def all_of(session: Session, challenge: Challenge) -> list[Team]:
    return list(
        session.scalars(select(Team).where(Team.challenge_id == challenge.id).order_by(Team.name))
    )
