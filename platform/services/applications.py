"""Document screening: teams apply with a plan (one PDF) and the challenge's form, judges
score the applications on the application rubric, and an organizer selects the finalists.

The plan is checked by its content (a PDF header and trailer), kept in the object store and
only ever served as a download to judges and organizers; nothing on the server opens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from odx.platform.challenges.programme import Application as ApplicationRules
from odx.platform.db.models import (
    Application,
    ApplicationScore,
    Challenge,
    Finalist,
    Team,
    User,
    utcnow,
)
from odx.platform.errors import ConflictError, InvalidInputError, NotFoundError, OdxError
from odx.platform.services import audit, rubric_scores, teams, text
from odx.platform.services.challenges import spec_of
from odx.platform.settings import Settings
from odx.submissions.storage import ObjectStore

PDF_HEADER = b"%PDF-"
PDF_TRAILER = b"%%EOF"
TRAILER_WINDOW = 1024  # readers look for the trailer this far from the end
MB = 1024 * 1024
FORM_ENVELOPE = 256 * 1024  # the answers and the framing beside the plan, at most


class ApplicationClosedError(OdxError):
    code = "application_closed"
    title = "Applications are not open"
    status = 409


class NotAPdfError(InvalidInputError):
    code = "not_a_pdf"
    title = "The plan is not a PDF"


class PlanTooLargeError(OdxError):
    code = "upload_too_large"
    title = "Upload too large"
    status = 413


class PlanUpload(Protocol):
    """The plan as the intake takes it: size declared up front, bytes pulled after the checks
    that need none, answers complete once the bytes are read."""

    declared_bytes: int | None

    def chunks(self) -> Iterable[bytes]: ...

    @property
    def fields(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Outcome:
    """What a team sees of its own application."""

    submitted_at: datetime
    plan_bytes: int
    answers: dict[str, str]
    status: str  # submitted, finalist or not_selected


def rules_of(challenge: Challenge) -> ApplicationRules:
    rules = spec_of(challenge).application
    if rules is None:
        raise NotFoundError(f"'{challenge.id}' takes no applications")
    return rules


def _require_open(challenge: Challenge, now: datetime) -> None:
    stages = spec_of(challenge).stages
    stage = stages.application if stages else None
    if stage is None or not stage.holds(now):
        raise ApplicationClosedError(f"applications to '{challenge.id}' are not open now")


def admit(
    session: Session,
    challenge: Challenge,
    user: User,
    declared: int | None,
    now: datetime | None = None,
) -> Team:
    """Who, when and how much, before any of the plan is read."""
    rules = rules_of(challenge)
    team = teams.require_team(session, challenge, user)
    _require_open(challenge, now or utcnow())
    most = rules.plan_max_mb * MB
    if declared is not None and declared > most + FORM_ENVELOPE:
        raise PlanTooLargeError(f"the plan may be at most {rules.plan_max_mb} MB")
    return team


def _checked_pdf(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass the bytes on, refusing what does not start as a PDF before storing it, and what
    does not end as one once it has arrived."""
    head, tail, started = b"", b"", False
    for chunk in chunks:
        if not started:
            head += chunk
            if len(head) < len(PDF_HEADER):
                continue
            if not head.startswith(PDF_HEADER):
                raise NotAPdfError("the plan must be a PDF file (it does not start with %PDF-)")
            started, chunk = True, head
        tail = (tail + chunk)[-TRAILER_WINDOW:]
        yield chunk
    if not started or PDF_TRAILER not in tail:
        raise NotAPdfError("the plan must be a whole PDF file (no %%EOF at its end)")


def answers_of(rules: ApplicationRules, fields: dict[str, str]) -> dict[str, str]:
    """The form's answers, each checked against its field; other fields are ignored."""
    answers: dict[str, str] = {}
    for field in rules.form:
        value = text.typed(
            fields.get(field.id, "").strip(),
            f"answer to '{field.id}'",
            most=field.max_length,
            multiline=field.kind == "long_text",
        )
        if not value and field.required:
            raise InvalidInputError(f"the form's '{field.id}' needs an answer")
        choices = [c.ko for c in field.choices] + [c.en for c in field.choices]
        if value and field.kind == "choice" and value not in choices:
            shown = ", ".join(c.ko for c in field.choices)
            raise InvalidInputError(f"the form's '{field.id}' takes one of: {shown}")
        answers[field.id] = value
    return answers


def submit(
    session: Session,
    settings: Settings,
    challenge: Challenge,
    user: User,
    upload: PlanUpload,
    *,
    now: datetime | None = None,
) -> Application:
    """Store the plan and the answers; a second application of a team replaces its first
    (and the judges' scores of it, which were of the old plan). ``now``: when it was sent
    (scripts bringing in applications received elsewhere)."""
    team = admit(session, challenge, user, upload.declared_bytes, now)
    rules = rules_of(challenge)
    stored = ObjectStore(settings.objects_root).put_chunks(
        _checked_pdf(upload.chunks()), max_bytes=rules.plan_max_mb * MB
    )
    answers = answers_of(rules, upload.fields)
    row = session.scalar(
        select(Application).where(
            Application.challenge_id == challenge.id, Application.team_id == team.id
        )
    )
    if row is None:
        row = Application(challenge_id=challenge.id, team_id=team.id)
        session.add(row)
    else:
        session.execute(delete(ApplicationScore).where(ApplicationScore.application_id == row.id))
    row.user_id, row.plan_sha256, row.plan_bytes = user.id, stored.sha256, stored.size
    row.answers, row.submitted_at = answers, now or utcnow()
    session.commit()
    return row


def _finalist_teams(session: Session, challenge: Challenge) -> set[int]:
    return set(
        session.scalars(select(Finalist.team_id).where(Finalist.challenge_id == challenge.id))
    )


def outcome(session: Session, challenge: Challenge, user: User) -> Outcome:
    """The user's team's application and what became of it."""
    team = teams.require_team(session, challenge, user)
    row = session.scalar(
        select(Application).where(
            Application.challenge_id == challenge.id, Application.team_id == team.id
        )
    )
    if row is None:
        raise NotFoundError(f"your team has not applied to '{challenge.id}'")
    chosen = _finalist_teams(session, challenge)
    status = "finalist" if team.id in chosen else ("not_selected" if chosen else "submitted")
    return Outcome(row.submitted_at, row.plan_bytes, dict(row.answers), status)


def get(session: Session, challenge: Challenge, application_id: int) -> Application:
    row = session.get(Application, application_id)
    if row is None or row.challenge_id != challenge.id:
        raise NotFoundError(f"no application {application_id} to '{challenge.id}'")
    return row


def for_staff(session: Session, challenge: Challenge) -> list[dict[str, Any]]:
    """Every application with its answers, each judge's scores and the weighted mean (0..1)."""
    rules = rules_of(challenge)
    chosen = _finalist_teams(session, challenge)
    rows = session.scalars(
        select(Application)
        .where(Application.challenge_id == challenge.id)
        .order_by(Application.submitted_at)
    )
    listed = []
    for row in rows:
        scores: dict[str, dict[str, float]] = {}
        for score in session.scalars(
            select(ApplicationScore).where(ApplicationScore.application_id == row.id)
        ):
            judge = session.get(User, score.judge_id)
            scores.setdefault(judge.name if judge else "?", {})[score.criterion] = score.score
        team = session.get(Team, row.team_id)
        listed.append(
            {
                "id": row.id,
                "team": team.name if team else "?",
                "submitted_at": row.submitted_at,
                "plan_sha256": row.plan_sha256,
                "plan_bytes": row.plan_bytes,
                "answers": dict(row.answers),
                "scores": scores,
                "mean": _weighted_mean(rules, scores),
                "finalist": row.team_id in chosen,
            }
        )
    return listed


def _weighted_mean(rules: ApplicationRules, scores: dict[str, dict[str, float]]) -> float | None:
    """The rubric's weighted mean over judges on a 0..1 scale (a judge's missing criterion is
    left out of that criterion's mean); None until some judge scored."""
    total, weights = 0.0, 0.0
    for criterion in rules.rubric:
        low, high = criterion.bounds
        given = [
            (s[criterion.id] - low) / (high - low) for s in scores.values() if criterion.id in s
        ]
        if given:
            total += criterion.weight * sum(given) / len(given)
            weights += criterion.weight
    return total / weights if weights else None


def score(
    session: Session,
    challenge: Challenge,
    application_id: int,
    judge: User,
    given: dict[str, float],
) -> None:
    """A judge's scores of one application (replacing that judge's earlier ones)."""
    rules = rules_of(challenge)
    row = get(session, challenge, application_id)
    rubric_scores.check(given, {c.id: c for c in rules.rubric}, "the application rubric")
    keys = {"application_id": row.id, "judge_id": judge.id}
    rubric_scores.record(session, ApplicationScore, keys, given)
    session.commit()


def select_finalists(
    session: Session, challenge: Challenge, names: list[str], *, actor: str
) -> list[str]:
    """Make exactly these teams the finalists (audited); each must have applied."""
    rules = rules_of(challenge)
    if len(set(names)) != len(names):
        raise InvalidInputError("a team is named twice")
    if len(names) > rules.finalists:
        raise InvalidInputError(
            f"'{challenge.id}' selects at most {rules.finalists} finalists, not {len(names)}"
        )
    applied = {
        team.name: team
        for team in session.scalars(
            select(Team)
            .join(Application, Application.team_id == Team.id)
            .where(Application.challenge_id == challenge.id)
        )
    }
    unknown = [name for name in names if name not in applied]
    if unknown:
        raise ConflictError(f"these teams have not applied: {', '.join(unknown)}")
    session.execute(delete(Finalist).where(Finalist.challenge_id == challenge.id))
    for name in names:
        session.add(Finalist(challenge_id=challenge.id, team_id=applied[name].id))
    audit.record(
        session,
        actor=actor,
        action="finalists.select",
        target=challenge.id,
        details={"teams": sorted(names)},
    )
    session.commit()
    return sorted(names)


def finalists(session: Session, challenge: Challenge) -> list[str]:
    return sorted(
        session.scalars(
            select(Team.name)
            .join(Finalist, Finalist.team_id == Team.id)
            .where(Finalist.challenge_id == challenge.id)
        )
    )


def is_finalist(session: Session, challenge: Challenge, team: Team) -> bool:
    return team.id in _finalist_teams(session, challenge)
