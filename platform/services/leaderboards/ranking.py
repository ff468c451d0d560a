"""The ranked rows of a board, from stored scores; the ranking rules themselves are pure
(``odx.scoring.leaderboard``) and get plain columns from here."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Submission, Team
from odx.platform.services.challenges import spec_of
from odx.platform.states import Failure
from odx.scoring.leaderboard import Entry, Row, private_leaderboard, public_leaderboard

Board = Literal["public", "private"]


def entries(session: Session, challenge: Challenge) -> list[Entry]:
    """Plain columns, not ORM objects: a board reads every submission of a challenge."""
    valid = or_(Submission.failure.is_(None), Submission.failure != Failure.INVALID_FILE)
    query = (
        select(
            Team.name,
            Submission.id,
            Submission.created_at,
            Submission.public_score,
            Submission.private_score,
            Submission.selected,
            Team.is_baseline,
            Submission.public_low,
            Submission.public_high,
            Submission.private_low,
            Submission.private_high,
        )
        .join(Team, Team.id == Submission.team_id)
        .where(Submission.challenge_id == challenge.id, valid)
    )  # invalid files are not entries (Kaggle counts only valid ones)
    return [Entry(*row) for row in session.execute(query)]


def rows(session: Session, challenge: Challenge, *, board: Board) -> list[Row]:
    """The ranked rows of one board; whether the caller may see it is ``visibility``'s rule."""
    spec = spec_of(challenge)
    found = entries(session, challenge)
    if board == "public":
        return public_leaderboard(found, greater_is_better=spec.greater_is_better)
    return private_leaderboard(
        found, finals=spec.limits.final_submissions, greater_is_better=spec.greater_is_better
    )
