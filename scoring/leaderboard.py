"""Leaderboard rules as pure functions, used alike by the API, the pages, the CSV export and
the private reveal (so the rules exist in exactly one place).

- Public board: each team's best public score; equal scores go to the earlier submission.
- Private board: each team's selected finals, or, when it selected none, its best
  ``finals`` submissions by public score; the team's private score is the best among them.
- A team without a valid score is never ranked above one with a score; baseline rows are
  placed by score but take no rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One scored (or failed) submission as the leaderboard sees it."""

    team: str
    submission_id: str
    submitted_at: datetime
    public: float | None
    private: float | None = None
    selected: bool = False
    is_baseline: bool = False
    public_low: float | None = None
    public_high: float | None = None
    private_low: float | None = None
    private_high: float | None = None


@dataclass(frozen=True)
class Row:
    """A leaderboard line. ``rank`` is None for baselines and for teams without a score."""

    rank: int | None
    team: str
    submission_id: str | None
    score: float | None
    low: float | None
    high: float | None
    entries: int
    last_submitted_at: datetime
    is_baseline: bool


def _valid(score: float | None) -> bool:
    return score is not None and not math.isnan(score)


def rank(scores: Sequence[tuple[float | None, datetime]], *, greater_is_better: bool) -> list[int]:
    """Order of ``scores`` (indices), best first: by score, then earlier time; invalid last.

    >>> from datetime import datetime as dt
    >>> rank([(0.7, dt(2026, 1, 2)), (0.9, dt(2026, 1, 3)), (0.9, dt(2026, 1, 1))],
    ...      greater_is_better=True)
    [2, 1, 0]
    """
    sign = -1.0 if greater_is_better else 1.0

    def key(i: int) -> tuple[int, float, datetime, int]:
        score, at = scores[i]
        if not _valid(score):
            return (1, 0.0, at, i)
        return (0, sign * float(score), at, i)  # type: ignore[arg-type]

    return sorted(range(len(scores)), key=key)


def _best(entries: Sequence[Entry], field: str, *, greater_is_better: bool) -> Entry:
    order = rank(
        [(getattr(e, field), e.submitted_at) for e in entries], greater_is_better=greater_is_better
    )
    return entries[order[0]]


def _by_team(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    teams: dict[str, list[Entry]] = {}
    for entry in entries:
        teams.setdefault(entry.team, []).append(entry)
    return teams


def _board(
    chosen: list[tuple[Entry, list[Entry]]], field: str, *, greater_is_better: bool
) -> list[Row]:
    """Rank each team's chosen entry by ``field`` and number the non-baseline scored rows."""
    order = rank(
        [(getattr(e, field), e.submitted_at) for e, _ in chosen],
        greater_is_better=greater_is_better,
    )
    rows: list[Row] = []
    next_rank = 1
    for i in order:
        entry, team_entries = chosen[i]
        score = getattr(entry, field)
        scored = _valid(score)
        numbered = scored and not entry.is_baseline
        rows.append(
            Row(
                rank=next_rank if numbered else None,
                team=entry.team,
                submission_id=entry.submission_id if scored else None,
                score=float(score) if scored else None,
                low=getattr(entry, f"{field}_low") if scored else None,
                high=getattr(entry, f"{field}_high") if scored else None,
                entries=len(team_entries),
                last_submitted_at=max(e.submitted_at for e in team_entries),
                is_baseline=entry.is_baseline,
            )
        )
        next_rank += numbered
    return rows


def public_leaderboard(entries: Iterable[Entry], *, greater_is_better: bool) -> list[Row]:
    """Best public score per team."""
    chosen = [
        (_best(team, "public", greater_is_better=greater_is_better), team)
        for team in _by_team(entries).values()
    ]
    return _board(chosen, "public", greater_is_better=greater_is_better)


def final_entries(team: Sequence[Entry], *, finals: int, greater_is_better: bool) -> list[Entry]:
    """The submissions that count for the private board: selected ones, else best public."""
    selected = [e for e in team if e.selected]
    if selected:
        return selected[:finals] if len(selected) > finals else selected
    order = rank([(e.public, e.submitted_at) for e in team], greater_is_better=greater_is_better)
    return [team[i] for i in order[:finals] if _valid(team[i].public)]


def private_leaderboard(
    entries: Iterable[Entry], *, finals: int, greater_is_better: bool
) -> list[Row]:
    """Best private score among each team's final submissions."""
    chosen = []
    for team in _by_team(entries).values():
        counted = final_entries(team, finals=finals, greater_is_better=greater_is_better)
        best = (
            _best(counted, "private", greater_is_better=greater_is_better)
            if counted
            else _best(team, "public", greater_is_better=greater_is_better)
        )
        if not counted:  # nothing scored: the team is listed without a private score
            best = Entry(
                best.team,
                best.submission_id,
                best.submitted_at,
                None,
                None,
                is_baseline=best.is_baseline,
            )
        chosen.append((best, team))
    return _board(chosen, "private", greater_is_better=greater_is_better)


def best_over_time(
    entries: Iterable[Entry], *, greater_is_better: bool, include_baselines: bool = False
) -> list[tuple[datetime, float]]:
    """The leading public score after each submission that improved it (for the chart).

    >>> from datetime import datetime as dt
    >>> entries = [Entry("a", "1", dt(2026, 1, 1), 0.5), Entry("b", "2", dt(2026, 1, 3), 0.4),
    ...            Entry("b", "3", dt(2026, 1, 2), 0.7), Entry("a", "4", dt(2026, 1, 4), None)]
    >>> [(t.day, s) for t, s in best_over_time(entries, greater_is_better=True)]
    [(1, 0.5), (2, 0.7)]
    """
    points: list[tuple[datetime, float]] = []
    for entry in sorted(entries, key=lambda e: e.submitted_at):
        if not _valid(entry.public) or (entry.is_baseline and not include_baselines):
            continue
        score = float(entry.public)  # type: ignore[arg-type]
        if not points or (score > points[-1][1] if greater_is_better else score < points[-1][1]):
            points.append((entry.submitted_at, score))
    return points
