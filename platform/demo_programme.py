"""The demo's programme: a shipped programme placed in its finals today, and demo-team's
application (a generated one-page PDF plan) selected as its finalist, so that every account of
the demo has something to do at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from odx.platform.challenges.programme import STAGE_ORDER, Application
from odx.platform.challenges.spec import ChallengeSpec, load_challenge
from odx.platform.db.engine import session_scope
from odx.platform.errors import REPORTABLE, NotFoundError, OdxError, reported
from odx.platform.services import applications, challenges, submissions, teams, users
from odx.platform.services.baselines import run_baseline
from odx.platform.settings import Settings

Say = Callable[[str], None]
DEMO_TEAM = "demo-team"
INTO_FINALS = timedelta(days=7)  # how far into its first phase the demo puts a programme


def write_copy(settings: Settings, name: str, data: dict[str, object]) -> Path:
    """A demo copy of a shipped definition, in the platform's folder."""
    copy = settings.resolved_home / "challenges" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def in_finals_now(path: Path, settings: Settings, say: Say, now: datetime | None = None) -> Path:
    """The shipped programme, or — when its finals or phase do not hold today — a demo copy
    with every stage and phase moved by the same whole number of days, so that applications
    closed in the past, the first phase opened a week ago and the user evaluation and the
    judging are still to come: every rule between them keeps holding."""
    spec, _ = load_challenge(path)
    now = now or datetime.now(UTC)
    if _in_finals(spec, now):
        return path
    shift = timedelta(days=(now - INTO_FINALS - spec.phases[0].start).days)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in STAGE_ORDER:
        if (stage := getattr(spec.stages, name)) is not None:
            data["stages"][name] = _moved(stage.start, stage.end, shift)
    for row, phase in zip(data["phases"], spec.phases, strict=True):
        row |= _moved(phase.start, phase.end, shift)
    copy = write_copy(settings, path.name, data)
    if not _in_finals(load_challenge(copy)[0], now):
        raise OdxError(f"{path}: the demo cannot move its programme so that its finals hold now")
    say(f"  {spec.id}: moved by {shift.days} days so that its finals hold today")
    return copy


def _in_finals(spec: ChallengeSpec, now: datetime) -> bool:
    stages = spec.stages
    return stages is not None and stages.current(now) == "finals" and spec.phase_at(now) is not None


def _moved(start: datetime, end: datetime, shift: timedelta) -> dict[str, str]:
    return {"start": (start + shift).isoformat(), "end": (end + shift).isoformat()}


@dataclass(frozen=True)
class DemoPlan:
    """demo-team's application as ``applications.submit`` takes it: a one-page PDF plan."""

    fields: dict[str, str] = field(default_factory=dict)
    declared_bytes: int | None = None

    def chunks(self) -> Iterable[bytes]:
        return [plan_pdf("demo-team: an early warning of SME distress from the firm panel")]


def plan_pdf(line: str) -> bytes:
    """A minimal one-page PDF saying ``line`` (ASCII), with a correct cross-reference table."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    xref += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(body),
    )
    return body + xref + trailer


def demo_answers(rules: Application) -> dict[str, str]:
    """An answer to every question of the form: the first choice, or a short demo text."""
    return {
        f.id: f.choices[0].ko if f.choices else f"데모 팀의 {f.label.ko}"[: f.max_length]
        for f in rules.form
    }


def set_up(settings: Settings, challenge_id: str, say: Say) -> None:
    """demo-team applies (sent while applications were open), is the finalist and sends a
    model, so that 'demo' can accept the data-use terms and download, demo-judge has a plan to
    score, and once an organizer starts them the user evaluation and the judging have a model."""
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        spec = challenges.spec_of(challenge)
        if spec.application is None or spec.stages is None or spec.stages.application is None:
            return
        participant = users.get_by_name(session, "demo")
        try:
            applications.outcome(session, challenge, participant)
        except NotFoundError:
            sent = spec.stages.application.end - timedelta(hours=1)
            plan = DemoPlan(fields=demo_answers(spec.application))
            applications.submit(session, settings, challenge, participant, plan, now=sent)
        if not applications.finalists(session, challenge):
            applications.select_finalists(session, challenge, [DEMO_TEAM], actor="demo")
        finalists = applications.finalists(session, challenge)
        team = teams.team_of(session, challenge, participant)
        sent_any = team is not None and bool(submissions.of_team(session, challenge, team))
    if not sent_any and DEMO_TEAM in finalists:
        _send_finalist_model(settings, challenge_id, say)
    _describe_programme(spec, finalists, say)


def _send_finalist_model(settings: Settings, challenge_id: str, say: Say) -> None:
    """demo-team sends the baseline pipeline as its model, so that the user evaluation has a
    finalist model to try and the judging a private score to take."""
    try:
        outcome = run_baseline(settings, challenge_id, as_user="demo")
    except REPORTABLE as exc:  # e.g. no sandbox on this machine
        say(f"  {DEMO_TEAM}'s model on {challenge_id}: not sent: {reported(exc).detail}")
        return
    score = "" if outcome.public_score is None else f", public score {outcome.public_score:.4f}"
    say(f"  {DEMO_TEAM}'s model on {challenge_id}: {outcome.status}{score}")


def _describe_programme(spec: ChallengeSpec, finalists: list[str], say: Say) -> None:
    """What the programme is, where it stands today and which demo account does what."""
    assert spec.stages is not None
    now, zone = datetime.now(UTC), spec.zone
    say(f"\nprogramme {spec.id}: {spec.title.en}")
    for name in STAGE_ORDER:
        if (stage := getattr(spec.stages, name)) is not None:
            start, end = stage.start.astimezone(zone), stage.end.astimezone(zone)
            when = "now" if stage.holds(now) else ("over" if stage.end <= now else "to come")
            say(f"  {name:16} {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M %Z}  ({when})")
    sample = f"{spec.sample.id} v{spec.sample.version}" if spec.sample else "none"
    say(f"  finalists: {', '.join(finalists) or 'none yet'}; public sample: {sample}")
    say(f"  demo (in {DEMO_TEAM}) applied with a plan; accept the data-use terms, then download:")
    say(f"    odx terms {spec.id} --accept && odx download {spec.id} -p data/")
    say("  demo-judge scores the applications now and the finalists in the judging")
    say("  demo-organizer selects the finalists and reads who downloaded the data")
    say("  demo-evaluator tries the finalists' models and rates them in the user evaluation")
    say("  to walk the rest now, demo-organizer starts each next stage on the judging pages")
