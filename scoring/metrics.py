"""The metric registry: pure functions named by direction, each checked once at the edge.

``*_score`` is maximised and ``*_error`` / ``*_loss`` minimised, as in scikit-learn, whose
implementation is used wherever it has the metric. Inputs are validated by the submission
checker before they reach a metric, so metrics trust their inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn import metrics as skm

Direction = Literal["maximize", "minimize"]
ArrayLike = np.ndarray | Sequence[float] | Sequence[str]


def roc_auc_score(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve for a binary target (1 = positive) and a probability."""
    return float(skm.roc_auc_score(y_true, y_score))


def log_loss(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Binary cross-entropy of a probability of the positive class (labels 0/1)."""
    return float(skm.log_loss(y_true, y_score, labels=[0, 1]))


def accuracy_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(skm.accuracy_score(y_true, y_pred))


def f1_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """F1 of the positive class (1) of a binary target."""
    return float(skm.f1_score(y_true, y_pred, pos_label=1, zero_division=0.0))


def f1_macro_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Unweighted mean of per-class F1: every class counts the same, however rare."""
    return float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0.0))


def rmse_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(skm.root_mean_squared_error(y_true, y_pred))


def mae_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(skm.mean_absolute_error(y_true, y_pred))


def rmsle_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """RMSE of log(1 + y): relative errors count, for heavy-tailed counts such as store numbers."""
    return float(skm.root_mean_squared_log_error(y_true, y_pred))


def map_at_k_score(
    relevant: Mapping[str, set[str]], ranked: Mapping[str, Sequence[str]], *, k: int
) -> float:
    """Mean average precision at ``k`` over queries (Kaggle's definition).

    >>> map_at_k_score({"q": {"a", "c"}}, {"q": ["a", "b", "c"]}, k=3)
    0.8333333333333333
    """
    total = 0.0
    for query, truth in relevant.items():
        hits, precision_sum = 0, 0.0
        seen: set[str] = set()
        for position, item in enumerate(ranked.get(query, [])[:k], start=1):
            if item in truth and item not in seen:
                hits += 1
                precision_sum += hits / position
            seen.add(item)
        total += precision_sum / min(len(truth), k) if truth else 0.0
    return total / len(relevant) if relevant else float("nan")


def ndcg_at_k_score(
    relevant: Mapping[str, set[str]], ranked: Mapping[str, Sequence[str]], *, k: int
) -> float:
    """Mean normalised discounted cumulative gain at ``k`` with binary relevance; an item
    listed again gains nothing (as in MAP), so a score never exceeds 1.

    >>> ndcg_at_k_score({"q": {"a"}}, {"q": ["b", "a"]}, k=2)
    0.6309297535714575
    >>> ndcg_at_k_score({"q": {"a"}}, {"q": ["a", "a", "a"]}, k=3)
    1.0
    """
    total = 0.0
    for query, truth in relevant.items():
        seen: set[str] = set()
        gains = []
        for item in ranked.get(query, [])[:k]:
            gains.append(1.0 if item in truth and item not in seen else 0.0)
            seen.add(item)
        dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1.0 / np.log2(i + 2) for i in range(min(len(truth), k)))
        total += dcg / ideal if ideal else 0.0
    return float(total / len(relevant)) if relevant else float("nan")


@dataclass(frozen=True)
class MetricSpec:
    """A metric as challenges name it: its function, direction and what predictions it needs."""

    name: str
    function: Callable[..., float]
    direction: Direction
    tasks: tuple[str, ...]
    needs_probabilities: bool = False

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("roc_auc", roc_auc_score, "maximize", ("binary",), needs_probabilities=True),
        MetricSpec("log_loss", log_loss, "minimize", ("binary",), needs_probabilities=True),
        MetricSpec("accuracy", accuracy_score, "maximize", ("binary", "multiclass")),
        MetricSpec("f1", f1_score, "maximize", ("binary",)),
        MetricSpec("f1_macro", f1_macro_score, "maximize", ("binary", "multiclass")),
        MetricSpec("rmse", rmse_error, "minimize", ("regression",)),
        MetricSpec("mae", mae_error, "minimize", ("regression",)),
        MetricSpec("rmsle", rmsle_error, "minimize", ("regression",)),
        MetricSpec("map_at_k", map_at_k_score, "maximize", ("ranking",)),
        MetricSpec("ndcg_at_k", ndcg_at_k_score, "maximize", ("ranking",)),
    )
}
