"""A challenge's schedule over HTTP: staff read it, organizers move its dates or advance it
to the next stage. Routes only translate; the rules are in ``services.schedule``."""

from __future__ import annotations

from fastapi import APIRouter

from odx.platform.api.deps import ChallengeDep, OrganizerUser, ReviewerUser, SessionDep
from odx.platform.api.schemas import ScheduleIn, ScheduleOut, ScheduleRow
from odx.platform.services import schedule

router = APIRouter(prefix="/api", tags=["programme"])


def _out(shown: schedule.Schedule) -> ScheduleOut:
    return ScheduleOut(
        challenge=shown.challenge_id,
        timezone=shown.timezone,
        now=shown.now,
        changeable=shown.changeable,
        current_stage=shown.current_stage,
        next_stage=shown.next_stage,
        rows=[ScheduleRow(**vars(row)) for row in shown.rows],
    )


def _changes(body: ScheduleIn) -> schedule.Changes:
    stages = {
        name: schedule.Dates(dates.start, dates.end)
        for name, dates in body.stages
        if dates is not None
    }
    phases = {name: schedule.Dates(d.start, d.end) for name, d in body.phases.items()}
    return schedule.Changes(stages, phases)


@router.get(
    "/challenges/{challenge_id}/schedule",
    response_model=ScheduleOut,
    summary="The stages and phases with their state now, and which dates may still move "
    "(judges and organizers)",
)
def show_schedule(challenge: ChallengeDep, user: ReviewerUser) -> ScheduleOut:
    return _out(schedule.view(challenge))


@router.put(
    "/challenges/{challenge_id}/schedule",
    response_model=ScheduleOut,
    summary="Move dates of stages and phases (organizers; audited): only the dates given "
    "change, a passed date stays, a new one is now or later, and the result must be valid "
    "as a challenge file",
)
def move_schedule(
    challenge: ChallengeDep, body: ScheduleIn, user: OrganizerUser, session: SessionDep
) -> ScheduleOut:
    return _out(schedule.move(session, challenge, _changes(body), actor=user.name))


@router.post(
    "/challenges/{challenge_id}/schedule/advance",
    response_model=ScheduleOut,
    summary="End the current stage now and start the next one now; phases that start with "
    "the finals start with them (organizers; audited)",
)
def advance_schedule(
    challenge: ChallengeDep, user: OrganizerUser, session: SessionDep
) -> ScheduleOut:
    return _out(schedule.advance(session, challenge, actor=user.name))
