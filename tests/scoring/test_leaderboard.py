"""Ranking rules, pinned by examples and by properties over random boards (hypothesis)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odx.scoring.leaderboard import Entry, private_leaderboard, public_leaderboard, rank

T0 = datetime(2026, 12, 1, 9, 0)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_rank_ties_go_to_earlier_submission() -> None:
    board = public_leaderboard(
        [Entry("late", "s2", at(5), 0.9), Entry("early", "s1", at(1), 0.9)],
        greater_is_better=True,
    )
    assert [(r.rank, r.team) for r in board] == [(1, "early"), (2, "late")]


def test_lower_is_better_for_error_metrics() -> None:
    board = public_leaderboard(
        [Entry("a", "1", at(1), 0.5), Entry("b", "2", at(2), 0.3)], greater_is_better=False
    )
    assert [r.team for r in board] == ["b", "a"]


def test_team_without_valid_score_is_never_above_a_scored_team() -> None:
    board = public_leaderboard(
        [
            Entry("failed", "1", at(0), None),
            Entry("nan", "2", at(0), math.nan),
            Entry("scored", "3", at(9), 0.01),
        ],
        greater_is_better=True,
    )
    assert [(r.team, r.rank) for r in board] == [("scored", 1), ("failed", None), ("nan", None)]


def test_baseline_rows_are_placed_by_score_without_rank() -> None:
    board = public_leaderboard(
        [
            Entry("a", "1", at(1), 0.8),
            Entry("baseline", "b", at(0), 0.85, is_baseline=True),
            Entry("c", "3", at(2), 0.7),
        ],
        greater_is_better=True,
    )
    assert [(r.team, r.rank) for r in board] == [("baseline", None), ("a", 1), ("c", 2)]


def test_best_public_per_team_with_entries_and_last_time() -> None:
    board = public_leaderboard(
        [Entry("a", "1", at(1), 0.6), Entry("a", "2", at(3), 0.8), Entry("a", "3", at(7), 0.7)],
        greater_is_better=True,
    )
    (row,) = board
    assert (row.submission_id, row.score, row.entries, row.last_submitted_at) == (
        "2",
        0.8,
        3,
        at(7),
    )


def test_private_board_uses_selected_finals() -> None:
    entries = [
        Entry("a", "best-public", at(1), 0.9, private=0.70),
        Entry("a", "chosen", at(2), 0.8, private=0.75, selected=True),
        Entry("b", "only", at(3), 0.85, private=0.72),
    ]
    board = private_leaderboard(entries, finals=1, greater_is_better=True)
    assert [(r.team, r.submission_id, r.score) for r in board] == [
        ("a", "chosen", 0.75),
        ("b", "only", 0.72),
    ]


def test_private_board_without_selection_uses_best_public_ones() -> None:
    entries = [
        Entry("a", "1", at(1), 0.9, private=0.60),
        Entry("a", "2", at(2), 0.8, private=0.95),
        Entry("a", "3", at(3), 0.7, private=0.99),  # third by public: not a final with finals=2
    ]
    (row,) = private_leaderboard(entries, finals=2, greater_is_better=True)
    assert (row.submission_id, row.score) == ("2", 0.95)


scores = st.one_of(st.none(), st.just(math.nan), st.floats(0, 1, allow_nan=False))
entries_strategy = st.lists(
    st.builds(
        Entry,
        team=st.sampled_from("abcdefg"),
        submission_id=st.uuids().map(str),
        submitted_at=st.integers(0, 500).map(at),
        public=scores,
        private=scores,
        selected=st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(entries=entries_strategy, greater=st.booleans())
def test_public_board_properties(entries: list[Entry], greater: bool) -> None:
    board = public_leaderboard(entries, greater_is_better=greater)
    assert sorted(r.team for r in board) == sorted({e.team for e in entries})
    ranked = [r for r in board if r.rank is not None]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert board[: len(ranked)] == ranked  # nothing unscored above a scored row
    values = [r.score if greater else -r.score for r in ranked]
    assert values == sorted(values, reverse=True)
    for row in ranked:
        team = [e for e in entries if e.team == row.team]
        valid = [e.public for e in team if e.public is not None and not math.isnan(e.public)]
        assert row.score == (max(valid) if greater else min(valid))
        assert row.entries == len(team)


@settings(max_examples=200, deadline=None)
@given(entries=entries_strategy, greater=st.booleans(), finals=st.integers(1, 3))
def test_private_board_properties(entries: list[Entry], greater: bool, finals: int) -> None:
    board = private_leaderboard(entries, finals=finals, greater_is_better=greater)
    assert sorted(r.team for r in board) == sorted({e.team for e in entries})
    ranked = [r for r in board if r.rank is not None]
    assert board[: len(ranked)] == ranked
    by_id = {e.submission_id: e for e in entries}
    for row in ranked:
        entry = by_id[row.submission_id]
        assert entry.team == row.team and entry.private == row.score
        team_selected = [e for e in entries if e.team == row.team and e.selected]
        assert entry.selected or not team_selected


def test_rank_puts_invalid_scores_last_in_time_order() -> None:
    order = rank([(None, at(2)), (0.1, at(5)), (math.nan, at(1))], greater_is_better=True)
    assert order == [1, 2, 0]
