"""The final judging: judges score each finalist on the rubric, the sources combine into one
ranking (:mod:`odx.scoring.judging` states the rules), judges and organizers see every
judge's scores and their spread, MLflow gets one judging run per finalist, and an organizer
publishes the winners."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from odx.platform.challenges.programme import Criterion
from odx.platform.db.models import Award, Challenge, JudgeScore, Submission, Team, User, utcnow
from odx.platform.errors import ConflictError, InvalidInputError, NotFoundError, OdxError
from odx.platform.services import applications, audit, evaluation, rubric_scores
from odx.platform.services.challenges import spec_of
from odx.platform.services.leaderboards import ranking
from odx.platform.settings import Settings
from odx.scoring.judging import RubricItem, combine
from odx.scoring.tracking import log_judging_run

AWARDS = ("winner", "runner_up")


class JudgingClosedError(OdxError):
    code = "judging_closed"
    title = "Judging is not open"
    status = 409


def rubric_of(challenge: Challenge) -> list[Criterion]:
    rubric = list(spec_of(challenge).rubric)
    if not rubric:
        raise NotFoundError(f"'{challenge.id}' has no final rubric")
    return rubric


def _finalists(session: Session, challenge: Challenge) -> dict[str, Team]:
    names = applications.finalists(session, challenge)
    found = session.scalars(
        select(Team).where(Team.challenge_id == challenge.id, Team.name.in_(names))
    )
    return {team.name: team for team in found}


def _finalist(session: Session, challenge: Challenge, name: str) -> Team:
    team = _finalists(session, challenge).get(name)
    if team is None:
        raise NotFoundError(f"no finalist '{name}' in '{challenge.id}'")
    return team


def score(
    session: Session, challenge: Challenge, team_name: str, judge: User, given: dict[str, float]
) -> None:
    """A judge's rubric scores of one finalist (replacing that judge's earlier ones), while
    the judging stage is open (any time, when the programme sets none)."""
    rubric = {c.id: c for c in rubric_of(challenge) if c.source == "judges"}
    stages = spec_of(challenge).stages
    if stages is not None and stages.judging is not None and not stages.judging.holds(utcnow()):
        raise JudgingClosedError(f"judging of '{challenge.id}' is not open now")
    team = _finalist(session, challenge, team_name)
    rubric_scores.check(given, rubric, "the judges' part of the final rubric")
    keys = {"challenge_id": challenge.id, "team_id": team.id, "judge_id": judge.id}
    rubric_scores.record(session, JudgeScore, keys, given)
    session.commit()


def _judge_scores(
    session: Session, challenge: Challenge, teams: dict[str, Team]
) -> dict[str, dict[str, dict[str, float]]]:
    """team -> judge -> criterion -> score."""
    by_id = {team.id: name for name, team in teams.items()}
    judges = {u.id: u.name for u in session.scalars(select(User))}
    scores: dict[str, dict[str, dict[str, float]]] = {name: {} for name in teams}
    for row in session.scalars(select(JudgeScore).where(JudgeScore.challenge_id == challenge.id)):
        if row.team_id in by_id:
            judge = judges.get(row.judge_id, "?")
            scores[by_id[row.team_id]].setdefault(judge, {})[row.criterion] = row.score
    return scores


def results(session: Session, challenge: Challenge) -> list[dict[str, Any]]:
    """Every finalist's rubric scores, total, rank and judges' spread, best first."""
    rubric = rubric_of(challenge)
    teams = _finalists(session, challenge)
    board = {r.team: r for r in ranking.rows(session, challenge, board="private")}
    scores = _judge_scores(session, challenge, teams)
    combined = combine(
        [RubricItem(c.id, c.weight, c.source, c.bounds) for c in rubric],
        sorted(teams),
        judge_scores=scores,
        private_scores={t: board[t].score if t in board else None for t in teams},
        user_means=evaluation.means(session, challenge),
        greater_is_better=spec_of(challenge).greater_is_better,
    )
    awarded = awards(session, challenge)
    rows = []
    for result in combined:
        entry = board.get(result.team)
        rows.append(
            asdict(result)
            | {
                "scores": scores[result.team],
                "private_score": entry.score if entry else None,
                "submission_id": entry.submission_id if entry else None,
                "award": next((a for a, names in awarded.items() if result.team in names), None),
            }
        )
    return rows


def as_csv(challenge: Challenge, rows: list[dict[str, Any]]) -> str:
    """The judging result, one line per finalist (formulas in names neutralised)."""
    ids = [c.id for c in rubric_of(challenge)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", "team", "total", *ids, "missing", "award"])
    for row in rows:
        team = row["team"]
        safe = f"'{team}" if team[:1] in ("=", "+", "-", "@") else team
        criteria = [f"{row['criteria'][i]:.4f}" for i in ids]
        writer.writerow(
            [row["rank"], safe, f"{row['total']:.4f}", *criteria, " ".join(row["missing"]),
             row["award"] or ""]
        )  # fmt: skip
    return out.getvalue()


def track(settings: Settings, session: Session, challenge: Challenge) -> dict[str, str]:
    """Write (or update) one MLflow judging run per finalist; returns team -> run id."""
    runs = {}
    for row in results(session, challenge):
        metrics = {"judging_total": row["total"], "judging_rank": float(row["rank"])}
        for criterion, value in row["criteria"].items():
            metrics[f"criterion_{criterion}"] = value
            if criterion in row["spread"]:
                metrics[f"criterion_{criterion}_spread"] = row["spread"][criterion]
                metrics[f"criterion_{criterion}_judges"] = float(row["judges"][criterion])
        submission = session.get(Submission, row["submission_id"]) if row["submission_id"] else None
        runs[row["team"]] = log_judging_run(
            settings.resolved_mlflow_uri,
            settings.mlflow_artifact_root,
            challenge.id,
            row["team"],
            metrics=metrics,
            tags={
                "odx.kind": "judging",
                "odx.challenge": challenge.id,
                "odx.team": row["team"],
                "odx.judging.missing": ",".join(row["missing"]),
                "odx.submission_id": row["submission_id"] or "",
            },
            submission_run_id=submission.mlflow_run_id if submission else None,
        )
    return runs


def publish(
    session: Session,
    challenge: Challenge,
    chosen: dict[str, list[str]],
    *,
    actor: str,
) -> dict[str, list[str]]:
    """Publish the awards (exactly these; audited): finalists only, one award per team."""
    teams = _finalists(session, challenge)
    named = [name for award in AWARDS for name in chosen.get(award, [])]
    unknown = sorted({name for name in named if name not in teams})
    if unknown:
        raise ConflictError(f"not finalists of '{challenge.id}': {', '.join(unknown)}")
    if len(set(named)) != len(named):
        raise InvalidInputError("a team can have one award only")
    if not chosen.get("winner"):
        raise InvalidInputError("name the winner")
    session.execute(delete(Award).where(Award.challenge_id == challenge.id))
    for award in AWARDS:
        for name in chosen.get(award, []):
            session.add(Award(challenge_id=challenge.id, team_id=teams[name].id, award=award))
    published = {award: sorted(chosen.get(award, [])) for award in AWARDS}
    audit.record(
        session, actor=actor, action="awards.publish", target=challenge.id, details=published
    )
    session.commit()
    return published


def awards(session: Session, challenge: Challenge) -> dict[str, list[str]]:
    """The published awards (empty lists until an organizer publishes them)."""
    found: dict[str, list[str]] = {award: [] for award in AWARDS}
    rows = session.execute(
        select(Award.award, Team.name)
        .join(Team, Team.id == Award.team_id)
        .where(Award.challenge_id == challenge.id)
    )
    for award, name in rows:
        found.setdefault(award, []).append(name)
    return {award: sorted(names) for award, names in found.items()}
