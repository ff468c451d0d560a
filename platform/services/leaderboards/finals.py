"""Final submissions: which ones decide a team's place on the private board.

One rule for the API, the command line and the pages: a team marks its own scored
submissions (by id, or by a unique prefix of one), at most ``final_submissions`` of them,
until the challenge is over. Organizers and judges do not choose for a team; an admin may.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Submission, User, utcnow
from odx.platform.errors import ConflictError, Message
from odx.platform.services import submissions as intake
from odx.platform.services.challenges import is_over, spec_of
from odx.platform.services.leaderboards.cache import invalidate
from odx.platform.services.users import PermissionDeniedError, Role, is_staff
from odx.platform.states import SubmissionStatus


def choose_final(session: Session, user: User, reference: str, selected: bool) -> Submission:
    """Mark (or unmark) the submission ``reference`` names as final on ``user``'s behalf.

    Another team's submission is 'not found' rather than refused, so ids cannot be probed;
    staff other than admins are refused, since the choice is the team's own.
    """
    staff = is_staff(user)
    submission = intake.own_by_prefix(session, reference, user, staff=staff)
    if staff and user.role != Role.admin:
        raise PermissionDeniedError("only the team itself selects its final submissions")
    _mark(session, submission, selected)
    return submission


def _mark(session: Session, submission: Submission, selected: bool) -> None:
    """A team may hold at most ``final_submissions``, only scored ones, and the choice is
    frozen once the challenge is over (it decides the private ranking)."""
    challenge = session.get(Challenge, submission.challenge_id)
    if challenge is not None and is_over(challenge, utcnow()):
        raise ConflictError(
            Message("final.frozen", "the challenge is over; final submissions can no longer change")
        )
    if selected and submission.status != SubmissionStatus.SCORED:
        raise ConflictError(
            Message("final.not_scored", "only a scored submission can be selected as final")
        )
    if selected and not submission.selected and challenge is not None:
        limit = spec_of(challenge).limits.final_submissions
        count = (
            session.scalar(
                select(func.count()).where(
                    Submission.team_id == submission.team_id, Submission.selected.is_(True)
                )
            )
            or 0
        )
        if count >= limit:
            raise ConflictError(
                Message(
                    "final.limit",
                    "your team already selected {limit} final submissions; unselect one first",
                    limit=limit,
                )
            )
    submission.selected = selected
    invalidate(submission.challenge_id)
