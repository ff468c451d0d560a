"""Rendered boards kept in this process until something they were computed from changes.

A board is recomputed when a submission arrives or is scored, on the reveal, on a final
selection made in this process, and at the latest after CACHE_SECONDS (a selection made by
another process). Reads under load then cost two indexed aggregates, not a full ranking,
and within FRESH_SECONDS of a render or of a check that found it current, no database work
at all (a new score shows up at most a second late).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odx.platform.db.models import Challenge, Submission
from odx.platform.services.leaderboards.export import to_csv, to_json
from odx.platform.services.leaderboards.ranking import Board, rows
from odx.platform.services.leaderboards.visibility import open_to_all

Format = Literal["json", "csv"]


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


def rendered(session: Session, challenge: Challenge, *, board: Board, fmt: Format) -> Rendered:
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


def fresh(challenge_id: str, board: Board, fmt: Format) -> Rendered | None:
    """A board rendered less than FRESH_SECONDS ago, served without touching the database.

    Only a board open to all when it was rendered qualifies, so a staff member's pre-reveal
    view of the private board can never be handed to anyone else.
    """
    with _cache_lock:
        hit = _cache.get((challenge_id, board, fmt))
    if hit is None or time.monotonic() - hit.checked_at >= FRESH_SECONDS:
        return None
    if not open_to_all(board, cast("datetime | None", hit.state[-1])):
        return None
    return hit.result


def invalidate(challenge_id: str) -> None:
    with _cache_lock:
        for key in [k for k in _cache if k[0] == challenge_id]:
            del _cache[key]
