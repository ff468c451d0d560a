"""Every submission of a challenge, newest first: what organizers and judges review."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Submission
from odx.platform.services.leaderboards.names import team_names, user_names


@dataclass(frozen=True)
class NamedSubmission:
    """A submission with the names of its team and of the user who sent it."""

    submission: Submission
    team: str
    user: str


def all_submissions(session: Session, challenge: Challenge) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.challenge_id == challenge.id)
            .order_by(Submission.created_at.desc())
        )
    )


def all_named(session: Session, challenge: Challenge) -> list[NamedSubmission]:
    """Every submission with its team's and user's names, in two look-ups, not two a row."""
    teams, people = team_names(session, challenge), user_names(session)
    return [
        NamedSubmission(s, teams.get(s.team_id, ""), people.get(s.user_id, ""))
        for s in all_submissions(session, challenge)
    ]
