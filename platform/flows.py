"""Work that spans domains: bringing up the embedded platform with everything shipped.

publish datasets → register challenges → run baselines → create demo accounts → set up the
programme (an application and its finalist). Each step is idempotent, so running the demo
again only fills in what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from odx.datasets.catalog import SHIPPED_DIR, catalogue
from odx.platform import demo_programme
from odx.platform.challenges.catalog import SHIPPED_CHALLENGES
from odx.platform.challenges.spec import load_challenge
from odx.platform.db.engine import session_scope
from odx.platform.db.models import Challenge, Submission, Team
from odx.platform.demo_programme import DEMO_TEAM, in_finals_now, write_copy
from odx.platform.errors import REPORTABLE, reported
from odx.platform.services import challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.settings import Settings
from odx.platform.states import SubmissionStatus

Say = Callable[[str], None]
DEMO_ACCOUNTS = (
    ("demo-organizer", "organizer"),
    ("demo-judge", "judge"),
    ("demo-evaluator", "evaluator"),
    ("demo", "participant"),
)


def _open_now(path: Path, settings: Settings, say: Say) -> Path:
    """The shipped definition, or — when its phase is not open today — a demo copy whose
    phase runs from now for 90 days, so the demo always has open challenges."""
    spec, _ = load_challenge(path)
    now = datetime.now(UTC)
    if spec.phase_at(now) is not None:
        return path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["phases"] = [
        data["phases"][-1]
        | {
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(days=90)).isoformat(),
        }
    ]
    copy = write_copy(settings, path.name, data)
    say(f"  {spec.id}: its dates are not open today; the demo opens it for 90 days")
    return copy


def _has_baseline(settings: Settings, challenge_id: str, name: str) -> bool:
    with session_scope(settings.resolved_database_url) as session:
        return (
            session.scalar(
                select(Submission.id)
                .join(Team, Team.id == Submission.team_id)
                .where(
                    Submission.challenge_id == challenge_id,
                    Team.is_baseline.is_(True),
                    Team.name == name,
                    Submission.status == SubmissionStatus.SCORED,
                )
                .limit(1)
            )
            is not None
        )


def bring_up_demo(settings: Settings, say: Say) -> dict[str, str]:
    """Publish, register, run baselines, create demo accounts and set up the programme;
    returns the demo accounts' tokens."""
    from odx.platform.services.baselines import names_of

    say(f"data folder: {settings.resolved_home}")
    for dataset_id in catalogue([SHIPPED_DIR]):
        outcome = dataset_service.publish(settings, dataset_id)
        state = "published" if outcome.created else "already published"
        say(f"  dataset {dataset_id}: {state} as version {outcome.version}")
    ids = [_register(settings, path, say) for path in sorted(SHIPPED_CHALLENGES.glob("*.yaml"))]
    for challenge_id in ids:
        for name in names_of(settings, challenge_id):
            if not _has_baseline(settings, challenge_id, name):
                _run_baseline(settings, challenge_id, name, say)
    tokens = _demo_accounts(settings, ids)
    for challenge_id in ids:
        demo_programme.set_up(settings, challenge_id, say)
    return tokens


def _register(settings: Settings, path: Path, say: Say) -> str:
    """Register a shipped challenge once: a rerun keeps the definition the first run
    registered (a moved copy's dates differ from day to day)."""
    spec, _ = load_challenge(path)
    with session_scope(settings.resolved_database_url) as session:
        if session.get(Challenge, spec.id) is not None:
            say(f"  challenge {spec.id}: already registered")
            return spec.id
    moved = in_finals_now if spec.stages and spec.stages.finals else _open_now
    source = moved(path, settings, say)
    with session_scope(settings.resolved_database_url) as session:
        challenges.register(session, source, actor="demo")
    say(f"  challenge {spec.id}: registered")
    return spec.id


def _run_baseline(settings: Settings, challenge_id: str, name: str, say: Say) -> None:
    from odx.platform.services.baselines import run_baseline

    try:
        outcome = run_baseline(settings, challenge_id, name)
    except REPORTABLE as exc:  # e.g. no sandbox for the model challenge on this machine
        say(f"  {name} on {challenge_id}: not run: {reported(exc).detail}")
        return
    score = "" if outcome.public_score is None else f", public score {outcome.public_score:.4f}"
    say(f"  {name} on {challenge_id}: {outcome.status}{score}")


def _demo_accounts(settings: Settings, challenge_ids: list[str]) -> dict[str, str]:
    """Demo users (tokens kept in a 0600 file so a rerun can show them again)."""
    token_file = settings.resolved_home / "demo-tokens.json"
    tokens: dict[str, str] = (
        json.loads(token_file.read_text(encoding="utf-8")) if token_file.is_file() else {}
    )
    with session_scope(settings.resolved_database_url) as session:
        for name, role in DEMO_ACCOUNTS:
            if name not in tokens:
                tokens[name] = users.create_user(session, name=name, role=role, actor="demo")[1]
        participant = users.get_by_name(session, "demo")
        for challenge_id in challenge_ids:
            challenge = challenges.get(session, challenge_id)
            if teams.team_of(session, challenge, participant) is None:
                teams.create(session, challenge, participant, DEMO_TEAM)
    token_file.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
    token_file.chmod(0o600)
    return tokens
