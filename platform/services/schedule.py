"""Moving a running challenge's schedule: a ministry programme is rescheduled all the time
(applications extended by a week, the finals opened the day the finalists are announced, the
user evaluation ended early), so organizers move the dates of its stages and phases.

The rules, all here:

1. Only a running challenge moves: once an organizer closed it or revealed its private board
   its dates are history (409 ``schedule_locked``).
2. Only dates move: stages and phases are neither added nor removed, so a change names
   stages and phases the challenge has (422 ``schedule_unknown_item``).
3. What has happened stays. A date at or before now (a start that began something, an end
   that ended it) cannot change (409 ``schedule_date_passed``), and no date moves into the
   past (422 ``schedule_date_in_past``), except to now: a new date at most NOW_TOLERANCE
   before now (a form sent a moment ago) counts as now and is stored as now, so that an
   organizer can end the current stage now and start the next one now.
4. A given date equal to the stored one is no change (a form may send every date back).
5. The result is valid by exactly the rules of a ``challenge.yaml``: the whole changed
   definition is validated again as a ChallengeSpec (stages in order without overlap, phases
   ordered, within the finals for finalists-only data, …), and its problems are named by key
   as a file's are (422 ``invalid_schedule``).
6. The stored definition changes, audited as ``challenge.schedule`` with the old and the new
   dates. ``spec_sha256`` stays the hash of the file as registered: registering that file
   again stays a no-op and keeps the moved dates.

Every service that asks "is this stage open now" reads the stored definition, so a move
takes effect at once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from odx.datasets.specfile import format_location
from odx.platform.challenges.programme import STAGE_ORDER, Stage, Stages, aware
from odx.platform.challenges.spec import ChallengeSpec, Phase
from odx.platform.db.models import Challenge, utcnow
from odx.platform.errors import ConflictError, InvalidInputError, plain
from odx.platform.services import audit
from odx.platform.services.challenges import spec_of

# A new date this little before now was meant as now (the time a form takes to arrive).
NOW_TOLERANCE = timedelta(seconds=60)
Kind = Literal["stage", "phase"]
State = Literal["past", "current", "future"]


class ScheduleLockedError(ConflictError):
    code = "schedule_locked"
    title = "The schedule can no longer move"


class DatePassedError(ConflictError):
    code = "schedule_date_passed"
    title = "That date has passed"


class DateInPastError(InvalidInputError):
    code = "schedule_date_in_past"
    title = "A date cannot move into the past"


class UnknownItemError(InvalidInputError):
    code = "schedule_unknown_item"
    title = "No such stage or phase"


class InvalidScheduleError(InvalidInputError):
    code = "invalid_schedule"
    title = "The new schedule is not valid"


class NoNextStageError(ConflictError):
    code = "schedule_no_next_stage"
    title = "No stage to start"


@dataclass(frozen=True)
class Dates:
    """New dates of one stage or phase; None keeps the stored one."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Changes:
    """New dates by stage name (application, finals, user_evaluation, judging) and by
    phase name."""

    stages: Mapping[str, Dates] = field(default_factory=dict)
    phases: Mapping[str, Dates] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One stage or phase as a schedule page shows it."""

    kind: Kind
    name: str  # the stage's key, or the phase's name
    title: dict[str, str] | None  # a phase's title (ko, en); stages are named by their key
    start: datetime
    end: datetime
    state: State  # past: ended; current: started, not ended; future: not started
    start_editable: bool
    end_editable: bool


@dataclass(frozen=True)
class Schedule:
    """A challenge's schedule at ``now``, and what an organizer may still do with it."""

    challenge_id: str
    timezone: str
    now: datetime
    changeable: bool  # False once closed by an organizer or revealed
    current_stage: str | None
    next_stage: str | None  # the stage ``advance`` would start now; None: nothing to advance
    rows: list[Row]


def view(challenge: Challenge, now: datetime | None = None) -> Schedule:
    """The stages (in programme order) then the phases (in order), with their state at
    ``now`` and which of their dates may still move."""
    now = now or utcnow()
    spec = spec_of(challenge)
    changeable = _lock_reason(challenge) is None
    items: list[tuple[Kind, str, dict[str, str] | None, Stage | Phase]] = [
        ("stage", name, None, stage) for name, stage in _stages(spec)
    ]
    items += [("phase", p.name, p.title.model_dump(), p) for p in spec.phases]
    rows = [
        Row(
            kind=kind,
            name=name,
            title=title,
            start=item.start,
            end=item.end,
            state="past" if item.end <= now else "current" if item.start <= now else "future",
            start_editable=changeable and item.start > now,
            end_editable=changeable and item.end > now,
        )
        for kind, name, title, item in items
    ]
    current, following = _next_stage(spec, now)
    return Schedule(
        challenge_id=challenge.id,
        timezone=spec.timezone,
        now=now,
        changeable=changeable,
        current_stage=current,
        next_stage=following if changeable else None,
        rows=rows,
    )


def move(
    session: Session,
    challenge: Challenge,
    changes: Changes,
    *,
    actor: str,
    now: datetime | None = None,
) -> Schedule:
    """Move the given dates by the module's rules, audited; returns the schedule after the
    move. A change that moves nothing is not recorded."""
    now = now or utcnow()
    session.refresh(challenge, with_for_update=True)  # two organizers at once: one after the other
    _require_changeable(challenge)
    spec = spec_of(challenge)
    data = copy.deepcopy(challenge.spec)
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for key, stored, given, (section, index) in _targets(spec, changes):
        for edge in ("start", "end"):
            wanted = getattr(given, edge)
            if wanted is None:
                continue
            moved = _moved(f"{key}.{edge}", getattr(stored, edge), wanted, now, spec.zone)
            if moved is not None:
                data[section][index][edge] = moved.isoformat()
                old[f"{key}.{edge}"] = getattr(stored, edge).isoformat()
                new[f"{key}.{edge}"] = moved.isoformat()
    if not new:
        return view(challenge, now)
    challenge.spec = json.loads(_validated(data).model_dump_json())
    audit.record(
        session,
        actor=actor,
        action="challenge.schedule",
        target=challenge.id,
        details={"old": old, "new": new},
    )
    session.commit()
    return view(challenge, now)


def advance(
    session: Session, challenge: Challenge, *, actor: str, now: datetime | None = None
) -> Schedule:
    """End the current stage now and start the next one now, the common move (through
    ``move``, so by the same rules and audited the same way).

    - A stage is current (started, not ended): its end and the next stage's start become now;
      the next stage keeps its end.
    - No stage is current: the first stage still to come starts now; nothing else moves.
    - The stage started is the finals: every phase that started with the finals (the same
      start) starts now too, so submissions open when the finals do. Other phases stay.
    - The stage ended is the finals of finalists-only data: every running phase ends now
      too (such phases lie within the finals), so submissions close when the finals do.
    - The current stage is the last one, or no stage is left to come: 409
      ``schedule_no_next_stage`` (end a last stage early by moving its end).
    """
    now = now or utcnow()
    _require_changeable(challenge)
    spec = spec_of(challenge)
    current, following = _next_stage(spec, now)
    if following is None:
        raise NoNextStageError(
            f"'{challenge.id}' has no stage after '{current}' to start; move its end to end it"
            if current
            else f"'{challenge.id}' has no stage still to come"
        )
    moves = {following: Dates(start=now)}
    if current is not None:
        moves[current] = Dates(end=now)
    phases: dict[str, Dates] = {}
    if following == "finals":
        opens = dict(_stages(spec))["finals"].start
        phases = {p.name: Dates(start=now) for p in spec.phases if p.start == opens}
    if current == "finals" and spec.dataset.access == "finalists":
        phases = {p.name: Dates(end=now) for p in spec.phases if p.start <= now < p.end}
    return move(session, challenge, Changes(moves, phases), actor=actor, now=now)


def _lock_reason(challenge: Challenge) -> str | None:
    if challenge.revealed_at is not None:
        return "its private leaderboard was revealed"
    if challenge.closed_at is not None:
        return "an organizer closed it"
    return None


def _require_changeable(challenge: Challenge) -> None:
    reason = _lock_reason(challenge)
    if reason is not None:
        raise ScheduleLockedError(f"'{challenge.id}' no longer changes its schedule: {reason}")


def _stages(spec: ChallengeSpec) -> list[tuple[str, Stage]]:
    stages = spec.stages or Stages()
    return [(name, s) for name in STAGE_ORDER if (s := getattr(stages, name)) is not None]


def _next_stage(spec: ChallengeSpec, now: datetime) -> tuple[str | None, str | None]:
    """The stage open now, and the stage ``advance`` starts: the one after the current, else
    the first still to come."""
    present = _stages(spec)
    current = (spec.stages or Stages()).current(now)
    names = [name for name, _ in present]
    if current is not None:
        after = names.index(current) + 1
        return current, names[after] if after < len(names) else None
    return None, next((name for name, stage in present if stage.start > now), None)


def _targets(
    spec: ChallengeSpec, changes: Changes
) -> Iterator[tuple[str, Stage | Phase, Dates, tuple[str, str | int]]]:
    """Each changed item: its key, its stored dates, the new ones and where the stored
    definition holds it (``("stages", "finals")``, ``("phases", 0)``)."""
    stages = dict(_stages(spec))
    for name, given in changes.stages.items():
        if name not in stages:
            known = ", ".join(stages) or "none"
            raise UnknownItemError(f"stages.{name}: no such stage here; its stages: {known}")
        yield f"stages.{name}", stages[name], given, ("stages", name)
    phases = {p.name: (i, p) for i, p in enumerate(spec.phases)}
    for name, given in changes.phases.items():
        if name not in phases:
            known = ", ".join(phases)
            raise UnknownItemError(f"phases.{name}: no such phase here; its phases: {known}")
        index, phase = phases[name]
        yield f"phases.{name}", phase, given, ("phases", index)


def _moved(
    key: str, stored: datetime, wanted: datetime, now: datetime, zone: ZoneInfo
) -> datetime | None:
    """The date to store for ``key``, or None when it does not change (rules 3 and 4)."""
    try:
        aware(wanted)
    except ValueError as exc:
        raise InvalidScheduleError(f"{key}: {exc}") from None
    if wanted == stored:
        return None
    if stored <= now:
        raise DatePassedError(
            f"{key}: {_shown(stored, zone)} has passed and stays; only dates still to come move"
        )
    if wanted < now - NOW_TOLERANCE:
        raise DateInPastError(
            f"{key}: {_shown(wanted, zone)} is in the past; a date moves to now or later"
        )
    return max(wanted, now.astimezone(zone))


def _shown(moment: datetime, zone: ZoneInfo) -> object:
    """A moment in the challenge's zone (as given, when that zone cannot hold it)."""
    try:
        return plain(moment.astimezone(zone))
    except OverflowError:
        return moment.isoformat()


def _validated(data: dict[str, Any]) -> ChallengeSpec:
    """The changed definition by the rules of a file, its problems named by key as a file's
    (``stages: 'finals' starts before 'application' ends``)."""
    try:
        return ChallengeSpec.model_validate(data)
    except ValidationError as exc:
        lines = []
        for item in exc.errors():
            message = item["msg"].removeprefix("Value error, ")
            key = format_location(item["loc"])
            lines.append(f"{key}: {message}" if key else message)
        raise InvalidScheduleError("\n".join(lines), extra={"problems": lines}) from None
