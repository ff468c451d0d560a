"""The final judging's combination of rubric sources, worked by hand."""

from __future__ import annotations

import pytest

from odx.scoring.judging import RubricItem, combine

RUBRIC = [
    RubricItem("accuracy", 40, "leaderboard"),
    RubricItem("completeness", 20, "judges", (0, 100)),
    RubricItem("usefulness", 20, "users"),
    RubricItem("direction", 20, "judges", (1, 5)),
]


def test_sources_are_brought_to_one_scale_and_weighted() -> None:
    results = combine(
        RUBRIC,
        ["a", "b", "c"],
        judge_scores={
            "a": {"kim": {"completeness": 80, "direction": 5}, "lee": {"completeness": 60}},
            "b": {"kim": {"completeness": 100, "direction": 3}, "lee": {"direction": 1}},
            "c": {"kim": {"completeness": 50, "direction": 4}, "lee": {"completeness": 50}},
        },
        private_scores={"a": 0.80, "b": 0.90, "c": 0.70},
        user_means={"a": 4.0, "b": 5.0, "c": None},
    )
    by_team = {r.team: r for r in results}
    a = by_team["a"]
    # accuracy (0.8 - 0.7) / 0.2 = 0.5; completeness mean(0.8, 0.6) = 0.7 (lee gave no
    # direction: left out, not zero); usefulness (4 - 1) / 4 = 0.75; direction 1.0
    assert a.criteria == pytest.approx(
        {"accuracy": 0.5, "completeness": 0.7, "usefulness": 0.75, "direction": 1.0}
    )
    assert a.total == pytest.approx((40 * 0.5 + 20 * 0.7 + 20 * 0.75 + 20 * 1.0) / 100)
    assert a.judges == {"completeness": 2, "direction": 1}
    assert a.spread["completeness"] == pytest.approx(0.1) and a.spread["direction"] == 0
    b = by_team["b"]  # direction: kim 3 -> 0.5, lee 1 -> 0
    assert b.criteria["direction"] == pytest.approx(0.25)
    assert b.total == pytest.approx((40 * 1 + 20 * 1 + 20 * 1 + 20 * 0.25) / 100)
    c = by_team["c"]  # nobody rated c's model: usefulness 0 and marked
    assert c.missing == ["usefulness"] and c.criteria["accuracy"] == 0
    assert [r.team for r in results] == ["b", "a", "c"] and [r.rank for r in results] == [1, 2, 3]


def test_a_lower_is_better_metric_ranks_the_smallest_error_first() -> None:
    (best, worst) = combine(
        [RubricItem("accuracy", 1, "leaderboard")],
        ["x", "y"],
        judge_scores={},
        private_scores={"x": 0.9, "y": 0.4},
        user_means={},
        greater_is_better=False,
    )
    assert (best.team, best.total, worst.total) == ("y", 1.0, 0.0)


def test_ties_are_broken_by_the_leaderboard_then_shared() -> None:
    rubric = [RubricItem("accuracy", 1, "leaderboard"), RubricItem("direction", 1, "judges")]
    results = combine(
        rubric,
        ["p", "q", "r", "s"],
        judge_scores={
            "p": {"kim": {"direction": 5}},
            "q": {"kim": {"direction": 1}},
            "r": {"kim": {"direction": 3}},
            "s": {"kim": {"direction": 3}},
        },
        private_scores={"p": 0.1, "q": 0.9, "r": 0.5, "s": 0.5},
        user_means={},
    )
    # every total is 0.5; the board orders q (1.0), then r and s (0.5, shared), then p (0)
    assert {r.total for r in results} == {0.5}
    assert [(r.team, r.rank) for r in results] == [("q", 1), ("r", 2), ("s", 2), ("p", 4)]


def test_a_criterion_no_judge_scored_counts_zero_and_is_marked() -> None:
    (result,) = combine(
        [RubricItem("direction", 1, "judges")],
        ["t"],
        judge_scores={},
        private_scores={},
        user_means={},
    )
    assert (
        result.total == 0 and result.missing == ["direction"] and result.judges == {"direction": 0}
    )


def test_a_score_outside_its_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="outside its scale"):
        combine(
            [RubricItem("direction", 1, "judges")],
            ["t"],
            judge_scores={"t": {"kim": {"direction": 7}}},
            private_scores={},
            user_means={},
        )
