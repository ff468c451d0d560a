"""score_submission: the registry's values on the right rows, for each part, with intervals."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odx.scoring.metrics import METRICS
from odx.scoring.score import Score, Scores, align_ids, score_submission

ROWS = 600
SCORED = ["accuracy", "f1", "f1_macro", "log_loss", "mae", "rmse", "rmsle", "roc_auc"]
KOREAN = np.array(["금융", "경영", "기술"])


def _task(metric: str, rows: int = ROWS, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Hidden labels (as pandas reads labels.csv) and a shuffled, typed submission."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"R{i:07d}" for i in range(1, rows + 1)])
    if metric in ("roc_auc", "log_loss"):
        target: np.ndarray = rng.integers(0, 2, rows)
        guess: np.ndarray = np.clip(0.3 * target + 0.7 * rng.random(rows), 0.001, 0.999)
    elif metric == "f1":
        target = rng.integers(0, 2, rows)
        guess = np.where(rng.random(rows) < 0.7, target, 1 - target).astype(str)
    elif metric in ("accuracy", "f1_macro"):
        target = rng.choice(KOREAN, rows)
        guess = np.where(rng.random(rows) < 0.6, target, rng.choice(KOREAN, rows))
    else:
        target = rng.lognormal(3, 1, rows)
        guess = target * rng.lognormal(0, 0.3, rows)
    usage = np.where(rng.random(rows) < 0.5, "Public", "Private")
    labels = pd.DataFrame({"id": ids, "y": target, "Usage": usage})
    order = rng.permutation(rows)
    dtype = "str" if guess.dtype.kind == "U" else "float64"
    predictions = pd.Series(guess[order], index=pd.Index(ids[order], name="id"), dtype=dtype)
    return labels, predictions


def _score(metric: str, labels: pd.DataFrame, predictions: pd.Series, seed: int = 0) -> Scores:
    return score_submission(
        labels, predictions, metric=metric, id_column="id", target_column="y", seed=seed
    )


def _expected(metric: str, labels: pd.DataFrame, predictions: pd.Series, part: str) -> float:
    rows = labels if part == "overall" else labels[labels["Usage"] == part.capitalize()]
    guess = predictions.loc[rows["id"]].to_numpy()
    truth = rows["y"].to_numpy()
    if metric == "f1":
        guess = guess.astype(int)
    return METRICS[metric].function(truth, guess)


@pytest.mark.parametrize("metric", SCORED)
def test_each_part_is_the_registry_metric_on_its_rows(metric: str) -> None:
    labels, predictions = _task(metric)
    scores = _score(metric, labels, predictions)
    for part in ("public", "private", "overall"):
        score: Score = getattr(scores, part)
        assert score.value == pytest.approx(_expected(metric, labels, predictions, part), 1e-12)
        assert score.low <= score.value <= score.high
        assert score.high - score.low > 0
    assert scores.public.rows + scores.private.rows == scores.overall.rows == ROWS
    assert scores.public.rows == int((labels["Usage"] == "Public").sum())
    assert _score(metric, labels, predictions) == scores


def test_another_seed_changes_only_bootstrap_intervals() -> None:
    for metric in ("f1_macro", "roc_auc"):
        labels, predictions = _task(metric)
        first, second = (
            _score(metric, labels, predictions, 1),
            _score(metric, labels, predictions, 2),
        )
        assert first.overall.value == second.overall.value
        assert (first.overall == second.overall) == (metric == "roc_auc")


def test_to_dict_is_strict_json_with_nan_as_null() -> None:
    labels, predictions = _task("roc_auc", rows=40)
    labels["Usage"] = "Public"
    labels.loc[0, "Usage"] = "Private"
    data = _score("roc_auc", labels, predictions).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["private"] == {
        "value": None,
        "low": None,
        "high": None,
        "rows": 1,
        "method": "delong",
    }
    assert set(data) == {"public", "private", "overall"}


def test_an_empty_part_is_nan_and_does_not_raise() -> None:
    labels, predictions = _task("f1_macro", rows=50)
    labels["Usage"] = "Public"
    scores = _score("f1_macro", labels, predictions)
    assert scores.private.rows == 0 and math.isnan(scores.private.value)
    assert math.isnan(scores.private.low) and math.isnan(scores.private.high)
    assert scores.overall == scores.public


def test_one_class_in_a_part_gives_nan_auc() -> None:
    labels, predictions = _task("roc_auc", rows=60)
    labels["Usage"] = np.where(labels["y"] == 1, "Public", "Private")
    scores = _score("roc_auc", labels, predictions)
    assert math.isnan(scores.public.value) and math.isnan(scores.private.high)
    assert not math.isnan(scores.overall.value)


def test_labels_compare_as_strings_whatever_pandas_typed() -> None:
    labels = pd.DataFrame({"id": [3, 1, 2, 4], "y": [1, 0, 2, 2], "Usage": ["Public"] * 4})
    predictions = pd.Series(["2", "0", "1", "2"], index=pd.Index(["4", "1", "2", "3"]), dtype="str")
    scores = _score("accuracy", labels, predictions)
    assert scores.overall.value == 0.5  # ids 1 and 4 right; int ids matched to str ids


def test_binary_f1_counts_class_1_as_positive() -> None:
    labels = pd.DataFrame({"id": list("abcd"), "y": [1, 1, 0, 0], "Usage": ["Public"] * 4})
    predictions = pd.Series(["1", "0", "1", "0"], index=pd.Index(list("abcd")), dtype="str")
    assert _score("f1", labels, predictions).overall.value == 0.5


def test_ranked_lists_are_scored_per_query_on_each_board() -> None:
    labels = pd.DataFrame(
        {
            "company_id": ["C1", "C2", "C3", "C4"],
            "programmes": ["P1 P2", "P3", "P4", "P1"],
            "Usage": ["Public", "Public", "Private", "Private"],
        }
    )
    lists = [["P1", "P2"], ["P9", "P3"], [], ["P1"]]
    predictions = pd.Series(lists, index=pd.Index(["C1", "C2", "C3", "C4"]), dtype=object)
    scores = score_submission(
        labels,
        predictions,
        metric="map_at_k",
        id_column="company_id",
        target_column="programmes",
        k=3,
    )
    assert scores.public.value == pytest.approx((1 + 0.5) / 2)
    assert scores.private.value == pytest.approx((0 + 1) / 2)
    assert scores.overall.value == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert scores.overall.method == "bootstrap-queries" and scores.overall.rows == 4
    assert scores.overall.low <= scores.overall.value <= scores.overall.high
    with pytest.raises(ValueError, match="needs k"):
        score_submission(
            labels,
            predictions,
            metric="ndcg_at_k",
            id_column="company_id",
            target_column="programmes",
        )


def test_mismatched_inputs_raise_clear_errors() -> None:
    labels, predictions = _task("rmse", rows=10)
    with pytest.raises(ValueError, match="unknown metric"):
        _score("r2", labels, predictions)
    with pytest.raises(ValueError, match="10 labelled rows but 9 predictions"):
        _score("rmse", labels, predictions.iloc[1:])
    renamed = predictions.rename(index={predictions.index[0]: "X"})
    with pytest.raises(ValueError, match="1 labelled ids have no prediction"):
        _score("rmse", labels, renamed)
    bad_usage = labels.assign(Usage="Test")
    with pytest.raises(ValueError, match="Usage"):
        _score("rmse", bad_usage, predictions)
    with pytest.raises(ValueError, match="0/1"):
        _score("roc_auc", labels, predictions)


def test_align_ids_follows_the_labels_order() -> None:
    ids = pd.Series(["b", "c", "a"])
    assert align_ids(ids, pd.Index(["a", "b", "c"])).tolist() == [1, 2, 0]
    assert align_ids(ids, pd.Index(ids)).tolist() == [0, 1, 2]


@settings(max_examples=40, deadline=None)
@given(
    metric=st.sampled_from(SCORED),
    rows=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_any_small_submission_scores_without_raising(metric: str, rows: int, seed: int) -> None:
    labels, predictions = _task(metric, rows=rows, seed=seed)
    scores = _score(metric, labels, predictions, seed=seed)
    assert scores.public.rows + scores.private.rows == scores.overall.rows == rows
    for score in (scores.public, scores.private, scores.overall):
        assert math.isnan(score.low) == math.isnan(score.high)
        if not math.isnan(score.low):
            assert score.low <= score.value <= score.high
