"""Leaderboards from stored scores, final selection, and a spreadsheet-safe CSV export."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Submission, Team, User, utcnow
from odx.platform.errors import ConflictError, Message
from odx.platform.services.challenges import is_over, spec_of
from odx.scoring.leaderboard import (
    Entry,
    Row,
    best_over_time,
    private_leaderboard,
    public_leaderboard,
)

Board = Literal["public", "private"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def team_name(session: Session, team_id: int) -> str:
    return session.scalar(select(Team.name).where(Team.id == team_id)) or ""


def user_name(session: Session, user_id: int) -> str:
    return session.scalar(select(User.name).where(User.id == user_id)) or ""


def all_submissions(session: Session, challenge: Challenge) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.challenge_id == challenge.id)
            .order_by(Submission.created_at.desc())
        )
    )


def select_final(session: Session, submission: Submission, selected: bool) -> None:
    """Mark a scored submission final; a team may hold at most ``final_submissions``, and
    the choice is frozen once the challenge is over (it decides the private ranking)."""
    challenge = session.get(Challenge, submission.challenge_id)
    if challenge is not None and is_over(challenge, utcnow()):
        raise ConflictError(
            Message("final.frozen", "the challenge is over; final submissions can no longer change")
        )
    if selected and submission.status != "scored":
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


def _entries(session: Session, challenge: Challenge) -> list[Entry]:
    """Plain columns, not ORM objects: a board reads every submission of a challenge."""
    valid = or_(Submission.failure.is_(None), Submission.failure != "invalid_file")
    query = (
        select(
            Team.name,
            Submission.id,
            Submission.created_at,
            Submission.public_score,
            Submission.private_score,
            Submission.selected,
            Team.is_baseline,
            Submission.public_low,
            Submission.public_high,
            Submission.private_low,
            Submission.private_high,
        )
        .join(Team, Team.id == Submission.team_id)
        .where(Submission.challenge_id == challenge.id, valid)
    )  # invalid files are not entries (Kaggle counts only valid ones)
    return [Entry(*row) for row in session.execute(query)]


def rows(session: Session, challenge: Challenge, *, board: Board) -> list[Row]:
    """The ranked rows of one board; whether the caller may see it is the router's check."""
    spec = spec_of(challenge)
    entries = _entries(session, challenge)
    if board == "public":
        return public_leaderboard(entries, greater_is_better=spec.greater_is_better)
    return private_leaderboard(
        entries, finals=spec.limits.final_submissions, greater_is_better=spec.greater_is_better
    )


def row_dict(row: Row) -> dict[str, object]:
    return {
        "rank": row.rank,
        "team": row.team,
        "score": row.score,
        "low": row.low,
        "high": row.high,
        "entries": row.entries,
        "last_submitted_at": row.last_submitted_at.isoformat(),
        "is_baseline": row.is_baseline,
    }


def to_json(board_rows: list[Row], *, board: Board) -> str:
    return json.dumps(
        {"board": board, "rows": [row_dict(r) for r in board_rows]}, ensure_ascii=False
    )


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (OWASP CSV injection) in text cells."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(board_rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    fields = ["rank", "team", "score", "low", "high", "entries", "last_submitted_at", "is_baseline"]
    writer.writerow(fields)
    for row in board_rows:
        data = row_dict(row)
        writer.writerow([safe_cell(data[f]) for f in fields])
    return buffer.getvalue()


# --- rendered boards, cached ----------------------------------------------------------------
# A board is recomputed when a submission arrives or is scored, on the reveal, on a final
# selection made in this process, and at the latest after CACHE_SECONDS (a selection made by
# another process). Reads under load then cost two indexed aggregates, not a full ranking,
# and within FRESH_SECONDS of a render or of a check that found it current, no database work
# at all (a new score shows up at most a second late).
@dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes  # compressed once per render, not per request
    etag: str  # lets a browser or client re-ask cheaply (If-None-Match -> 304)


@dataclass
class _Cached:
    state: tuple[object, ...]  # what the board was computed from (see _state)
    rendered_at: float  # a board is recomputed at least every CACHE_SECONDS
    checked_at: float  # and its state re-read at most every FRESH_SECONDS
    result: Rendered


CACHE_SECONDS = 5.0
FRESH_SECONDS = 1.0
_cache: dict[tuple[str, str, str], _Cached] = {}
_cache_lock = threading.Lock()


def _state(session: Session, challenge: Challenge) -> tuple[object, ...]:
    count, last = session.execute(
        select(func.count(), func.max(Submission.scored_at)).where(
            Submission.challenge_id == challenge.id
        )
    ).one()
    return (count, last, challenge.revealed_at)


def rendered(
    session: Session, challenge: Challenge, *, board: Board, fmt: Literal["json", "csv"]
) -> Rendered:
    """The board as JSON or CSV bytes, from the cache when nothing has changed."""
    key, state = (challenge.id, board, fmt), _state(session, challenge)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit.state == state and now - hit.rendered_at < CACHE_SECONDS:
            hit.checked_at = now  # still current: serve it from memory for another second
            return hit.result
    board_rows = rows(session, challenge, board=board)
    text = to_csv(board_rows) if fmt == "csv" else to_json(board_rows, board=board)
    body = text.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:32]
    result = Rendered(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"')
    with _cache_lock:
        _cache[key] = _Cached(state, now, now, result)
    return result


def fresh(challenge_id: str, board: Board, fmt: Literal["json", "csv"]) -> Rendered | None:
    """A board rendered less than FRESH_SECONDS ago, served without touching the database.

    A private board qualifies only if it had been revealed when it was rendered, so a staff
    member's pre-reveal view can never be handed to anyone else.
    """
    with _cache_lock:
        hit = _cache.get((challenge_id, board, fmt))
    if hit is None or time.monotonic() - hit.checked_at >= FRESH_SECONDS:
        return None
    if board == "private" and hit.state[-1] is None:
        return None
    return hit.result


def invalidate(challenge_id: str) -> None:
    with _cache_lock:
        for key in [k for k in _cache if k[0] == challenge_id]:
            del _cache[key]


def progress(session: Session, challenge: Challenge) -> list[tuple[datetime, float]]:
    """The best public score over time among participants, for the leaderboard chart."""
    spec = spec_of(challenge)
    return best_over_time(_entries(session, challenge), greater_is_better=spec.greater_is_better)
