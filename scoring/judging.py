"""The final judging of a programme: each finalist's rubric scores combined into one ranking.

A rubric criterion takes its score from the judges (each on the criterion's scale), the
private leaderboard, or the user evaluation's mean rating (1–5). Every source is brought to
0…1 before the weights apply, so that a weight means the same whatever the scale:

- judges: each judge's score as ``(score - low) / (high - low)``, averaged over the judges
  who scored that finalist on that criterion. A judge who gave no score is left out of that
  mean (not counted as zero); a criterion no judge scored counts 0 and marks the finalist
  incomplete, so organizers see it before publishing.
- leaderboard: the finalists' private scores, min–max across the finalists in the metric's
  direction (best 1, worst 0; all equal: 1). A finalist without a score gets 0.
- users: ``(mean - 1) / 4``; a finalist nobody rated gets 0 and is marked incomplete.

The total is the weighted mean. Ties (equal totals, to 1e-9) are broken by the leaderboard
criterion's value, then share a rank (1, 1, 3), listed by team name: no rule here invents an
order the data lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import mean, pstdev
from typing import Literal

Source = Literal["judges", "leaderboard", "users"]
USER_SCALE = (1, 5)
TIE = 1e-9


@dataclass(frozen=True)
class RubricItem:
    """What the combination needs of a criterion (the spec's ``Criterion`` has more)."""

    id: str
    weight: float
    source: Source
    bounds: tuple[int, int] = (1, 5)  # a judges' criterion's scale


@dataclass(frozen=True)
class Result:
    team: str
    total: float  # 0…1
    rank: int
    criteria: dict[str, float]  # criterion -> 0…1
    spread: dict[str, float]  # judges' criterion -> standard deviation of the judges' 0…1 scores
    judges: dict[str, int]  # judges' criterion -> how many judges scored it
    missing: list[str] = field(default_factory=list)  # criteria without any score


def _unit(value: float, low: float, high: float) -> float:
    return (value - low) / (high - low)


def _judged(
    item: RubricItem, scores: Mapping[str, Mapping[str, float]]
) -> tuple[float | None, float, int]:
    """Mean 0…1 score over the judges who scored ``item``, their spread, and their number."""
    given = [_unit(s[item.id], *item.bounds) for s in scores.values() if item.id in s]
    for value in given:
        if not 0 <= value <= 1:
            raise ValueError(f"a score of '{item.id}' lies outside its scale {item.bounds}")
    if not given:
        return None, 0.0, 0
    return mean(given), pstdev(given), len(given)


def _board(scores: Mapping[str, float | None], greater_is_better: bool) -> dict[str, float]:
    known = {team: s for team, s in scores.items() if s is not None}
    if not known:
        return {}
    low, high = min(known.values()), max(known.values())
    if high == low:
        return dict.fromkeys(known, 1.0)
    return {
        team: _unit(s, low, high) if greater_is_better else _unit(s, high, low)
        for team, s in known.items()
    }


def combine(
    rubric: Sequence[RubricItem],
    teams: Sequence[str],
    *,
    judge_scores: Mapping[str, Mapping[str, Mapping[str, float]]],
    private_scores: Mapping[str, float | None],
    user_means: Mapping[str, float | None],
    greater_is_better: bool = True,
) -> list[Result]:
    """Every finalist's criteria, total and rank, best first.

    ``judge_scores``: team -> judge -> criterion -> score on the criterion's scale.
    """
    if not rubric:
        raise ValueError("a rubric needs at least one criterion")
    weights = sum(item.weight for item in rubric)
    board = _board({team: private_scores.get(team) for team in teams}, greater_is_better)
    unranked = []
    for team in teams:
        criteria: dict[str, float] = {}
        spread: dict[str, float] = {}
        judges: dict[str, int] = {}
        missing: list[str] = []
        for item in rubric:
            value: float | None
            if item.source == "judges":
                value, spread[item.id], judges[item.id] = _judged(item, judge_scores.get(team, {}))
            elif item.source == "leaderboard":
                value = board.get(team)
            else:
                rated = user_means.get(team)
                value = None if rated is None else _unit(rated, *USER_SCALE)
            if value is None:
                missing.append(item.id)
            criteria[item.id] = value or 0.0
        total = sum(item.weight * criteria[item.id] for item in rubric) / weights
        unranked.append((team, total, criteria, spread, judges, missing))
    leaderboard = next((item.id for item in rubric if item.source == "leaderboard"), None)

    def order(entry: tuple) -> tuple[float, float]:
        board_value = entry[2][leaderboard] if leaderboard else 0.0
        return (-round(entry[1] / TIE), -board_value)

    ranked = sorted(unranked, key=lambda entry: (order(entry), entry[0]))
    results: list[Result] = []
    for position, entry in enumerate(ranked, start=1):
        tied = results and order(entry) == order(ranked[position - 2])
        rank = results[-1].rank if tied else position
        results.append(Result(entry[0], entry[1], rank, *entry[2:]))
    return results
