"""The best public score over time, for the leaderboard's chart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge
from odx.platform.services.challenges import spec_of
from odx.platform.services.leaderboards.ranking import entries
from odx.scoring.leaderboard import best_over_time


def progress(session: Session, challenge: Challenge) -> list[tuple[datetime, float]]:
    """The best public score over time among participants, for the leaderboard chart."""
    spec = spec_of(challenge)
    return best_over_time(entries(session, challenge), greater_is_better=spec.greater_is_better)
