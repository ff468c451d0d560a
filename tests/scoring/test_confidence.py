"""Intervals cover the population value ~95% of the time; DeLong is exact; degenerate is nan."""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odx.scoring.confidence import (
    METHODS,
    Interval,
    confidence_interval,
    delong,
    estimate,
    estimate_from_confusion,
    per_query_scores,
)
from odx.scoring.metrics import METRICS

SIMULATIONS, ROWS = 200, 300
ROW_METRICS = sorted(set(METRICS) - {"map_at_k", "ndcg_at_k"})
Sample = tuple[np.ndarray, np.ndarray]


def _auc_sample(rng: np.random.Generator) -> Sample:
    y = (rng.random(ROWS) < 0.4).astype(int)
    return y, rng.normal(y * 1.0, 1.0)


def _accuracy_sample(rng: np.random.Generator) -> Sample:
    y = rng.choice(np.array(["a", "b", "c"]), ROWS)
    wrong = np.where(y == "a", "b", "a")
    return y, np.where(rng.random(ROWS) < 0.8, y, wrong)


def _rmse_sample(rng: np.random.Generator) -> Sample:
    y = rng.lognormal(2, 1, ROWS)
    return y, y + rng.normal(0, 2.0, ROWS)


CELLS = np.array([[0.25, 0.05, 0.02], [0.06, 0.20, 0.04], [0.03, 0.10, 0.25]])


def _f1_macro_sample(rng: np.random.Generator) -> Sample:
    cells = rng.choice(9, ROWS, p=CELLS.ravel())
    return cells // 3, cells % 3


def _population_f1_macro() -> float:
    return float(np.mean(2 * np.diag(CELLS) / (CELLS.sum(0) + CELLS.sum(1))))


COVERAGE: dict[str, tuple[Callable[[np.random.Generator], Sample], float]] = {
    "roc_auc": (_auc_sample, NormalDist().cdf(1 / math.sqrt(2))),  # binormal AUC
    "accuracy": (_accuracy_sample, 0.8),
    "rmse": (_rmse_sample, 2.0),
    "f1_macro": (_f1_macro_sample, _population_f1_macro()),
}


@pytest.mark.parametrize("metric", sorted(COVERAGE))
def test_interval_covers_the_population_value_about_95_percent(metric: str) -> None:
    sample, truth = COVERAGE[metric]
    rng = np.random.default_rng(20251125)
    hits = 0
    for i in range(SIMULATIONS):
        interval = confidence_interval(metric, *sample(rng), seed=i)
        hits += interval.low <= truth <= interval.high
    assert 0.90 <= hits / SIMULATIONS <= 0.99, hits / SIMULATIONS


def _slow_delong(positive: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """DeLong et al. (1988) structural components, O(n_pos * n_neg)."""
    x, y = score[positive][:, None], score[~positive][None, :]
    psi = (x > y) + 0.5 * (x == y)
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(psi.mean()), float(v10.var(ddof=1) / x.size + v01.var(ddof=1) / y.size)


@pytest.mark.parametrize("seed", range(5))
def test_fast_delong_equals_the_structural_components_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    positive = rng.random(120) < 0.3
    score = np.round(rng.normal(positive * 0.8, 1.0), 1)  # rounding makes ties
    auc, variance = delong(positive, score)
    slow_auc, slow_variance = _slow_delong(positive, score)
    assert auc == pytest.approx(slow_auc, rel=1e-12)
    assert variance == pytest.approx(slow_variance, rel=1e-9)


def _cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.3 * y + 0.7 * rng.random(400), 0, 1).round(3)
    labels = rng.choice(np.array(["금융", "경영", "기술"]), 400)
    guesses = np.where(rng.random(400) < 0.6, labels, rng.choice(np.array(["금융", "기타"]), 400))
    y_reg = rng.lognormal(3, 1, 400)
    p_reg = y_reg * rng.lognormal(0, 0.3, 400)
    return {
        "roc_auc": (y, p),
        "log_loss": (y, p),
        "accuracy": (labels, guesses),
        "f1": (y, (p > 0.5).astype(int)),
        "f1_macro": (labels, guesses),
        "rmse": (y_reg, p_reg),
        "mae": (y_reg, p_reg),
        "rmsle": (y_reg, p_reg),
    }


CASES = _cases()


@pytest.mark.parametrize("metric", ROW_METRICS)
def test_value_is_the_registry_metric_and_inside_its_interval(metric: str) -> None:
    y_true, y_pred = CASES[metric]
    value, interval = estimate(metric, y_true, y_pred, seed=1)
    assert value == pytest.approx(METRICS[metric].function(y_true, y_pred), rel=1e-12)
    assert interval.low <= value <= interval.high
    assert interval.method == METHODS[metric]
    assert interval == confidence_interval(metric, y_true, y_pred, seed=1)


@pytest.mark.parametrize("metric", ["f1", "f1_macro"])
def test_bootstrap_is_deterministic_for_a_seed(metric: str) -> None:
    y_true, y_pred = CASES[metric]
    first = confidence_interval(metric, y_true, y_pred, seed=7)
    assert confidence_interval(metric, y_true, y_pred, seed=7) == first
    assert confidence_interval(metric, y_true, y_pred, seed=8) != first


def test_confusion_bootstrap_matches_a_row_bootstrap() -> None:
    y_true, y_pred = CASES["f1_macro"]
    interval = confidence_interval("f1_macro", y_true, y_pred, seed=0)
    rng = np.random.default_rng(0)
    function = METRICS["f1_macro"].function
    draws = [function(y_true[i], y_pred[i]) for i in rng.integers(0, y_true.size, (400, 400))]
    low, high = np.quantile(draws, [0.025, 0.975])
    assert interval.low == pytest.approx(low, abs=0.015)
    assert interval.high == pytest.approx(high, abs=0.015)


@pytest.mark.parametrize("metric", ROW_METRICS)
@pytest.mark.parametrize("rows", [0, 1])
def test_too_few_rows_give_nan_without_raising(metric: str, rows: int) -> None:
    y_true, y_pred = (a[:rows] for a in CASES[metric])
    interval = confidence_interval(metric, y_true, y_pred)
    assert math.isnan(interval.low) and math.isnan(interval.high)
    assert interval.method == METHODS[metric]


def test_auc_with_one_class_gives_nan() -> None:
    value, interval = estimate("roc_auc", np.ones(50), np.linspace(0, 1, 50))
    assert math.isnan(value) and math.isnan(interval.low)


def test_single_positive_gives_an_auc_but_no_interval() -> None:
    value, interval = estimate("roc_auc", np.r_[1, np.zeros(9)], np.arange(10.0))
    assert value == 0.0 and math.isnan(interval.high)


def test_perfect_regression_has_a_zero_width_interval() -> None:
    y = np.arange(10.0)
    assert confidence_interval("rmse", y, y) == Interval(0.0, 0.0, "delta-log-mse")


def test_rejects_what_the_metric_rejects() -> None:
    with pytest.raises(ValueError, match="-1"):
        confidence_interval("rmsle", np.array([1.0, -2.0]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="unknown metric"):
        confidence_interval("r2", np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="level"):
        confidence_interval("mae", np.ones(3), np.ones(3), level=95)
    with pytest.raises(ValueError, match="binary"):
        confidence_interval("f1", np.array([0, 1, 2]), np.array([0, 1, 2]))


def test_f1_from_a_matrix_without_the_positive_class_is_zero() -> None:
    value, _ = estimate_from_confusion("f1", np.array([[5]]), positive=None)
    assert value == 0.0 == METRICS["f1"].function([0] * 5, [0] * 5)


RELEVANT = {f"q{i}": {f"i{i % 4}", f"i{(i * 3) % 7}"} for i in range(40)}
RANKED = {f"q{i}": [f"i{(i + j) % 7}" for j in range(5)] for i in range(40)}


@pytest.mark.parametrize("metric", ["map_at_k", "ndcg_at_k"])
def test_ranking_metrics_bootstrap_over_queries(metric: str) -> None:
    per_query = per_query_scores(metric, RELEVANT, RANKED, k=3)
    assert per_query.shape == (40,)
    expected = METRICS[metric].function(RELEVANT, RANKED, k=3)
    assert float(per_query.mean()) == pytest.approx(expected, rel=1e-12)
    value, interval = estimate(metric, RELEVANT, RANKED, k=3, seed=2)
    assert value == pytest.approx(expected, rel=1e-12)
    assert interval.low <= value <= interval.high
    assert interval == confidence_interval(metric, RELEVANT, RANKED, k=3, seed=2)
    with pytest.raises(ValueError, match="needs k"):
        confidence_interval(metric, RELEVANT, RANKED)


@settings(max_examples=60, deadline=None)
@given(
    metric=st.sampled_from(ROW_METRICS),
    rows=st.integers(0, 40),
    seed=st.integers(0, 2**16),
    level=st.floats(0.5, 0.999),
)
def test_interval_is_ordered_or_nan(metric: str, rows: int, seed: int, level: float) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, rows)
    y_pred: np.ndarray = rng.random(rows).round(1)
    if metric in ("accuracy", "f1", "f1_macro"):
        y_pred = (y_pred > 0.5).astype(int)
    value, interval = estimate(metric, y_true, y_pred, level=level, seed=seed)
    if math.isnan(interval.low) or math.isnan(interval.high):
        assert math.isnan(interval.low) and math.isnan(interval.high)
        positives = int(y_true.sum())
        assert rows < 2 or (metric == "roc_auc" and min(positives, rows - positives) < 2)
    else:
        assert interval.low <= value <= interval.high


@settings(max_examples=80, deadline=None)
@given(labels=st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=2))
def test_accuracy_is_within_its_wilson_interval(labels: list[tuple[str, str]]) -> None:
    y_true, y_pred = (np.array(side) for side in zip(*labels, strict=True))
    value, interval = estimate("accuracy", y_true, y_pred)
    assert 0.0 <= interval.low <= value <= interval.high <= 1.0
