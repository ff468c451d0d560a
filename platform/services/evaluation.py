"""The user-experience evaluation (사용자 체험평가): SME users try the finalists' models on
their own case and rate each one.

An evaluator fills in a form made from the models' input signature (labels from the data
card), sees every finalist model's prediction blinded as 모델 A, B, C… in an order of their
own, with a plain reading of it, and rates each model 1–5 once, with an optional comment.
Nothing typed into the form is kept: only the ratings and the case's checksum. Models run
in the same sandbox as scoring, a budget of runs per evaluator.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from odx.datasets.release import DATA_CARD, TRAIN
from odx.platform.db.models import Challenge, Submission, Team, User, UserRating, utcnow
from odx.platform.errors import ConflictError, InvalidInputError, NotFoundError, OdxError
from odx.platform.services import applications, text
from odx.platform.services.attempts import Attempts
from odx.platform.services.challenges import dataset_version, list_all, spec_of
from odx.platform.services.leaderboards import ranking
from odx.platform.services.models import limits_of, unsandboxed
from odx.platform.services.users import PermissionDeniedError, Role
from odx.platform.settings import Settings
from odx.scoring.confidence import mean_interval
from odx.submissions.models.archive import unpack_model
from odx.submissions.models.sandbox import ModelTask, run_model
from odx.submissions.storage import ObjectStore

LABELS = "ABCDEFGHIJKLMNOPQRST"
MAX_CHOICES = 60
MAX_COMMENT = 1000
CASE_ID = "case"
_CARD_ROW = re.compile(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| (\w+) \| (.*?) \| (.*?) \|$")


class EvaluationClosedError(OdxError):
    code = "evaluation_closed"
    title = "The user evaluation is not open"
    status = 409


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text, integer or number
    ko: str
    en: str
    choices: list[str]


@dataclass(frozen=True)
class Shown:
    """One blinded model's answer to a case."""

    label: str  # A, B, C…
    ok: bool
    prediction: str
    reading_ko: str
    reading_en: str


def _require_evaluator(user: User) -> None:
    if user.role != Role.evaluator:
        raise PermissionDeniedError("the user evaluation is for evaluators")


def is_open(challenge: Challenge) -> bool:
    stages = spec_of(challenge).stages
    stage = stages.user_evaluation if stages else None
    return stage is not None and stage.holds(utcnow())


def _require_open(challenge: Challenge) -> None:
    if not is_open(challenge):
        raise EvaluationClosedError(f"the user evaluation of '{challenge.id}' is not open now")


def finalist_models(session: Session, challenge: Challenge) -> list[tuple[str, Submission]]:
    """Each finalist's final model (the submission the private board ranks it by)."""
    if not spec_of(challenge).takes_models:
        raise NotFoundError(f"'{challenge.id}' takes no models to evaluate")
    finalists = set(applications.finalists(session, challenge))
    found = []
    for row in ranking.rows(session, challenge, board="private"):
        if row.team in finalists and row.submission_id is not None:
            submission = session.get(Submission, row.submission_id)
            if submission is not None and submission.kind == "model":
                found.append((row.team, submission))
    return sorted(found)


def blinded(challenge: Challenge, user: User, teams: list[str]) -> list[tuple[str, str]]:
    """(label, team) in an order of this evaluator's own, the same at every visit."""
    seed = int(hashlib.sha256(f"{challenge.id}:{user.id}".encode()).hexdigest()[:16], 16)
    order = sorted(teams)
    random.Random(seed).shuffle(order)
    return list(zip(LABELS, order, strict=False))


def _card_labels(card: str) -> dict[str, tuple[str, str]]:
    """Column -> (Korean, English) description, from the data card's columns table."""
    found = {}
    for line in card.splitlines():
        match = _CARD_ROW.match(line.strip())
        if match:
            found.setdefault(match.group(1), (match.group(3), match.group(4)))
    return found


def form(session: Session, settings: Settings, challenge: Challenge) -> list[FormField]:
    """The case form: the models' input columns, labelled from the data card, with the
    values seen in train as choices for text columns."""
    models = finalist_models(session, challenge)
    if not models:
        raise NotFoundError(f"'{challenge.id}' has no finalist models to evaluate yet")
    signature = _signature(settings, models[0][1])
    version = dataset_version(session, challenge)
    public = settings.public_root / version.public_dir
    labels = _card_labels((public / DATA_CARD).read_text(encoding="utf-8"))
    train = pd.read_csv(public / TRAIN, dtype=str, keep_default_na=False)
    fields = []
    for column in signature:
        name, kind = column["name"], column["type"]
        kind = {"long": "integer", "integer": "integer", "double": "number", "float": "number"}.get(
            kind, "text"
        )
        ko, en = labels.get(name, (name, name))
        choices = []
        if kind == "text" and name in train.columns:
            values = sorted(v for v in train[name].unique() if v)
            choices = values if len(values) <= MAX_CHOICES else []
        fields.append(FormField(name, kind, ko, en, choices))
    return fields


def _signature(settings: Settings, submission: Submission) -> list[dict[str, str]]:
    archive = ObjectStore(settings.objects_root).path_for(submission.file_sha256)
    with tempfile.TemporaryDirectory(prefix="odx-signature-") as folder:
        package = unpack_model(archive, Path(folder) / "model", max_bytes=settings.max_upload_bytes)
        signature = package.signature or {}
    inputs = signature.get("inputs")
    columns = json.loads(inputs) if isinstance(inputs, str) else inputs or []
    return [c for c in columns if isinstance(c, dict) and "name" in c]


def _case(fields: list[FormField], given: dict[str, str]) -> dict[str, str]:
    """The evaluator's case, each value checked against its field."""
    case = {}
    for field in fields:
        value = text.typed(str(given.get(field.name, "")).strip(), field.name, most=200)
        if field.kind in ("integer", "number") and value:
            try:
                number = float(value)
            except ValueError:
                raise InvalidInputError(f"'{field.name}' takes a number, not '{value}'") from None
            if not math.isfinite(number) or (field.kind == "integer" and not number.is_integer()):
                raise InvalidInputError(f"'{field.name}' takes a whole number, not '{value}'")
            # written as the model's signature reads it: 3 for a whole number, 3.0 for a real
            value = str(int(number)) if field.kind == "integer" else repr(number)
        if field.choices and value not in field.choices:
            raise InvalidInputError(f"'{field.name}' takes one of the listed values")
        case[field.name] = value
    return case


def case_sha256(case: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(case, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _reading(task: str, value: str, target: tuple[str, str]) -> tuple[str, str]:
    """A prediction as a person reads it (the target's description from the card)."""
    ko, en = target
    if task == "binary":
        try:
            share = float(value)
        except ValueError:
            return f"{ko}: {value}", f"{en}: {value}"
        return f"{ko}: 확률 {share:.0%}", f"{en}: probability {share:.0%}"
    if task == "ranking":
        top = " · ".join(value.split()[:3])
        return f"추천 상위: {top}", f"top recommendations: {top}"
    return f"{ko}: {value}", f"{en}: {value}"


def predict(
    session: Session,
    settings: Settings,
    attempts: Attempts,
    challenge: Challenge,
    user: User,
    given: dict[str, str],
) -> list[Shown]:
    """Run the evaluator's case through every finalist model, blinded."""
    _require_evaluator(user)
    _require_open(challenge)
    fields = form(session, settings, challenge)
    case = _case(fields, given)
    attempts.spend(f"{settings.evaluation_cases_per_hour} per hour", "evaluation", user.name)
    models = dict(finalist_models(session, challenge))
    version = dataset_version(session, challenge)
    manifest = version.release_manifest
    public = settings.public_root / version.public_dir
    labels = _card_labels((public / DATA_CARD).read_text(encoding="utf-8"))
    target = labels.get(manifest.target_column, (manifest.target_column,) * 2)
    task = ModelTask(
        manifest.id_column,
        [manifest.target_column],
        binary=manifest.task == "binary",
        ranking=manifest.ranking is not None,
    )
    shown = []
    with tempfile.TemporaryDirectory(prefix="odx-evaluation-") as folder:
        work = Path(folder)
        features = work / "case.csv"
        with features.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([manifest.id_column, *case])
            writer.writerow([CASE_ID, *case.values()])
        features.chmod(0o644)  # the sandbox reads it as an unprivileged user
        for index, (label, team) in enumerate(blinded(challenge, user, list(models))):
            archive = ObjectStore(settings.objects_root).path_for(models[team].file_sha256)
            package = unpack_model(
                archive, work / f"model-{index}", max_bytes=settings.max_upload_bytes
            )
            run = run_model(
                package.root,
                features,
                work / f"run-{index}",
                task,
                limits_of(spec_of(challenge)),
                unsandboxed=unsandboxed(settings),
                label=f"evaluation {challenge.id} {label}",
            )
            if not run.ok or run.predictions is None:
                shown.append(Shown(label, False, "", "예측하지 못했습니다", "no prediction"))
                continue
            value = pd.read_csv(run.predictions, dtype=str).iloc[0, 1]
            reading = _reading(manifest.task, str(value), target)
            shown.append(Shown(label, True, str(value), *reading))
    return shown


def rate(
    session: Session,
    challenge: Challenge,
    user: User,
    label: str,
    rating: int,
    comment: str,
    case: str,
) -> None:
    """The evaluator's rating (1–5) of one blinded model, once; ``case`` is the case's
    checksum (the case itself is never kept)."""
    _require_evaluator(user)
    _require_open(challenge)
    if not 1 <= rating <= 5:
        raise InvalidInputError(f"a rating is 1 to 5, not {rating}")
    if not re.fullmatch(r"[0-9a-f]{64}", case):
        raise InvalidInputError("case: send the case's sha256 as the predictions gave it")
    comment = text.typed(comment.strip(), "comment", most=MAX_COMMENT, multiline=True)
    teams = dict(blinded(challenge, user, _finalist_names(session, challenge)))
    if label not in teams:
        raise NotFoundError(f"no model '{label}' in this evaluation")
    team = session.scalar(
        select(Team).where(Team.challenge_id == challenge.id, Team.name == teams[label])
    )
    assert team is not None
    done = session.scalar(
        select(UserRating.id).where(
            UserRating.challenge_id == challenge.id,
            UserRating.evaluator_id == user.id,
            UserRating.team_id == team.id,
        )
    )
    if done is not None:
        raise ConflictError(f"you have rated model {label} already; each model is rated once")
    session.add(
        UserRating(
            challenge_id=challenge.id,
            evaluator_id=user.id,
            team_id=team.id,
            rating=rating,
            comment=comment,
            case_sha256=case,
        )
    )
    session.commit()


def results(session: Session, challenge: Challenge) -> list[dict[str, Any]]:
    """Per finalist: evaluators, mean rating with its 95% interval (a bootstrap over the
    evaluators), comments."""
    names = {
        t.id: t.name for t in session.scalars(select(Team).where(Team.challenge_id == challenge.id))
    }
    by_team: dict[str, list[UserRating]] = {}
    for row in session.scalars(
        select(UserRating).where(UserRating.challenge_id == challenge.id).order_by(UserRating.id)
    ):
        by_team.setdefault(names.get(row.team_id, "?"), []).append(row)
    out = []
    for team, rows in sorted(by_team.items()):
        center, interval = mean_interval([r.rating for r in rows])
        out.append(
            {
                "team": team,
                "evaluators": len(rows),
                "mean": center,
                "low": None if math.isnan(interval.low) else interval.low,
                "high": None if math.isnan(interval.high) else interval.high,
                "comments": [r.comment for r in rows if r.comment],
            }
        )
    return out


def means(session: Session, challenge: Challenge) -> dict[str, float]:
    """Each rated finalist's mean rating (the rubric's 'users' source)."""
    return {row["team"]: row["mean"] for row in results(session, challenge)}


def rated(session: Session, challenge: Challenge, user: User) -> set[str]:
    """The labels of the models this evaluator has rated already."""
    shown = blinded(challenge, user, _finalist_names(session, challenge))
    labels = {team: label for label, team in shown}
    names = {
        t.id: t.name for t in session.scalars(select(Team).where(Team.challenge_id == challenge.id))
    }
    done = session.scalars(
        select(UserRating.team_id).where(
            UserRating.challenge_id == challenge.id, UserRating.evaluator_id == user.id
        )
    )
    return {labels[names[team_id]] for team_id in done if names.get(team_id) in labels}


def _finalist_names(session: Session, challenge: Challenge) -> list[str]:
    return [team for team, _ in finalist_models(session, challenge)]


def open_to(session: Session, user: User) -> list[Challenge]:
    """The challenges whose user evaluation is open now (what an evaluator's page lists)."""
    _require_evaluator(user)
    return [challenge for challenge in list_all(session) if is_open(challenge)]
