"""95% confidence intervals for every metric, chosen per metric so that 1M rows stay cheap.

Each method is exact or asymptotically valid for resampling the test rows (or queries):

- ``roc_auc``: DeLong's variance via midranks (Sun & Xu 2014, O(n log n)), normal, in [0, 1].
- ``accuracy``: Wilson score interval for a proportion; sound near 0 and 1, contains the value.
- ``log_loss``, ``mae``: normal (CLT) interval on the mean of the per-row losses, floored at 0.
- ``rmse``, ``rmsle``: delta method: a normal interval for log(mean squared error), mapped back
  through sqrt(exp(.)); it stays positive and is skewed right like the statistic itself.
- ``f1``, ``f1_macro``: bootstrap of the K×K confusion-matrix cells (multinomial, B=1000),
  identical in law to the row bootstrap and independent of n; percentile interval.
- ``map_at_k``, ``ndcg_at_k``: bootstrap over queries of the per-query scores (B=1000).

Bootstrap percentile intervals are widened to contain the point value when a skewed draw
leaves it outside. Degenerate inputs give ``Interval(nan, nan, method)``, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from odx.scoring.metrics import METRICS

BOOTSTRAP_DRAWS = 1000
LABEL_METRICS = frozenset({"accuracy", "f1", "f1_macro"})
RANKING_METRICS = frozenset({"map_at_k", "ndcg_at_k"})
METHODS: dict[str, str] = {
    "roc_auc": "delong",
    "accuracy": "wilson",
    "log_loss": "normal",
    "mae": "normal",
    "rmse": "delta-log-mse",
    "rmsle": "delta-log-mse",
    "f1": "bootstrap-confusion",
    "f1_macro": "bootstrap-confusion",
    "map_at_k": "bootstrap-queries",
    "ndcg_at_k": "bootstrap-queries",
}
NAN = float("nan")


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval and the name of the method that made it."""

    low: float
    high: float
    method: str


def confidence_interval(
    metric: str,
    y_true: Any,
    y_pred: Any,
    *,
    level: float = 0.95,
    seed: int = 0,
    k: int | None = None,
) -> Interval:
    """The ``level`` interval of ``METRICS[metric]`` on these rows; ``k`` is for ranking only."""
    return estimate(metric, y_true, y_pred, level=level, seed=seed, k=k)[1]


def estimate(
    metric: str,
    y_true: Any,
    y_pred: Any,
    *,
    level: float = 0.95,
    seed: int = 0,
    k: int | None = None,
) -> tuple[float, Interval]:
    """The metric's value and its interval from one pass over the rows (scoring needs both)."""
    _method(metric)  # raises on an unknown name
    z = _z(level)
    if metric in RANKING_METRICS:
        if k is None:
            raise ValueError(f"metric {metric} needs k")
        values = per_query_scores(metric, y_true, y_pred, k=k)
        return _bootstrap_mean(values, z, seed)
    if metric in LABEL_METRICS:
        matrix, classes = confusion_counts(y_true, y_pred)
        positive = next((i for i, c in enumerate(classes) if c == 1 or c == "1"), None)
        return estimate_from_confusion(metric, matrix, positive=positive, level=level, seed=seed)
    return _estimate_rows(metric, np.asarray(y_true, float), np.asarray(y_pred, float), z)


def _estimate_rows(
    metric: str, y_true: np.ndarray, y_pred: np.ndarray, z: float
) -> tuple[float, Interval]:
    """Metrics of numbers: AUC and log loss of probabilities, and the regression errors."""
    method = METHODS[metric]
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D arrays of the same length")
    if METRICS[metric].needs_probabilities and not ((y_true == 0) | (y_true == 1)).all():
        raise ValueError(f"metric {metric} needs a 0/1 target")
    if metric == "roc_auc":
        return _delong(y_true == 1, y_pred, z)
    if metric in ("rmse", "rmsle"):
        if metric == "rmsle":
            if (y_true <= -1).any() or (y_pred <= -1).any():
                raise ValueError("rmsle is not defined for values <= -1")
            y_true, y_pred = np.log1p(y_true), np.log1p(y_pred)
        return _delta_root_mean(np.square(y_true - y_pred), z, method)
    if metric == "mae":
        return _normal_mean(np.abs(y_true - y_pred), z, method)
    return _normal_mean(_row_log_loss(y_true, y_pred), z, method)


def _method(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {sorted(METRICS)}")
    return METHODS[metric]


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _nan(value: float, method: str) -> tuple[float, Interval]:
    return value, Interval(NAN, NAN, method)


# --- means of per-row values ------------------------------------------------------------


def _row_log_loss(y_true: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-row binary cross-entropy, clipped at machine epsilon as scikit-learn does."""
    eps = np.finfo(np.float64).eps
    return -np.where(
        y_true == 1, np.log(np.clip(p, eps, 1 - eps)), np.log(np.clip(1 - p, eps, 1 - eps))
    )


def _normal_mean(values: np.ndarray, z: float, method: str) -> tuple[float, Interval]:
    """CLT interval for the mean of non-negative per-row losses."""
    n = values.size
    if n == 0:
        return _nan(NAN, method)
    mean = float(values.mean())
    if n < 2:
        return _nan(mean, method)
    half = z * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, Interval(max(mean - half, 0.0), mean + half, method)


def _delta_root_mean(squares: np.ndarray, z: float, method: str) -> tuple[float, Interval]:
    """sqrt(mean): normal on log(mean) with se(mean)/mean, so the interval stays above 0."""
    n = squares.size
    if n == 0:
        return _nan(NAN, method)
    mse = float(squares.mean())
    value = math.sqrt(mse)
    if n < 2:
        return _nan(value, method)
    if mse == 0.0:
        return value, Interval(0.0, 0.0, method)
    spread = z * float(squares.std(ddof=1)) / (math.sqrt(n) * mse)
    return value, Interval(value * math.exp(-spread / 2), value * math.exp(spread / 2), method)


# --- ROC AUC: DeLong ----------------------------------------------------------------------


def _midranks(sorted_values: np.ndarray) -> np.ndarray:
    """1-based ranks of an ascending array, ties sharing the mean of their positions."""
    n = sorted_values.size
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], n]
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


def delong(positive: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong's variance of it, from three midrank passes over one sort."""
    order = np.argsort(score)
    ranked, is_pos = score[order], positive[order]
    m = int(is_pos.sum())
    n = is_pos.size - m
    if m == 0 or n == 0:
        return NAN, NAN
    t_all = _midranks(ranked)
    t_pos, t_neg = t_all[is_pos], t_all[~is_pos]
    auc = (float(t_pos.sum()) - m * (m + 1) / 2.0) / (m * n)
    if m < 2 or n < 2:
        return auc, NAN
    v10 = (t_pos - _midranks(ranked[is_pos])) / n
    v01 = 1.0 - (t_neg - _midranks(ranked[~is_pos])) / m
    return auc, float(v10.var(ddof=1) / m + v01.var(ddof=1) / n)


def _delong(positive: np.ndarray, score: np.ndarray, z: float) -> tuple[float, Interval]:
    auc, variance = delong(positive, score)
    if math.isnan(variance):
        return _nan(auc, "delong")
    half = z * math.sqrt(variance)
    return auc, Interval(max(auc - half, 0.0), min(auc + half, 1.0), "delong")


# --- label metrics: the confusion matrix --------------------------------------------------


def confusion_counts(y_true: Any, y_pred: Any) -> tuple[np.ndarray, list[Any]]:
    """The K×K matrix (rows true, columns predicted) over the labels seen in either array."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D arrays of the same length")
    numeric = y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf"
    both = np.concatenate([y_true, y_pred]) if numeric else np.r_[y_true.astype(object), y_pred]
    codes, uniques = pd.factorize(both)
    size = len(uniques)
    cells = codes[: y_true.size] * size + codes[y_true.size :]
    matrix = np.bincount(cells, minlength=size * size).reshape(size, size)
    return matrix, list(uniques)


def _f1_from_counts(
    tp: np.ndarray, true: np.ndarray, pred: np.ndarray, positive: int | None, macro: bool
) -> np.ndarray:
    """F1 per row of (draw, class) counts; macro averages the classes present, as sklearn."""
    den = true + pred
    f1 = np.divide(2.0 * tp, den, out=np.zeros(tp.shape), where=den > 0)
    if macro:
        present = (den > 0).sum(axis=-1)
        return np.divide(
            f1.sum(axis=-1), present, out=np.full(present.shape, NAN), where=present > 0
        )
    if positive is None:
        return np.zeros(tp.shape[:-1])
    return f1[..., positive]


def estimate_from_confusion(
    metric: str,
    matrix: np.ndarray,
    *,
    positive: int | None = None,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, Interval]:
    """Accuracy (Wilson) or F1 (bootstrap of the cells) from a confusion matrix.

    ``positive`` is the index of class 1 for binary ``f1``; None means it never occurs.
    """
    method = _method(metric)
    if metric not in LABEL_METRICS:
        raise ValueError(f"metric {metric} is not computed from a confusion matrix")
    z = _z(level)
    matrix = np.asarray(matrix, dtype=np.int64)
    n = int(matrix.sum())
    if metric == "f1" and matrix.shape[0] > 2:
        raise ValueError(f"f1 is for a binary target; {matrix.shape[0]} labels were seen")
    if n == 0:
        return _nan(NAN, method)
    if metric == "accuracy":
        return _wilson(int(np.trace(matrix)), n, z)
    macro = metric == "f1_macro"
    value = float(_f1_from_counts(np.diag(matrix), matrix.sum(1), matrix.sum(0), positive, macro))
    if n < 2:
        return _nan(value, method)
    size = matrix.shape[0]
    flat = matrix.ravel()
    cells = np.flatnonzero(flat)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, flat[cells] / n, size=BOOTSTRAP_DRAWS).astype(float)
    rows, cols = np.divmod(cells, size)
    tp = draws @ (np.eye(size)[rows] * (rows == cols)[:, None])
    stats = _f1_from_counts(
        tp, draws @ np.eye(size)[rows], draws @ np.eye(size)[cols], positive, macro
    )
    return value, _percentile(stats, value, z, method)


def _wilson(successes: int, n: int, z: float) -> tuple[float, Interval]:
    """Wilson score interval; it always contains the observed proportion."""
    p = successes / n
    if n < 2:
        return _nan(p, "wilson")
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    return p, Interval(max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)), "wilson")


def _percentile(stats: np.ndarray, value: float, z: float, method: str) -> Interval:
    """Percentile interval of bootstrap statistics, widened to contain the point value."""
    stats = stats[~np.isnan(stats)]
    if stats.size == 0 or math.isnan(value):
        return Interval(NAN, NAN, method)
    tail = 1 - NormalDist().cdf(z)
    low, high = np.quantile(stats, [tail, 1 - tail])
    return Interval(min(float(low), value), max(float(high), value), method)


# --- ranking: bootstrap over queries -----------------------------------------------------


def per_query_scores(
    metric: str,
    relevant: Mapping[str, set[str]],
    ranked: Mapping[str, Sequence[str]],
    *,
    k: int,
) -> np.ndarray:
    """Each query's AP@k or NDCG@k, by the registry's own function: their mean is the metric."""
    if metric not in RANKING_METRICS:
        raise ValueError(f"metric {metric} is not a ranking metric")
    function = METRICS[metric].function
    return np.array(
        [function({q: truth}, {q: ranked.get(q, [])}, k=k) for q, truth in relevant.items()],
        dtype=float,
    )


def _bootstrap_mean(values: np.ndarray, z: float, seed: int) -> tuple[float, Interval]:
    """Percentile bootstrap of the mean over queries, drawn in blocks to bound memory."""
    method = "bootstrap-queries"
    count = values.size
    if count == 0:
        return _nan(NAN, method)
    value = float(values.mean())
    if count < 2:
        return _nan(value, method)
    rng = np.random.default_rng(seed)
    block = max(1, min(BOOTSTRAP_DRAWS, 4_000_000 // count))
    means = []
    for start in range(0, BOOTSTRAP_DRAWS, block):
        picks = rng.integers(0, count, size=(min(block, BOOTSTRAP_DRAWS - start), count))
        means.append(values[picks].mean(axis=1))
    return value, _percentile(np.concatenate(means), value, z, method)


def mean_interval(
    values: Sequence[float], *, level: float = 0.95, seed: int = 0
) -> tuple[float, Interval]:
    """The mean of ``values`` (e.g. evaluators' ratings) and its percentile-bootstrap interval,
    the same bootstrap as over a ranking's queries; nan bounds below two values."""
    return _bootstrap_mean(np.asarray(values, dtype=float), _z(level), seed)
