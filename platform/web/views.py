"""Plain values the templates show, built from rows and specs (templates hold no rules)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from odx.datasets.quality.report import check_summary, check_title
from odx.platform.challenges.programme import STAGE_ORDER
from odx.platform.challenges.spec import ChallengeSpec, Phase
from odx.platform.db.models import Challenge, Submission
from odx.platform.services.challenges import Status, spec_of, status_at
from odx.platform.web.i18n import Lang, pick


@dataclass(frozen=True)
class ChallengeCard:
    id: str
    title: str
    description: str
    status: Status
    phase_title: str
    start: datetime
    end: datetime
    timezone: str
    teams: int
    days: int | None  # days left when open, days until the start when upcoming
    spec: ChallengeSpec
    revealed: bool
    closed_early: bool  # closed by an organizer before its phases end; ``end`` is then when


def _closed_phase(challenge: Challenge, spec: ChallengeSpec) -> tuple[Phase, datetime, bool]:
    """The phase a closed challenge ended in, when it ended, and whether that was early
    (closed by an organizer before the end its phases give)."""
    last = spec.phases[-1]
    closed = challenge.closed_at
    if closed is None or closed >= last.end:
        return last, last.end, False
    phase = next((p for p in reversed(spec.phases) if p.start <= closed), spec.phases[0])
    return phase, min(closed, phase.end), True


def card(challenge: Challenge, lang: Lang, teams: int, now: datetime) -> ChallengeCard:
    spec = spec_of(challenge)
    status = status_at(challenge, now)
    closed_early = False
    if status == "open":
        phase = spec.phase_at(now)
        assert phase is not None
        end, days = phase.end, math.ceil((phase.end - now).total_seconds() / 86400)
    elif status == "upcoming":
        phase = next(p for p in spec.phases if p.start > now)
        end, days = phase.end, math.ceil((phase.start - now).total_seconds() / 86400)
    else:
        (phase, end, closed_early), days = _closed_phase(challenge, spec), None
    return ChallengeCard(
        id=spec.id,
        title=pick(lang, spec.title.ko, spec.title.en),
        description=pick(lang, spec.description.ko, spec.description.en),
        status=status,
        phase_title=pick(lang, phase.title.ko, phase.title.en),
        start=min(phase.start, end),  # closed before it started: one moment
        end=end,
        timezone=spec.timezone,
        teams=teams,
        days=days,
        spec=spec,
        revealed=challenge.revealed_at is not None,
        closed_early=closed_early,
    )


@dataclass(frozen=True)
class QualityCheck:
    name: str  # the code name, e.g. train_test_duplicates
    title: str
    success: bool
    summary: str


def quality_checks(report: dict[str, Any], lang: Lang) -> list[QualityCheck]:
    """A published quality report's checks in the page's language, rebuilt from each check's
    numbers (the release itself stays as published)."""
    return [
        QualityCheck(
            name=check["name"],
            title=check_title(check["name"], lang),
            success=check["success"],
            summary=check_summary(check, lang, report),
        )
        for check in report["checks"]
    ]


def problems_of(submission: Submission) -> list[dict[str, Any]]:
    """The validation problems stored with a failed submission (never label values)."""
    return list(submission.problems or [])


@dataclass(frozen=True)
class StageRow:
    name: str  # application, finals, user_evaluation or judging
    start: datetime
    end: datetime
    state: str  # past, current or future


def stage_rows(spec: ChallengeSpec, now: datetime) -> list[StageRow]:
    """The programme's stages in order, each marked past, current or future at ``now``."""
    if spec.stages is None:
        return []
    rows = []
    for name in STAGE_ORDER:
        stage = getattr(spec.stages, name)
        if stage is not None:
            state = "past" if stage.end <= now else ("current" if stage.holds(now) else "future")
            rows.append(StageRow(name, stage.start, stage.end, state))
    return rows
