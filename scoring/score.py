"""Score a validated submission on the hidden labels: public, private and overall, each with a CI.

Everything is vectorised: ids are matched with one Arrow hash lookup, labels are encoded to
small integer codes once, and label metrics work on confusion matrices, so a 1,000,000-row
submission costs about as much as reading it and calling the metric once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from odx.datasets.release import USAGE_COLUMN, Usage
from odx.scoring.confidence import (
    LABEL_METRICS,
    RANKING_METRICS,
    Interval,
    estimate,
    estimate_from_confusion,
)
from odx.scoring.metrics import METRICS


@dataclass(frozen=True)
class Score:
    """A metric's value on some rows, with its confidence interval (nan when undefined)."""

    value: float
    low: float
    high: float
    rows: int
    method: str

    @classmethod
    def of(cls, value: float, interval: Interval, rows: int) -> Score:
        return cls(value, interval.low, interval.high, rows, interval.method)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: nan (an undefined value or interval) becomes None."""
        return {
            key: None if isinstance(v, float) and math.isnan(v) else v
            for key, v in asdict(self).items()
        }


@dataclass(frozen=True)
class Scores:
    """The leaderboard's three views of one submission."""

    public: Score
    private: Score
    overall: Score

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            "public": self.public.to_dict(),
            "private": self.private.to_dict(),
            "overall": self.overall.to_dict(),
        }


def score_submission(
    labels: pd.DataFrame,
    predictions: pd.Series,
    *,
    metric: str,
    id_column: str,
    target_column: str,
    seed: int = 0,
    k: int | None = None,
) -> Scores:
    """Score ``predictions`` (indexed by id, validated) against the hidden ``labels`` frame.

    For a ranking metric each prediction is a query's ranked list of item ids and each label
    its relevant items, space-separated; ``k`` is the metric's cut-off.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {sorted(METRICS)}")
    positions = align_ids(labels[id_column], predictions.index)
    usage = labels[USAGE_COLUMN]
    public = (usage == Usage.PUBLIC).to_numpy(dtype=bool)
    private = (usage == Usage.PRIVATE).to_numpy(dtype=bool)
    if not (public | private).all():
        raise ValueError(f"column {USAGE_COLUMN} holds values other than {[*map(str, Usage)]}")
    if metric in RANKING_METRICS:
        if k is None:
            raise ValueError(f"metric {metric} needs k")
        return _score_rankings(
            labels[id_column],
            labels[target_column],
            predictions,
            positions,
            public,
            metric,
            k,
            seed,
        )
    if metric in LABEL_METRICS:
        return _score_labels(labels[target_column], predictions, positions, public, metric, seed)
    y_true = _numeric(labels[target_column])
    y_pred = _numeric(predictions)[positions]
    scores = []
    for mask in (public, private, None):
        t, p = (y_true, y_pred) if mask is None else (y_true[mask], y_pred[mask])
        value, interval = estimate(metric, t, p, seed=seed)
        scores.append(Score.of(value, interval, t.size))
    return Scores(*scores)


def align_ids(label_ids: pd.Series, prediction_ids: pd.Index) -> np.ndarray:
    """Position in the predictions of each label row's id (labels' order); raises on a gap.

    One Arrow hash lookup (3x faster than pandas on string ids); ids of different kinds
    (say int in the labels, str in the submission) are compared as strings.
    """
    if len(label_ids) != len(prediction_ids):
        raise ValueError(f"{len(label_ids)} labelled rows but {len(prediction_ids)} predictions")
    needles, haystack = _chunked(label_ids), _chunked(prediction_ids)
    if needles.type != haystack.type:
        needles = pc.cast(needles, pa.large_string())
        haystack = pc.cast(haystack, pa.large_string())
    if needles.equals(haystack):
        return np.arange(len(label_ids))
    found = pc.index_in(needles, value_set=haystack)
    if found.null_count:
        missing = needles.filter(pc.is_null(found))
        example = missing[0].as_py()
        raise ValueError(f"{len(missing)} labelled ids have no prediction, e.g. {example!r}")
    return found.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)


def _chunked(values: pd.Series | pd.Index) -> pa.ChunkedArray:
    array = pa.array(values)  # zero-copy for Arrow-backed strings
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).to_numpy(dtype=float)


def _codes(values: pd.Series, classes: dict[str, int]) -> np.ndarray:
    """Integer codes of labels compared as strings, adding unseen labels to ``classes``."""
    codes, uniques = pd.factorize(values)
    if (codes < 0).any():
        raise ValueError("labels or predictions hold missing values")
    lookup = np.array([classes.setdefault(str(u), len(classes)) for u in uniques], dtype=np.int64)
    return lookup[codes]


def _score_rankings(
    query_ids: pd.Series,
    relevant_items: pd.Series,
    predictions: pd.Series,
    positions: np.ndarray,
    public: np.ndarray,
    metric: str,
    k: int,
    seed: int = 0,
) -> Scores:
    """MAP@k or NDCG@k over each part's queries, with a bootstrap over queries."""
    queries = query_ids.astype(str).tolist()
    relevant = [set(str(text).split()) for text in relevant_items.fillna("")]
    ranked = predictions.to_numpy()[positions]
    scores = []
    for mask in (public, ~public, None):
        chosen = range(len(queries)) if mask is None else np.flatnonzero(mask)
        truth = {queries[i]: relevant[i] for i in chosen}
        lists = {queries[i]: list(ranked[i]) for i in chosen}
        value, interval = estimate(metric, truth, lists, seed=seed, k=k)
        scores.append(Score.of(value, interval, len(truth)))
    return Scores(*scores)


def _score_labels(
    target: pd.Series,
    predictions: pd.Series,
    positions: np.ndarray,
    public: np.ndarray,
    metric: str,
    seed: int,
) -> Scores:
    """Accuracy and F1 from one confusion matrix per part; overall is their sum."""
    classes: dict[str, int] = {}
    t_codes = _codes(target, classes)
    p_codes = _codes(predictions, classes)[positions]
    size = len(classes)
    cells = t_codes * size + p_codes
    matrices = [
        np.bincount(cells[mask], minlength=size * size).reshape(size, size)
        for mask in (public, ~public)
    ]
    matrices.append(matrices[0] + matrices[1])
    positive = classes.get("1")
    scores = []
    for matrix in matrices:
        value, interval = estimate_from_confusion(metric, matrix, positive=positive, seed=seed)
        scores.append(Score.of(value, interval, int(matrix.sum())))
    return Scores(*scores)
