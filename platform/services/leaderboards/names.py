"""Team and user names for showing submissions: rows hold ids, people read names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Team, User


def team_name(session: Session, team_id: int) -> str:
    return session.scalar(select(Team.name).where(Team.id == team_id)) or ""


def user_name(session: Session, user_id: int) -> str:
    return session.scalar(select(User.name).where(User.id == user_id)) or ""


def team_names(session: Session, challenge: Challenge) -> dict[int, str]:
    """Every team of a challenge by id, read at once for a listing of many submissions."""
    query = select(Team.id, Team.name).where(Team.challenge_id == challenge.id)
    return {team_id: name for team_id, name in session.execute(query)}


def user_names(session: Session) -> dict[int, str]:
    """Every user by id, read at once for a listing of many submissions."""
    return {user_id: name for user_id, name in session.execute(select(User.id, User.name))}
